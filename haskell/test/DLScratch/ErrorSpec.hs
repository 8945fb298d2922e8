-- | The protocol's error types.
module DLScratch.ErrorSpec (spec) where

import Test.Hspec
import DLScratch.Error

spec :: Spec
spec =
  it "each helper is a Left of its type, written by its name" $
    map (either (show . errType) (const "") . ($ "m")) [shapeError, valueError, badArgs :: String -> Either DLError ()]
      `shouldBe` ["ShapeError", "ValueError", "BadArgs"]
