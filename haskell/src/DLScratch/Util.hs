{-# LANGUAGE BangPatterns #-}
-- | im2col and col2im (book 7.4.3, @common/util.py@): the windows of a batch of images as the
-- rows of one matrix, so that a convolution or a pooling is one matrix operation.
--
-- Images are a batch N × C × H × W of float64 in row-major order ('Images'); a window's
-- geometry is its height, width, stride and zero padding ('Window').
module DLScratch.Util
  ( ImageShape (..)
  , Images (..)
  , imageCount
  , imagesOf
  , imagesTensor
  , imagesRows
  , withPixels
  , Window (..)
  , convOutputSize
  , outputShape
  , im2col
  , col2im
  , channelsLast
  , fromChannelsLast
  , loop
  , toFloat16
  ) where

import Control.DeepSeq (NFData (..))
import Control.Monad.ST (ST)
import qualified Data.Vector.Storable as VS
import qualified Data.Vector.Storable.Mutable as MV
import Numeric.LinearAlgebra (Matrix, Vector, cols, flatten, reshape)
import DLScratch.Array (Tensor (..))

-- | N × C × H × W: the images of a batch, their channels, height and width.
data ImageShape = ImageShape { batch, channels, height, width :: !Int }
  deriving (Eq, Show)

-- | A batch of images: @pixels[((n·C + c)·H + y)·W + x]@ is channel c of image n at (y, x).
data Images = Images { imageShape :: !ImageShape, pixels :: !(Vector Double) }
  deriving (Eq, Show)

instance NFData Images where
  rnf (Images _ v) = v `seq` ()

-- | C·H·W, the numbers of one image.
imageCount :: ImageShape -> Int
imageCount (ImageShape _ c h w) = c * h * w

-- | A 4-D tensor as images. Precondition: ndim 4.
imagesOf :: Tensor -> Images
imagesOf (Tensor [n, c, h, w] v) = Images (ImageShape n c h w) v
imagesOf t = error ("imagesOf: not 4-D: " ++ show (shape t))

imagesTensor :: Images -> Tensor
imagesTensor (Images (ImageShape n c h w) v) = Tensor [n, c, h, w] v

-- | One image per row (the book's @x.reshape(N, -1)@), no copy.
imagesRows :: Images -> Matrix Double
imagesRows (Images s v) = reshape (imageCount s) v

-- | The same images with each row of pixels replaced (a matrix of the images' row shape).
withPixels :: Images -> Matrix Double -> Images
withPixels (Images s _) m = Images s (flatten m)

-- | A window of @windowH × windowW@ moved by @windowStride@ over the image zero-padded by
-- @windowPad@ on each side.
data Window = Window { windowH, windowW, windowStride, windowPad :: !Int }
  deriving (Eq, Show)

-- region: im2col
-- | @(input + 2·pad − filter) // stride + 1@: the positions of a window, rounded down.
convOutputSize :: Int -> Int -> Int -> Int -> Int
convOutputSize input filt stride pad = (input + 2 * pad - filt) `div` stride + 1

-- | The window positions OH × OW on images of the given height and width.
outputShape :: Window -> ImageShape -> (Int, Int)
outputShape (Window fh fw s p) (ImageShape _ _ h w) = (convOutputSize h fh s p, convOutputSize w fw s p)

-- | @col[(n·OH + i)·OW + j, (c·FH + y)·FW + x] = padded[n, c, i·stride + y, j·stride + x]@:
-- N·OH·OW rows of C·FH·FW, a padding position 0.
im2col :: Window -> Images -> Matrix Double
im2col win@(Window fh fw s p) (Images sh@(ImageShape n c h w) px) = reshape k $ VS.create $ do
  col <- MV.replicate (n * oh * ow * k) 0
  loop 0 (n * oh * ow) $ \r -> do
    let (ni, ij) = r `quotRem` (oh * ow)
        (i, j) = ij `quotRem` ow
        x0 = j * s - p
        (xlo, xhi) = (max 0 (-x0), min fw (w - x0))   -- the window's columns inside the image
    loop 0 c $ \ci -> loop 0 fh $ \y -> do
      let iy = i * s + y - p
      if iy < 0 || iy >= h then pure () else do
        let src = ((ni * c + ci) * h + iy) * w + x0
            dst = r * k + (ci * fh + y) * fw
        loop xlo xhi $ \x -> MV.unsafeWrite col (dst + x) (VS.unsafeIndex px (src + x))
  pure col
  where
    (oh, ow) = outputShape win sh
    k = c * fh * fw

-- | The adjoint of 'im2col': every entry of col added into the padded image where 'im2col' took
-- it from (overlapping windows add up, window by window), the padding cut away.
col2im :: Window -> ImageShape -> Matrix Double -> Images
col2im win@(Window fh fw s p) sh@(ImageShape n c h w) colM = Images sh $ VS.create $ do
  img <- MV.replicate (n * c * h * w) 0
  loop 0 (n * oh * ow) $ \r -> do
    let (ni, ij) = r `quotRem` (oh * ow)
        (i, j) = ij `quotRem` ow
        x0 = j * s - p
        (xlo, xhi) = (max 0 (-x0), min fw (w - x0))
    loop 0 c $ \ci -> loop 0 fh $ \y -> do
      let iy = i * s + y - p
      if iy < 0 || iy >= h then pure () else do
        let dst = ((ni * c + ci) * h + iy) * w + x0
            src = r * k + (ci * fh + y) * fw
        loop xlo xhi $ \x -> MV.unsafeModify img (+ VS.unsafeIndex col (src + x)) (dst + x)
  pure img
  where
    (oh, ow) = outputShape win sh
    k = c * fh * fw
    col = flatten colM
-- endregion

-- | Images N × C × H × W as N·H·W rows of C (the book's @x.transpose(0, 2, 3, 1).reshape(-1, C)@).
channelsLast :: Images -> Matrix Double
channelsLast (Images (ImageShape n c h w) v) = reshape c $ VS.generate (n * h * w * c) $ \k ->
  let (pix, ci) = k `quotRem` c
      (ni, yx) = pix `quotRem` (h * w)
  in VS.unsafeIndex v ((ni * c + ci) * h * w + yx)

-- | N·H·W rows of C as images N × C × H × W (@m.reshape(N, H, W, C).transpose(0, 3, 1, 2)@).
fromChannelsLast :: Int -> Int -> Int -> Matrix Double -> Images
fromChannelsLast n h w m = Images (ImageShape n c h w) $ VS.generate (n * c * h * w) $ \k ->
  let (nc, yx) = k `quotRem` (h * w)
      (ni, ci) = nc `quotRem` c
  in VS.unsafeIndex v ((ni * h * w + yx) * c + ci)
  where
    c = cols m
    v = flatten m

-- | @for i in [from, to): body i@.
loop :: Int -> Int -> (Int -> ST s ()) -> ST s ()
loop from to body = go from
  where go !i | i >= to = pure ()
              | otherwise = body i >> go (i + 1)
{-# INLINE loop #-}

-- region: half_float
-- | The nearest IEEE binary16 value (ties to the even significand), held in a Double: numpy's
-- @astype(np.float16)@ without a binary16 type. For finite x ≠ 0 the quantum is
-- q = 2^max(e − 10, −24) with e = floor(log2 |x|) (2^−24 below the smallest normal 2^−14, the
-- subnormals' spacing), and y = roundTiesToEven(x / q)·q, every step exact (x / q and the
-- product scale by a power of two). |y| > 65504 (the largest binary16: every |x| >= 65520) is
-- ±Infinity; ±0, ±Infinity and NaN are themselves; a negative x that rounds to 0 gives −0.0.
toFloat16 :: Double -> Double
toFloat16 x
  | isNaN x || isInfinite x || x == 0 = x
  | abs y > 65504 = if x > 0 then 1 / 0 else -1 / 0
  | y == 0 = if x < 0 then -0.0 else 0
  | otherwise = y
  where
    e = exponent x - 1   -- x = m·2^exponent x with 1/2 <= |m| < 1
    k = max (e - 10) (-24)
    -- Haskell's round is round-half-to-even
    y = scaleFloat k (fromInteger (round (scaleFloat (-k) x)))
-- endregion
