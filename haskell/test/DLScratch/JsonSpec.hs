{-# LANGUAGE OverloadedStrings #-}
-- | The protocol's JSON numbers.
module DLScratch.JsonSpec (spec) where

import Control.Monad (forM_)
import Data.Maybe (listToMaybe)
import qualified Data.Aeson as A
import qualified Data.ByteString.Builder as B
import qualified Data.Vector as V
import Test.Hspec
import Test.QuickCheck
import DLScratch.Json

spec :: Spec
spec = do
  describe "JSON numbers" $ do
    it "round-trips tricky doubles exactly" $
      forM_ [0.1 + 0.2, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 1 / 3, -0.0, 1e22, 123456789.125] $ \d -> do
        let txt = B.toLazyByteString (encodeJ (JArr [JNum d]))
        case A.decode txt of
          Just (A.Array xs) -> (numberOf =<< listToMaybe (V.toList xs)) `shouldBe` Just d
          _ -> expectationFailure ("not decodable: " ++ show txt)
    it "round-trips any double (QuickCheck)" $ property $ \d ->
      let txt = B.toLazyByteString (encodeJ (JArr [JNum d]))
      in (A.decode txt >>= \v -> case v of A.Array xs -> numberOf =<< listToMaybe (V.toList xs); _ -> Nothing) == Just (d :: Double)
    it "writes NaN and the infinities as strings" $
      B.toLazyByteString (encodeJ (JArr [JNum (0 / 0), JNum (1 / 0), JNum (-1 / 0)]))
        `shouldBe` "[\"NaN\",\"Infinity\",\"-Infinity\"]"
    it "reads them back as numbers" $
      fmap isInfinite (numberOf (A.String "-Infinity")) `shouldBe` Just True
  describe "memberKeys: an object's member names in the text's order" $ do
    it "follows the path, the last of repeated members; a repeated name where it first appears" $ do
      memberKeys ["params"] "{\"params\": {\"b1\": 1, \"W1\": [2, {\"z\": 3}], \"a\": \"x,}\"}}" `shouldBe` Just ["b1", "W1", "a"]
      memberKeys ["p"] " {\"p\": {\"x\": 1}, \"q\": 2, \"p\": {\"y\": 1, \"x\": 2, \"y\": 3}} " `shouldBe` Just ["y", "x"]
      memberKeys [] "{}" `shouldBe` Just []
    it "Nothing where there is no such object" $ do
      memberKeys ["params"] "{\"params\": [1, 2]}" `shouldBe` Nothing
      memberKeys ["params"] "{\"other\": {}}" `shouldBe` Nothing
      memberKeys ["params"] "[1]" `shouldBe` Nothing

