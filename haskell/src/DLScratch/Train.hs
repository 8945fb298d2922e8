{-# LANGUAGE BangPatterns, OverloadedStrings #-}
-- | The training loop of the book's @train_neuralnet.py@ for TwoLayerNet:
-- each iteration draws a batch with replacement, computes the gradient by
-- backpropagation, updates, then records the loss on that batch.
--
-- The loop is a lazy list of states, one per iteration, so a caller can
-- print progress or evaluate accuracies between iterations without the
-- loop knowing about it.
module DLScratch.Train
  ( TrainConfig (..)
  , defaultTrainConfig
  , TrainState (..)
  , trainSteps
  , initialState
  , trainStepsFrom
  , trainTwoLayerNet
  , batchOf
  , iterPerEpoch
  , fmodExact
  , epochAfter
    -- * Parameters files
  , Model (..)
  , modelArrays
  , modelParams
  , withModelParams
  , writeParams
  , ParamsText (..)
  , readParams
  ) where

import Control.Exception (IOException, try)
import qualified Data.Aeson as A
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import Data.Text (Text)
import qualified Data.Text as T
import Numeric.LinearAlgebra (Vector)
import System.IO (Handle)
import DLScratch.Array (Shape)
import DLScratch.Json (J (..), decodeLine, encodeJ, memberKeys, vectorJ)
import DLScratch.Layers (Convolution (..), Dense (..))
import DLScratch.Util (Window (..))

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, cols, flatten, reshape, rows)
import DLScratch.Functions (Labels (..), labelTargets)
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng (Gen, choice, mkGen)

-- region: train_loop
data TrainConfig = TrainConfig
  { hiddenSize :: !Int
  , outputSize :: !Int
  , weightInitStd :: !Double
  , batchSize :: !Int
  , iters :: !Int
  , seed :: !Int
  , optimizer :: !Optimizer
  } deriving (Show)

-- | hidden 50, output 10, std 0.01, batch 100, 10000 iterations, seed 0, SGD lr 0.1.
defaultTrainConfig :: TrainConfig
defaultTrainConfig = TrainConfig 50 10 0.01 100 10000 0 (SGD 0.1)

-- | The state after an iteration (iteration 0 is the initial network, with
-- a NaN loss, before any update).
data TrainState = TrainState
  { stIter :: !Int
  , stLoss :: !Double
  , stNet :: !Net
  , stOpt :: !(OptState [Dense])
  , stGen :: !Gen
  }

-- part: helper
-- | The rows @idx@ of x (each row one block copy) and their labels.
batchOf :: Matrix Double -> Labels -> VS.Vector Int -> (Matrix Double, Labels)
batchOf x (Labels t) idx = (reshape c (VS.concat (map row (VS.toList idx))), Labels (VS.map (t VS.!) idx))
  where
    c = cols x
    xv = flatten x
    row i = VS.slice (i * c) c xv

-- part: init
-- | The states after iterations 1..iters: one generator seeded with the
-- seed draws W1, W2, then each batch as @choice(train_size, batch_size)@.
trainSteps :: TrainConfig -> Matrix Double -> Labels -> [TrainState]
trainSteps cfg x t = trainStepsFrom cfg x t (initialState cfg (cols x))

-- | The state before iteration 0: the network of @input_size@ columns that the seed draws, the
-- optimizer's initial state and the generator after the weights.
initialState :: TrainConfig -> Int -> TrainState
initialState cfg inputSize = TrainState 0 (0 / 0) net0 (initState (optimizer cfg) (layers net0)) g0
  where (net0, g0) = initTwoLayerNet inputSize (hiddenSize cfg) (outputSize cfg) (weightInitStd cfg) (mkGen (seed cfg))

