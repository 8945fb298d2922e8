{-# LANGUAGE DeriveAnyClass, DeriveGeneric #-}
-- | The error types of the runner protocol (shared_tests/README.md §3); the validator answers
-- @Either DLError a@, the runner writes a 'DLError' as the error object.
module DLScratch.Error (ErrorType (..), DLError (..), shapeError, valueError, badArgs) where

import Control.DeepSeq (NFData)
import GHC.Generics (Generic)

-- | BadRequest: not a JSON object with a string id and op; BadArgs: missing, ill-typed, an
-- unknown name; ShapeError: arrays that do not fit, wrong ndim, size 0; ValueError: outside
-- its domain; InternalError: an exception nobody anticipated (a bug).
data ErrorType = BadRequest | UnknownOp | BadArgs | ShapeError | ValueError | InternalError
  deriving (Eq, Show, Generic, NFData)

-- | A failure with a message a user can act on.
data DLError = DLError { errType :: !ErrorType, errMessage :: String } deriving (Eq, Show, Generic, NFData)

shapeError, valueError, badArgs :: String -> Either DLError a
shapeError = Left . DLError ShapeError
valueError = Left . DLError ValueError
badArgs = Left . DLError BadArgs
