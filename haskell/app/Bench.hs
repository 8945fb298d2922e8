{-# LANGUAGE OverloadedStrings #-}
-- | dlscratch-bench: milliseconds per TwoLayerNet training step (784-50-10,
-- batch 100, float64: forward, backward, SGD), median of repeats, beside the
-- Python reference's figure measured in the same run.
module Main (main) where

import Control.DeepSeq (force)
import Control.Exception (evaluate, SomeException, try)
import Control.Monad (when)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Lazy.Char8 as BL
import Data.List (isPrefixOf, sort)
import qualified Data.Scientific as Sci
import qualified Data.Vector.Storable as VS
import Data.Time.Clock (diffUTCTime, getCurrentTime)
import Numeric (showFFloat)
import Numeric.LinearAlgebra (reshape)
import System.Directory (doesFileExist)
import System.Environment (getArgs)
import System.Exit (ExitCode (..), exitWith)
import System.Process (readProcessWithExitCode)
import Text.Read (readMaybe)

import qualified Data.ByteString.Builder as B
import System.IO (hPutStrLn, stderr, stdout)
import DLScratch.Json (J (..), encodeJ)
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng (mkGen, rand)

inputN, hiddenN, outputN, batchN :: Int
inputN = 784
hiddenN = 50
outputN = 10
batchN = 100

-- | ms per step of each repeat.
stepTimes :: Int -> Int -> IO [Double]
stepTimes repeats steps = do
  let g0 = mkGen 0
      (xv, g1) = rand [batchN, inputN] g0
      x = reshape inputN xv
      t = TLabels (Labels (VS.generate batchN (`mod` outputN)))
      (net0, _) = initTwoLayerNet inputN hiddenN outputN 0.01 g1
      opt = SGD 0.1
      stepOnce net = do
        let (ps, _) = update opt (initState opt (layers net)) (layers net) (gradient net x t)
        ps' <- evaluate (force ps)
        pure net { layers = ps' }
      loop 0 net = pure net
      loop k net = stepOnce net >>= loop (k - 1 :: Int)
  net1 <- loop 3 net0
  let go 0 _ acc = pure (reverse acc)
      go r net acc = do
        start <- getCurrentTime
        net' <- loop steps net
        end <- getCurrentTime
        go (r - 1 :: Int) net' (1000 * realToFrac (diffUTCTime end start) / fromIntegral steps : acc)
  go repeats net1 []

median :: [Double] -> Double
median xs = let s = sort xs; n = length s
            in if odd n then s !! (n `div` 2) else (s !! (n `div` 2 - 1) + s !! (n `div` 2)) / 2

-- | The Python reference's ms/step (python -m dlscratch.bench --json), if the venv exists.
pythonFigure :: Int -> Int -> IO (Either String Double)
pythonFigure repeats steps = do
  let py = "../.venv/bin/python"
  ok <- doesFileExist py
  if not ok then pure (Left "no ../.venv/bin/python (run scripts/setup)") else do
    r <- try (readProcessWithExitCode py ["-m", "dlscratch.bench", "--json", "--repeats", show repeats, "--steps", show steps] "")
    pure $ case r of
      Left e -> Left (show (e :: SomeException))
      Right (ExitSuccess, out, _) -> case A.decode (BL.pack out) of
        Just (A.Object o) | Just (A.Number s) <- KM.lookup "ms_per_step" o -> Right (Sci.toRealFloat s)
        _ -> Left ("unexpected output: " ++ out)
      Right (_, _, err) -> Left err

-- | The options of shared_tests/README.md §9.
data Opts = Opts { oRepeats :: Int, oSteps :: Int, oReference :: Bool, oJson :: Bool }

data Command = ShowHelp | Bench Opts

usage :: String
usage = unlines
  [ "usage: bin/bench [--repeats N] [--steps N] [--no-reference] [--json]"
  , ""
  , "Times one TwoLayerNet training step (784-50-10, batch 100, float64: forward, backward, SGD):"
  , "the median over the repeats, and the Python reference's figure (python -m dlscratch.bench)"
  , "in the same run."
  , ""
  , "  --repeats N      timed repeats, N >= 1; the median is reported (default: 7)"
  , "  --steps N        steps per repeat, N >= 1 (default: 50)"
  , "  --no-reference   do not run the Python reference (default: off)"
  , "  --json           print only {\"port\": \"haskell\", \"ms_per_step\": ..., ...}, without the reference (default: off)"
  , "  -h, --help       this text"
  ]

-- | The command line, or what is wrong with it (one line).
parseArgs :: [String] -> Either String Command
parseArgs = go (Opts 7 50 True False)
  where
    go o args = case args of
      [] -> Right (Bench o)
      (a : _) | a `elem` ["--help", "-h"] -> Right ShowHelp
      ("--no-reference" : rest) -> go o { oReference = False } rest
      ("--json" : rest) -> go o { oJson = True } rest
      (a : rest) | "--" `isPrefixOf` a, (flag, '=' : val) <- break (== '=') a -> go o (flag : val : rest)
      ("--repeats" : v : rest) -> count "--repeats" v >>= \n -> go o { oRepeats = n } rest
      ("--steps" : v : rest) -> count "--steps" v >>= \n -> go o { oSteps = n } rest
      [flag] | flag `elem` ["--repeats", "--steps"] -> Left (flag ++ " needs a value")
      (a : _) | "-" `isPrefixOf` a -> Left ("unknown option " ++ a)
              | otherwise -> Left ("unexpected argument " ++ show a)
    count f v = case readMaybe v :: Maybe Integer of
      Just n | n >= 1 && n <= toInteger (maxBound :: Int) -> Right (fromInteger n)
      _ -> Left (f ++ " " ++ show v ++ ": expected a whole number >= 1")

main :: IO ()
main = do
  args <- getArgs
  case parseArgs args of
    Left err -> hPutStrLn stderr ("bin/bench: " ++ err) >> exitWith (ExitFailure 2)
    Right ShowHelp -> putStr usage
    Right (Bench o) -> bench o

bench :: Opts -> IO ()
bench (Opts repeats steps reference json) = do
  times <- stepTimes repeats steps
  let ms = median times
      flops = fromIntegral (3 * 2 * batchN * (inputN * hiddenN + hiddenN * outputN)) :: Double
      f3 x = showFFloat (Just 3) x ""
      gflops = flops / (ms * 1e6)
  if json
    then B.hPutBuilder stdout (encodeJ (JObj
           [ ("port", JStr "haskell"), ("ms_per_step", JNum ms)
           , ("repeats", JArr (map JNum times)), ("gflops", JNum gflops) ]) <> B.char7 '\n')
    else putStrLn ("haskell " ++ f3 ms ++ " ms/step (median of " ++ show repeats ++ " x " ++ show steps ++ ")  "
                   ++ showFFloat (Just 2) gflops "" ++ " GFLOP/s")
  when (reference && not json) $ do
    p <- pythonFigure repeats steps
    case p of
      Left e -> putStrLn ("python  (not measured: " ++ e ++ ")")
      Right pms -> do
        putStrLn ("python  " ++ f3 pms ++ " ms/step")
        putStrLn ("ratio   haskell / python = " ++ showFFloat (Just 2) (ms / pms) "")