-- part: step
-- | The states after the iterations that follow a state, up to iters (a resumed run: the
-- state of a checkpoint gives the iterations it had not done, the same as the whole run's).
trainStepsFrom :: TrainConfig -> Matrix Double -> Labels -> TrainState -> [TrainState]
trainStepsFrom cfg x t s0 = take (iters cfg - stIter s0) (drop 1 (iterate stepOnce s0))
  where
    opt = optimizer cfg
    n = rows x
    stepOnce (TrainState i _ net st g) =
      let (idx, g') = choice n (batchSize cfg) g
          (xb, tb) = batchOf x t idx
          tt = labelTargets (outputSize cfg) tb
          grads = gradient net xb tt
          (ps, st') = update opt st (layers net) grads
          net' = net { layers = ps }
          !l = loss net' xb tt
      in TrainState (i + 1) l net' st' g'

-- part: epoch
-- | The book's @iter_per_epoch = max(train_size / batch_size, 1)@ with the
-- float64 (true) division: 60000 images in batches of 128 give 468.75.
iterPerEpoch :: Int -> Int -> Double
iterPerEpoch trainSize batch = max (fromIntegral trainSize / fromIntegral batch) 1

-- | IEEE @fmod(x, y) = x − trunc(x / y)·y@, exactly (fmod has no rounding),
-- computed in 'Rational' ("Data.Fixed".mod' works in Double and rounds).
fmodExact :: Double -> Double -> Rational
fmodExact x y = rx - fromInteger (truncate (rx / ry)) * ry
  where
    rx = toRational x
    ry = toRational y

-- | @Just K@ when the book's loop evaluates after iteration i (0-based),
-- @i % iter_per_epoch == 0@, with @K = i / iter_per_epoch@ (whole then):
-- with 468.75 after iterations 0, 1875, 3750, ...; with 60000 / 7 only after 0.
epochAfter :: Double -> Int -> Maybe Integer
epochAfter perEpoch i
  | fmodExact (fromIntegral i) perEpoch == 0 = Just (truncate (toRational i / toRational perEpoch))
  | otherwise = Nothing

-- part: train
-- | The whole run: the loss history and the final network.
trainTwoLayerNet :: TrainConfig -> Matrix Double -> Labels -> ([Double], Net)
trainTwoLayerNet cfg x t = go [] (initialNet) (trainSteps cfg x t)
  where
    (initialNet, _) = initTwoLayerNet (cols x) (hiddenSize cfg) (outputSize cfg) (weightInitStd cfg) (mkGen (seed cfg))
    go acc net [] = (reverse acc, net)
    go acc _ (s : ss) = let !l = stLoss s in go (l : acc) (stNet s) ss
-- endregion

-- region: save_params
-- | A network that a parameters file holds (the kinds bin/train saves).
data Model = TwoLayerModel Net | SimpleConvModel ConvNet | DeepConvModel DeepConvNet

-- | Its parameters in the network's order W1, b1, W2, b2, …: each name, shape and row-major values
-- (a convolution's W as FN × C × FH × FW).
modelArrays :: Model -> [(Text, Shape, Vector Double)]
modelArrays model = concat [ [("W" <> i, sh, flatten w), ("b" <> i, [VS.length b], b)]
                           | (i, (Dense w b, sh)) <- zip (map (T.pack . show) [1 :: Int ..]) (zip ps shapes) ]
  where
    (ps, windows) = case model of
      TwoLayerModel net -> (layers net, [])
      SimpleConvModel net -> (convNetParams net, [convWindow (convNetConv net)])
      DeepConvModel net -> (deepConvNetParams net, map convWindow (deepConvLayers net))
    shapes = [ [rows w, cols w `div` (fh * fw), fh, fw] | (Dense w _, Window fh fw _ _) <- zip ps windows ]
             ++ [ [rows w, cols w] | Dense w _ <- drop (length windows) ps ]

-- | Its parameters in the network's order, every W as rows (a convolution's as W_col).
modelParams :: Model -> Params
modelParams model = case model of
  TwoLayerModel net -> layers net
  SimpleConvModel net -> convNetParams net
  DeepConvModel net -> deepConvNetParams net

-- | The network with other parameters of the same shapes (an optimizer's state in a network's
-- shapes, for 'modelArrays').
withModelParams :: Params -> Model -> Model
withModelParams ps model = case model of
  TwoLayerModel net -> TwoLayerModel net { layers = ps }
  SimpleConvModel net -> SimpleConvModel (withConvNetParams ps net)
  DeepConvModel net -> DeepConvModel (withDeepConvNetParams ps net)

-- | save_params: the portable parameters file of README §8, @{"format": "dlscratch-params",
-- "version": 1, "port": "haskell", "network": …, "params": {"W1": {"shape": […], "data": […]}, …}}@,
-- every number written so that it reads back to the same double.
writeParams :: Handle -> J -> Model -> IO ()
writeParams h network model = B.hPutBuilder h (encodeJ file <> B.char7 '\n')
  where
    file = JObj
      [ ("format", JStr "dlscratch-params"), ("version", JInt 1), ("port", JStr "haskell"), ("network", network)
      , ("params", JObj [ (k, JObj [("shape", JArr (map JInt sh)), ("data", vectorJ v)])
                        | (k, sh, v) <- modelArrays model ]) ]

-- | A parameters file as read: its JSON, and the names of its params in the file's order.
data ParamsText = ParamsText { paramsJson :: A.Value, paramsOrder :: Maybe [Text] }

-- | load_params' reading: the file as one JSON text, or why it cannot be read as one.
readParams :: FilePath -> IO (Either String ParamsText)
readParams path = either (\e -> Left (show (e :: IOException))) parse <$> try (BS.readFile path)
  where parse bytes = (\v -> ParamsText v (memberKeys ["params"] bytes)) <$> decodeLine bytes
-- endregion
