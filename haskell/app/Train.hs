{-# LANGUAGE OverloadedStrings #-}
-- | dlscratch-train: trains the chapter-5 TwoLayerNet on Fashion-MNIST or
-- MNIST with the book's train_neuralnet.py loop; the command line of
-- shared_tests/README.md §8, shared by every port.
module Main (main) where

import Control.Exception (IOException, evaluate, try)
import Control.Monad (foldM, when)
import qualified Data.ByteString.Builder as B
import Data.Char (toLower)
import Data.List (intercalate, isPrefixOf)
import qualified Data.Text as T
import Data.Time.Clock (diffUTCTime, getCurrentTime, UTCTime)
import Numeric (showFFloat)
import System.Directory (createDirectoryIfMissing)
import System.Environment (getArgs)
import System.FilePath (takeDirectory, takeExtension)
import System.IO
import System.IO.Error (ioeGetErrorString)

import Cli (fmt4, progress, readInteger, readNumber, refuse)
import DLScratch.Datasets
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Json
import DLScratch.Networks (Net, accuracyInBlocks)
import DLScratch.Optimizers
import DLScratch.Train
import Numeric.LinearAlgebra (rows)

data Opts = Opts
  { oDataDir :: FilePath
  , oIters :: Int
  , oBatch :: Int
  , oHidden :: Int
  , oLr :: Double
  , oOptimizer :: Optimizer   -- ^ with the book's defaults; its lr is oLr's
  , oStd :: Double
  , oSeed :: Int
  , oTrainSize :: Maybe Int
  , oTestSize :: Maybe Int
  , oOut :: FilePath
  , oQuiet :: Bool
  }

defaults :: Opts
defaults = Opts defaultDataDir 10000 100 50 0.1 (SGD 0.01) 0.01 0 Nothing Nothing "train-haskell.json" False

usage :: String
usage = unlines
  [ "usage: bin/train [options]"
  , ""
  , "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) on Fashion-MNIST or MNIST"
  , "with the loop of train_neuralnet.py: each iteration draws a batch with replacement, updates,"
  , "and records the loss on that batch. Prints train/test accuracy once an epoch and after the"
  , "last iteration, and writes the history (JSON or CSV)."
  , ""
  , "  --data-dir DIR         directory with the four IDX files (default: " ++ defaultDataDir ++ ")"
  , "  --iters N              iterations (default: 10000)"
  , "  --batch-size N         images per batch (default: 100)"
  , "  --hidden N             hidden units (default: 50)"
  , "  --lr X                 learning rate (default: 0.1)"
  , "  --optimizer NAME       one of " ++ intercalate ", " optimizerNames ++ " (default: sgd)"
  , "  --weight-init-std X    standard deviation of the initial weights (default: 0.01)"
  , "  --seed K               seeds the generator of weights and batches, 0 <= K < 2^31 (default: 0)"
  , "  --train-size N         use the first N training images (default: all)"
  , "  --test-size N          use the first N test images (default: all)"
  , "  --out FILE             history file, .json or .csv (default: train-haskell.json)"
  , "  --quiet                no progress bar (default: off)"
  , "  -h, --help             this text"
  ]

-- | What the command line asks for.
data Command = ShowHelp | Train Opts

-- | The command line, or what is wrong with it (one line).
parseArgs :: [String] -> Either String Command
parseArgs = go defaults
  where
    go o args = case args of
      [] -> Right (Train o)
      (a : _) | a `elem` ["--help", "-h"] -> Right ShowHelp
      ("--quiet" : rest) -> go o { oQuiet = True } rest
      (a : rest) | "--" `isPrefixOf` a, (flag, '=' : val) <- break (== '=') a -> go o (flag : val : rest)
      (flag : rest)
        | Just set <- lookup flag valued -> case rest of
            val : rest' -> set val o >>= \o' -> go o' rest'
            [] -> Left (flag ++ " needs a value")
        | "-" `isPrefixOf` flag -> Left ("unknown option " ++ flag)
        | otherwise -> Left ("unexpected argument " ++ show flag)
    valued :: [(String, String -> Opts -> Either String Opts)]
    valued =
      [ ("--data-dir", \v o -> Right o { oDataDir = v })
      , ("--iters", \v o -> (\n -> o { oIters = n }) <$> count "--iters" v)
      , ("--batch-size", \v o -> (\n -> o { oBatch = n }) <$> count "--batch-size" v)
      , ("--hidden", \v o -> (\n -> o { oHidden = n }) <$> count "--hidden" v)
      , ("--lr", \v o -> (\x -> o { oLr = x }) <$> finite "--lr" v)
      , ("--optimizer", \v o -> maybe (Left ("--optimizer " ++ show v ++ ": not one of " ++ intercalate ", " optimizerNames))
                                       (\opt -> Right o { oOptimizer = opt }) (defaultOptimizer v))
      , ("--weight-init-std", \v o -> (\x -> o { oStd = x }) <$> finite "--weight-init-std" v)
      , ("--seed", \v o -> (\k -> o { oSeed = k }) <$> whole "--seed" "a whole number, 0 <= K < 2^31" (\k -> k >= 0 && k < 2 ^ (31 :: Int)) v)
      , ("--train-size", \v o -> (\n -> o { oTrainSize = Just n }) <$> count "--train-size" v)
      , ("--test-size", \v o -> (\n -> o { oTestSize = Just n }) <$> count "--test-size" v)
      , ("--out", \v o -> Right o { oOut = v })
      ]
    count f = whole f "a whole number >= 1" (>= 1)
    whole f what ok v = case readInteger v of
      Just k | k > toInteger (maxBound :: Int) -> Left (f ++ " " ++ show v ++ ": too large")
             | ok k -> Right (fromInteger k)
      _ -> Left (f ++ " " ++ show v ++ ": expected " ++ what)
    finite f v = case readNumber v of
      Just x | not (isNaN x || isInfinite x) -> Right x
      _ -> Left (f ++ " " ++ show v ++ ": expected a finite number")

-- | One line on stderr, exit status 2.
failWith :: String -> IO a
failWith = refuse "bin/train"

-- | What the loop has recorded so far (newest first), and when the progress
-- bar was last drawn.
data History = History
  { hLosses :: [Double]
  , hAccs :: [(Int, Double, Double)]   -- ^ iteration, train acc, test acc
  , hDrawn :: UTCTime
  }

-- | Accuracy on the training and the test set, 1000 images at a time.
accuracies :: Mnist -> Net -> (Double, Double)
accuracies m net = ( accuracyInBlocks 1000 net (xTrain m) (TLabels (tTrain m))
                   , accuracyInBlocks 1000 net (xTest m) (TLabels (tTest m)) )

main :: IO ()
main = do
  args <- getArgs
  case parseArgs args of
    Left err -> failWith err
    Right ShowHelp -> putStr usage
    Right (Train o) -> train o

train :: Opts -> IO ()
train o = do
  hSetBuffering stdout LineBuffering
  tty <- hIsTerminalDevice stderr
  let barOn = tty && not (oQuiet o)
  m <- loadMnist (oDataDir o) (oTrainSize o) (oTestSize o) >>= either failWith pure
  _ <- evaluate (xTrain m) >> evaluate (xTest m)
  _ <- evaluate (labelVector (tTrain m)) >> evaluate (labelVector (tTest m))
  -- the history file is opened before training, so that a bad --out is refused first
  out <- try (createDirectoryIfMissing True (takeDirectory (oOut o)) >> openBinaryFile (oOut o) WriteMode)
  hOut <- either (\e -> failWith ("--out " ++ show (oOut o) ++ ": cannot write it (" ++ ioeGetErrorString (e :: IOException) ++ ")"))
                 pure out
  let cfg = TrainConfig (oHidden o) 10 (oStd o) (oBatch o) (oIters o) (oSeed o) (oOptimizer o) { lr = oLr o }
      perEpoch = iterPerEpoch (rows (xTrain m)) (oBatch o)
  start <- getCurrentTime
  let record h s = do
        let i = stIter s - 1
            l = stLoss s
        l `seq` pure ()
        accs <- case epochAfter perEpoch i of
          Nothing -> pure (hAccs h)
          Just k -> do
            let (tr, te) = accuracies m (stNet s)
            when barOn $ hPutStr stderr "\r\ESC[K"
            putStrLn ("epoch " ++ show k ++ "  train acc " ++ fmt4 tr ++ "  test acc " ++ fmt4 te)
            pure ((i, tr, te) : hAccs h)
        now <- getCurrentTime
        drawn <- if barOn && (diffUTCTime now (hDrawn h) > 0.1 || stIter s == oIters o)
          then progress start (oIters o) (stIter s) [("loss", l)] >> pure now
          else pure (hDrawn h)
        pure (History (l : hLosses h) accs drawn)
  (hist, final) <- foldM (\(h, _) s -> (\h' -> (h', Just (stNet s))) <$> record h s)
                         (History [] [] start, Nothing) (trainSteps cfg (xTrain m) (tTrain m))
  end <- getCurrentTime
  when barOn $ hPutStrLn stderr ""
  let seconds = realToFrac (diffUTCTime end start) :: Double
      losses = reverse (hLosses hist)
      (accIters, trainAcc, testAcc) = unzip3 (reverse (hAccs hist))
      finalIter = oIters o - 1
  -- the final evaluation, as the book's Trainer.train does after its loop
  (finalTr, finalTe) <- maybe (failWith "no iteration was run") (pure . accuracies m) final
  let options = JObj
        [ ("data_dir", JStr (T.pack (oDataDir o))), ("iters", JInt (oIters o))
        , ("batch_size", JInt (oBatch o)), ("hidden", JInt (oHidden o)), ("lr", JNum (oLr o))
        , ("optimizer", JStr (T.pack (optimizerName (oOptimizer o)))), ("weight_init_std", JNum (oStd o))
        , ("seed", JInt (oSeed o)), ("train_size", JInt (rows (xTrain m))), ("test_size", JInt (rows (xTest m))) ]
      history = JObj
        [ ("port", JStr "haskell"), ("options", options)
        , ("loss_history", JArr (map JNum losses))
        , ("acc_iters", JArr (map JInt accIters))
        , ("train_acc", JArr (map JNum trainAcc)), ("test_acc", JArr (map JNum testAcc))
        , ("final_iter", JInt finalIter)
        , ("final_train_acc", JNum finalTr), ("final_test_acc", JNum finalTe)
        , ("seconds", JNum seconds) ]
  B.hPutBuilder hOut $
    if map toLower (takeExtension (oOut o)) == ".csv"
      then B.string7 "iter,loss\n" <> mconcat
             [ B.intDec i <> B.char7 ',' <> encodeJ (JNum l) <> B.char7 '\n' | (i, l) <- zip [0 :: Int ..] losses ]
      else encodeJ history <> B.char7 '\n'
  hClose hOut
  putStrLn ("final (after iteration " ++ show finalIter ++ ")  train acc " ++ fmt4 finalTr ++ "  test acc " ++ fmt4 finalTe
            ++ "  (" ++ showFFloat (Just 1) seconds "" ++ " s, "
            ++ showFFloat (Just 2) (1000 * seconds / fromIntegral (oIters o)) "" ++ " ms/iter)")
  putStrLn ("history written to " ++ oOut o)
