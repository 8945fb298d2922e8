-- | The backpropagation layers of chapters 5 and 6.
module DLScratch.LayersSpec (spec) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (flatten, fromLists, toLists, (><))
import Test.Hspec
import DLScratch.Functions
import DLScratch.Gradient (numericalGradient)
import DLScratch.Layers
import DLScratch.Rng
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

