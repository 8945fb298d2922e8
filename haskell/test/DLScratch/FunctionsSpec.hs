-- | Chapters 3 and 4: activations, softmax and the losses, by the book's printed values.
module DLScratch.FunctionsSpec (spec) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (toRows, (><))
import Test.Hspec
import Test.QuickCheck hiding ((><))
import DLScratch.Functions
import Support

spec :: Spec
spec = do
  describe "Functions (chapter 3)" $ do
    it "step is 1 only above 0" $ map step [-1, 0, 2] `shouldBe` [0, 0, 1]
    it "sigmoid of -1, 1, 2 (book 3.2.4)" $
      map sigmoid [-1.0, 1.0, 2.0] `shouldBeNear'` [0.26894142, 0.73105858, 0.88079708]
    it "sigmoid saturates to exactly 0 and 1 without NaN" $
      (sigmoid (-1000), sigmoid 1000) `shouldBe` (0, 1)
    it "relu and relu_grad (1 at 0, as functions.py)" $ do
      map relu [-1, 0, 2] `shouldBe` [0, 0, 2]
      map reluGrad [-1, 0, 2] `shouldBe` [0, 1, 1]
    it "tanh at ln 2, ln 3 and 0: (e^x − e^−x) / (e^x + e^−x) = 0.6, 0.8, 0" $
      zipWith (-) (map tanhActivation [log 2, log 3, 0]) [0.6, 0.8, 0] `shouldSatisfy` all ((<= 1e-15) . abs)
    it "tanh is odd, exactly ±1 beyond |x| ≈ 19.1, and keeps −0 and NaN" $ do
      map tanhActivation [20, -20, 1 / 0, -1 / 0] `shouldBe` [1, -1, 1, -1]
      tanhActivation (-0.5) `shouldBe` negate (tanhActivation 0.5)
      isNegativeZero (tanhActivation (-0)) `shouldBe` True
      isNaN (tanhActivation (0 / 0)) `shouldBe` True
      -- tanh x = x − x³/3 + …: the first term alone below 1e-8
      tanhActivation 1e-10 `shouldBe` 1e-10
    it "softmax([0.3, 2.9, 4.0]) (book 3.5.1)" $
      VS.toList (softmax (vec [0.3, 2.9, 4.0])) `shouldBeNear'` [0.01821127, 0.24519181, 0.73659691]
    it "softmax rows are probabilities summing to 1 (QuickCheck)" $ property $
      forAll ((,) <$> choose (1, 6) <*> choose (1, 8)) $ \(r, c) ->
        forAll (vectorOf (r * c) (choose (-50, 50))) $ \xs ->
          let p = softmaxRows ((r >< c) xs)
          in all (\row -> abs (VS.sum row - 1) <= 1e-12 && VS.all (\v -> v >= 0 && v <= 1) row) (toRows p)
    it "softmax does not overflow at [1010, 1000, 990] (book 3.5.2)" $
      VS.toList (softmax (vec [1010, 1000, 990])) `shouldBeNear'` [9.99954600e-01, 4.53978686e-05, 2.06106005e-09]

  describe "Losses (chapter 4)" $ do
    let y1 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
        y2 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
        t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        row ys = (1 >< 10) ys
    it "sum of squares 0.0975 and 0.5975" $ do
      sumSquaredError (vec y1) (vec t) `shouldSatisfy` closeTo 1e-12 0 0.0975
      sumSquaredError (vec y2) (vec t) `shouldSatisfy` closeTo 1e-12 0 0.5975
    it "cross entropy 0.510825457099338 with the label 2" $
      crossEntropyError (row y1) (TLabels (Labels (VS.fromList [2]))) `shouldSatisfy` closeTo 1e-15 0 0.510825457099338
    it "cross entropy 2.302584092994546 with one-hot t (argmax at 7)" $
      crossEntropyError (row y2) (TOneHot (row t)) `shouldSatisfy` closeTo 1e-15 0 2.302584092994546
    it "a zero probability costs -log(1e-7), not infinity" $
      crossEntropyError (row y1) (TLabels (Labels (VS.fromList [3]))) `shouldSatisfy` closeTo 1e-15 0 16.11809565095832

