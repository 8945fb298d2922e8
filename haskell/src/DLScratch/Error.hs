-- | The error types of the runner protocol (shared_tests/README.md §3).
--
-- The validator answers @Either DLError a@; the runner writes a 'DLError' as an error object.
module DLScratch.Error
  ( ErrorType (..)
  , DLError (..)
  , shapeError
  , valueError
  , badArgs
  ) where

import Control.DeepSeq (NFData (..))
import Control.Exception (Exception)

-- | Which of the protocol's error kinds a failure is.
data ErrorType
  = BadRequest   -- ^ the line is not a JSON object with a string id and op
  | UnknownOp    -- ^ op is not one of the protocol's
  | BadArgs      -- ^ missing or ill-typed argument, unknown name
  | ShapeError   -- ^ arrays that do not fit together, wrong ndim, size-0 dimension
  | ValueError   -- ^ a value outside its domain
  | InternalError -- ^ a bug: an exception nobody anticipated
  deriving (Eq, Show, Enum, Bounded)

-- | A failure with a message a user can act on.
data DLError = DLError { errType :: !ErrorType, errMessage :: String }
  deriving (Eq, Show)

instance Exception DLError

instance NFData DLError where
  rnf (DLError t m) = t `seq` rnf m

shapeError, valueError, badArgs :: String -> Either DLError a
shapeError = Left . DLError ShapeError
valueError = Left . DLError ValueError
badArgs = Left . DLError BadArgs
