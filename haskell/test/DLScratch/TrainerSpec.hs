-- | The book's Trainer: its number of steps and evaluations, the draws of its generator, the
-- loss it records.
module DLScratch.TrainerSpec (spec) where

import Data.Maybe (isJust)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, (><))
import Test.Hspec
import DLScratch.Functions (Labels (..), labelTargets)
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng
import DLScratch.Train (batchOf)
import DLScratch.Trainer

-- | n images of 3 pixels drawn from the seed, labels i mod 2 (train) and (i + 1) mod 2 (test).
dataOf :: Int -> Int -> TrainerData
dataOf seed' n =
  let (xv, g) = rand [n, 3] (mkGen seed')
      (yv, _) = rand [n, 3] g
  in TrainerData ((n >< 3) (VS.toList xv)) (Labels (VS.generate n (`mod` 2)))
                 ((n >< 3) (VS.toList yv)) (Labels (VS.generate n (\i -> (i + 1) `mod` 2)))

-- | TwoLayerNet(3, 4, 2) drawn from seed 1, and the generator after it.
twoLayer :: (Net, Gen)
twoLayer = initTwoLayerNet 3 4 2 0.1 (mkGen 1)

spec :: Spec
spec = describe "Trainer (common/trainer.py)" $ do
  let config e b = defaultTrainerConfig { epochs = e, miniBatchSize = b, trainerOptimizer = SGD 0.1 }
      counts cfg n = let steps = uncurry (trainerSteps cfg (dataOf 3 n)) twoLayer
                     in (length steps, [stepIter s | s <- steps, isJust (stepAccuracies s)])
  it "max_iter = int(epochs·max(N / batch, 1)); evaluations when i mod iter_per_epoch == 0 exactly" $ do
    counts (config 2 4) 12 `shouldBe` (6, [0, 3])        -- 3 steps an epoch
    counts (config 3 3) 10 `shouldBe` (10, [0])          -- 10/3 steps an epoch: only step 0
    counts (config 3 20) 10 `shouldBe` (3, [0, 1, 2])    -- max(0.5, 1) = 1
    counts (config 5 8) 20 `shouldBe` (12, [0, 5, 10])   -- 2.5 steps an epoch
  it "train: the book's lists, one loss per step and one pair of accuracies per evaluation" $ do
    let r = uncurry (train (config 2 4) (dataOf 3 12)) twoLayer
    length (trainLossList r) `shouldBe` 6
    (length (trainAccList r), length (testAccList r)) `shouldBe` (2, 2)
    all (\a -> a >= 0 && a <= 1) (testAcc r : trainAccList r ++ testAccList r) `shouldBe` True
  it "a step: choice(N, batch) from the generator after the weights, the gradient, the update, the batch's loss" $ do
    let dat = dataOf 3 12
        (net0, g1) = twoLayer
        (idx, g2) = choice 12 4 g1
        (xb, tb) = batchOf (xTrain dat) (tTrain dat) idx
        t = labelTargets 2 tb
        (ps, _) = update (SGD 0.1) (initState (SGD 0.1) (layers net0)) (layers net0) (gradient net0 xb t)
        first = head (trainerSteps (config 2 4) dat net0 g1)
    stepLoss first `shouldBe` loss net0 { layers = ps } xb t
    stepGen first `shouldBe` g2
  it "a network with Dropout: after the batch one more uniform u, the masks' seed floor(u·2^31)" $ do
    let dat = dataOf 4 12
        (net0, g1) = initExtendNet Relu He 0 (Just 0.4) True [3, 5, 2] (mkGen 2)
        (idx, g2) = choice 12 4 g1
        (u, g3) = nextUniform g2
        seeded = net0 { extDropoutSeed = floor (u * 2 ^ (31 :: Int)) }
        (xb, tb) = batchOf (xTrain dat) (tTrain dat) idx
        t = labelTargets 2 tb
        (grads, trained) = extendGradient seeded xb t
        (ps, _) = update (SGD 0.1) (initState (SGD 0.1) (extendParams net0)) (extendParams trained) grads
        after = withExtendParams ps trained
        first = head (trainerSteps (config 2 4) dat net0 g1)
    stepGen first `shouldBe` g3
    extDropoutSeed (stepNet first) `shouldBe` extDropoutSeed seeded
    -- the recorded loss is a test-mode pass, with the running statistics of the training pass
    stepLoss first `shouldBe` fst (extendLoss False after xb t)
    runningStats (stepNet first) `shouldBe` runningStats trained
    runningStats trained `shouldSatisfy` all (\(m, v) -> VS.any (/= 0) m && VS.all (> 0) v)
  it "DeepConvNet: the step's mask seed for the gradient and for the loss after the update, a training-mode pass" $ do
    let (xv, gx) = rand [12, 16] (mkGen 6)
        x = (12 >< 16) (VS.toList xv)
        dat = TrainerData x (Labels (VS.generate 12 (`mod` 3))) x (Labels (VS.generate 12 (`mod` 3)))
        (net0, g1) = initDeepConvNet (InputDim 1 4 4) 4 3 gx
        (idx, g2) = choice 12 4 g1
        (u, g3) = nextUniform g2
        seeded = net0 { deepDropoutSeed = floor (u * 2 ^ (31 :: Int)) }
        (xb, tb) = batchOf x (tTrain dat) idx
        t = labelTargets 3 tb
        (ps, _) = update (SGD 0.1) (initState (SGD 0.1) (deepConvNetParams net0)) (deepConvNetParams net0)
                         (deepConvNetGradient seeded xb t)
        first = head (trainerSteps (config 2 4) dat net0 g1)
    stepGen first `shouldBe` g3
    stepLoss first `shouldBe` deepConvNetLoss True (withDeepConvNetParams ps seeded) xb t
    stepLoss first `shouldSatisfy` (/= deepConvNetLoss False (withDeepConvNetParams ps seeded) xb t)
  it "evaluate_sample_num_per_epoch: the first k images (k = 1: an accuracy of 0 or 1)" $ do
    let r = uncurry (train (config 2 4) { evaluateSampleNumPerEpoch = Just 1 } (dataOf 3 12)) twoLayer
    (trainAccList r ++ testAccList r) `shouldSatisfy` all (`elem` [0, 1])
  it "training lowers the loss (Adam on a separable set)" $ do
    let n = 40
        xs = (n >< 3) (concat [[fromIntegral (i `mod` 2), 0.5, 1 - fromIntegral (i `mod` 2)] | i <- [0 .. n - 1]]) :: Matrix Double
        dat = TrainerData xs (Labels (VS.generate n (`mod` 2))) xs (Labels (VS.generate n (`mod` 2)))
        (net0, g) = initExtendNet Relu He 0 Nothing True [3, 8, 2] (mkGen 5)
        r = train (config 10 10) { trainerOptimizer = Adam 0.01 0.9 0.999 } dat net0 g
    last (trainLossList r) `shouldSatisfy` (< head (trainLossList r))
    testAcc r `shouldBe` 1
