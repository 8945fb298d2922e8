-- | Chapter 4: numerical differentiation and gradient descent.
module DLScratch.GradientSpec (spec) where

import qualified Data.Vector.Storable as VS
import Test.Hspec
import DLScratch.Gradient
import Support

spec :: Spec
spec = do
  describe "Gradient (chapter 4)" $ do
    it "numerical_diff(function_1, 5) and (…, 10)" $ do
      numericalDiff function1 5 `shouldSatisfy` closeTo 1e-12 0 0.1999999999990898
      numericalDiff function1 10 `shouldSatisfy` closeTo 1e-12 0 0.2999999999986347
    it "numerical_gradient(function_2) at (3, 4), (0, 2), (3, 0)" $ do
      VS.toList (numericalGradient function2 (vec [3, 4])) `shouldBeNear'` [6, 8]
      VS.toList (numericalGradient function2 (vec [0, 2])) `shouldBeNear'` [0, 4]
      VS.toList (numericalGradient function2 (vec [3, 0])) `shouldBeNear'` [6, 0]
    it "gradient_descent(function_2, [-3, 4], lr 0.1, 100 steps)" $
      VS.toList (gradientDescent function2 0.1 100 (vec [-3, 4]))
        `shouldBeNear'` [-6.11110793e-10, 8.14814391e-10]

