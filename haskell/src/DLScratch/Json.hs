{-# LANGUAGE OverloadedStrings #-}
-- | The runner protocol's JSON: reading arrays and numbers out of aeson
-- values, and writing answers.
--
-- Numbers are written with Haskell's 'show' for 'Double', which gives the
-- shortest digits that read back to the same double (@0.30000000000000004@,
-- @5.0e-324@, @1.7976931348623157e308@); NaN and the infinities are the
-- strings @"NaN"@, @"Infinity"@, @"-Infinity"@ (aeson itself would write
-- null), and those strings are accepted as numbers on input.
module DLScratch.Json
  ( -- * Output
    J (..)
  , encodeJ
  , tensorJ
  , vectorJ
  , matrixJ
  , intsJ
    -- * Input
  , numberOf
  , tensorOf
  , toDouble
  ) where

import Control.DeepSeq (NFData (..))
import qualified Data.Aeson as A
import qualified Data.ByteString.Builder as B
import Data.List (intersperse)
import qualified Data.Scientific as Sci
import Data.Text (Text)
import qualified Data.Vector as V
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix)
import DLScratch.Array
import DLScratch.Error

-- | An answer value.
data J
  = JNum !Double
  | JInt !Int
  | JStr !Text
  | JBool !Bool
  | JNull
  | JArr [J]
  | JObj [(Text, J)]

instance NFData J where
  rnf j = case j of
    JNum d -> d `seq` ()
    JInt i -> i `seq` ()
    JStr s -> rnf s
    JBool b -> b `seq` ()
    JNull -> ()
    JArr xs -> rnf xs
    JObj kvs -> rnf kvs

-- | Compact JSON, numbers in shortest round-trip form.
encodeJ :: J -> B.Builder
encodeJ j = case j of
  JNum d -> double d
  JInt i -> B.intDec i
  JStr s -> B.lazyByteString (A.encode (A.String s))
  JBool b -> if b then "true" else "false"
  JNull -> "null"
  JArr xs -> B.char7 '[' <> mconcat (intersperse (B.char7 ',') (map encodeJ xs)) <> B.char7 ']'
  JObj kvs -> B.char7 '{' <> mconcat (intersperse (B.char7 ',') (map kv kvs)) <> B.char7 '}'
  where
    kv (k, v) = encodeJ (JStr k) <> B.char7 ':' <> encodeJ v
    double d
      | isNaN d = "\"NaN\""
      | isInfinite d = if d > 0 then "\"Infinity\"" else "\"-Infinity\""
      | otherwise = B.string7 (show d)

-- | Nested lists by the tensor's shape (a scalar is a number).
tensorJ :: Tensor -> J
tensorJ (Tensor s v) = go s 0
  where
    go [] off = JNum (v VS.! off)
    go [n] off = JArr [JNum (v VS.! (off + i)) | i <- [0 .. n - 1]]
    go (n : rest) off = let stride = product rest
                        in JArr [go rest (off + i * stride) | i <- [0 .. n - 1]]

vectorJ :: VS.Vector Double -> J
vectorJ = tensorJ . fromVector

matrixJ :: Matrix Double -> J
matrixJ = tensorJ . fromMatrix

intsJ :: [Int] -> J
intsJ = JArr . map JInt

-- | A number, or one of the strings "NaN", "Infinity", "-Infinity".
numberOf :: A.Value -> Maybe Double
numberOf (A.Number s) = Just (toDouble s)
numberOf (A.String "NaN") = Just (0 / 0)
numberOf (A.String "Infinity") = Just (1 / 0)
numberOf (A.String "-Infinity") = Just (-1 / 0)
numberOf _ = Nothing

-- | The double nearest to a decimal. When the digits fit in 53 bits and the
-- power of ten is at most 22, both are exact doubles and one multiplication
-- or division rounds correctly (Clinger's fast path); otherwise
-- 'Sci.toRealFloat' (exact rational rounding).
toDouble :: Sci.Scientific -> Double
toDouble s
  | abs c < 9007199254740992 && e >= 0 && e <= 22 = fromInteger c * (10 ^ e)
  | abs c < 9007199254740992 && e < 0 && e >= -22 = fromInteger c / (10 ^ negate e)
  | otherwise = Sci.toRealFloat s
  where
    c = Sci.coefficient s
    e = Sci.base10Exponent s

-- | numpy's limit on the number of dimensions.
maxDims :: Int
maxDims = 32

-- | A number or nested lists of numbers as a tensor. Left: a ragged list or
-- a non-number ('BadArgs'), more than 32 dimensions ('ShapeError').
tensorOf :: A.Value -> Either DLError Tensor
tensorOf = go 0
  where
    go :: Int -> A.Value -> Either DLError Tensor
    go depth v = case numberOf v of
      Just d -> Right (scalar d)
      Nothing -> case v of
        A.Array xs
          | depth >= maxDims -> Left (DLError ShapeError ("an array of more than " ++ show maxDims ++ " dimensions"))
          | V.null xs -> Right (Tensor [0] VS.empty)
          | otherwise -> case traverse numberOf xs of
              Just ds -> Right (Tensor [V.length xs] (VS.convert ds))
              Nothing -> do
                ts <- traverse (go (depth + 1)) (V.toList xs)
                let s0 = shape (head ts)
                if null s0 || any ((/= s0) . shape) ts
                  then bad "a ragged array (rows of different lengths or depths)"
                  else Right (Tensor (length ts : s0) (VS.concat (map values ts)))
        A.String s -> bad ("the string " ++ show s ++ " where a number or an array belongs")
        A.Bool _ -> bad "a boolean where a number or an array belongs"
        A.Null -> bad "null where a number or an array belongs"
        A.Object _ -> bad "an object where a number or an array belongs"
        _ -> bad "not a number or an array"
    bad = Left . DLError BadArgs
