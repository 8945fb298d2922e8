{-# LANGUAGE OverloadedStrings, TypeFamilies #-}
-- | dlscratch-train: trains the chapter-5 TwoLayerNet on Fashion-MNIST or MNIST with the book's
-- train_neuralnet.py loop, or (--net simple_conv_net, --net deep_conv_net) the chapter-7
-- SimpleConvNet or the chapter-8 DeepConvNet with the book's Trainer and train_convnet.py's or
-- train_deepnet.py's settings; the command line of shared_tests/README.md §8, shared by every port.
module Main (main) where

import Control.Exception (IOException, evaluate, try)
import Control.Monad (forM_, when)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy.Char8 as BLC
import Data.Char (toLower)
import Data.IORef
import Data.List (intercalate, isPrefixOf)
import Data.Maybe (fromMaybe, isJust)
import qualified Data.Scientific as Sci
import qualified Data.Text as T
import Data.Time.Clock (diffUTCTime, getCurrentTime)
import qualified Data.Vector.Storable as VS
import Numeric (showFFloat)
import Numeric.LinearAlgebra (cols, rows, takeRows)
import System.Directory (createDirectoryIfMissing, removeFile)
import System.Environment (getArgs)
import System.Exit (ExitCode (..), exitWith)
import System.FilePath (replaceExtension, takeDirectory, takeExtension)
import System.IO
import System.IO.Error (ioeGetErrorString)
import System.Posix.Process (exitImmediately)
import System.Posix.Signals (Handler (Catch), installHandler, sigINT, sigTERM)

import Cli (fmt4, progressFrom, readInteger, readNumber, refuse)
import DLScratch.Checkpoint
import DLScratch.Datasets
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Json
import DLScratch.Networks (ConvParam (..), InputDim (..), Net (..), Params, accuracyInBlocks, defaultConvParam, initConvNet,
                           initDeepConvNet)
import DLScratch.Optimizers
import DLScratch.Rng (Gen, mkGen)
import DLScratch.Train (Model (..), TrainConfig (..), TrainState (..), epochAfter, initialState, iterPerEpoch,
                        trainStepsFrom, writeParams)
import qualified DLScratch.Trainer as T'

-- | The network --net chooses.
data NetKind = TwoLayerNet | SimpleConvNet | DeepConvNet deriving (Eq, Enum, Bounded)

netName :: NetKind -> String
netName TwoLayerNet = "two_layer_net"
netName SimpleConvNet = "simple_conv_net"
netName DeepConvNet = "deep_conv_net"

-- | The networks the book's Trainer trains (train_convnet.py, train_deepnet.py).
trainerNets :: [NetKind]
trainerNets = [SimpleConvNet, DeepConvNet]

-- | The options as given; Nothing where the default depends on --net (README §8's table).
data Opts = Opts
  { oNet :: NetKind
  , oDataDir :: FilePath
  , oIters, oEpochs, oEvalSamples, oHidden :: Maybe Int
  , oBatch :: Int
  , oLr :: Maybe Double
  , oOptimizer :: Maybe String
  , oStd :: Maybe Double
  , oSeed :: Int
  , oTrainSize :: Maybe Int
  , oTestSize :: Maybe Int
  , oOut :: FilePath
  , oSaveParams :: Maybe FilePath
  , oQuiet :: Bool
  , oCheckpoint :: Maybe FilePath   -- ^ Nothing: --out with .ckpt.json
  , oStopAfter :: Maybe Int
  , oResume :: Maybe FilePath
  , oGiven :: [String]              -- ^ the run options given, latest first
  }

defaults :: Opts
defaults = Opts TwoLayerNet defaultDataDir Nothing Nothing Nothing Nothing 100 Nothing Nothing Nothing 0 Nothing Nothing
                "train-haskell.json" Nothing False Nothing Nothing Nothing []

-- | The options a checkpoint fixes: giving one with --resume is a usage error (README §8).
runOptions :: [String]
runOptions = [ "--net", "--iters", "--epochs", "--evaluate-samples", "--batch-size", "--hidden", "--lr", "--optimizer"
             , "--weight-init-std", "--seed", "--train-size", "--test-size" ]

-- | Where a stopped run writes its checkpoint: --checkpoint, else --out with .ckpt.json.
checkpointPath :: Opts -> FilePath
checkpointPath o = fromMaybe (replaceExtension (oOut o) "ckpt.json") (oCheckpoint o)

-- | train_neuralnet.py's settings, or train_convnet.py's, or train_deepnet.py's.
iterations, epochs, evalSamples, hidden :: Opts -> Int
iterations o = fromMaybe 10000 (oIters o)
epochs o = fromMaybe 20 (oEpochs o)
evalSamples o = fromMaybe 1000 (oEvalSamples o)
hidden o = fromMaybe (if oNet o == SimpleConvNet then 100 else 50) (oHidden o)

learningRate :: Opts -> Double
learningRate o = fromMaybe (if oNet o `elem` trainerNets then 0.001 else 0.1) (oLr o)

-- | The standard deviation of the initial weights (DeepConvNet takes He's scales instead).
initScale :: Opts -> Double
initScale o = fromMaybe 0.01 (oStd o)

optimizerOf :: Opts -> Optimizer
optimizerOf o = maybe (SGD 0.1) (\opt -> opt { lr = learningRate o }) (defaultOptimizer name)
  where name = fromMaybe (if oNet o `elem` trainerNets then "adam" else "sgd") (oOptimizer o)

usage :: String
usage = unlines
  [ "usage: bin/train [options]"
  , ""
  , "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) with the loop of train_neuralnet.py,"
  , "or with --net simple_conv_net the book's SimpleConvNet (30 filters of 5x5, ReLU, 2x2 pooling, Affine-"
  , "ReLU-Affine-SoftmaxWithLoss) with its Trainer (train_convnet.py), or with --net deep_conv_net the book's"
  , "DeepConvNet (six 3x3 convolutions of 16, 16, 32, 32, 64, 64 filters, three 2x2 poolings, Affine-ReLU-"
  , "Dropout-Affine-Dropout-SoftmaxWithLoss) with its Trainer (train_deepnet.py), on Fashion-MNIST or MNIST."
  , "Prints train/test accuracy once an epoch and at the end, and writes the history (JSON or CSV)."
  , ""
  , "  --net NAME             two_layer_net, simple_conv_net or deep_conv_net (default: two_layer_net)"
  , "  --data-dir DIR         directory with the four IDX files (default: " ++ defaultDataDir ++ ")"
  , "  --iters N              iterations (default: 10000; two_layer_net only)"
  , "  --epochs N             epochs of the Trainer (default: 20; simple_conv_net, deep_conv_net only)"
  , "  --evaluate-samples N   train and test images evaluated each epoch (default: 1000; simple_conv_net,"
  , "                         deep_conv_net only)"
  , "  --batch-size N         images per batch (default: 100)"
  , "  --hidden N             hidden units (default: 50; 100 for simple_conv_net)"
  , "  --lr X                 learning rate (default: 0.1; 0.001 for simple_conv_net, deep_conv_net)"
  , "  --optimizer NAME       one of " ++ intercalate ", " optimizerNames
      ++ ", its other hyper-parameters at the book's defaults (default: sgd; adam for simple_conv_net, deep_conv_net)"
  , "  --weight-init-std X    standard deviation of the initial weights (default: 0.01; two_layer_net,"
  , "                         simple_conv_net only: deep_conv_net takes He's sqrt(2/n))"
  , "  --seed K               seeds the one generator, 0 <= K < 2^31 (default: 0): the weights, then every"
  , "                         batch (and DeepConvNet's mask seed of every step)"
  , "  --train-size N         use the first N training images (default: all)"
  , "  --test-size N          use the first N test images (default: all)"
  , "  --out FILE             history file, .json or .csv (default: train-haskell.json)"
  , "  --save-params FILE     write the trained parameters in the portable format of README §8 (default: not written)"
  , "  --checkpoint FILE      where a stopped run writes its checkpoint (default: the --out name with .ckpt.json)"
  , "  --stop-after N         stop as Ctrl-C does once N iterations of the run are done (default: off); a stop"
  , "                         writes the history so far and the checkpoint (Ctrl-C: exit 130, SIGTERM: 143, here: 0)"
  , "  --resume FILE          continue the run of a checkpoint (default: off); it fixes --net and every training"
  , "                         option (--iters ... --test-size), and the history written is the whole run's"
  , "  --quiet                no progress bar (default: off)"
  , "  -h, --help             this text"
  ]

-- | What the command line asks for.
data Command = ShowHelp | Train Opts

-- | The command line, or what is wrong with it (one line); an option the chosen network does not
-- accept is wrong.
parseArgs :: [String] -> Either String Command
parseArgs args0 = go defaults args0 >>= accepted
  where
    go o args = case args of
      [] -> Right (Train o)
      (a : _) | a `elem` ["--help", "-h"] -> Right ShowHelp
      ("--quiet" : rest) -> go o { oQuiet = True } rest
      (a : rest) | "--" `isPrefixOf` a, (flag, '=' : val) <- break (== '=') a -> go o (flag : val : rest)
      (flag : rest)
        | Just set <- lookup flag valued -> case rest of
            val : rest' -> set val o >>= \o' -> go o' { oGiven = [flag | flag `elem` runOptions] ++ oGiven o' } rest'
            [] -> Left (flag ++ " needs a value")
        | "-" `isPrefixOf` flag -> Left ("unknown option " ++ flag)
        | otherwise -> Left ("unexpected argument " ++ show flag)
    accepted ShowHelp = Right ShowHelp
    accepted (Train o) | isJust (oResume o) = case reverse (oGiven o) of
      flag : _ -> Left (flag ++ " cannot be given with --resume: the checkpoint fixes it")
      [] -> Right (Train o)
    accepted (Train o) = case [ flag | (flag, given, nets) <- onlyFor o, given, oNet o `notElem` nets ] of
      flag : _ -> Left (flag ++ " does not apply to --net " ++ netName (oNet o))
      [] -> Right (Train o)
    onlyFor o = [ ("--iters", isJust (oIters o), [TwoLayerNet]), ("--epochs", isJust (oEpochs o), trainerNets)
                , ("--evaluate-samples", isJust (oEvalSamples o), trainerNets)
                , ("--weight-init-std", isJust (oStd o), [TwoLayerNet, SimpleConvNet]) ]
    valued :: [(String, String -> Opts -> Either String Opts)]
    valued =
      [ ("--net", \v o -> case lookup v [(netName n, n) | n <- [minBound ..]] of
          Just n -> Right o { oNet = n }
          Nothing -> Left ("--net " ++ show v ++ ": not one of two_layer_net, simple_conv_net, deep_conv_net"))
      , ("--data-dir", \v o -> Right o { oDataDir = v })
      , ("--iters", \v o -> (\n -> o { oIters = Just n }) <$> count "--iters" v)
      , ("--epochs", \v o -> (\n -> o { oEpochs = Just n }) <$> count "--epochs" v)
      , ("--evaluate-samples", \v o -> (\n -> o { oEvalSamples = Just n }) <$> count "--evaluate-samples" v)
      , ("--batch-size", \v o -> (\n -> o { oBatch = n }) <$> count "--batch-size" v)
      , ("--hidden", \v o -> (\n -> o { oHidden = Just n }) <$> count "--hidden" v)
      , ("--lr", \v o -> (\x -> o { oLr = Just x }) <$> finite "--lr" v)
      , ("--optimizer", \v o -> if v `elem` optimizerNames then Right o { oOptimizer = Just v }
                                else Left ("--optimizer " ++ show v ++ ": not one of " ++ intercalate ", " optimizerNames))
      , ("--weight-init-std", \v o -> (\x -> o { oStd = Just x }) <$> finite "--weight-init-std" v)
      , ("--seed", \v o -> (\k -> o { oSeed = k }) <$> whole "--seed" "a whole number, 0 <= K < 2^31" (\k -> k >= 0 && k < 2 ^ (31 :: Int)) v)
      , ("--train-size", \v o -> (\n -> o { oTrainSize = Just n }) <$> count "--train-size" v)
      , ("--test-size", \v o -> (\n -> o { oTestSize = Just n }) <$> count "--test-size" v)
      , ("--out", \v o -> Right o { oOut = v })
      , ("--save-params", \v o -> Right o { oSaveParams = Just v })
      , ("--checkpoint", \v o -> Right o { oCheckpoint = Just v })
      , ("--stop-after", \v o -> (\n -> o { oStopAfter = Just n }) <$> count "--stop-after" v)
      , ("--resume", \v o -> Right o { oResume = Just v })
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

-- | What a run recorded: each step's loss, the evaluations (iteration, train acc, test acc), how it
-- ended, the run's iterations, the seconds of its loop (a resumed run's earlier part included), the
-- trained parameters and the network's description in a parameters file.
data Run = Run
  { rLosses :: [Double], rAccs :: [(Int, Double, Double)], rEnd :: End, rSteps :: Int
  , rSeconds :: Double, rModel :: Model, rNetwork :: J }

-- | The final accuracies (train, test), or the exit status and the checkpoint of a stopped run.
data End = Finished (Double, Double) | Stopped ExitCode Checkpoint

-- | What the loop needs besides the options: the progress bar's switch, the exit status a signal
-- asked for, whether training has started (a signal before it ends the command at once) and the
-- checkpoint's object with --resume.
data Loop = Loop
  { lBar :: Bool, lSignal :: IORef (Maybe ExitCode), lStarted :: IORef Bool, lResume :: Maybe A.Object }

-- | Accuracy on the training and the test set, 1000 images at a time.
accuracies :: Mnist -> Net -> (Double, Double)
accuracies m net = ( accuracyInBlocks 1000 net (xTrain m) (TLabels (tTrain m))
                   , accuracyInBlocks 1000 net (xTest m) (TLabels (tTest m)) )

-- | The line of an evaluation.
epochLine :: Show k => k -> Double -> Double -> String
epochLine k tr te = "epoch " ++ show k ++ "  train acc " ++ fmt4 tr ++ "  test acc " ++ fmt4 te

main :: IO ()
main = do
  args <- getArgs
  case parseArgs args of
    Left err -> failWith err
    Right ShowHelp -> putStr usage
    Right (Train o) -> do
      signal <- newIORef Nothing
      started <- newIORef False
      -- SIGINT, SIGTERM: before training the command ends at once (nothing written); during it
      -- the step in progress finishes, then the loop stops with a checkpoint
      let onSignal code = readIORef started >>= \s -> if s then writeIORef signal (Just code) else exitImmediately code
      mapM_ (\(sig, code) -> installHandler sig (Catch (onSignal (ExitFailure code))) Nothing)
            [(sigINT, 130), (sigTERM, 143)]
      (o', resumed) <- case oResume o of
        Nothing -> pure (o, Nothing)
        Just path -> do
          (obj, opts) <- readCheckpointFile path >>= either failWith pure
          either failWith (\o' -> pure (o', Just obj)) (checkpointOptions opts o)
      hSetBuffering stdout LineBuffering
      tty <- hIsTerminalDevice stderr
      train o' (Loop (tty && not (oQuiet o')) signal started resumed)

