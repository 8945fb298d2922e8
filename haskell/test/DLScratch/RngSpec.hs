-- | The shared generator (MRG32k3a).
module DLScratch.RngSpec (spec) where

import Data.List (sort)
import qualified Data.Vector.Storable as VS
import Test.Hspec
import Test.QuickCheck
import DLScratch.Rng
import Support

spec :: Spec
spec = do
  describe "Rng (MRG32k3a, shared by every port)" $ do
    it "uniform(seed 0) starts 0.13598841039594017, 0.7558522371615436, 0.5755553189002691" $
      VS.toList (fst (uniforms 3 (mkGen 0))) `shouldBe` [0.13598841039594017, 0.7558522371615436, 0.5755553189002691]
    it "normal(seed 1) starts -1.1117745579601175, 0.865606350584982" $
      VS.toList (fst (normals 2 (mkGen 1))) `shouldBeNear'` [-1.1117745579601175, 0.865606350584982]
    it "an odd normal(n) still draws the last pair" $
      snd (normals 3 (mkGen 7)) `shouldBe` snd (uniforms 4 (mkGen 7))
    it "uniforms lie in (0, 1)" $ property $ \(NonNegative s) ->
      VS.all (\u -> u > 0 && u < 1) (fst (uniforms 200 (mkGen (s `mod` maxSeed))))
    it "permutation is a permutation" $ property $ \(NonNegative s) (Positive n') ->
      let n = n' `mod` 300 + 1
      in sort (VS.toList (fst (permutation n (mkGen (s `mod` maxSeed))))) == [0 .. n - 1]
    it "choice stays in 0..n−1" $ property $ \(NonNegative s) (Positive n) ->
      VS.all (\i -> i >= 0 && i < n) (fst (choice n 50 (mkGen (s `mod` maxSeed))))

