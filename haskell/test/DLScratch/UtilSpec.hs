-- | im2col and col2im (7.4.3), by hand and as adjoints.
module DLScratch.UtilSpec (spec) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (flatten, fromLists, reshape, toLists)
import Test.Hspec
import Test.QuickCheck
import DLScratch.Rng (mkGen, rand)
import DLScratch.Util

-- | One image of one channel.
image :: [[Double]] -> Images
image rs = Images (ImageShape 1 1 (length rs) (length (head rs))) (VS.fromList (concat rs))

-- | toFloat16 of x is want, bit for bit (the sign of a zero included).
roundsTo :: Double -> Double -> Expectation
roundsTo x want = (isNegativeZero got, got) `shouldBe` (isNegativeZero want, want)
  where got = toFloat16 x

spec :: Spec
spec = describe "im2col and col2im" $ do
  it "convOutputSize rounds down: (7 + 2·1 − 3) // 2 + 1 = 4" $
    convOutputSize 7 3 2 1 `shouldBe` 4
  it "im2col: a 2×3 window on 1..9 has two positions, one below the other" $
    toLists (im2col (Window 2 3 1 0) (image [[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
      `shouldBe` [[1, 2, 3, 4, 5, 6], [4, 5, 6, 7, 8, 9]]
  it "im2col: a 3×3 window on a 2×2 image padded by 1 sees the zeros around it" $
    -- padded: 0 0 0 0 / 0 1 2 0 / 0 3 4 0 / 0 0 0 0; windows at (0,0), (0,1), (1,0), (1,1)
    toLists (im2col (Window 3 3 1 1) (image [[1, 2], [3, 4]]))
      `shouldBe` [ [0, 0, 0, 0, 1, 2, 0, 3, 4], [0, 0, 0, 1, 2, 0, 3, 4, 0]
                 , [0, 1, 2, 0, 3, 4, 0, 0, 0], [1, 2, 0, 3, 4, 0, 0, 0, 0] ]
  it "im2col: rows in (n, i, j) order, columns in (c, y, x) order" $ do
    -- image 0: channel 0 = [1 2], channel 1 = [3 4]; image 1: [5 6], [7 8]; a 1×1 window
    let x = Images (ImageShape 2 2 1 2) (VS.fromList [1, 2, 3, 4, 5, 6, 7, 8])
    toLists (im2col (Window 1 1 1 0) x) `shouldBe` [[1, 3], [2, 4], [5, 7], [6, 8]]
  it "im2col: stride 2 skips positions, a remainder column is never covered" $
    -- 1×5 image, 1×2 window, stride 2: (5 − 2) // 2 + 1 = 2 windows, 5 is left out
    toLists (im2col (Window 1 2 2 0) (image [[1, 2, 3, 4, 5]])) `shouldBe` [[1, 2], [3, 4]]
  it "col2im: each window's one goes where im2col took that element from" $ do
    let col = fromLists [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    pixels (col2im (Window 2 2 1 0) (ImageShape 1 1 3 3) col) `shouldBe` VS.fromList [1, 0, 1, 0, 0, 0, 1, 0, 1]
  it "col2im: overlapping windows add up (all-ones col counts the windows per pixel)" $
    pixels (col2im (Window 2 2 1 0) (ImageShape 1 1 3 3) (reshape 4 (VS.replicate 16 1)))
      `shouldBe` VS.fromList [1, 2, 1, 2, 4, 2, 1, 2, 1]
  it "col2im: the padding is cut away (2×2 windows of stride 2 on a 2×2 image padded by 1)" $ do
    -- window (0,0) covers padded (0..1, 0..1): only its element (1,1) lands in the image, at (0,0);
    -- window (0,1) gives its (1,0) to (0,1), window (1,0) its (0,1) to (1,0), window (1,1) its (0,0)
    let col = fromLists [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    pixels (col2im (Window 2 2 2 1) (ImageShape 1 1 2 2) col) `shouldBe` VS.fromList [4, 7, 10, 13]
  it "col2im is im2col's adjoint: <im2col(x), col> = <x, col2im(col)> (QuickCheck)" $ property $
    forAll ((,,,) <$> choose (0, 100000) <*> choose (1, 3) <*> choose (1, 3) <*> choose (0, 2)) $
      \(s, f, stride, pad) ->
        let sh = ImageShape 2 2 5 4
            win = Window f (f + 1 - stride `mod` 2) stride pad
            (xv, g) = rand [2 * 2 * 5 * 4] (mkGen s)
            x = Images sh xv
            c = im2col win x
            (cv, _) = rand [VS.length (flatten c)] g
            lhs = VS.sum (VS.zipWith (*) (flatten c) cv)
            rhs = VS.sum (VS.zipWith (*) xv (pixels (col2im win sh (reshape (2 * f * (f + 1 - stride `mod` 2)) cv))))
        in abs (lhs - rhs) <= 1e-12 * max 1 (abs lhs)
  it "channelsLast and fromChannelsLast are each other's inverse" $ do
    let x = Images (ImageShape 2 3 2 2) (VS.generate 24 fromIntegral)
    toLists (channelsLast (Images (ImageShape 1 2 1 2) (VS.fromList [1, 2, 3, 4]))) `shouldBe` [[1, 3], [2, 4]]
    fromChannelsLast 2 2 2 (channelsLast x) `shouldBe` x
  describe "toFloat16 (8.3.4): the nearest binary16, ties to even" $ do
    it "rounds to the 11-bit significand: 0.1 -> 0.0999755859375, 1/3 -> 0.333251953125" $ do
      roundsTo 0.1 0.0999755859375
      roundsTo (1 / 3) 0.333251953125
    it "keeps 65504, the largest binary16; 65519.99 rounds down to it, 65520 and above overflow" $ do
      roundsTo 65504 65504
      roundsTo 65519.99 65504
      roundsTo 65520 (1 / 0)
      roundsTo (-65520) (-1 / 0)
    it "subnormals: 2^-24 kept, 2^-25 a tie to the even 0, 3*2^-25 a tie to 2 quanta, -2^-26 to -0.0" $ do
      roundsTo (2 ** (-24)) (2 ** (-24))
      roundsTo (2 ** (-25)) 0
      roundsTo (3 * 2 ** (-25)) (2 ** (-23))
      roundsTo (-(2 ** (-26))) (-0.0)
    it "ties to the even significand: 1 + 2^-11 -> 1, 1 + 3*2^-11 -> 1 + 2^-9" $ do
      roundsTo (1 + 2 ** (-11)) 1
      roundsTo 1.00048828125 1
      roundsTo (1 + 3 * 2 ** (-11)) (1 + 2 ** (-9))
    it "the smallest normal 2^-14 is itself; NaN, the infinities and the zeros are themselves" $ do
      roundsTo (2 ** (-14)) (2 ** (-14))
      isNaN (toFloat16 (0 / 0)) `shouldBe` True
      roundsTo (1 / 0) (1 / 0)
      roundsTo (-1 / 0) (-1 / 0)
      roundsTo (-0.0) (-0.0)
      roundsTo 0 0
