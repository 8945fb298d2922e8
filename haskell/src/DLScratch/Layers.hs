-- | The backpropagation layers of chapters 5, 6 and 7 (@common/layers.py@),
-- as pure functions in the style of grenade:
--
-- > forward  :: layer -> input -> (output, tape)
-- > backward :: layer -> tape -> dout -> (dinput, gradient)
--
-- The tape is what the book keeps in the layer object between its forward
-- and backward calls (the input, a mask, the softmax output); here it is a
-- value handed from one call to the other, so nothing is mutated.
--
-- Batches are matrices with one sample per row; the convolution and the pooling take
-- 'Images'.
module DLScratch.Layers
  ( -- * ReLU
    ReluTape
  , reluForward
  , reluBackward
    -- * Sigmoid
  , SigmoidTape
  , sigmoidForward
  , sigmoidBackward
    -- * Affine
  , Dense (..)
  , AffineTape
  , affineForward
  , affineBackward
    -- * Softmax with loss
  , SoftmaxTape
  , softmaxWithLossForward
  , softmaxWithLossBackward
    -- * Dropout
  , DropoutTape
  , dropoutForward
  , dropoutBackward
    -- * Batch normalization
  , BatchNorm (..)
  , BatchNormTape
  , BatchNormGrad (..)
  , batchNormEps
  , batchNormForward
  , batchNormBackward
    -- * Convolution
  , Convolution (..)
  , ConvolutionTape
  , convolutionForward
  , convolutionBackward
    -- * Pooling
  , Pooling (..)
  , PoolingTape
  , poolingForward
  , poolingBackward
    -- * Elementwise helpers
  , zipM
  , mapM'
  , rowOp
  ) where

import Control.DeepSeq (NFData (..))
import qualified Data.Vector.Storable as VS
import qualified Data.Vector.Storable.Mutable as MV
import Numeric.LinearAlgebra (Matrix, Vector, cols, flatten, reshape, rows, tr)
import DLScratch.Array (mmul, sumRows)
import DLScratch.Util
import DLScratch.Functions (Labels (..), Targets (..), crossEntropyError, sigmoid, softmaxRows)
import DLScratch.Rng (Gen, rand)