-- | The run options of a checkpoint's options object (the history's), in place of the command
-- line's; each checked as its option is.
checkpointOptions :: A.Object -> Opts -> Either String Opts
checkpointOptions opts o = do
  net <- field "net" >>= \v -> case v of
    A.String n | Just k <- lookup (T.unpack n) [(netName k, k) | k <- [minBound ..]] -> Right k
    _ -> bad "net" v "two_layer_net, simple_conv_net or deep_conv_net"
  let conv = net `elem` trainerNets
  batch <- count "batch_size"
  hid <- count "hidden"
  rate <- finite "lr"
  opt <- field "optimizer" >>= \v -> case v of
    A.String n | T.unpack n `elem` optimizerNames -> Right (T.unpack n)
    _ -> bad "optimizer" v ("one of " ++ intercalate ", " optimizerNames)
  k <- field "seed" >>= \v -> case whole v of
    Just k | k >= 0 && k < maxSeed -> Right k
    _ -> bad "seed" v "a whole number, 0 <= K < 2^31"
  trainSize <- count "train_size"
  testSize <- count "test_size"
  std <- if net == DeepConvNet then Right Nothing else Just <$> finite "weight_init_std"
  its <- if conv then Right Nothing else Just <$> count "iters"
  eps <- if conv then Just <$> count "epochs" else Right Nothing
  samples <- if conv then Just <$> count "evaluate_samples" else Right Nothing
  Right o { oNet = net, oIters = its, oEpochs = eps, oEvalSamples = samples, oHidden = Just hid, oBatch = batch
          , oLr = Just rate, oOptimizer = Just opt, oStd = std, oSeed = k, oTrainSize = Just trainSize
          , oTestSize = Just testSize }
  where
    maxSeed = 2 ^ (31 :: Int)
    field key = maybe (Left ("the checkpoint's options have no \"" ++ key ++ "\"")) Right (KM.lookup (K.fromString key) opts)
    bad key v what = Left ("the checkpoint's options." ++ key ++ " is " ++ take 40 (BLC.unpack (A.encode v)) ++ ", not " ++ what)
    whole v = case v of { A.Number s -> Sci.toBoundedInteger s; _ -> Nothing } :: Maybe Int
    count key = field key >>= \v -> case whole v of
      Just n | n >= 1 -> Right n
      _ -> bad key v "a whole number >= 1"
    finite key = field key >>= \v -> case v of
      A.Number s | let x = Sci.toRealFloat s, not (isInfinite x) -> Right (x :: Double)
      _ -> bad key v "a finite number"

