{-# LANGUAGE OverloadedStrings #-}
-- | The six optimizers of chapter 6.
module DLScratch.OptimizersSpec (spec) where

import qualified Data.Map.Strict as M
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (fromLists, toLists)
import Test.Hspec
import DLScratch.Array (Tensor (..))
import DLScratch.Layers (Dense (..))
import DLScratch.Optimizers
import Support

spec :: Spec
spec = do
  describe "Optimizers" $ do
    let p0 = [Dense (fromLists [[1, 2]]) (vec [3])]
        g = [Dense (fromLists [[0.5, -1]]) (vec [2])]
        run opt n = fst (foldl (\(p, st) _ -> update opt st p g) (p0, initState opt p0) [1 .. n :: Int])
        flat ds = concat [concat (toLists w) ++ VS.toList b | Dense w b <- ds]
    it "SGD: p − lr·g" $ flat (run (SGD 0.1) 1) `shouldBeNear'` [0.95, 2.1, 2.8]
    it "Momentum: two steps give p − lr·g·(1 + (1 + m))" $
      flat (run (Momentum 0.1 0.9) 2) `shouldBeNear'` [1 - 0.05 * 2.9, 2 + 0.1 * 2.9, 3 - 0.2 * 2.9]
    it "Nesterov: lr 0.5, momentum 0.5, W = [0], grads [1] then [1] give W = -1.625" $ do
      -- step 1: W = 0 + 0.25·0 − 1.5·0.5·1 = −0.75, v = 0.5·0 − 0.5·1 = −0.5;
      -- step 2: W = −0.75 + 0.25·(−0.5) − 0.75·1 = −1.625 (every term a binary fraction: exact)
      let w0 = M.fromList [("W" :: String, Tensor [1] (vec [0]))]
          g1 = M.fromList [("W" :: String, Tensor [1] (vec [1]))]
          (w2, _) = foldl (\(p, st) g' -> update (Nesterov 0.5 0.5) st p g') (w0, initState (Nesterov 0.5 0.5) w0) [g1, g1]
      fmap (VS.toList . values) (M.lookup "W" w2) `shouldBe` Just [-1.625]
    it "AdaGrad: the first step is lr·sign(g) (up to 1e-7)" $
      flat (run (AdaGrad 0.01) 1) `shouldBeNear''` [0.99, 2.01, 2.99]
    it "Adam: the first step is lr·sign(g) (bias-corrected)" $
      flat (run (Adam 0.001 0.9 0.999) 1) `shouldBeNear''` [0.999, 2.001, 2.999]

