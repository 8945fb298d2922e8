{-# LANGUAGE OverloadedStrings #-}
-- | The chapter-6 experiments: the naive paths' first steps by hand, the histogram's bins, the
-- draw order of the histograms, logspace, and the data experiments on a small synthetic set.
module DLScratch.ExperimentsSpec (spec) where

import Control.Monad (forM_)
import Data.List (find)
import Data.Text (Text)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (flatten, reshape, (><))
import Test.Hspec
import DLScratch.Array (mmul)
import DLScratch.Datasets (Mnist (..))
import DLScratch.Experiments
import DLScratch.Functions (Labels (..), sigmoid)
import DLScratch.Json (J (..))
import DLScratch.Rng (mkGen, rand, randn)

-- | The value at a path of object keys.
at :: [Text] -> J -> Maybe J
at [] j = Just j
at (k : ks) (JObj kvs) = lookup k kvs >>= at ks
at _ _ = Nothing

-- | An experiment by name.
named :: String -> Experiment
named n = maybe (error n) id (find ((== n) . experimentName) experiments)

-- | 600 training and 200 test images of 784 pixels in [0, 1), labels i mod 10.
synthetic :: Mnist
synthetic =
  let (a, g) = rand [600, 784] (mkGen 8)
      (b, _) = rand [200, 784] g
  in Mnist ((600 >< 784) (VS.toList a)) (Labels (VS.generate 600 (`mod` 10)))
           ((200 >< 784) (VS.toList b)) (Labels (VS.generate 200 (`mod` 10)))

runAt :: Double -> Run
runAt s = Run s synthetic (\_ _ _ -> pure ())

lengthOf :: Maybe J -> Int
lengthOf (Just (JArr xs)) = length xs
lengthOf _ = -1

spec :: Spec
spec = describe "Experiments (ch06)" $ do
  it "optimizer_compare_naive: the first steps from (−7, 2), ∇f = (x/10, 2y) = (−0.7, 4)" $ do
    let first name = maybe (error "no path") (\(xs, ys) -> zip xs ys) (lookup name naivePaths)
        near (a, b) (c, d) = abs (a - c) <= 1e-12 && abs (b - d) <= 1e-12
    map (\n -> length (first n)) ["SGD", "Momentum", "AdaGrad", "Adam"] `shouldBe` [30, 30, 30, 30]
    -- SGD lr 0.95: (−7 + 0.95·0.7, 2 − 0.95·4)
    take 2 (first "SGD") `shouldSatisfy` \ps -> and (zipWith near ps [(-7, 2), (-6.335, -1.8)])
    -- Momentum lr 0.1: v = −0.1·g
    first "Momentum" !! 1 `shouldSatisfy` near (-6.93, 1.6)
    -- AdaGrad lr 1.5: h = g², a step of 1.5·g / (|g| + 1e-7), about 1.5 against the gradient
    first "AdaGrad" !! 1 `shouldSatisfy` near (-7 + 1.5 * 0.7 / (0.7 + 1e-7), 2 - 1.5 * 4 / (4 + 1e-7))
    -- Adam lr 0.3: lr_t = 0.3·sqrt(1 − 0.999) / (1 − 0.9), m = 0.1·g, v = 0.001·g²
    let lrT = 0.3 * sqrt (1 - 0.999) / (1 - 0.9)
        adam g = lrT * (0.1 * g) / (sqrt (0.001 * g * g) + 1e-7)
    first "Adam" !! 1 `shouldSatisfy` \(x, y) -> abs (x - (-7 - adam (-0.7))) <= 1e-12 && abs (y - (2 - adam 4)) <= 1e-12
  it "histogram: bin floor((v − lo)·30 / (hi − lo)), hi in the last bin, values outside dropped" $ do
    let h = histogram 0 1 (VS.fromList [0, 0.5, 1, 1.2, -0.1, 0.0333, 29.5 / 30])
    sum h `shouldBe` 5
    [h !! 0, h !! 15, h !! 29] `shouldBe` [2, 1, 2]
    histogram (-1) 1 (VS.fromList [-1, 0, 1]) `shouldBe` [1] ++ replicate 14 0 ++ [1] ++ replicate 13 0 ++ [1]
  it "logspace(0, −4, 16): 10^(−4k/15), the ends exactly 1 and 1e-4" $ do
    let ws = logspace 0 (-4) 16
    (length ws, head ws, last ws) `shouldBe` (16, 1, 1e-4)
    ws !! 3 `shouldBe` 10 ** (3 * (-4 / 15))
  it "weight_init_activation_histogram: x = randn(1000·S, 100), then W of the first layer" $ do
    r <- runExperiment (named "weight_init_activation_histogram") (runAt 0.01) (mkGen 0)
    let layer1 = case at ["histograms", "sigmoid", "1", "layers"] r of
          Just (JArr (JObj l : _)) -> l
          _ -> []
        (x, g) = randn [10, 100] (mkGen 0)
        (w, _) = randn [100, 100] g
        z = VS.map sigmoid (flatten (mmul (reshape 100 x) (reshape 100 w)))
    lookup "mean" layer1 `shouldBe` Just (JNum (VS.sum z / 1000))
    fmap (\(JArr hs) -> sum [n | JInt n <- hs]) (lookup "hist" layer1) `shouldBe` Just 1000
  it "overfit_weight_decay and hyperparameter_optimization at a tiny scale: the reference's keys, 201·S evaluations" $ do
    r <- runExperiment (named "overfit_weight_decay") (runAt 0.02) (mkGen 0)
    (lengthOf (at ["train_acc"] r), lengthOf (at ["test_acc"] r)) `shouldBe` (4, 4)   -- round(4.02)
    at ["weight_decay_lambda"] r `shouldBe` Just (JNum 0.1)
    h <- runExperiment (named "hyperparameter_optimization") (runAt 0.02) (mkGen 0)
    at ["epochs"] h `shouldBe` Just (JInt 1)
    case at ["trials"] h of
      Just (JArr [JObj t1, JObj t2]) -> forM_ [t1, t2] $ \t -> do
        map fst t `shouldBe` ["lr", "weight_decay", "val_acc", "train_acc"]
        lookup "lr" t `shouldSatisfy` maybe False (\(JNum l) -> l >= 1e-6 && l <= 1e-2)
        lengthOf (lookup "val_acc" t) `shouldBe` 1
      _ -> expectationFailure "two trials expected"