-- | The history's options (a checkpoint's too): the run's settings, the data's sizes and the run's
-- iterations.
optionsJ :: Opts -> Mnist -> Int -> J
optionsJ o m steps = JObj $
  [ ("net", JStr (T.pack (netName (oNet o)))), ("data_dir", JStr (T.pack (oDataDir o))), ("iters", JInt steps)
  , ("batch_size", JInt (oBatch o)), ("hidden", JInt (hidden o)), ("lr", JNum (learningRate o))
  , ("optimizer", JStr (T.pack (optimizerName (optimizerOf o))))]
  ++ [("weight_init_std", JNum (initScale o)) | oNet o /= DeepConvNet] ++
  [ ("seed", JInt (oSeed o)), ("train_size", JInt (rows (xTrain m))), ("test_size", JInt (rows (xTest m))) ]
  ++ (if oNet o `elem` trainerNets then [("epochs", JInt (epochs o)), ("evaluate_samples", JInt (evalSamples o))] else [])

train :: Opts -> Loop -> IO ()
train o loop = do
  let conv = oNet o `elem` trainerNets
  (m, (imgH, imgW)) <- loadMnistShaped (oDataDir o) (oTrainSize o) (oTestSize o) >>= either failWith pure
  -- a resumed run needs the checkpoint's images: the first train_size and test_size of --data-dir's
  when (isJust (lResume loop)) $ forM_ [("training", rows (xTrain m), oTrainSize o), ("test", rows (xTest m), oTestSize o)] $
    \(what, have, want) -> when (Just have /= want) $ failWith ("--data-dir " ++ show (oDataDir o) ++ " has "
      ++ show have ++ " " ++ what ++ " images, fewer than the checkpoint's " ++ maybe "" show want)
  when (oNet o == SimpleConvNet && min imgH imgW < 6) $ failWith ("--net simple_conv_net: the images are "
    ++ show imgH ++ "x" ++ show imgW ++ ", smaller than the 6x6 that 5x5 filters and the 2x2 pooling need")
  when (oNet o == DeepConvNet && min imgH imgW < 4) $ failWith ("--net deep_conv_net: the images are "
    ++ show imgH ++ "x" ++ show imgW ++ ", smaller than the 4x4 that the three 2x2 poolings need")
  _ <- evaluate (xTrain m) >> evaluate (xTest m)
  _ <- evaluate (labelVector (tTrain m)) >> evaluate (labelVector (tTest m))
  -- the output files are opened before training, so that a bad --out or --save-params is refused first
  let open flag path = do
        h <- try (createDirectoryIfMissing True (takeDirectory path) >> openBinaryFile path WriteMode)
        either (\e -> failWith (flag ++ " " ++ show path ++ ": cannot write it ("
                                ++ ioeGetErrorString (e :: IOException) ++ ")")) pure h
  hOut <- open "--out" (oOut o)
  hParams <- traverse (open "--save-params") (oSaveParams o)
  r <- if conv then trainConvNet o loop m (InputDim 1 imgH imgW) else trainDense o loop m
  when (lBar loop) $ hPutStrLn stderr ""
  let (accIters, trainAcc, testAcc) = unzip3 (rAccs r)
      recorded = [ ("port", JStr "haskell"), ("options", optionsJ o m (rSteps r))
                 , ("loss_history", JArr (map JNum (rLosses r)))
                 , ("acc_iters", JArr (map JInt accIters))
                 , ("train_acc", JArr (map JNum trainAcc)), ("test_acc", JArr (map JNum testAcc)) ]
      writeHistory history = do
        B.hPutBuilder hOut $
          if map toLower (takeExtension (oOut o)) == ".csv"
            then B.string7 "iter,loss\n" <> mconcat
                   [ B.intDec i <> B.char7 ',' <> encodeJ (JNum l) <> B.char7 '\n' | (i, l) <- zip [0 :: Int ..] (rLosses r) ]
            else encodeJ (JObj history) <> B.char7 '\n'
        hClose hOut
  case rEnd r of
    Stopped code ck -> do
      let path = checkpointPath o
          done = ckIteration ck
      writeHistory (recorded ++ [ ("stopped_after", JInt done), ("checkpoint", JStr (T.pack path))
                                , ("seconds", JNum (rSeconds r)) ])
      -- a stopped run has no trained parameters to save
      case (hParams, oSaveParams o) of
        (Just h, Just p) -> hClose h >> removeFile p
        _ -> pure ()
      writeCheckpoint path ck >>= either failWith pure
      putStrLn ("history written to " ++ oOut o)
      putStrLn ("interrupted after iteration " ++ show (done - 1) ++ ": checkpoint written to " ++ path
                ++ " (continue with --resume " ++ path ++ ")")
      exitWith code
    Finished (finalTr, finalTe) -> do
      let finalIter = rSteps r - 1
      writeHistory (recorded ++ [ ("final_iter", JInt finalIter)
                                , ("final_train_acc", JNum finalTr), ("final_test_acc", JNum finalTe)
                                , ("seconds", JNum (rSeconds r)) ])
      putStrLn ("final (after iteration " ++ show finalIter ++ ")  train acc " ++ fmt4 finalTr ++ "  test acc " ++ fmt4 finalTe
                ++ "  (" ++ showFFloat (Just 1) (rSeconds r) "" ++ " s, "
                ++ showFFloat (Just 2) (1000 * rSeconds r / fromIntegral (rSteps r)) "" ++ " ms/iter)")
      putStrLn ("history written to " ++ oOut o)
      case (hParams, oSaveParams o) of
        (Just h, Just path) -> do
          writeParams h (rNetwork r) (rModel r)
          hClose h
          putStrLn ("parameters written to " ++ path)
        _ -> pure ()

