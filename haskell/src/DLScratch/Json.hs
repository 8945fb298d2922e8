{-# LANGUAGE DeriveAnyClass, DeriveGeneric, LambdaCase, OverloadedStrings #-}
-- | The runner protocol's JSON. Doubles are written by 'show' (the shortest digits that read
-- back to the same double); NaN and the infinities are the strings "NaN", "Infinity",
-- "-Infinity" both ways.
module DLScratch.Json (J (..), encodeJ, tensorJ, vectorJ, matrixJ, intsJ, decodeLine, memberKeys, numberOf) where

import Control.DeepSeq (NFData)
import Control.Applicative ((<|>))
import Control.Monad (when)
import qualified Data.Aeson as A
import qualified Data.Aeson.Internal as AT (IResult (ISuccess))
import qualified Data.Aeson.Parser.Internal as AP
import qualified Data.Attoparsec.ByteString.Char8 as P
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Char8 as BC
import Data.List (intersperse, nub)
import qualified Data.Scientific as Sci
import Data.Text (Text)
import qualified Data.Vector.Storable as VS
import GHC.Generics (Generic)
import Numeric.LinearAlgebra (Matrix)
import DLScratch.Array

-- | An answer value.
data J = JNum !Double | JInt !Int | JStr !Text | JNull | JArr [J] | JObj [(Text, J)]
  deriving (Eq, Show, Generic, NFData)

encodeJ :: J -> B.Builder
encodeJ = \j -> case j of
  JNum d | isNaN d -> "\"NaN\""
         | isInfinite d -> if d > 0 then "\"Infinity\"" else "\"-Infinity\""
         | otherwise -> B.string7 (show d)
  JInt i -> B.intDec i
  JStr s -> B.lazyByteString (A.encode s)
  JNull -> "null"
  JArr xs -> list '[' ']' (map encodeJ xs)
  JObj kvs -> list '{' '}' [encodeJ (JStr k) <> ":" <> encodeJ v | (k, v) <- kvs]
  where list open close xs = B.char7 open <> mconcat (intersperse "," xs) <> B.char7 close

-- | Nested lists by the tensor's shape (a scalar is a number).
tensorJ :: Tensor -> J
tensorJ (Tensor s v) = go s 0
  where go [] off = JNum (v VS.! off)
        go (n : rest) off = JArr [go rest (off + i * product rest) | i <- [0 .. n - 1]]

vectorJ :: VS.Vector Double -> J
vectorJ = tensorJ . fromVector

matrixJ :: Matrix Double -> J
matrixJ = tensorJ . fromMatrix

intsJ :: [Int] -> J
intsJ = JArr . map JInt

-- | A request line: one JSON text (eitherDecodeStrict' checks that nothing follows it), the
-- last of duplicate keys winning, at most 1000 levels deep (README §1).
decodeLine :: BS.ByteString -> Either String A.Value
decodeLine line = do
  when (BC.count '[' line + BC.count '{' line > 1000 && nestingDepth line > 1000) $
    Left "the line nests arrays and objects more than 1000 levels deep"
  _ <- A.eitherDecodeStrict' line :: Either String A.Value
  either (Left . snd) Right (AP.eitherDecodeStrictWith AP.jsonLast' AT.ISuccess line)

-- | The member names, in the text's order (a repeated one where it first appears), of the object
-- reached from the top through the members named by the path (the last of repeated ones, as
-- 'decodeLine' keeps); Nothing when there is no such object. aeson's objects forget the order.
memberKeys :: [Text] -> BS.ByteString -> Maybe [Text]
memberKeys path0 = either (const Nothing) id . P.parseOnly (at path0)
  where
    at path = P.skipSpace *> ((pick path <$> members (next path)) <|> (Nothing <$ AP.value'))
    next (p : rest) k | k == p = at rest
    next _ _ = Nothing <$ AP.value'
    pick [] kvs = Just (nub (map fst kvs))
    pick (p : _) kvs = case [v | (k, v) <- kvs, k == p] of { [] -> Nothing; vs -> last vs }
    -- an object's members in order, each value parsed by f of its name
    members f = P.char '{' *> P.skipSpace *> (([] <$ P.char '}') <|> go)
      where go = do
              k <- AP.jstring <* P.skipSpace <* P.char ':'
              v <- f k
              c <- P.skipSpace *> (P.char ',' <|> P.char '}')
              if c == ',' then ((k, v) :) <$> (P.skipSpace *> go) else pure [(k, v)]

-- | Deepest level, level, inside a string, after a backslash.
data Nest = Nest !Int !Int !Bool !Bool

-- | The deepest nesting of arrays and objects, brackets inside strings not counted.
nestingDepth :: BS.ByteString -> Int
nestingDepth = (\(Nest m _ _ _) -> m) . BS.foldl' step (Nest 0 0 False False)
  where
    step (Nest m d True esc) c = if esc then Nest m d True False else Nest m d (c /= 34) (c == 92)
    step (Nest m d False _) c
      | c == 34 = Nest m d True False
      | c == 91 || c == 123 = Nest (max m (d + 1)) (d + 1) False False
      | c == 93 || c == 125 = Nest m (d - 1) False False
      | otherwise = Nest m d False False

-- | A number, or one of the strings "NaN", "Infinity", "-Infinity".
numberOf :: A.Value -> Maybe Double
numberOf = \case
  A.Number s -> Just (Sci.toRealFloat s)
  A.String s -> lookup s [("NaN", 0 / 0), ("Infinity", 1 / 0), ("-Infinity", -1 / 0)]
  _ -> Nothing
