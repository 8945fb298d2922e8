{-# LANGUAGE OverloadedStrings #-}
-- | dlscratch-bench: milliseconds per training step of the book's TwoLayerNet, or with
-- --net simple_conv_net of its SimpleConvNet, or with --net deep_conv_net of its DeepConvNet
-- (shared_tests/README.md §9): forward,
-- SoftmaxWithLoss, the whole backward (the first layer's dx1 included), SGD lr 0.1; every value
-- of the step forced, wall-clock time, median of repeats; beside the Python reference's figure
-- measured in the same run.
module Main (main) where

import Control.DeepSeq (NFData, force)
import Control.Exception (evaluate, SomeException, try)
import Control.Monad (when)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Lazy.Char8 as BL
import Data.List (isPrefixOf, sort)
import Data.Maybe (fromMaybe)
import qualified Data.Text as T
import qualified Data.Scientific as Sci
import qualified Data.Vector.Storable as VS
import GHC.Clock (getMonotonicTime)
import Numeric (showFFloat)
import Numeric.LinearAlgebra (Matrix, flatten, reshape, rows)
import System.Directory (doesFileExist)
import System.Environment (getArgs)
import System.Exit (ExitCode (..), exitWith)
import System.Process (readProcessWithExitCode)
import Text.Read (readMaybe)

import qualified Data.ByteString.Builder as B
import System.IO (hPutStrLn, stderr, stdout)
import DLScratch.Array (Tensor (..))
import DLScratch.Json (J (..), encodeJ, matrixJ, tensorJ, vectorJ)
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Layers (Dense (..))
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng (mkGen, rand)
import DLScratch.Train (Model (DeepConvModel), modelArrays)

inputN, outputN :: Int
inputN = 784
outputN = 10

-- | §9's inputs: one generator seeded with 0 draws @x = rand(batch, 784)@,
-- then W1, W2 as TwoLayerNet's init (std 0.01); @t_i = i mod 10@.
benchInputs :: Int -> Int -> (Net, Matrix Double, Targets)
benchInputs hidden batch = (net, reshape inputN xv, t)
  where
    (xv, g1) = rand [batch, inputN] (mkGen 0)
    (net, _) = initTwoLayerNet inputN hidden outputN 0.01 g1
    t = TLabels (Labels (VS.generate batch (`mod` outputN)))

-- | §9's inputs for SimpleConvNet: @x = rand(batch, 784)@ as N × 1 × 28 × 28 (one image a row),
-- then W1, W2, W3 as simple_conv_net.init draws them (the book's conv_param, std 0.01).
convInputs :: Int -> Int -> (ConvNet, Matrix Double, Targets)
convInputs hidden batch = (net, reshape inputN xv, t)
  where
    (xv, g1) = rand [batch, inputN] (mkGen 0)
    (net, _) = initConvNet (InputDim 1 28 28) defaultConvParam hidden outputN 0.01 g1
    t = TLabels (Labels (VS.generate batch (`mod` outputN)))

-- | §9's inputs for DeepConvNet: @x = rand(batch, 784)@ as N × 1 × 28 × 28, then W1 … W8 as
-- deep_conv_net.init draws them (He's scales); its masks those of seed 0 (init's), every step.
deepInputs :: Int -> Int -> (DeepConvNet, Matrix Double, Targets)
deepInputs hidden batch = (net, reshape inputN xv, t)
  where
    (xv, g1) = rand [batch, inputN] (mkGen 0)
    (net, _) = initDeepConvNet (InputDim 1 28 28) hidden outputN g1
    t = TLabels (Labels (VS.generate batch (`mod` outputN)))

-- | The book's step: backpropagation (the loss, dx1 and the gradients), then
-- @p ← p − 0.1·g@ for W1, b1, W2, b2.
trainStep :: Matrix Double -> Targets -> Net -> (Backprop, Net)
trainStep x t net = (bp, net { layers = sgdStep (layers net) (bpGrads bp) })
  where bp = backprop net x t

-- | SimpleConvNet's step: its backpropagation (dx1 = col2im(dout·W_col) included), then SGD lr 0.1
-- on W1, b1, W2, b2, W3, b3.
convStep :: Matrix Double -> Targets -> ConvNet -> (Backprop, ConvNet)
convStep x t net = (bp, withConvNetParams (sgdStep (convNetParams net) (bpGrads bp)) net)
  where bp = convNetBackprop net x t

-- | DeepConvNet's step: the backpropagation of a training-mode pass with seed 0's masks (dx1 of the
-- first convolution included), then SGD lr 0.1 on W1, b1, …, W8, b8.
deepStep :: Matrix Double -> Targets -> DeepConvNet -> (Backprop, DeepConvNet)
deepStep x t net = (bp, withDeepConvNetParams (sgdStep (deepConvNetParams net) (bpGrads bp)) net)
  where bp = deepConvNetBackprop net x t

-- | Multiply-adds of one image's forward products in DeepConvNet: each convolution's
-- OH·OW·FN·(C·3·3) (a pad-p layer makes a side s into s + 2p − 2, a pooling into s // 2), then
-- the Affines' (64·PH·PW)·hidden + hidden·10: 8,772,340 for hidden 50.
deepMacs :: Int -> Int
deepMacs hidden = convs + channels * side * side * hidden + hidden * outputN
  where
    (convs, channels, side) = foldl layer (0, 1, 28) (zip [1 ..] deepConvs)
    layer (m, c, s0) (i, (filters, pad)) =
      let s1 = s0 + 2 * pad - 2
          s2 = if i `elem` deepPoolAfter then s1 `div` 2 else s1
      in (m + s1 * s1 * filters * c * 9, filters, s2)

-- | @p ← p − 0.1·g@
sgdStep :: Params -> Grads -> Params
sgdStep ps gs = fst (update sgd (initState sgd ps) ps gs) where sgd = SGD 0.1

-- | Minor page faults of this process so far (field 10 of /proc/self/stat).
minorFaults :: IO Int
minorFaults = do
  stat <- readFile "/proc/self/stat"
  let fields = words (reverse (takeWhile (/= ')') (reverse stat)))
  maybe (fail "/proc/self/stat: no minor fault count") pure (readMaybe (fields !! 7))

-- | ms per step of each repeat (after 3 warm-up steps), and the page faults
-- per timed step. Each step is forced to completion (the loss, dx1, the new
-- parameters) before the next one starts.
stepTimes :: NFData n => Int -> Int -> (n -> (Backprop, n)) -> n -> IO ([Double], Double)
stepTimes repeats steps step net0 = do
  let loop 0 net = pure net
      loop k net = do
        (_, net') <- evaluate (force (step net))
        loop (k - 1 :: Int) net'
  net1 <- loop 3 net0
  let go 0 _ acc faults = pure (reverse acc, fromIntegral faults / fromIntegral (repeats * steps))
      go r net acc faults = do
        f0 <- minorFaults
        start <- getMonotonicTime
        net' <- loop steps net
        end <- getMonotonicTime
        f1 <- minorFaults
        go (r - 1 :: Int) net' (1000 * (end - start) / fromIntegral steps : acc) (faults + f1 - f0)
  go repeats net1 [] (0 :: Int)

-- | One step's values before its update, as §9's --check line: for SimpleConvNet dx1 is
-- N × 1 × 28 × 28 and W1 30 × 1 × 5 × 5; for DeepConvNet W1 … W6 are FN × C × 3 × 3.
checkJ :: String -> Int -> Int -> J
checkJ "deep_conv_net" hidden batch = JObj
  [ ("loss", JNum (bpLoss bp)), ("dx1", tensorJ (Tensor [rows (bpDx bp), 1, 28, 28] (flatten (bpDx bp))))
  , ("grads", JObj [ (k, tensorJ (Tensor sh v)) | (k, sh, v) <- modelArrays (DeepConvModel (withDeepConvNetParams (bpGrads bp) n)) ]) ]
  where
    (n, x, t) = deepInputs hidden batch
    bp = deepConvNetBackprop n x t
checkJ net hidden batch = JObj
  [ ("loss", JNum (bpLoss bp)), ("dx1", if conv then images (bpDx bp) else matrixJ (bpDx bp))
  , ("grads", JObj (concat [ [("W" <> k, weightJ k w), ("b" <> k, vectorJ b)]
                           | (k, Dense w b) <- zip ["1", "2", "3"] (bpGrads bp) ])) ]
  where
    conv = net == "simple_conv_net"
    bp = if conv then let (n, x, t) = convInputs hidden batch in convNetBackprop n x t
         else let (n, x, t) = benchInputs hidden batch in backprop n x t
    images m = tensorJ (Tensor [rows m, 1, 28, 28] (flatten m))
    ConvParam _ fs _ _ = defaultConvParam
    weightJ k w | conv && k == "1" = tensorJ (Tensor [rows w, 1, fs, fs] (flatten w))
                | otherwise = matrixJ w

median :: [Double] -> Double
median xs = let s = sort xs; n = length s
            in if odd n then s !! (n `div` 2) else (s !! (n `div` 2 - 1) + s !! (n `div` 2)) / 2

-- | The Python reference's ms/step (python -m dlscratch.bench --json), if the venv exists.
pythonFigure :: Opts -> IO (Either String Double)
pythonFigure o = do
  let py = "../.venv/bin/python"
  ok <- doesFileExist py
  if not ok then pure (Left "no ../.venv/bin/python (run scripts/setup)") else do
    r <- try (readProcessWithExitCode py ["-m", "dlscratch.bench", "--json", "--net", oNet o, "--repeats", show (oRepeats o)
                                         , "--steps", show (oSteps o), "--hidden", show (hiddenOf o), "--batch", show (oBatch o)] "")
    pure $ case r of
      Left e -> Left (show (e :: SomeException))
      Right (ExitSuccess, out, _) -> case A.decode (BL.pack (last ("" : lines out))) of
        Just (A.Object ob) | Just (A.Number s) <- KM.lookup "ms_per_step" ob -> Right (Sci.toRealFloat s)
        _ -> Left ("unexpected output: " ++ out)
      Right (_, _, err) -> Left err

-- | The options of shared_tests/README.md §9.
data Opts = Opts
  { oNet :: String
  , oRepeats, oSteps, oBatch :: Int
  , oHidden :: Maybe Int
  , oCheck, oReference, oJson :: Bool
  }

-- | --hidden, by default 50 for TwoLayerNet and DeepConvNet, 100 for SimpleConvNet.
hiddenOf :: Opts -> Int
hiddenOf o = fromMaybe (if oNet o == "simple_conv_net" then 100 else 50) (oHidden o)

data Command = ShowHelp | Bench Opts

usage :: String
usage = unlines
  [ "usage: bin/bench [--net NAME] [--repeats N] [--steps N] [--hidden N] [--batch N] [--check] [--no-reference] [--json]"
  , ""
  , "Times the book's TwoLayerNet training step (784-N-10, float64: forward, SoftmaxWithLoss, the whole"
  , "backward including the first Affine's dx, SGD lr 0.1; every value forced), or with --net"
  , "simple_conv_net the SimpleConvNet step (30 filters of 5x5 on 1x28x28, 2x2 pooling, N hidden, 10"
  , "classes; the convolution's dx included), or with --net deep_conv_net the DeepConvNet step (six 3x3"
  , "convolutions, three 2x2 poolings, N hidden, 10 classes, training mode with the masks of seed 0; the first"
  , "convolution's dx included), on the inputs of shared_tests/README.md section 9: the median over the"
  , "repeats, and the Python reference's figure (python -m dlscratch.bench) in the same run."
  , ""
  , "  --net NAME       two_layer_net, simple_conv_net or deep_conv_net (default: two_layer_net)"
  , "  --repeats N      timed repeats, N >= 1; the median is reported (default: 7)"
  , "  --steps N        steps per repeat, N >= 1 (default: 50)"
  , "  --hidden N       hidden units, N >= 1 (default: 50; 100 for simple_conv_net; 50 for deep_conv_net)"
  , "  --batch N        images per batch, N >= 1 (default: 100)"
  , "  --check          instead of timing: the loss, dx1 and gradients of one step as one JSON line (default: off)"
  , "  --no-reference   do not run the Python reference (default: off)"
  , "  --json           last line {\"port\": \"haskell\", \"ms_per_step\": ..., \"page_faults_per_step\": ..., ...} (default: off)"
  , "  -h, --help       this text"
  ]

-- | The command line, or what is wrong with it (one line).
parseArgs :: [String] -> Either String Command
parseArgs = go (Opts "two_layer_net" 7 50 100 Nothing False True False)
  where
    go o args = case args of
      [] -> Right (Bench o)
      (a : _) | a `elem` ["--help", "-h"] -> Right ShowHelp
      ("--check" : rest) -> go o { oCheck = True } rest
      ("--no-reference" : rest) -> go o { oReference = False } rest
      ("--json" : rest) -> go o { oJson = True } rest
      (a : rest) | "--" `isPrefixOf` a, (flag, '=' : val) <- break (== '=') a -> go o (flag : val : rest)
      ("--net" : v : rest)
        | v `elem` ["two_layer_net", "simple_conv_net", "deep_conv_net"] -> go o { oNet = v } rest
        | otherwise -> Left ("--net " ++ show v ++ ": not one of two_layer_net, simple_conv_net, deep_conv_net")
      (flag : rest) | Just set <- lookup flag counts -> case rest of
        v : rest' -> count flag v >>= \n -> go (set n o) rest'
        [] -> Left (flag ++ " needs a value")
      (a : _) | "-" `isPrefixOf` a -> Left ("unknown option " ++ a)
              | otherwise -> Left ("unexpected argument " ++ show a)
    counts =
      [ ("--repeats", \n o -> o { oRepeats = n }), ("--steps", \n o -> o { oSteps = n })
      , ("--hidden", \n o -> o { oHidden = Just n }), ("--batch", \n o -> o { oBatch = n }) ]
    count f v = case readMaybe v :: Maybe Integer of
      Just n | n >= 1 && n <= toInteger (maxBound :: Int) -> Right (fromInteger n)
      _ -> Left (f ++ " " ++ show v ++ ": expected a whole number >= 1")

main :: IO ()
main = do
  args <- getArgs
  case parseArgs args of
    Left err -> hPutStrLn stderr ("bin/bench: " ++ err) >> exitWith (ExitFailure 2)
    Right ShowHelp -> putStr usage
    Right (Bench o)
      | oCheck o -> B.hPutBuilder stdout (encodeJ (checkJ (oNet o) (hiddenOf o) (oBatch o)) <> B.char7 '\n')
      | otherwise -> bench o

bench :: Opts -> IO ()
bench o = do
  let conv = oNet o == "simple_conv_net"
      deep = oNet o == "deep_conv_net"
      hidden = hiddenOf o
      shape | conv = "conv 30x5x5-pool-" ++ show hidden ++ "-10"
            | deep = "6 conv 3x3-3 pool-" ++ show hidden ++ "-10"
            | otherwise = "784-" ++ show hidden ++ "-10"
      timed step (net, x, _) = evaluate x >> stepTimes (oRepeats o) (oSteps o) step net
  (times, faults) <- case () of
    _ | conv -> let i@(_, x, t) = convInputs hidden (oBatch o) in timed (convStep x t) i
      | deep -> let i@(_, x, t) = deepInputs hidden (oBatch o) in timed (deepStep x t) i
      | otherwise -> let i@(_, x, t) = benchInputs hidden (oBatch o) in timed (trainStep x t) i
  let ms = median times
      -- multiply-adds, 2 flops each: the convolution's col·W_colᵀ, doutᵀ·col, dout·W_col (576 windows
      -- of 25 for 30 filters) and the Affines' three products each
      -- (DeepConvNet: the three products of each of its convolutions and Affines, deepMacs)
      flops = fromIntegral (3 * 2 * oBatch o * perImage) :: Double
      perImage | conv = 576 * 30 * 25 + 4320 * hidden + hidden * outputN
               | deep = deepMacs hidden
               | otherwise = inputN * hidden + hidden * outputN
      f3 x = showFFloat (Just 3) x ""
      gflops = flops / (ms * 1e6)
  if oJson o
    then B.hPutBuilder stdout (encodeJ (JObj
           [ ("port", JStr "haskell"), ("net", JStr (T.pack (oNet o))), ("ms_per_step", JNum ms), ("page_faults_per_step", JNum faults)
           , ("repeats", JArr (map JNum times)), ("gflops", JNum gflops) ]) <> B.char7 '\n')
    else putStrLn ("haskell " ++ f3 ms ++ " ms/step (" ++ shape ++ ", batch " ++ show (oBatch o)
                   ++ "; median of " ++ show (oRepeats o) ++ " x " ++ show (oSteps o) ++ ")  "
                   ++ showFFloat (Just 2) gflops "" ++ " GFLOP/s  " ++ showFFloat (Just 1) faults "" ++ " page faults/step")
  when (oReference o && not (oJson o)) $ do
    p <- pythonFigure o
    case p of
      Left e -> putStrLn ("python  (not measured: " ++ e ++ ")")
      Right pms -> do
        putStrLn ("python  " ++ f3 pms ++ " ms/step")
        putStrLn ("ratio   haskell / python = " ++ showFFloat (Just 2) (ms / pms) "")
