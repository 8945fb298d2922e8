-- | What the commands of bin/ share: the one-line refusal, Python's readings of numbers, and the
-- progress bar on stderr.
module Cli (refuse, readInteger, readNumber, fmt4, progress, progressFrom) where

import Data.Char (isDigit)
import Data.Time.Clock (UTCTime, diffUTCTime, getCurrentTime)
import Numeric (showFFloat)
import System.Exit (ExitCode (..), exitWith)
import System.IO
import Text.Read (readMaybe)

-- | @prog: message@ on stderr (one line), exit status 2.
refuse :: String -> String -> IO a
refuse prog m = do
  hPutStrLn stderr (prog ++ ": " ++ m)
  exitWith (ExitFailure 2)

-- | An integer as Python's int() reads one ("7", "+7", "-1").
readInteger :: String -> Maybe Integer
readInteger s = case s of
  ('+' : ds@(_ : _)) | all isDigit ds -> readMaybe ds
  ('-' : ds@(_ : _)) | all isDigit ds -> negate <$> readMaybe ds
  ds@(_ : _) | all isDigit ds -> readMaybe ds
  _ -> Nothing

-- | A number as Python's float() reads one ("0.1", ".5", "5.", "1e-3", "+3").
readNumber :: String -> Maybe Double
readNumber s = case s of
  ('+' : r) -> unsigned r
  ('-' : r) -> negate <$> unsigned r
  r -> unsigned r
  where
    -- Haskell's read wants digits on both sides of the point
    unsigned r = case break (== '.') r of
      (int, '.' : frac) | not (null int && null frac) -> readMaybe (digits int ++ "." ++ fracDigits frac)
      _ | all isDigit (takeWhile (`notElem` "eE") r) && not (null r) -> readMaybe r
      _ -> Nothing
    digits d = if null d then "0" else d
    fracDigits f = case f of
      (c : _) | isDigit c -> f
      _ -> '0' : f

fmt4 :: Double -> String
fmt4 x = showFFloat (Just 4) x ""

-- | The bar after @done@ of @total@ steps since @start@, with named values (the loss, an accuracy):
-- @[#####.....] done/total P%  loss 0.1234  R it/s  eta Es@.
progress :: UTCTime -> Int -> Int -> [(String, Double)] -> IO ()
progress = progressFrom 0

-- | 'progress' of a run that started at step @from@ (a resumed run): the rate and the time left
-- from the steps done since @start@.
progressFrom :: Int -> UTCTime -> Int -> Int -> [(String, Double)] -> IO ()
progressFrom from start total done fields = do
  now <- getCurrentTime
  let el = realToFrac (diffUTCTime now start) :: Double
      frac = fromIntegral done / fromIntegral (max total 1) :: Double
      width = 30
      filled = floor (frac * fromIntegral width)
      rate = fromIntegral (done - from) / max el 1e-9
      eta = fromIntegral (total - done) / max rate 1e-9
  hPutStr stderr ("\r[" ++ replicate filled '#' ++ replicate (width - filled) '.' ++ "] "
                  ++ show done ++ "/" ++ show total ++ " " ++ show (round (100 * frac) :: Int) ++ "%"
                  ++ concat ["  " ++ k ++ " " ++ fmt4 v | (k, v) <- fields]
                  ++ "  " ++ show (round rate :: Int) ++ " it/s  eta " ++ show (round eta :: Int) ++ "s\ESC[K")
  hFlush stderr
