-- | The training loop's epochs.
module DLScratch.TrainSpec (spec) where

import Test.Hspec
import DLScratch.Train (epochAfter, fmodExact, iterPerEpoch)

spec :: Spec
spec = do
  describe "Train: epochs as the book counts them" $ do
    let evaluatedAfter n b iters = [ (i, k) | i <- [0 .. iters - 1], Just k <- [epochAfter (iterPerEpoch n b) i] ]
    it "60000 / 128 = 468.75: after iterations 0, 1875, 3750 (epochs 0, 4, 8)" $
      evaluatedAfter 60000 128 4000 `shouldBe` [(0, 0), (1875, 4), (3750, 8)]
    it "60000 / 100 = 600: after 0, 600, 1200" $
      map fst (evaluatedAfter 60000 100 1201) `shouldBe` [0, 600, 1200]
    it "60000 / 7 is no binary fraction: only after iteration 0" $
      evaluatedAfter 60000 7 20000 `shouldBe` [(0, 0)]
    it "at least 1 iteration per epoch (300 images, batch 500)" $
      map fst (evaluatedAfter 300 500 3) `shouldBe` [0, 1, 2]
    it "fmodExact is IEEE fmod without rounding" $ do
      fmodExact 1875 468.75 `shouldBe` 0
      fmodExact 1000 468.75 `shouldBe` 62.5
      -- C's fmod(1e22, 0.1) (math.fmod in Python), exact, so a Double again
      fromRational (fmodExact 1e22 0.1) `shouldBe` (0.08768742176060307 :: Double)

