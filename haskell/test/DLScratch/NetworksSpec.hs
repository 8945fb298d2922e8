-- | The networks: the 3-layer network, TwoLayerNet, MultiLayerNet and their gradient checks.
module DLScratch.NetworksSpec (spec) where

import Control.Monad (forM_)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, cols, flatten, fromLists, reshape, rows, toLists, (><))
import Test.Hspec
import Test.QuickCheck hiding ((><))
import DLScratch.Functions
import qualified DLScratch.Gradient as G
import DLScratch.Layers
import DLScratch.Networks
import qualified DLScratch.Networks as N
import DLScratch.Rng
import Support

-- | Mean |a − b| over the elements of one parameter.
meanAbsDiff :: Dense -> Dense -> (Double, Double)
meanAbsDiff (Dense w b) (Dense w' b') = (mad (flatten w) (flatten w'), mad b b')
  where mad x y = VS.sum (VS.map abs (VS.zipWith (-) x y)) / fromIntegral (VS.length x)

-- | A small network with a batch of 20 and balanced labels (i mod c): the
-- backprop gradient omits the 1e-7 inside the loss's log, and the numerical
-- one does not; the difference in db_k is about 1e-7·Σ_i (δ_{t_i k} − y_ik)
-- / (N·y_it), which balanced labels keep well below 1e-7.
smallNet :: Int -> Int -> Int -> Int -> Activation -> Double -> (Net, Matrix Double, Targets)
smallNet seed' d h c act lam =
  let g0 = mkGen seed'
      (ds, g1) = initLayers (StdDev 0.1) [d, h, c] g0
      (xv, _) = rand [20, d] g1
      tv = VS.generate 20 (`mod` c)
  in (Net act lam ds, (20 >< d) (VS.toList xv), TLabels (Labels tv))

spec :: Spec
spec = do
  describe "The 3-layer network (3.4.3)" $
    it "forward([1.0, 0.5]) = [0.31682708, 0.69627909]" $
      concat (toLists (y (net3Forward net3Init IdentityOutput (fromLists [[1.0, 0.5]]))))
        `shouldBeNear'` [0.31682708, 0.69627909]

  describe "Networks" $ do
    it "TwoLayerNet(784, 50, 10) holds zero biases and W of std ~0.01" $ do
      let (net, _) = initTwoLayerNet 784 50 10 0.01 (mkGen 42)
          [Dense w1 b1, Dense w2 b2] = layers net
      (rows w1, cols w1, rows w2, cols w2) `shouldBe` (784, 50, 50, 10)
      VS.all (== 0) b1 `shouldBe` True
      VS.all (== 0) b2 `shouldBe` True
      let v = flatten w1
          sd = sqrt (VS.sum (VS.map (^ (2 :: Int)) v) / fromIntegral (VS.length v))
      sd `shouldSatisfy` (\s -> s > 0.0095 && s < 0.0105)
    it "gradient check: TwoLayerNet backprop vs numerical, mean |diff| <= 1e-7" $ do
      let (net, x, t) = smallNet 3 5 4 3 Relu 0
      forM_ (zip (gradient net x t) (N.numericalGradient net x t)) $ \(a, b) ->
        meanAbsDiff a b `shouldSatisfy` (\(dw, db) -> dw <= 1e-7 && db <= 1e-7)
    it "gradient check: MultiLayerNet (sigmoid, weight decay 0.1)" $ do
      let g0 = mkGen 11
          (ds, g1) = initLayers Xavier [4, 5, 3, 2] g0
          (xv, _) = rand [20, 4] g1
          tv = VS.generate 20 (`mod` 2)
          net = Net Sigmoid 0.1 ds
          x = (20 >< 4) (VS.toList xv)
          t = TLabels (Labels tv)
      forM_ (zip (gradient net x t) (N.numericalGradient net x t)) $ \(a, b) ->
        meanAbsDiff a b `shouldSatisfy` (\(dw, db) -> dw <= 1e-7 && db <= 1e-7)
    it "gradient check on random small networks (QuickCheck)" $ property $
      forAll ((,,,,) <$> choose (0, 100000) <*> choose (1, 6) <*> choose (1, 6) <*> choose (2, 5) <*> elements [Relu, Sigmoid]) $
        \(s, d, h', c, act) ->
          let (net, x, t) = smallNet s d h' c act 0.05
              preact = predict net { layers = take 1 (layers net) } x
              -- a ReLU input within h of its kink makes the central difference meaningless
              smooth = act == Sigmoid || VS.all (\a -> abs a > 1e-3) (flatten preact)
          in smooth ==> all (\(a, b) -> let (dw, db) = meanAbsDiff a b in dw <= 1e-7 && db <= 1e-7)
                 (zip (gradient net x t) (N.numericalGradient net x t))
    it "backprop: its loss is loss, its dx the numerical gradient by x, its grads gradient's" $ do
      -- sigmoid: no kink for the central difference to straddle
      let (net, x, t) = smallNet 5 4 6 3 Sigmoid 0.05
          bp = backprop net x t
          numDx = G.numericalGradient (\v -> loss net (reshape (cols x) v) t) (flatten x)
      bpLoss bp `shouldBe` loss net x t
      (rows (bpDx bp), cols (bpDx bp)) `shouldBe` (rows x, cols x)
      VS.sum (VS.map abs (flatten (bpDx bp) - numDx)) / fromIntegral (VS.length numDx) `shouldSatisfy` (<= 1e-7)
      map (\(Dense w b) -> (flatten w, b)) (bpGrads bp) `shouldBe` map (\(Dense w b) -> (flatten w, b)) (gradient net x t)
    it "accuracyInBlocks k is accuracy, for every block size (QuickCheck)" $ property $
      forAll ((,) <$> choose (0, 100000) <*> choose (1, 25)) $ \(s, k) ->
        let (net, x, t) = smallNet s 3 4 3 Relu 0
        in accuracyInBlocks k net x t == accuracy net x t
    it "every gradient has its parameter's shape (QuickCheck)" $ property $
      forAll ((,,,) <$> choose (0, 100000) <*> choose (1, 8) <*> choose (1, 8) <*> choose (1, 8)) $
        \(s, d, h', c) ->
          let (net, x, t) = smallNet s d h' c Relu 0
              shapes (Dense w b) = (rows w, cols w, VS.length b)
          in map shapes (gradient net x t) == map shapes (layers net)

