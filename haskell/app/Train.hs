{-# LANGUAGE OverloadedStrings #-}
-- | dlscratch-train: trains the chapter-5 TwoLayerNet on Fashion-MNIST or MNIST with the book's
-- train_neuralnet.py loop, or (--net simple_conv_net, --net deep_conv_net) the chapter-7
-- SimpleConvNet or the chapter-8 DeepConvNet with the book's Trainer and train_convnet.py's or
-- train_deepnet.py's settings; the command line of shared_tests/README.md §8, shared by every port.
module Main (main) where

import Control.Exception (IOException, evaluate, try)
import Control.Monad (foldM, when)
import qualified Data.ByteString.Builder as B
import Data.Char (toLower)
import Data.IORef
import Data.List (intercalate, isPrefixOf)
import Data.Maybe (fromMaybe, isJust)
import qualified Data.Text as T
import Data.Time.Clock (diffUTCTime, getCurrentTime, UTCTime)
import qualified Data.Vector.Storable as VS
import Numeric (showFFloat)
import Numeric.LinearAlgebra (cols, rows, takeRows)
import System.Directory (createDirectoryIfMissing)
import System.Environment (getArgs)
import System.FilePath (takeDirectory, takeExtension)
import System.IO
import System.IO.Error (ioeGetErrorString)

import Cli (fmt4, progress, readInteger, readNumber, refuse)
import DLScratch.Datasets
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Json
import DLScratch.Networks (ConvParam (..), InputDim (..), Net (..), accuracyInBlocks, defaultConvParam, initConvNet,
                           initDeepConvNet)
import DLScratch.Optimizers
import DLScratch.Rng (Gen, mkGen)
import DLScratch.Train (Model (..), TrainConfig (..), TrainState (..), epochAfter, iterPerEpoch, trainSteps,
                        writeParams)
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
  }

defaults :: Opts
defaults = Opts TwoLayerNet defaultDataDir Nothing Nothing Nothing Nothing 100 Nothing Nothing Nothing 0 Nothing Nothing
                "train-haskell.json" Nothing False

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
            val : rest' -> set val o >>= \o' -> go o' rest'
            [] -> Left (flag ++ " needs a value")
        | "-" `isPrefixOf` flag -> Left ("unknown option " ++ flag)
        | otherwise -> Left ("unexpected argument " ++ show flag)
    accepted ShowHelp = Right ShowHelp
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

-- | What a run recorded: each step's loss, the evaluations (iteration, train acc, test acc), the
-- final accuracies, the number of steps, the seconds of the loop, the trained parameters (name,
-- shape, row-major values) and the network's description in a parameters file.
data Run = Run
  { rLosses :: [Double], rAccs :: [(Int, Double, Double)], rFinal :: (Double, Double), rSteps :: Int
  , rSeconds :: Double, rModel :: Model, rNetwork :: J }

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

-- | The line of an evaluation.
epochLine :: Show k => k -> Double -> Double -> String
epochLine k tr te = "epoch " ++ show k ++ "  train acc " ++ fmt4 tr ++ "  test acc " ++ fmt4 te

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
      conv = oNet o `elem` trainerNets
  (m, (imgH, imgW)) <- loadMnistShaped (oDataDir o) (oTrainSize o) (oTestSize o) >>= either failWith pure
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
  r <- if conv then trainConvNet o barOn m (InputDim 1 imgH imgW) else trainDense o barOn m
  when barOn $ hPutStrLn stderr ""
  let (accIters, trainAcc, testAcc) = unzip3 (rAccs r)
      (finalTr, finalTe) = rFinal r
      finalIter = rSteps r - 1
      options = JObj $
        [ ("net", JStr (T.pack (netName (oNet o)))), ("data_dir", JStr (T.pack (oDataDir o))), ("iters", JInt (rSteps r))
        , ("batch_size", JInt (oBatch o)), ("hidden", JInt (hidden o)), ("lr", JNum (learningRate o))
        , ("optimizer", JStr (T.pack (optimizerName (optimizerOf o))))]
        ++ [("weight_init_std", JNum (initScale o)) | oNet o /= DeepConvNet] ++
        [ ("seed", JInt (oSeed o)), ("train_size", JInt (rows (xTrain m))), ("test_size", JInt (rows (xTest m))) ]
        ++ (if conv then [("epochs", JInt (epochs o)), ("evaluate_samples", JInt (evalSamples o))] else [])
      history = JObj
        [ ("port", JStr "haskell"), ("options", options)
        , ("loss_history", JArr (map JNum (rLosses r)))
        , ("acc_iters", JArr (map JInt accIters))
        , ("train_acc", JArr (map JNum trainAcc)), ("test_acc", JArr (map JNum testAcc))
        , ("final_iter", JInt finalIter)
        , ("final_train_acc", JNum finalTr), ("final_test_acc", JNum finalTe)
        , ("seconds", JNum (rSeconds r)) ]
  B.hPutBuilder hOut $
    if map toLower (takeExtension (oOut o)) == ".csv"
      then B.string7 "iter,loss\n" <> mconcat
             [ B.intDec i <> B.char7 ',' <> encodeJ (JNum l) <> B.char7 '\n' | (i, l) <- zip [0 :: Int ..] (rLosses r) ]
      else encodeJ history <> B.char7 '\n'
  hClose hOut
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

