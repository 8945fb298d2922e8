-- | Tensors: shapes, rows, argmax.
module DLScratch.ArraySpec (spec) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (cols, rows)
import Test.Hspec
import DLScratch.Array

spec :: Spec
spec = do
  it "asRows: 1-D is one row, ndim >= 2 is (first dimension, the product of the rest)" $ do
    let m = asRows (Tensor [2, 3, 4] (VS.replicate 24 0))
    (rows m, cols m) `shouldBe` (2, 12)
    (\r -> (rows r, cols r)) (asRows (Tensor [5] (VS.replicate 5 0))) `shouldBe` (1, 5)
  it "argmaxV: the first maximum, a NaN counting as the maximum (numpy)" $ do
    argmaxV (VS.fromList [1, 3, 3]) `shouldBe` 1
    argmaxV (VS.fromList [1, 0 / 0, 3]) `shouldBe` 1
  it "sumRows adds each column down the rows" $
    VS.toList (sumRows (asRows (Tensor [2, 2] (VS.fromList [1, 2, 3, 4])))) `shouldBe` [4, 6]
  it "showShape writes a 1-tuple as Python does" $
    (showShape [3], showShape [2, 3]) `shouldBe` ("(3,)", "(2, 3)")
