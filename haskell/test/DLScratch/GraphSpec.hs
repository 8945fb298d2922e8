-- | Chapter 5.3: the shopping graphs.
module DLScratch.GraphSpec (spec) where

import Test.Hspec
import DLScratch.Graph
import Support

spec :: Spec
spec = do
  describe "Graph (5.3)" $ do
    it "buy_apple: 220, dapple 2.2, dapple_num 110, dtax 200" $ do
      let BuyApple p da dn dt = buyApple 100 2 1.1 1
      [p, da, dn, dt] `shouldBeNear'` [220, 2.2, 110, 200]
    it "buy_apple_orange: 715, 2.2, 110, 3.3, 165, 650" $ do
      let BuyAppleOrange p da dn dor don dt = buyAppleOrange 100 2 150 3 1.1 1
      [p, da, dn, dor, don, dt] `shouldBeNear'` [715, 2.2, 110, 3.3, 165, 650]

