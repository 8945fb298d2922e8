{-# LANGUAGE OverloadedStrings #-}
-- | dlscratch-train: trains the chapter-5 TwoLayerNet on Fashion-MNIST or
-- MNIST with the book's train_neuralnet.py loop; the command line of
-- shared_tests/README.md §8, shared by every port.
module Main (main) where

import Control.Exception (evaluate)
import Control.Monad (foldM, when, unless)
import qualified Data.ByteString.Builder as B
import Data.Char (toLower)
import Data.IORef
import Data.List (isSuffixOf)
import qualified Data.Text as T
import Data.Time.Clock (diffUTCTime, getCurrentTime, UTCTime)
import Numeric (showFFloat)
import System.Directory (createDirectoryIfMissing)
import System.Environment (getArgs)
import System.Exit (exitWith, ExitCode (..))
import System.FilePath (takeDirectory)
import System.IO
import Text.Read (readMaybe)

import DLScratch.Datasets
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Json
import DLScratch.Networks (accuracy)
import DLScratch.Optimizers
import DLScratch.Train
import Numeric.LinearAlgebra (rows)

data Opts = Opts
  { oDataDir :: FilePath
  , oIters :: Int
  , oBatch :: Int
  , oHidden :: Int
  , oLr :: Double
  , oOptimizer :: String
  , oStd :: Double
  , oSeed :: Int
  , oTrainSize :: Maybe Int
  , oTestSize :: Maybe Int
  , oOut :: FilePath
  , oQuiet :: Bool
  }

defaults :: Opts
defaults = Opts defaultDataDir 10000 100 50 0.1 "sgd" 0.01 0 Nothing Nothing "train-haskell.json" False

usage :: String
usage = unlines
  [ "usage: bin/train [options]"
  , ""
  , "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) on Fashion-MNIST or MNIST"
  , "with the loop of train_neuralnet.py: each iteration draws a batch with replacement, updates,"
  , "and records the loss on that batch. Prints train/test accuracy once an epoch and writes the"
  , "loss history (JSON or CSV)."
  , ""
  , "  --data-dir DIR         directory with the four IDX files (default: /usr/share/datasets/fashion-mnist)"
  , "  --iters N              iterations (default: 10000)"
  , "  --batch-size N         (default: 100)"
  , "  --hidden N             hidden units (default: 50)"
  , "  --lr X                 learning rate (default: 0.1)"
  , "  --optimizer NAME       sgd, momentum, nesterov, adagrad, rmsprop, adam (default: sgd)"
  , "  --weight-init-std X    (default: 0.01)"
  , "  --seed K               seeds the generator of weights and batches (default: 0)"
  , "  --train-size N         use the first N training images (default: all)"
  , "  --test-size N          use the first N test images (default: all)"
  , "  --out FILE             history file, .json or .csv (default: train-haskell.json)"
  , "  --quiet                no progress bar"
  , "  --help                 this text"
  ]

die' :: String -> IO a
die' m = do
  hPutStrLn stderr ("train: " ++ m)
  hPutStrLn stderr "try bin/train --help"
  exitWith (ExitFailure 2)

parseOpts :: [String] -> Opts -> IO Opts
parseOpts args o = case args of
  [] -> pure o
  ("--help" : _) -> putStr usage >> exitWith ExitSuccess
  ("-h" : _) -> putStr usage >> exitWith ExitSuccess
  ("--quiet" : rest) -> parseOpts rest o { oQuiet = True }
  (flag : rest) | "--" `isPrefix` flag, '=' `elem` flag ->
    let (f, v) = break (== '=') flag in parseOpts (f : drop 1 v : rest) o
  (flag : _) | flag `notElem` valued -> die' (if "--" `isPrefix` flag then "unknown option " ++ flag
                                             else "unexpected argument " ++ flag)
  (flag : val : rest) -> do
    o' <- case flag of
      "--data-dir" -> pure o { oDataDir = val }
      "--iters" -> (\n -> o { oIters = n }) <$> posInt flag val
      "--batch-size" -> (\n -> o { oBatch = n }) <$> posInt flag val
      "--hidden" -> (\n -> o { oHidden = n }) <$> posInt flag val
      "--lr" -> (\x -> o { oLr = x }) <$> double flag val
      "--optimizer" -> if val `elem` optimizerNames then pure o { oOptimizer = val }
                       else die' ("--optimizer: " ++ show val ++ " is not one of " ++ unwords optimizerNames)
      "--weight-init-std" -> (\x -> o { oStd = x }) <$> double flag val
      "--seed" -> do
        k <- int flag val
        unless (k >= 0 && k < 2 ^ (31 :: Int)) $ die' "--seed: must be 0 <= K < 2^31"
        pure o { oSeed = k }
      "--train-size" -> (\n -> o { oTrainSize = Just n }) <$> posInt flag val
      "--test-size" -> (\n -> o { oTestSize = Just n }) <$> posInt flag val
      "--out" -> pure o { oOut = val }
      _ -> die' ("unknown option " ++ flag)
    parseOpts rest o'
  [flag]
    | flag `elem` valued -> die' (flag ++ " needs a value")
    | "--" `isPrefix` flag -> die' ("unknown option " ++ flag)
    | otherwise -> die' ("unexpected argument " ++ flag)
  where
    valued = [ "--data-dir", "--iters", "--batch-size", "--hidden", "--lr", "--optimizer"
             , "--weight-init-std", "--seed", "--train-size", "--test-size", "--out" ]
    isPrefix p s = take (length p) s == p
    int f v = maybe (die' (f ++ ": " ++ show v ++ " is not an integer")) pure (readMaybe v)
    posInt f v = do
      n <- int f v
      when (n < 1) $ die' (f ++ ": " ++ show v ++ " is not a positive integer")
      pure n
    double f v = maybe (die' (f ++ ": " ++ show v ++ " is not a number")) pure (readNumber v)

-- | Read a number as Python's float() would ("0.1", ".5", "1e-3", "3").
readNumber :: String -> Maybe Double
readNumber s = case readMaybe s' of
  Just d -> Just d
  Nothing -> fromInteger <$> readMaybe s'
  where
    s0 = filter (/= '+') s
    s' = case s0 of
      ('.' : _) -> '0' : s0
      ('-' : '.' : r) -> "-0." ++ r
      _ -> if "." `isSuffixOf` s0 then s0 ++ "0" else s0

fmt4 :: Double -> String
fmt4 x = showFFloat (Just 4) x ""

progress :: Bool -> UTCTime -> Int -> Int -> Double -> IO ()
progress enabled start total done l = when enabled $ do
  now <- getCurrentTime
  let el = realToFrac (diffUTCTime now start) :: Double
      frac = fromIntegral done / fromIntegral (max total 1) :: Double
      width = 30
      filled = floor (frac * fromIntegral width)
      rate = fromIntegral done / max el 1e-9
      eta = fromIntegral (total - done) / max rate 1e-9
  hPutStr stderr ("\r[" ++ replicate filled '#' ++ replicate (width - filled) '.' ++ "] "
                  ++ show done ++ "/" ++ show total ++ " " ++ show (round (100 * frac) :: Int) ++ "%  loss "
                  ++ fmt4 l ++ "  " ++ show (round rate :: Int) ++ " it/s  eta " ++ show (round eta :: Int) ++ "s\ESC[K")
  hFlush stderr

main :: IO ()
main = do
  o <- getArgs >>= \a -> parseOpts a defaults
  hSetBuffering stdout LineBuffering
  tty <- hIsTerminalDevice stderr
  let barOn = tty && not (oQuiet o)
  loaded <- loadMnist (oDataDir o) (oTrainSize o) (oTestSize o)
  m <- case loaded of
    Left e -> hPutStrLn stderr ("error: " ++ e) >> exitWith (ExitFailure 2)
    Right m -> do
      _ <- evaluate (xTrain m) >> evaluate (xTest m)
      _ <- evaluate (labelVector (tTrain m)) >> evaluate (labelVector (tTest m))
      pure m
  let Just base = defaultOptimizer (oOptimizer o)
      opt = base { lr = oLr o }
      cfg = TrainConfig (oHidden o) 10 (oStd o) (oBatch o) (oIters o) (oSeed o) opt
      nTrain = rows (xTrain m)
      perEpoch = max (nTrain `div` oBatch o) 1
      states = trainSteps cfg (xTrain m) (tTrain m)
  start <- getCurrentTime
  accs <- newIORef ([], [])
  lastDraw <- newIORef start
  losses <- foldM (\acc s -> do
      let i = stIter s - 1
          l = stLoss s
      l `seq` pure ()
      when (i `mod` perEpoch == 0) $ do
        let tr = accuracy (stNet s) (xTrain m) (TLabels (tTrain m))
            te = accuracy (stNet s) (xTest m) (TLabels (tTest m))
        modifyIORef' accs (\(a, b) -> (tr : a, te : b))
        when barOn $ hPutStr stderr "\r\ESC[K"
        putStrLn ("epoch " ++ show (i `div` perEpoch) ++ "  train acc " ++ fmt4 tr ++ "  test acc " ++ fmt4 te)
      when barOn $ do
        now <- getCurrentTime
        prev <- readIORef lastDraw
        when (diffUTCTime now prev > 0.1 || stIter s == oIters o) $ do
          writeIORef lastDraw now
          progress True start (oIters o) (stIter s) l
      pure (l : acc)) [] states
  when barOn $ hPutStrLn stderr ""
  end <- getCurrentTime
  let seconds = realToFrac (diffUTCTime end start) :: Double
      history = reverse losses
  (trA, teA) <- (\(a, b) -> (reverse a, reverse b)) <$> readIORef accs
  let out = oOut o
      options = JObj
        [ ("data_dir", JStr (T.pack (oDataDir o))), ("iters", JInt (oIters o))
        , ("batch_size", JInt (oBatch o)), ("hidden", JInt (oHidden o)), ("lr", JNum (oLr o))
        , ("optimizer", JStr (T.pack (oOptimizer o))), ("weight_init_std", JNum (oStd o))
        , ("seed", JInt (oSeed o)), ("train_size", JInt nTrain), ("test_size", JInt (rows (xTest m))) ]
      record = JObj
        [ ("port", JStr "haskell"), ("options", options)
        , ("loss_history", JArr (map JNum history))
        , ("train_acc", JArr (map JNum trA)), ("test_acc", JArr (map JNum teA))
        , ("seconds", JNum seconds) ]
  createDirectoryIfMissing True (takeDirectory out)
  withFile out WriteMode $ \h -> do
    hSetBinaryMode h True
    if map toLower (reverse (take 4 (reverse out))) == ".csv"
      then B.hPutBuilder h (B.string7 "iter,loss\n" <> mconcat
             [ B.intDec i <> B.char7 ',' <> encodeJ (JNum l) <> B.char7 '\n' | (i, l) <- zip [0 :: Int ..] history ])
      else B.hPutBuilder h (encodeJ record <> B.char7 '\n')
  case (trA, teA) of
    (_ : _, _ : _) -> putStrLn ("final  train acc " ++ fmt4 (last trA) ++ "  test acc " ++ fmt4 (last teA)
                                ++ "  (" ++ showFFloat (Just 1) seconds "" ++ " s, "
                                ++ showFFloat (Just 2) (1000 * seconds / fromIntegral (oIters o)) "" ++ " ms/iter)")
    _ -> pure ()
  putStrLn ("history written to " ++ out)