-- | TwoLayerNet with train_neuralnet.py's loop: each iteration a batch drawn with replacement, the
-- update, the loss on the batch; the accuracies after every epoch's iteration and after the last.
trainDense :: Opts -> Bool -> Mnist -> IO Run
trainDense o barOn m = do
  let cfg = TrainConfig (hidden o) 10 (initScale o) (oBatch o) (iterations o) (oSeed o) (optimizerOf o)
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
            putStrLn (epochLine k tr te)
            pure ((i, tr, te) : hAccs h)
        now <- getCurrentTime
        drawn <- if barOn && (diffUTCTime now (hDrawn h) > 0.1 || stIter s == iterations o)
          then progress start (iterations o) (stIter s) [("loss", l)] >> pure now
          else pure (hDrawn h)
        pure (History (l : hLosses h) accs drawn)
  (hist, final) <- foldM (\(h, _) s -> (\h' -> (h', Just (stNet s))) <$> record h s)
                         (History [] [] start, Nothing) (trainSteps cfg (xTrain m) (tTrain m))
  end <- getCurrentTime
  -- the final evaluation, as the book's Trainer.train does after its loop
  net <- maybe (failWith "no iteration was run") pure final
  let network = JObj [ ("kind", JStr "two_layer_net"), ("input_size", JInt (cols (xTrain m)))
                     , ("hidden_size", JInt (hidden o)), ("output_size", JInt 10) ]
  pure (Run (reverse (hLosses hist)) (reverse (hAccs hist)) (accuracies m net) (iterations o)
            (realToFrac (diffUTCTime end start)) (TwoLayerModel net) network)

-- | SimpleConvNet (the book's conv_param) or DeepConvNet with the book's Trainer: the weights, then
-- every batch (and DeepConvNet's mask seed of every step) from one generator; the first
-- --evaluate-samples images evaluated after every epoch's step; the final test accuracy on every
-- test image, the final train accuracy on the evaluated ones.
trainConvNet :: Opts -> Bool -> Mnist -> InputDim -> IO Run
trainConvNet o barOn m dim = case oNet o of
  DeepConvNet -> let (net0, g) = initDeepConvNet dim (hidden o) 10 (mkGen (oSeed o))
                 in trainWith o barOn m net0 g DeepConvModel (JObj (("kind", JStr "deep_conv_net") : common))
  _ -> let (net0, g) = initConvNet dim defaultConvParam (hidden o) 10 (initScale o) (mkGen (oSeed o))
           ConvParam fn fs pad stride = defaultConvParam
           convParam = JObj [("filter_num", JInt fn), ("filter_size", JInt fs), ("pad", JInt pad), ("stride", JInt stride)]
       in trainWith o barOn m net0 g SimpleConvModel
            (JObj (("kind", JStr "simple_conv_net") : take 1 common ++ [("conv_param", convParam)] ++ drop 1 common))
  where
    common = [ ("input_dim", JArr (map JInt [inChannels dim, inHeight dim, inWidth dim]))
             , ("hidden_size", JInt (hidden o)), ("output_size", JInt 10) ]

-- | The Trainer's run of a network from its weights and the generator that drew them; the trained
-- network as a parameters file's model, with its description.
trainWith :: T'.Network n => Opts -> Bool -> Mnist -> n -> Gen -> (n -> Model) -> J -> IO Run
trainWith o barOn m net0 g model network = do
  let cfg = T'.TrainerConfig (epochs o) (oBatch o) (optimizerOf o) (Just (evalSamples o))
      dat = T'.TrainerData (xTrain m) (tTrain m) (xTest m) (tTest m)
      steps = T'.maxIter cfg (rows (xTrain m))
  start <- getCurrentTime
  state <- newIORef ([], start)   -- the evaluations (newest first), when the bar was drawn
  let onStep s = do
        let i = T'.stepIter s
        (accs, drawn) <- readIORef state
        accs' <- case T'.stepAccuracies s of
          Nothing -> pure accs
          Just (tr, te) -> do
            when barOn $ hPutStr stderr "\r\ESC[K"
            putStrLn (epochLine (length accs + 1) tr te)
            pure ((i, tr, te) : accs)
        now <- getCurrentTime
        drawn' <- if barOn && (diffUTCTime now drawn > 0.1 || i + 1 == steps)
          then progress start steps (i + 1) [("loss", T'.stepLoss s)] >> pure now
          else pure drawn
        writeIORef state (accs', drawn')
  r <- T'.trainM onStep cfg dat net0 g
  end <- getCurrentTime
  (accs, _) <- readIORef state
  let net = T'.trainedNet r
      k = min (evalSamples o) (rows (xTrain m))
      finalTrain = T'.testAccuracy net (takeRows k (xTrain m)) (TLabels (Labels (VS.take k (labelVector (tTrain m)))))
  pure (Run (T'.trainLossList r) (reverse accs) (finalTrain, T'.testAcc r) steps (realToFrac (diffUTCTime end start))
            (model net) network)
