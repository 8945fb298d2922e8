{-# LANGUAGE OverloadedStrings #-}
-- | What the specs share: tolerances, and the runner answering one request line.
module Support
  ( closeTo, shouldBeNear, shouldBeNear', shouldBeNear'', vec, answerWith, errorType, okValue
  ) where

import Control.Monad (forM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import Numeric.LinearAlgebra (Vector, fromList)
import Test.Hspec
import DLScratch.Runner (runLine)
import DLScratch.Validate (Schema)

-- | |got − want| <= atol + rtol·|want|, elementwise.
closeTo :: Double -> Double -> Double -> Double -> Bool
closeTo rtol atol want got = abs (got - want) <= atol + rtol * abs want

-- | Elementwise within rtol tol and atol 1e-8 (the book prints 8 digits).
shouldBeNear :: [Double] -> [Double] -> Double -> Expectation
shouldBeNear got want tol = do
  length got `shouldBe` length want
  forM_ (zip got want) $ \(g, w) ->
    if closeTo tol 1e-8 w g then pure () else expectationFailure (show got ++ " is not near " ++ show want)

shouldBeNear', shouldBeNear'' :: [Double] -> [Double] -> Expectation
shouldBeNear' got want = shouldBeNear got want 1e-7
shouldBeNear'' got want = shouldBeNear got want 1e-6

vec :: [Double] -> Vector Double
vec = fromList

-- | The runner's answer to a request line, as JSON.
answerWith :: Schema -> BS.ByteString -> IO A.Value
answerWith schema line = do
  b <- runLine schema line
  maybe (error ("the runner wrote invalid JSON: " ++ show (B.toLazyByteString b))) pure (A.decode (B.toLazyByteString b))

errorType :: A.Value -> Maybe A.Value
errorType (A.Object o) | Just (A.Object e) <- KM.lookup "error" o = KM.lookup "type" e
errorType _ = Nothing

-- | The ok object of an answer.
okValue :: A.Value -> Maybe A.Object
okValue (A.Object o) | Just (A.Object ok) <- KM.lookup "ok" o = Just ok
okValue _ = Nothing
