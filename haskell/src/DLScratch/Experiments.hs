{-# LANGUAGE OverloadedStrings #-}
-- | The experiments of the book's chapter 6 (@ch06/*.py@), one function each, on the port's own
-- networks, optimizers and Trainer. Every experiment draws from one generator, in the order of
-- shared_tests/README.md §13, and answers its results as JSON for scripts/figures; the IO is
-- only the progress callback between steps.
module DLScratch.Experiments
  ( Run (..)
  , Progress
  , Experiment (..)
  , experiments
  , scaled
  , naivePaths
  , histogram
  , logspace
  ) where

import Control.DeepSeq (force)
import Control.Monad (foldM)
import Data.List (mapAccumL)
import Data.Text (Text)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, flatten, reshape, rows, takeRows)
import DLScratch.Array (mmul)
import DLScratch.Datasets (Mnist (..))
import DLScratch.Functions
import DLScratch.Json (J (..))
import DLScratch.Layers (mapM')
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng (Gen, choice, nextUniform, permutation, randn)
import DLScratch.Train (batchOf, epochAfter, iterPerEpoch)
import DLScratch.Trainer (Trained (..), TrainerConfig (..), TrainerData (TrainerData), TrainerStep (..), trainM)

-- | The bar after a step: steps done, steps in all, named values to show.
type Progress = Int -> Int -> [(String, Double)] -> IO ()

-- | What an experiment gets: the scale, the data set (images byte / 255) and the progress bar.
data Run = Run { runScale :: Double, runData :: Mnist, runProgress :: Progress }

-- | An experiment: its name, a line of help, whether it reads the images, and what it does
-- with the generator seeded with --seed.
data Experiment = Experiment
  { experimentName :: String
  , experimentSummary :: String
  , usesImages :: Bool
  , runExperiment :: Run -> Gen -> IO J
  }

-- | The eight experiments, in the order of §13.
experiments :: [Experiment]
experiments =
  [ Experiment "optimizer_compare_naive" "figure 6-8, SGD, Momentum, AdaGrad and Adam on x^2/20 + y^2" False
      (\_ _ -> pure (JObj [("paths", JObj [(name, path xs ys) | (name, (xs, ys)) <- naivePaths])]))
  , Experiment "optimizer_compare_mnist" "figure 6-9, the four optimizers on 784-100x4-10 networks" True
      optimizerCompareMnist
  , Experiment "weight_init_activation_histogram" "figures 6-10 to 6-14, activations of 5 layers" False
      (\run g -> pure (weightInitActivationHistogram run g))
  , Experiment "weight_init_compare" "figure 6-15, std 0.01, Xavier and He weights" True weightInitCompare
  , Experiment "batch_norm_test" "figure 6-19, training with and without batch norm" True batchNormTest
  , Experiment "overfit_weight_decay" "figure 6-21, overfitting 300 images, weight decay 0.1" True
      overfitWeightDecay
  , Experiment "overfit_dropout" "figure 6-23, overfitting 300 images, Dropout 0.2" True overfitDropout
  , Experiment "hyperparameter_optimization" "figure 6-24, random search of lr and weight decay" True
      hyperparameterOptimization
  ]
  where path xs ys = JObj [("x", numbers xs), ("y", numbers ys)]

numbers :: [Double] -> J
numbers = JArr . map JNum

-- | @max(least, round(n·S))@, the tie to the even integer (Python's round).
scaled :: Run -> Int -> Int -> Int
scaled run least n = max least (round (fromIntegral n * runScale run))

-- | f(x, y) = x²/20 + y², ∇f = (x/10, 2y): 30 steps from (−7, 2) of SGD (lr 0.95), Momentum
-- (0.1), AdaGrad (1.5) and Adam (0.3), each path the points before every step.
naivePaths :: [(Text, ([Double], [Double]))]
naivePaths = [ (name, unzip (walk opt)) | (name, opt) <- optimizers ]
  where
    optimizers = [ ("SGD", SGD 0.95), ("Momentum", Momentum 0.1 0.9), ("AdaGrad", AdaGrad 1.5)
                 , ("Adam", Adam 0.3 0.9 0.999) ]
    grad :: VS.Vector Double -> VS.Vector Double
    grad p = let [x, y] = VS.toList p in VS.fromList [x / 10.0, 2.0 * y]
    walk opt = take 30 (map (\(p, _) -> let [x, y] = VS.toList p in (x, y)) (iterate step (p0, initState opt p0)))
      where step (p, st) = update opt st p (grad p)
    p0 = VS.fromList [-7.0, 2.0]

-- | The images and labels of the training set, and the labels as targets of 10 classes.
trainSet :: Run -> (Matrix Double, Labels)
trainSet run = (xTrain (runData run), tTrain (runData run))

-- | The first n rows and labels.
firstRows :: Int -> (Matrix Double, Labels) -> (Matrix Double, Labels)
firstRows n (x, Labels t) = (takeRows (min n (rows x)) x, Labels (VS.take n t))

-- | The loop of optimizer_compare_mnist.py and weight_init_compare.py: per iteration a batch
-- @choice(N, batch)@, then for every network in turn a step and the loss of the batch.
race :: Run -> Int -> [(Text, Net, Optimizer)] -> Gen -> IO J
race run iterations nets g0 = do
  let (x, t) = trainSet run
      loop i _ _ acc
        | i == iterations = pure (reverse <$> acc)
      loop i g states acc = do
        let (idx, g') = choice (rows x) 128 g
            (xb, tb) = batchOf x t idx
            tt = TLabels tb
            stepped = [ (net', st', loss net' xb tt)
                      | ((net, st), (_, _, opt)) <- zip states nets
                      , let (ps, st') = update opt st (layers net) (gradient net xb tt)
                      , let net' = net { layers = ps } ]
            losses = [l | (_, _, l) <- stepped]
        sum losses `seq` runProgress run (i + 1) iterations [("loss", last losses)]
        loop (i + 1) g' [(n, s) | (n, s, _) <- stepped] (zipWith (:) losses acc)
  curves <- loop 0 g0 [(net, initState opt (layers net)) | (_, net, opt) <- nets] (map (const []) nets)
  pure (JObj [ ("iterations", JInt iterations)
             , ("train_loss", JObj (zip [k | (k, _, _) <- nets] (map numbers curves))) ])

-- | MultiLayerNet(784, [100] × k, 10) with ReLU and the given weights, from the generator.
multiLayerNet :: Int -> WeightInit -> Double -> Gen -> (Net, Gen)
multiLayerNet k wi lam g = let (ds, g') = initLayers wi (784 : replicate k 100 ++ [10]) g in (Net Relu lam ds, g')

-- | Figure 6-9: SGD, Momentum, AdaGrad and Adam (the book's defaults) on networks drawn in that
-- order, batch 128, 2000·S iterations.
optimizerCompareMnist :: Run -> Gen -> IO J
optimizerCompareMnist run g0 = race run (scaled run 1 2000) (zipWith (\(k, o) n -> (k, n, o)) opts nets) g1
  where
    opts = [ ("SGD", SGD 0.01), ("Momentum", Momentum 0.01 0.9), ("AdaGrad", AdaGrad 0.01)
           , ("Adam", Adam 0.001 0.9 0.999) ]
    (g1, nets) = mapAccumL (\g _ -> swap (multiLayerNet 4 He 0 g)) g0 opts

-- | Figure 6-15: std 0.01, Xavier and He weights on ReLU networks, SGD lr 0.01, batch 128.
weightInitCompare :: Run -> Gen -> IO J
weightInitCompare run g0 = race run (scaled run 1 2000) (zipWith (\(k, _) n -> (k, n, SGD 0.01)) inits nets) g1
  where
    inits = [("std=0.01", StdDev 0.01), ("Xavier", Xavier), ("He", He)]
    (g1, nets) = mapAccumL (\g (_, wi) -> swap (multiLayerNet 4 wi 0 g)) g0 inits

swap :: (a, b) -> (b, a)
swap (a, b) = (b, a)

-- | Counts of 30 equal bins over [lo, hi]: v falls in bin floor((v − lo)·30 / (hi − lo)), hi in
-- the last; values outside are not counted.
histogram :: Double -> Double -> VS.Vector Double -> [Int]
histogram lo hi v = VS.toList (VS.accumulate_ (+) (VS.replicate 30 0) bins (VS.replicate (VS.length bins) 1))
  where bins = VS.map (\x -> min 29 (floor ((x - lo) * 30 / (hi - lo)))) (VS.filter (\x -> x >= lo && x <= hi) v)

-- | Figures 6-10 to 6-14: x = randn(1000·S, 100), then for every activation and std five layers
-- z = act(z·W), W = std·randn(100, 100); per layer the histogram, mean and standard deviation.
weightInitActivationHistogram :: Run -> Gen -> J
weightInitActivationHistogram run g0 = JObj [("histograms", JObj (snd (mapAccumL activation g1 acts)))]
  where
    n = scaled run 1 1000
    (x0v, g1) = randn [n, 100] g0
    acts = [("sigmoid", sigmoid, (0, 1)), ("relu", relu, (0, 1)), ("tanh", tanhActivation, (-1, 1))]
    stds = [("1", 1), ("0.01", 0.01), ("Xavier", sqrt (1 / 100)), ("He", sqrt (2 / 100))]
    activation g (act, f, range) = (g', (act, JObj rs))
      where (g', rs) = mapAccumL (\h (k, s) -> fmap ((,) k) (layersOf f range s h)) g stds
    layersOf f (lo, hi) s g = (g', JObj [("range", numbers [lo, hi]), ("layers", JArr ls)])
      where
        (g', ls) = (\(h, _, l) -> (h, reverse l)) (foldl layer (g, reshape 100 x0v, []) [1 :: Int .. 5])
        layer (h, z, acc) _ =
          let (wv, h') = randn [100, 100] h
              z' = mapM' f (mmul z (reshape 100 (VS.map (* s) wv)))
              v = flatten z'
              m = VS.sum v / fromIntegral (VS.length v)
              sd = sqrt (VS.sum (VS.map (\a -> (a - m) * (a - m)) v) / fromIntegral (VS.length v))
              record = JObj [("hist", JArr (map JInt (histogram lo hi v))), ("mean", JNum m), ("std", JNum sd)]
          in (h', z', record : acc)

-- | NumPy's logspace(start, stop, num): 10^y, y = k·(stop − start)/(num − 1) + start, the last y
-- exactly stop.
logspace :: Double -> Double -> Int -> [Double]
logspace start stop num = [10 ** y k | k <- [0 .. num - 1]]
  where
    step = (stop - start) / fromIntegral (num - 1)
    y k = if k == num - 1 then stop else fromIntegral k * step + start

-- | SGD's update of a MultiLayerNetExtend by the gradient of a training-mode pass.
sgdStep :: Double -> Matrix Double -> Targets -> ExtendNet -> ExtendNet
sgdStep rate x t net =
  let (grads, net') = extendGradient net x t
      ps = fst (update (SGD rate) (initState (SGD rate) (extendParams net')) (extendParams net') grads)
  in force (withExtendParams ps net')

-- | Figure 6-19: for 16 weight scales logspace(0, −4, 16), a 784-(100×5)-10 MultiLayerNetExtend
-- with batch norm and one without, SGD lr 0.01 on a shared batch choice(1000, 100) (the
-- batch-norm one first); at i mod 10 = 0 the accuracy on the 1000 images without, then with
-- batch norm, until 20·S evaluations.
batchNormTest :: Run -> Gen -> IO J
batchNormTest run g0 = do
  let (x, t) = firstRows 1000 (trainSet run)
      tt = TLabels t
      epochs = scaled run 1 20
      perEpoch = iterPerEpoch (rows x) 100
      scales = logspace 0 (-4) 16
      sizes = 784 : replicate 5 100 ++ [10]
      curve (g, done) w = do
        let (bn0, g1) = initExtendNet Relu (StdDev w) 0 Nothing True sizes g
            (plain0, g2) = initExtendNet Relu (StdDev w) 0 Nothing False sizes g1
            loop i h bn plain accs
              | length accs == epochs = pure (h, reverse accs)
              | otherwise = do
                  let (idx, h') = choice (rows x) 100 h
                      (xb, tb) = batchOf x t idx
                      bn' = sgdStep 0.01 xb (TLabels tb) bn
                      plain' = sgdStep 0.01 xb (TLabels tb) plain
                  accs' <- case epochAfter perEpoch i of
                    Just _ -> do
                      let a = (extendAccuracy plain' x tt, extendAccuracy bn' x tt)
                      fst a `seq` snd a `seq` runProgress run (done + length accs + 1) (16 * epochs) []
                      pure (a : accs)
                    Nothing -> bn' `seq` plain' `seq` pure accs
                  loop (i + 1) h' bn' plain' accs'
        (g', accs) <- loop (0 :: Int) g2 bn0 plain0 []
        let record = JObj [ ("weight_scale", JNum w), ("train_acc", numbers (map fst accs))
                          , ("bn_train_acc", numbers (map snd accs)) ]
        pure ((g', done + epochs), record)
  (_, runs) <- mapAccumM curve (g0, 0) scales
  pure (JObj [("epochs", JInt epochs'), ("runs", JArr runs)])
  where epochs' = scaled run 1 20

-- | 'mapAccumL' with an action.
mapAccumM :: Monad m => (s -> a -> m (s, b)) -> s -> [a] -> m (s, [b])
mapAccumM f s0 xs = fmap reverse <$> foldM (\(s, bs) a -> fmap (: bs) <$> f s a) (s0, []) xs

-- | The data of figures 6-21 and 6-23: the first 300 training images, the first
-- max(10000·S, 100) test images (all when fewer).
overfitData :: Run -> TrainerData
overfitData run =
  let (x, t) = firstRows 300 (trainSet run)
      m = runData run
      n = scaled run (min 100 (rows (xTest m))) (rows (xTest m))
      (xt, tt) = firstRows n (xTest m, tTest m)
  in TrainerData x t xt tt

-- | Figure 6-21: MultiLayerNet(784, [100] × 6, 10, λ 0.1), SGD lr 0.01 on choice(300, 100); at
-- i mod 3 = 0 the train then the test accuracy, until 201·S evaluations.
overfitWeightDecay :: Run -> Gen -> IO J
overfitWeightDecay run g0 = do
  let TrainerData x t xt tt = overfitData run
      epochs = scaled run 1 201
      perEpoch = iterPerEpoch (rows x) 100
      (net0, g1) = multiLayerNet 6 He 0.1 g0
      loop i g net accs
        | length accs == epochs = pure (reverse accs)
        | otherwise = do
            let (idx, g') = choice (rows x) 100 g
                (xb, tb) = batchOf x t idx
                grads = gradient net xb (TLabels tb)
                sgd = SGD 0.01
                net' = net { layers = fst (update sgd (initState sgd (layers net)) (layers net) grads) }
            accs' <- case epochAfter perEpoch i of
              Just _ -> do
                let a = (accuracy net' x (TLabels t), accuracy net' xt (TLabels tt))
                fst a `seq` snd a `seq` runProgress run (length accs + 1) epochs [("test", snd a)]
                pure (a : accs)
              Nothing -> pure accs
            loop (i + 1) g' (force net') accs'
  accs <- loop (0 :: Int) g1 net0 []
  pure (JObj [ ("weight_decay_lambda", JNum 0.1), ("train_acc", numbers (map fst accs))
             , ("test_acc", numbers (map snd accs)) ])

-- | Figure 6-23: MultiLayerNetExtend(784, [100] × 6, 10, Dropout 0.2) trained by the Trainer
-- (301·S epochs, batch 100, SGD lr 0.01), its draws those of train.trainer.
overfitDropout :: Run -> Gen -> IO J
overfitDropout run g0 = do
  let dat = overfitData run
      epochs = scaled run 1 301
      cfg = TrainerConfig epochs 100 (SGD 0.01) Nothing
      (net0, g1) = initExtendNet Relu He 0 (Just 0.2) False (784 : replicate 6 100 ++ [10]) g0
      total = truncate (fromIntegral epochs * (3 :: Double))
  r <- trainM (\s -> runProgress run (stepIter s + 1) total [("loss", stepLoss s)]) cfg dat net0 g1
  pure (JObj [ ("dropout_ratio", JNum 0.2), ("train_acc", numbers (trainAccList r))
             , ("test_acc", numbers (testAccList r)), ("train_loss", numbers (trainLossList r)) ])

-- | Figure 6-24: p = permutation(500) of the first 500 images, the first 100 shuffled ones
-- validate, the other 400 train; per trial weight decay 10^(−8 + 4u), lr 10^(−6 + 4u), a
-- MultiLayerNet(784, [100] × 6, 10) and the Trainer for 50·S epochs.
hyperparameterOptimization :: Run -> Gen -> IO J
hyperparameterOptimization run g0 = do
  let (perm, g1) = permutation 500 g0
      (x, t) = uncurry batchOf (firstRows 500 (trainSet run)) perm
      split k = (takeRows k x, Labels (VS.take k (labelVector t)))
      (xVal, tVal) = split 100
      xTrain' = reshape 784 (VS.drop (100 * 784) (flatten x))
      dat = TrainerData xTrain' (Labels (VS.drop 100 (labelVector t))) xVal tVal
      trials = scaled run 1 100
      epochs = scaled run 1 50
      trial (g, k) _ = do
        let (u1, g2) = nextUniform g
            weightDecay = 10 ** ((-8) + 4 * u1)
            (u2, g3) = nextUniform g2
            rate = 10 ** ((-6) + 4 * u2)
            (net0, g4) = multiLayerNet 6 He weightDecay g3
        r <- trainM (const (pure ())) (TrainerConfig epochs 100 (SGD rate) Nothing) dat net0 g4
        runProgress run (k + 1) trials [("val", last (0 : testAccList r))]
        pure ( (trainedGen r, k + 1)
             , JObj [ ("lr", JNum rate), ("weight_decay", JNum weightDecay), ("val_acc", numbers (testAccList r))
                    , ("train_acc", numbers (trainAccList r)) ] )
  (_, results) <- mapAccumM trial (g1, 0 :: Int) [1 .. trials]
  pure (JObj [("epochs", JInt epochs), ("trials", JArr results)])
