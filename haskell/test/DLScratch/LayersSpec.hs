-- | The backpropagation layers of chapters 5, 6 and 7.
module DLScratch.LayersSpec (spec) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (flatten, fromLists, reshape, toLists, (><))
import Test.Hspec
import DLScratch.Functions
import DLScratch.Gradient (numericalGradient)
import DLScratch.Layers
import DLScratch.Rng
import DLScratch.Util
import Support

spec :: Spec
spec = do
  describe "Layers" $ do
    it "ReLU passes no gradient at exactly 0" $ do
      let (out, tape) = reluForward (fromLists [[-1, 0, 2]])
      toLists out `shouldBe` [[0, 0, 2]]
      toLists (reluBackward tape (fromLists [[5, 5, 5]])) `shouldBe` [[0, 0, 5]]
    it "Sigmoid backward is dout·(1 − y)·y" $ do
      let (_, tape) = sigmoidForward (fromLists [[0]])
      toLists (sigmoidBackward tape (fromLists [[1]])) `shouldBe` [[0.25]]
    -- small integers: every product and partial sum is exact, in any order and with or
    -- without FMA, so BLAS's results can be compared exactly here
    it "Affine: out = x·W + b, dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ dout" $ do
      let layer = Dense (fromLists [[1, 2], [3, 4], [5, 6]]) (vec [1, 1])
          (out, tape) = affineForward layer (fromLists [[1, 2, 3]])
          (dx, Dense dw db) = affineBackward layer tape (fromLists [[1, 1]])
      toLists out `shouldBe` [[23, 29]]
      toLists dx `shouldBe` [[3, 7, 11]]
      toLists dw `shouldBe` [[1, 1], [2, 2], [3, 3]]
      VS.toList db `shouldBe` [1, 1]
    it "SoftmaxWithLoss backward is (y − onehot(t)) / N" $ do
      let ((_, yv), tape) = softmaxWithLossForward (fromLists [[0, 0], [0, 0]]) (TLabels (Labels (VS.fromList [0, 1])))
      toLists yv `shouldBe` [[0.5, 0.5], [0.5, 0.5]]
      toLists (softmaxWithLossBackward tape) `shouldBe` [[-0.25, 0.25], [0.25, -0.25]]
    it "Dropout in test mode scales forward and backward by 1 − ratio" $ do
      let ((out, tape), _) = dropoutForward 0.25 False (mkGen 0) (fromLists [[4, 8]])
      toLists out `shouldBe` [[3, 6]]
      toLists (dropoutBackward tape (fromLists [[4, 4]])) `shouldBe` [[3, 3]]
    it "BatchNorm normalises each column to mean 0 (train mode)" $ do
      let bn = BatchNorm (vec [1, 1]) (vec [0, 0]) (vec [0, 0]) (vec [0, 0]) 0.9
          (out, bn', _) = batchNormForward True bn (fromLists [[1, 10], [3, 30]])
      concat (toLists out) `shouldBeNear'` [-0.9999995000003750, -0.9999999950000001, 0.9999995000003750, 0.9999999950000001]
      VS.toList (bnRunningMean bn') `shouldBeNear'` [0.2, 2.0]

    it "BatchNorm backward agrees with central differences (train mode)" $ do
      let (xv, g1) = randn [5, 3] (mkGen 21)
          (wv, g2) = randn [5, 3] g1
          (gv, _) = rand [3] g2
          x = (5 >< 3) (VS.toList xv)
          w = (5 >< 3) (VS.toList wv)
          bnWith gam = BatchNorm gam (vec [0.1, -0.2, 0.3]) (vec [0, 0, 0]) (vec [1, 1, 1]) 0.9
          -- L = Σ out·w, so dL/dout = w
          lossOf gam xm = let (out, _, _) = batchNormForward True (bnWith gam) xm
                          in VS.sum (VS.zipWith (*) (flatten out) (flatten w))
          (_, _, tape) = batchNormForward True (bnWith gv) x
          (dx, BatchNormGrad dg _) = batchNormBackward (bnWith gv) tape w
          numDx = numericalGradient (lossOf gv . (5 >< 3) . VS.toList) (flatten x)
          numDg = numericalGradient (\g' -> lossOf g' x) gv
      VS.toList (flatten dx) `shouldBeNear''` VS.toList numDx
      VS.toList dg `shouldBeNear''` VS.toList numDg


  describe "Convolution and Pooling (7.4)" $ do
    let img rs = Images (ImageShape 1 1 (length rs) (length (head rs))) (VS.fromList (concat rs))
        nine = img [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    it "Convolution: out = Σ W·window + b; db = Σ dout, dW = Σ dout·window, dx = Σ dout·W placed" $ do
      -- W = [[1, 2], [3, 4]], b = 0.5: out(0,0) = 1 + 2·2 + 3·4 + 4·5 + 0.5 = 37.5, then 47.5, 67.5, 77.5
      let layer = Convolution (Dense (fromLists [[1, 2, 3, 4]]) (vec [0.5])) (Window 2 2 1 0)
          (out, tape) = convolutionForward layer nine
          -- dout = [[1, 0], [0, 2]]: dW[y][x] = x[y][x] + 2·x[1+y][1+x]; dx = W at (0,0) + 2·W at (1,1)
          (dx, Dense dw db) = convolutionBackward layer tape (img [[1, 0], [0, 2]])
      imageShape out `shouldBe` ImageShape 1 1 2 2
      VS.toList (pixels out) `shouldBe` [37.5, 47.5, 67.5, 77.5]
      VS.toList db `shouldBe` [3]
      toLists dw `shouldBe` [[11, 14, 20, 23]]
      VS.toList (pixels dx) `shouldBe` [1, 2, 0, 3, 6, 4, 0, 6, 8]
    it "Convolution: filters in the channel axis of out, channels summed, stride and pad" $ do
      -- two 1×1 filters over 2 channels: f0 = 3·c0 − c1, f1 = c1 + 1. Stride 2, pad 1 on 1×3: the
      -- padded 3×5 image has windows at rows 0 and 2, both padding, so out is b (2 × 3 positions)
      let x = Images (ImageShape 1 2 1 3) (VS.fromList [1, 2, 3, 10, 20, 30])
          layer = Convolution (Dense (fromLists [[3, -1], [0, 1]]) (vec [0, 1])) (Window 1 1 2 1)
          (out, _) = convolutionForward layer x
      imageShape out `shouldBe` ImageShape 1 2 2 3
      VS.toList (pixels out) `shouldBe` [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
      let layer' = Convolution (Dense (fromLists [[3, -1], [0, 1]]) (vec [0, 1])) (Window 1 1 1 0)
      VS.toList (pixels (fst (convolutionForward layer' x))) `shouldBe` [-7, -14, -21, 11, 21, 31]
    it "Convolution backward agrees with central differences (2 channels, 3 filters, stride 2, pad 1)" $ do
      let (xv, g1) = randn [2 * 2 * 5 * 4] (mkGen 31)
          (wv, g2) = randn [3 * 2 * 2 * 3] g1
          (bv, g3) = randn [3] g2
          sh = ImageShape 2 2 5 4
          win = Window 2 3 2 1   -- OH = (5 + 2 − 2) // 2 + 1 = 3, OW = (4 + 2 − 3) // 2 + 1 = 2
          (rv, _) = randn [2 * 3 * 3 * 2] g3
          layerOf w b = Convolution (Dense (reshape 12 w) b) win
          -- L = Σ out·r, so dL/dout = r
          lossOf w b x = VS.sum (VS.zipWith (*) rv (pixels (fst (convolutionForward (layerOf w b) (Images sh x)))))
          (out, tape) = convolutionForward (layerOf wv bv) (Images sh xv)
          (dx, Dense dw db) = convolutionBackward (layerOf wv bv) tape (Images (imageShape out) rv)
      imageShape out `shouldBe` ImageShape 2 3 3 2
      VS.toList (pixels dx) `shouldBeNear''` VS.toList (numericalGradient (lossOf wv bv) xv)
      VS.toList (flatten dw) `shouldBeNear''` VS.toList (numericalGradient (\w -> lossOf w bv xv) wv)
      VS.toList db `shouldBeNear''` VS.toList (numericalGradient (\b -> lossOf wv b xv) bv)
    it "Pooling: the first maximum of each window, dout routed to it" $ do
      -- windows of 2×2, stride 2: {1 3 4 2} → 4 at (1,0), {2 0 1 5} → 5 at (1,3),
      -- {0 −1 −2 6} → 6 at (3,1), {7 7 7 3} → the first 7, at (2,2)
      let x = img [[1, 3, 2, 0], [4, 2, 1, 5], [0, -1, 7, 7], [-2, 6, 7, 3]]
          (out, tape) = poolingForward (Pooling (Window 2 2 2 0)) x
      VS.toList (pixels out) `shouldBe` [4, 5, 6, 7]
      VS.toList (pixels (poolingBackward tape (img [[1, 2], [3, 4]])))
        `shouldBe` [0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 4, 0, 0, 3, 0, 0]
    it "Pooling: a NaN is a maximum (the first one), −0.0 stays −0.0" $ do
      let nan = 0 / 0
          (out, tape) = poolingForward (Pooling (Window 2 2 2 0)) (img [[1, nan], [nan, 5]])
          (out', _) = poolingForward (Pooling (Window 2 2 2 0)) (img [[-0.0, -1], [-2, -3]])
      isNaN (VS.head (pixels out)) `shouldBe` True
      VS.toList (pixels (poolingBackward tape (img [[7]]))) `shouldBe` [0, 7, 0, 0]
      isNegativeZero (VS.head (pixels out')) `shouldBe` True
    it "Pooling: the zero padding can be the maximum, and its dout is cut away" $ do
      -- [[-3]] padded by 1: the window at (0,0) holds 0, 0, 0, −3
      let (out, tape) = poolingForward (Pooling (Window 2 2 2 1)) (img [[-3]])
      VS.toList (pixels out) `shouldBe` [0]
      VS.toList (pixels (poolingBackward tape (img [[5]]))) `shouldBe` [0]
    it "Pooling: overlapping windows (stride 1) add their douts at a shared maximum" $ do
      let (_, tape) = poolingForward (Pooling (Window 2 2 1 0)) (img [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
      VS.toList (pixels (poolingBackward tape (img [[1, 2], [3, 4]]))) `shouldBe` [0, 0, 0, 0, 10, 0, 0, 0, 0]
