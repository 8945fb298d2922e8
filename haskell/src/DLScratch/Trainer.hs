{-# LANGUAGE BangPatterns, FlexibleContexts, TypeFamilies #-}
-- | The book's Trainer (@common/trainer.py@): mini-batch training of any of the book's networks,
-- with an evaluation at every epoch and a final test accuracy.
--
-- As "DLScratch.Train", the run is a lazy list of states, one per step, so a caller can show
-- progress between steps; 'train' folds it into the book's lists.
module DLScratch.Trainer
  ( Network (..)
  , TrainerConfig (..)
  , defaultTrainerConfig
  , TrainerData (..)
  , TrainerStep (..)
  , Trained (..)
  , maxIter
  , trainerSteps
  , resumedStep
  , trainerStepsFrom
  , finalTestAccuracy
  , train
  , trainM
  ) where

import Data.Functor.Identity (runIdentity)

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, cols, rows, takeRows)
import DLScratch.Functions (Labels (..), Targets, labelTargets)
import DLScratch.Layers (Dense (..))
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng (Gen, choice, maxSeed, nextUniform)
import DLScratch.Train (batchOf, epochAfter, iterPerEpoch)

-- region: trainer
-- | What the Trainer asks of a network.
class Parameters (Weights n) => Network n where
  -- | The parameters an optimizer updates.
  type Weights n
  weights :: n -> Weights n
  withWeights :: Weights n -> n -> n
  -- | The number of classes (the columns of the scores).
  outputSize :: n -> Int
  -- | The gradient of a training-mode pass, and the network after it (its running statistics).
  trainingGradient :: n -> Matrix Double -> Targets -> (Weights n, n)
  -- | The loss in the network's default mode (test mode for MultiLayerNetExtend).
  defaultLoss :: n -> Matrix Double -> Targets -> Double
  testAccuracy :: n -> Matrix Double -> Targets -> Double
  -- | With Dropout: the network whose masks are drawn from the given seed.
  withDropoutSeed :: n -> Maybe (Int -> n)

instance Network Net where
  type Weights Net = Params
  weights = layers
  withWeights ps net = net { layers = ps }
  outputSize = cols . weight . last . layers
  trainingGradient net x t = (gradient net x t, net)
  defaultLoss = loss
  testAccuracy = accuracy
  withDropoutSeed _ = Nothing

instance Network ExtendNet where
  type Weights ExtendNet = ExtendParams
  weights = extendParams
  withWeights = withExtendParams
  outputSize = cols . weight . last . extAffines
  trainingGradient = extendGradient
  defaultLoss net x t = fst (extendLoss False net x t)
  testAccuracy = extendAccuracy
  withDropoutSeed net = (\s -> net { extDropoutSeed = s }) <$ extDropout net

-- | SimpleConvNet: a batch is a matrix of one image per row.
instance Network ConvNet where
  type Weights ConvNet = Params
  weights = convNetParams
  withWeights = withConvNetParams
  outputSize = cols . weight . convNetOutput
  trainingGradient net x t = (convNetGradient net x t, net)
  defaultLoss = convNetLoss
  testAccuracy = convNetAccuracy
  withDropoutSeed _ = Nothing

-- | DeepConvNet: its loss in the default mode is a training-mode pass with the step's masks.
instance Network DeepConvNet where
  type Weights DeepConvNet = Params
  weights = deepConvNetParams
  withWeights = withDeepConvNetParams
  outputSize = cols . weight . deepOutput
  trainingGradient net x t = (deepConvNetGradient net x t, net)
  defaultLoss = deepConvNetLoss True
  testAccuracy = deepConvNetAccuracy
  withDropoutSeed net = Just (\s -> net { deepDropoutSeed = s })

-- | epochs, mini_batch_size, the optimizer and evaluate_sample_num_per_epoch (Nothing: all).
data TrainerConfig = TrainerConfig
  { epochs :: !Int
  , miniBatchSize :: !Int
  , trainerOptimizer :: !Optimizer
  , evaluateSampleNumPerEpoch :: !(Maybe Int)
  } deriving (Show)

-- | The book's defaults: 20 epochs of batches of 100, SGD lr 0.01, every image evaluated.
defaultTrainerConfig :: TrainerConfig
defaultTrainerConfig = TrainerConfig 20 100 (SGD 0.01) Nothing

-- | x_train, t_train, x_test, t_test.
data TrainerData = TrainerData
  { xTrain :: !(Matrix Double), tTrain :: !Labels, xTest :: !(Matrix Double), tTest :: !Labels }

-- | The state after a step: its index i (0-based), its batch's loss, the accuracies on the
-- train and test samples when step i ended an epoch, the network, the optimizer and the generator.
data TrainerStep n = TrainerStep
  { stepIter :: !Int
  , stepLoss :: !Double
  , stepAccuracies :: !(Maybe (Double, Double))
  , stepNet :: !n
  , stepOpt :: !(OptState (Weights n))
  , stepGen :: !Gen
  }