-- | The iterations before i after which a run evaluates (@k mod iter_per_epoch == 0@).
evaluatedBefore :: Double -> Int -> [Int]
evaluatedBefore perEpoch i = [ k | k <- [0 .. i - 1], isJust (epochAfter perEpoch k) ]

-- | What a loop recorded: the losses and the evaluations (the checkpoint's first), the last state,
-- the exit status if it was stopped, and the seconds of this part.
data Driven s = Driven [Double] [(Int, Double, Double)] (Maybe s) (Maybe ExitCode) Double

-- | The loop over a run's states from a checkpoint's history (or an empty one): for each state
-- its loss, the evaluation that @visit@ prints and answers (given the number before it), the
-- progress bar; then a signal, or --stop-after N when the iterations done reach exactly N (not
-- the run's last; an N a resumed run has already passed never stops it), stops it.
drive :: Opts -> Loop -> Int -> SavedHistory -> (s -> Int) -> (s -> Double)
      -> (Int -> s -> IO (Maybe (Int, Double, Double))) -> [s] -> IO (Driven s)
drive o loop steps prior done lossOf visit states = do
  start <- getCurrentTime
  writeIORef (lStarted loop) True
  let go losses accs drawn lastS ss = case ss of
        [] -> finish losses accs lastS Nothing
        s : rest -> do
          let i = done s
              l = lossOf s
          l `seq` pure ()
          accs' <- maybe accs (: accs) <$> visit (length accs) s
          now <- getCurrentTime
          drawn' <- if lBar loop && (diffUTCTime now drawn > 0.1 || i == steps)
            then progressFrom (length (savedLosses prior)) start steps i [("loss", l)] >> pure now
            else pure drawn
          stop <- stopAfter i
          case stop of
            Just code -> finish (l : losses) accs' (Just s) (Just code)
            Nothing -> go (l : losses) accs' drawn' (Just s) rest
      finish losses accs lastS code = do
        end <- getCurrentTime
        pure (Driven (reverse losses) (reverse accs) lastS code (realToFrac (diffUTCTime end start)))
  go (reverse (savedLosses prior)) (reverse (savedAccs prior)) start Nothing states
  where
    stopAfter i
      | i >= steps = pure Nothing
      | otherwise = readIORef (lSignal loop) >>= \sig -> pure $ case sig of
          Just code -> Just code
          Nothing | Just n <- oStopAfter o, i == n -> Just ExitSuccess
          _ -> Nothing

-- | The progress bar cleared for a line.
clearBar :: Loop -> IO ()
clearBar loop = when (lBar loop) $ hPutStr stderr "\r\ESC[K"

-- | TwoLayerNet with train_neuralnet.py's loop: each iteration a batch drawn with replacement, the
-- update, the loss on the batch; the accuracies after every epoch's iteration and after the last.
trainDense :: Opts -> Loop -> Mnist -> IO Run
trainDense o loop m = do
  let cfg = TrainConfig (hidden o) 10 (initScale o) (oBatch o) (iterations o) (oSeed o) (optimizerOf o)
      perEpoch = iterPerEpoch (rows (xTrain m)) (oBatch o)
      steps = iterations o
      fresh = initialState cfg (cols (xTrain m))
      network = JObj [ ("kind", JStr "two_layer_net"), ("input_size", JInt (cols (xTrain m)))
                     , ("hidden_size", JInt (hidden o)), ("output_size", JInt 10) ]
      options = optionsJ o m steps
      expected = Expected network (TwoLayerModel (stNet fresh)) options (optimizerOf o) steps (evaluatedBefore perEpoch)
  resumed <- traverse (either failWith pure . restoreCheckpoint expected) (lResume loop)
  let s0 = case resumed of
        Just ck | TwoLayerModel net <- ckModel ck ->
          TrainState (ckIteration ck) (0 / 0) net (restoreOptimizer (ckOptimizer ck)) (ckGen ck)
        _ -> fresh
      prior = maybe (SavedHistory [] [] 0) ckHistory resumed
      visit _ s = case epochAfter perEpoch (stIter s - 1) of
        Nothing -> pure Nothing
        Just k -> do
          let (tr, te) = accuracies m (stNet s)
          clearBar loop
          putStrLn (epochLine k tr te)
          pure (Just (stIter s - 1, tr, te))
  Driven losses accs lastS stop secs <-
    drive o loop steps prior stIter stLoss visit (trainStepsFrom cfg (xTrain m) (tTrain m) s0)
  s <- maybe (failWith "no iteration was run") pure lastS
  let net = stNet s
      seconds = savedSeconds prior + secs
      end = case stop of
        Just code -> Stopped code (Checkpoint network options (stIter s) (stGen s)
                                     (saveOptimizer (optimizerOf o) (layers net) (stOpt s)) (TwoLayerModel net)
                                     (SavedHistory losses accs seconds))
        -- the final evaluation, as the book's Trainer.train does after its loop
        Nothing -> Finished (accuracies m net)
  pure (Run losses accs end steps seconds (TwoLayerModel net) network)

-- | SimpleConvNet (the book's conv_param) or DeepConvNet with the book's Trainer: the weights, then
-- every batch (and DeepConvNet's mask seed of every step) from one generator; the first
-- --evaluate-samples images evaluated after every epoch's step; the final test accuracy on every
-- test image, the final train accuracy on the evaluated ones.
trainConvNet :: Opts -> Loop -> Mnist -> InputDim -> IO Run
trainConvNet o loop m dim = case oNet o of
  DeepConvNet -> let (net0, g) = initDeepConvNet dim (hidden o) 10 (mkGen (oSeed o))
                 in trainWith o loop m net0 g DeepConvModel (\md -> case md of { DeepConvModel n -> Just n; _ -> Nothing })
                              (JObj (("kind", JStr "deep_conv_net") : common))
  _ -> let (net0, g) = initConvNet dim defaultConvParam (hidden o) 10 (initScale o) (mkGen (oSeed o))
           ConvParam fn fs pad stride = defaultConvParam
           convParam = JObj [("filter_num", JInt fn), ("filter_size", JInt fs), ("pad", JInt pad), ("stride", JInt stride)]
       in trainWith o loop m net0 g SimpleConvModel (\md -> case md of { SimpleConvModel n -> Just n; _ -> Nothing })
            (JObj (("kind", JStr "simple_conv_net") : take 1 common ++ [("conv_param", convParam)] ++ drop 1 common))
  where
    common = [ ("input_dim", JArr (map JInt [inChannels dim, inHeight dim, inWidth dim]))
             , ("hidden_size", JInt (hidden o)), ("output_size", JInt 10) ]

-- | The Trainer's run of a network from its weights and the generator that drew them (or from a
-- checkpoint); the trained network as a parameters file's model, with its description.
trainWith :: (T'.Network n, T'.Weights n ~ Params) => Opts -> Loop -> Mnist -> n -> Gen -> (n -> Model)
          -> (Model -> Maybe n) -> J -> IO Run
trainWith o loop m net0 g model fromModel network = do
  let cfg = T'.TrainerConfig (epochs o) (oBatch o) (optimizerOf o) (Just (evalSamples o))
      dat = T'.TrainerData (xTrain m) (tTrain m) (xTest m) (tTest m)
      steps = T'.maxIter cfg (rows (xTrain m))
      perEpoch = iterPerEpoch (rows (xTrain m)) (oBatch o)
      options = optionsJ o m steps
      expected = Expected network (model net0) options (optimizerOf o) steps (evaluatedBefore perEpoch)
  resumed <- traverse (either failWith pure . restoreCheckpoint expected) (lResume loop)
  let s0 = case resumed of
        Just ck | Just net <- fromModel (ckModel ck) ->
          T'.resumedStep (ckIteration ck) net (restoreOptimizer (ckOptimizer ck)) (ckGen ck)
        _ -> T'.resumedStep 0 net0 (initState (optimizerOf o) (T'.weights net0)) g
      prior = maybe (SavedHistory [] [] 0) ckHistory resumed
      visit before s = case T'.stepAccuracies s of
        Nothing -> pure Nothing
        Just (tr, te) -> do
          clearBar loop
          putStrLn (epochLine (before + 1) tr te)
          pure (Just (T'.stepIter s, tr, te))
  Driven losses accs lastS stop secs <-
    drive o loop steps prior ((+ 1) . T'.stepIter) T'.stepLoss visit (T'.trainerStepsFrom cfg dat s0)
  s <- maybe (failWith "no step was run") pure lastS
  let net = T'.stepNet s
      seconds = savedSeconds prior + secs
      k = min (evalSamples o) (rows (xTrain m))
      end = case stop of
        Just code -> Stopped code (Checkpoint network options (T'.stepIter s + 1) (T'.stepGen s)
                                     (saveOptimizer (optimizerOf o) (T'.weights net) (T'.stepOpt s)) (model net)
                                     (SavedHistory losses accs seconds))
        Nothing -> Finished ( T'.testAccuracy net (takeRows k (xTrain m)) (TLabels (Labels (VS.take k (labelVector (tTrain m)))))
                            , T'.finalTestAccuracy dat net )
  pure (Run losses accs end steps seconds (model net) network)