-- | Elementwise combination of two matrices of one shape.
zipM :: (Double -> Double -> Double) -> Matrix Double -> Matrix Double -> Matrix Double
zipM f a b = reshape (cols a) (VS.generate (VS.length va) (\k -> f (VS.unsafeIndex va k) (VS.unsafeIndex vb k)))
  where
    va = flatten a
    vb = flatten b
{-# INLINE zipM #-}

-- | Elementwise map.
mapM' :: (Double -> Double) -> Matrix Double -> Matrix Double
mapM' f a = reshape (cols a) (VS.map f (flatten a))
{-# INLINE mapM' #-}

-- | @f(a[i, j], v[j])@: a row vector broadcast down the rows.
rowOp :: (Double -> Double -> Double) -> Matrix Double -> Vector Double -> Matrix Double
rowOp f a v = reshape d (VS.generate (VS.length va) (\k -> f (VS.unsafeIndex va k) (VS.unsafeIndex v (k `rem` d))))
  where
    d = cols a
    va = flatten a
{-# INLINE rowOp #-}

-- ReLU ---------------------------------------------------------------------

-- region: relu_layer
-- part: forward
-- | The input: its mask is @x <= 0@.
newtype ReluTape = ReluTape (Matrix Double)

-- | @out = max(0, x)@
reluForward :: Matrix Double -> (Matrix Double, ReluTape)
reluForward x = (mapM' (\a -> if a <= 0 then 0 else a) x, ReluTape x)

-- part: backward
-- | @dx = 0 where x <= 0 (so 0 at exactly 0), dout elsewhere@
reluBackward :: ReluTape -> Matrix Double -> Matrix Double
reluBackward (ReluTape x) = zipM (\a d -> if a <= 0 then 0 else d) x
-- endregion

-- Sigmoid ------------------------------------------------------------------

-- region: sigmoid_layer
-- part: forward
-- | The output y = sigmoid(x).
newtype SigmoidTape = SigmoidTape (Matrix Double)

-- | @y = 1 / (1 + exp(−x))@
sigmoidForward :: Matrix Double -> (Matrix Double, SigmoidTape)
sigmoidForward x = let y = mapM' sigmoid x in (y, SigmoidTape y)

-- part: backward
-- | @dx = dout·(1 − y)·y@
sigmoidBackward :: SigmoidTape -> Matrix Double -> Matrix Double
sigmoidBackward (SigmoidTape y) dout = zipM (\d o -> d * (1 - o) * o) dout y
-- endregion

-- Affine -------------------------------------------------------------------

-- region: affine
-- part: init
-- | The parameters of an affine layer, W (D×M) and b (M); the same type
-- holds their gradients dW and db.
data Dense = Dense { weight :: !(Matrix Double), bias :: !(Vector Double) }
  deriving (Show)

instance NFData Dense where
  rnf (Dense w b) = w `seq` b `seq` ()

-- part: forward
-- | The input x.
newtype AffineTape = AffineTape (Matrix Double)

-- | @out = x·W + b@
affineForward :: Dense -> Matrix Double -> (Matrix Double, AffineTape)
affineForward (Dense w b) x = (rowOp (+) (mmul x w) b, AffineTape x)

-- part: backward
-- | @dx = dout·Wᵀ@, @dW = xᵀ·dout@, @db = Σ_rows dout@
affineBackward :: Dense -> AffineTape -> Matrix Double -> (Matrix Double, Dense)
affineBackward (Dense w _) (AffineTape x) dout =
  (mmul dout (tr w), Dense (mmul (tr x) dout) (sumRows dout))
-- endregion

-- Softmax with loss --------------------------------------------------------

-- region: softmax_with_loss
-- part: forward
-- | The softmax output y and the targets t.
data SoftmaxTape = SoftmaxTape !(Matrix Double) !Targets

-- | @y = softmax(x)@ row-wise, @loss = −Σ log(y[i, t_i] + 1e-7) / N@.
-- Answers (loss, y) and the tape.
softmaxWithLossForward :: Matrix Double -> Targets -> ((Double, Matrix Double), SoftmaxTape)
softmaxWithLossForward x t =
  let y = softmaxRows x
  in ((crossEntropyError y t, y), SoftmaxTape y t)

-- part: backward
-- | @dx = (y − t) / N@ with t one-hot (labels stand for their one-hot rows:
-- @t[i, j] = 1@ where @j = t_i@); the book's backward ignores dout, and so
-- does this one.
softmaxWithLossBackward :: SoftmaxTape -> Matrix Double
softmaxWithLossBackward (SoftmaxTape y t) = case t of
  TLabels (Labels l) ->
    let c = cols y
        yv = flatten y
        hot k = let (i, j) = k `quotRem` c in if VS.unsafeIndex l i == j then 1 else 0
    in reshape c (VS.generate (VS.length yv) (\k -> (VS.unsafeIndex yv k - hot k) / n))
  TOneHot m -> zipM (\a b -> (a - b) / n) y m
  where
    n = fromIntegral (rows y)
-- endregion

-- Dropout ------------------------------------------------------------------

-- region: dropout
-- part: forward
-- | The mask (1 kept, 0 dropped), or the test-mode scale @1 − ratio@.
data DropoutTape = DropoutMask !(Matrix Double) | DropoutScale !Double

-- | Training (flag true): @mask = rand(x.shape) > ratio@, @out = x·mask@,
-- drawn from the given generator. Test: @out = x·(1 − ratio)@.
dropoutForward :: Double -> Bool -> Gen -> Matrix Double -> ((Matrix Double, DropoutTape), Gen)
dropoutForward ratio True g x =
  let (u, g') = rand [rows x, cols x] g
      mask = reshape (cols x) (VS.map (\a -> if a > ratio then 1 else 0) u)
  in ((zipM (*) x mask, DropoutMask mask), g')
dropoutForward ratio False g x =
  let s = 1 - ratio in ((mapM' (* s) x, DropoutScale s), g)

-- part: backward
-- | @dx = dout·mask@ (training), @dx = dout·(1 − ratio)@ (test mode: the
-- derivative of its forward).
dropoutBackward :: DropoutTape -> Matrix Double -> Matrix Double
dropoutBackward (DropoutMask mask) dout = zipM (*) dout mask
dropoutBackward (DropoutScale s) dout = mapM' (* s) dout
-- endregion

-- Batch normalization ------------------------------------------------------

-- region: batch_norm
-- part: init
-- | γ, β and the running statistics, all of length D.
data BatchNorm = BatchNorm
  { bnGamma, bnBeta, bnRunningMean, bnRunningVar :: !(Vector Double)
  , bnMomentum :: !Double
  }

-- | The book's @10e-7@ (= 1e-6).
batchNormEps :: Double
batchNormEps = 10e-7

-- part: forward
-- | What the backward pass needs.
data BatchNormTape
  = BNTrain !(Matrix Double) !(Matrix Double) !(Vector Double)  -- ^ xc, xn, std
  | BNTest !(Matrix Double) !(Vector Double)                     -- ^ xn, sqrt(rv + eps)

data BatchNormGrad = BatchNormGrad { dGamma, dBeta :: !(Vector Double) }

-- | Training:
--
-- > mu = mean_rows(x); xc = x − mu; var = mean_rows(xc²); std = sqrt(var + eps)
-- > xn = xc / std; out = γ·xn + β
-- > running_mean ← m·rm + (1−m)·mu; running_var ← m·rv + (1−m)·var
--
-- Test: @xn = (x − rm) / sqrt(rv + eps)@, running statistics unchanged.
-- Answers the output, the updated layer (running statistics) and the tape.
batchNormForward :: Bool -> BatchNorm -> Matrix Double -> (Matrix Double, BatchNorm, BatchNormTape)
batchNormForward train bn x
  | train =
      let mu = VS.map (/ n) (sumRows x)
          xc = rowOp (-) x mu
          var = VS.map (/ n) (sumRows (mapM' (\a -> a * a) xc))
          std = VS.map (\v -> sqrt (v + batchNormEps)) var
          xn = rowOp (/) xc std
          rm' = VS.zipWith (\r a -> m * r + (1 - m) * a) (bnRunningMean bn) mu
          rv' = VS.zipWith (\r a -> m * r + (1 - m) * a) (bnRunningVar bn) var
      in (affineOut xn, bn { bnRunningMean = rm', bnRunningVar = rv' }, BNTrain xc xn std)
  | otherwise =
      let xc = rowOp (-) x (bnRunningMean bn)
          std = VS.map (\v -> sqrt (v + batchNormEps)) (bnRunningVar bn)
          xn = rowOp (/) xc std
      in (affineOut xn, bn, BNTest xn std)
  where
    n = fromIntegral (rows x)
    m = bnMomentum bn
    affineOut xn = rowOp (+) (rowOp (\a g -> g * a) xn (bnGamma bn)) (bnBeta bn)

-- part: backward
-- | Training (the book's backward):
--
-- > dβ = Σ dout; dγ = Σ xn·dout; dxn = γ·dout; dxc = dxn / std
-- > dstd = −Σ (dxn·xc) / (std·std); dvar = 0.5·dstd / std
-- > dxc += (2/N)·xc·dvar; dmu = Σ dxc; dx = dxc − dmu/N
--
-- Test mode: @dx = γ·dout / sqrt(rv + eps)@.
batchNormBackward :: BatchNorm -> BatchNormTape -> Matrix Double -> (Matrix Double, BatchNormGrad)
batchNormBackward bn tape dout =
  case tape of
    BNTrain xc xn std ->
      let dxn = rowOp (\d g -> g * d) dout gamma
          dxc0 = rowOp (/) dxn std
          dstd = VS.map negate (sumRows (rowOp (\a s -> a / (s * s)) (zipM (*) dxn xc) std))
          dvar = VS.zipWith (\d s -> 0.5 * d / s) dstd std
          dxc = zipM (+) dxc0 (rowOp (\a v -> (2.0 / n) * a * v) xc dvar)
          dmu = sumRows dxc
          dx = rowOp (\a mu -> a - mu / n) dxc dmu
      in (dx, BatchNormGrad (dgammaOf xn) dbeta)
    BNTest xn std ->
      let dx = rowOp (/) (rowOp (\d g -> g * d) dout gamma) std
      in (dx, BatchNormGrad (dgammaOf xn) dbeta)
  where
    gamma = bnGamma bn
    n = fromIntegral (rows dout)
    dbeta = sumRows dout
    dgammaOf xn = sumRows (zipM (*) xn dout)
-- endregion

-- Convolution --------------------------------------------------------------

-- region: convolution
-- part: init
-- | The filters as W_col, FN rows of C·FH·FW (W's row-major order), and the bias b (FN), as an
-- affine layer's parameters (the same type holds dW, db), with the filter's window: FH, FW,
-- stride and pad.
data Convolution = Convolution { convParams :: !Dense, convWindow :: !Window }

-- part: forward
-- | The input's shape and its col = im2col(x).
data ConvolutionTape = ConvolutionTape !ImageShape !(Matrix Double)

-- | @out[n, f, i, j] = Σ_{c,y,x} W[f, c, y, x]·padded[n, c, i·stride + y, j·stride + x] + b[f]@,
-- computed as @col·W_colᵀ + b@ (one row per window) reshaped to N × FN × OH × OW.
convolutionForward :: Convolution -> Images -> (Images, ConvolutionTape)
convolutionForward (Convolution (Dense wcol b) win) x =
  (fromChannelsLast (batch sh) oh ow (rowOp (+) (mmul col (tr wcol)) b), ConvolutionTape sh col)
  where
    sh = imageShape x
    col = im2col win x
    (oh, ow) = outputShape win sh

-- part: backward
-- | With dout as N·OH·OW rows of FN (one row per window, as col): @db = Σ_rows dout@,
-- @dW = doutᵀ·col@, @dx = col2im(dout·W_col)@.
convolutionBackward :: Convolution -> ConvolutionTape -> Images -> (Images, Dense)
convolutionBackward (Convolution (Dense wcol _) win) (ConvolutionTape sh col) dout =
  (col2im win sh (mmul d wcol), Dense (mmul (tr d) col) (sumRows d))
  where d = channelsLast dout
-- endregion

-- Pooling ------------------------------------------------------------------

-- region: pooling
-- part: init
-- | Max pooling over windows of pool_h × pool_w, stride and pad (the book's stride is 2).
newtype Pooling = Pooling Window

-- part: forward
-- | The input's shape and, for each output, where in x its maximum is (−1: in the padding).
data PoolingTape = PoolingTape !ImageShape !(VS.Vector Int)

-- | @out[n, c, i, j]@ = the first maximum in window order (row by row) of the window at
-- @(i·stride, j·stride)@ of x zero-padded by pad, a NaN counting as a maximum; the element
-- itself, so −0.0 stays −0.0.
poolingForward :: Pooling -> Images -> (Images, PoolingTape)
poolingForward (Pooling win@(Window ph pw s p)) (Images sh@(ImageShape n c h w) px) =
  (Images (ImageShape n c oh ow) (VS.map valueAt argMax), PoolingTape sh argMax)
  where
    (oh, ow) = outputShape win sh
    valueAt q = if q < 0 then 0 else VS.unsafeIndex px q
    argMax = VS.generate (n * c * oh * ow) $ \k ->
      let (nc, ij) = k `quotRem` (oh * ow)
          (i, j) = ij `quotRem` ow
          at e = let (y, x) = e `quotRem` pw
                     (iy, ix) = (i * s + y - p, j * s + x - p)
                 in if iy < 0 || iy >= h || ix < 0 || ix >= w then -1 else (nc * h + iy) * w + ix
          first e q v
            | e >= ph * pw || isNaN v = q
            | otherwise = let q' = at e; v' = valueAt q' in
                if isNaN v' || v' > v then first (e + 1) q' v' else first (e + 1) q v
      in first 1 (at 0) (valueAt (at 0))

-- part: backward
-- | @dx@: each @dout[n, c, i, j]@ added at its window's maximum (where windows overlap the
-- routes add up; one in the padding is cut away with it).
poolingBackward :: PoolingTape -> Images -> Images
poolingBackward (PoolingTape sh argMax) (Images _ dout) = Images sh $ VS.create $ do
  dx <- MV.replicate (imageCount sh * batch sh) 0
  loop 0 (VS.length argMax) $ \k -> let q = VS.unsafeIndex argMax k in
    if q < 0 then pure () else MV.unsafeModify dx (+ VS.unsafeIndex dout k) q
  pure dx
-- endregion