-- | The book's record of a run: train_loss_list, train_acc_list, test_acc_list, test_acc, the
-- trained network and the generator after the last step (for the draws that follow).
data Trained n = Trained
  { trainLossList, trainAccList, testAccList :: [Double], testAcc :: Double, trainedNet :: n
  , trainedGen :: Gen }

-- part: init
-- | @max_iter = int(epochs·iter_per_epoch)@, the product in float64 as the book's.
maxIter :: TrainerConfig -> Int -> Int
maxIter cfg trainSize = truncate (fromIntegral (epochs cfg) * iterPerEpoch trainSize (miniBatchSize cfg))

-- part: step
-- | The max_iter steps from the network and the generator that drew its weights: each draws
-- @choice(train_size, mini_batch_size)@, then with Dropout the masks' seed @floor(u·2^31)@,
-- takes the gradient, updates, and records the batch's loss; when @i mod iter_per_epoch == 0@
-- (exactly) the accuracies of the first evaluate_sample_num_per_epoch train and test images.
trainerSteps :: Network n => TrainerConfig -> TrainerData -> n -> Gen -> [TrainerStep n]
trainerSteps cfg dat net0 g0 = trainerStepsFrom cfg dat (resumedStep 0 net0 (initState (trainerOptimizer cfg) (weights net0)) g0)

-- | The state before step i (i steps done): the network, the optimizer's state and the generator
-- after step i − 1 (for i = 0 the initial network, the state before any update and the generator
-- after the weights).
resumedStep :: Int -> n -> OptState (Weights n) -> Gen -> TrainerStep n
resumedStep i net st g = TrainerStep (i - 1) (0 / 0) Nothing net st g

-- | The steps after a state, up to max_iter (a resumed run: the steps a checkpoint had not done,
-- the same as the whole run's).
trainerStepsFrom :: Network n => TrainerConfig -> TrainerData -> TrainerStep n -> [TrainerStep n]
trainerStepsFrom cfg dat s0 =
  take (maxIter cfg n - (stepIter s0 + 1)) (drop 1 (iterate step s0))
  where
    opt = trainerOptimizer cfg
    net0 = stepNet s0
    n = rows (xTrain dat)
    perEpoch = iterPerEpoch n (miniBatchSize cfg)
    targets = labelTargets (outputSize net0)
    sample x (Labels t) = case evaluateSampleNumPerEpoch cfg of
      Just k | k < rows x -> (takeRows k x, targets (Labels (VS.take k t)))
      _ -> (x, targets (Labels t))
    step (TrainerStep i _ _ net st g) =
      let (idx, g1) = choice n (miniBatchSize cfg) g
          (xb, tb) = batchOf (xTrain dat) (tTrain dat) idx
          (seeded, g2) = case withDropoutSeed net of
            Just seedWith -> let (u, g') = nextUniform g1 in (seedWith (floor (u * fromIntegral maxSeed)), g')
            Nothing -> (net, g1)
          (grads, trained) = trainingGradient seeded xb (targets tb)
          (ps, st') = update opt st (weights trained) grads
          net' = withWeights ps trained
          !l = defaultLoss net' xb (targets tb)
          accuracies = case epochAfter perEpoch (i + 1) of
            Just _ -> let !trainAcc = uncurry (testAccuracy net') (sample (xTrain dat) (tTrain dat))
                          !testAcc' = uncurry (testAccuracy net') (sample (xTest dat) (tTest dat))
                      in Just (trainAcc, testAcc')
            Nothing -> Nothing
      in TrainerStep (i + 1) l accuracies net' st' g2

-- part: train
-- | The accuracy on the whole test set, after the last step.
finalTestAccuracy :: Network n => TrainerData -> n -> Double
finalTestAccuracy dat net = testAccuracy net (xTest dat) (labelTargets (outputSize net) (tTest dat))

-- | The whole run, then the accuracy on the whole test set (one step held at a time).
train :: Network n => TrainerConfig -> TrainerData -> n -> Gen -> Trained n
train cfg dat net0 g0 = runIdentity (trainM (const (pure ())) cfg dat net0 g0)

-- | 'train' with an action after every step (the book's verbose output, a progress bar).
trainM :: (Monad m, Network n) => (TrainerStep n -> m ()) -> TrainerConfig -> TrainerData -> n -> Gen
       -> m (Trained n)
trainM onStep cfg dat net0 g0 = go [] [] net0 g0 (trainerSteps cfg dat net0 g0)
  where
    go losses accs net g [] =
      let acc = finalTestAccuracy dat net
      in pure (Trained (reverse losses) (map fst (reverse accs)) (map snd (reverse accs)) acc net g)
    go losses accs _ _ (s : rest) = s `seq` onStep s >>
      go (stepLoss s : losses) (maybe accs (: accs) (stepAccuracies s)) (stepNet s) (stepGen s) rest
-- endregion
