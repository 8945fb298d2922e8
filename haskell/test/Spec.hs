{-# LANGUAGE OverloadedStrings #-}
-- | The Haskell port's specs: the book's printed values (entered by hand),
-- the shared generator's fixed outputs, gradient checks, and QuickCheck
-- properties.
module Main (main) where

import Control.Monad (forM_)
import Data.List (sort)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import qualified Data.Map.Strict as M
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, cols, flatten, fromList, fromLists, rows, toLists, toRows, (><))
import Test.Hspec
import Test.QuickCheck hiding ((><))

import DLScratch.Array (Tensor (..))
import DLScratch.Datasets
import DLScratch.Functions
import DLScratch.Gates
import DLScratch.Gradient
import DLScratch.Graph
import DLScratch.Json
import DLScratch.Layers
import DLScratch.Networks hiding (numericalGradient)
import qualified DLScratch.Networks as N
import DLScratch.Optimizers
import DLScratch.Rng
import DLScratch.Train (epochAfter, fmodExact, iterPerEpoch)
import DLScratch.Runner (runLine)
import qualified Commands
import qualified Readme

-- | |got − want| <= atol + rtol·|want|, elementwise.
closeTo :: Double -> Double -> Double -> Double -> Bool
closeTo rtol atol want got = abs (got - want) <= atol + rtol * abs want

-- | Elementwise within rtol tol and atol 1e-8 (the book prints 8 digits).
shouldBeNear :: [Double] -> [Double] -> Double -> Expectation
shouldBeNear got want tol = do
  let atol = 1e-8
  length got `shouldBe` length want
  forM_ (zip got want) $ \(g, w) ->
    if closeTo tol atol w g then pure () else expectationFailure (show got ++ " is not near " ++ show want)

vec :: [Double] -> Vector Double
vec = fromList

-- | Mean |a − b| over the elements of one parameter.
meanAbsDiff :: Dense -> Dense -> (Double, Double)
meanAbsDiff (Dense w b) (Dense w' b') = (mad (flatten w) (flatten w'), mad b b')
  where mad x y = VS.sum (VS.map abs (VS.zipWith (-) x y)) / fromIntegral (VS.length x)

answer :: BS.ByteString -> IO A.Value
answer line = do
  b <- runLine line
  case A.decode (B.toLazyByteString b) of
    Just v -> pure v
    Nothing -> error ("the runner wrote invalid JSON: " ++ show (B.toLazyByteString b))

errorType :: A.Value -> Maybe A.Value
errorType (A.Object o) = case KM.lookup "error" o of
  Just (A.Object e) -> KM.lookup "type" e
  _ -> Nothing
errorType _ = Nothing

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

main :: IO ()
main = hspec $ do
  describe "Gates (chapter 2)" $ do
    let table g = [g 0 0, g 1 0, g 0 1, g 1 1]
    it "AND" $ table andGate `shouldBe` [0, 0, 0, 1]
    it "NAND" $ table nandGate `shouldBe` [1, 1, 1, 0]
    it "OR" $ table orGate `shouldBe` [0, 1, 1, 1]
    it "XOR is AND(NAND, OR)" $ table xorGate `shouldBe` [0, 1, 1, 0]

  describe "Functions (chapter 3)" $ do
    it "step is 1 only above 0" $ map step [-1, 0, 2] `shouldBe` [0, 0, 1]
    it "sigmoid of -1, 1, 2 (book 3.2.4)" $
      map sigmoid [-1.0, 1.0, 2.0] `shouldBeNear'` [0.26894142, 0.73105858, 0.88079708]
    it "sigmoid saturates to exactly 0 and 1 without NaN" $
      (sigmoid (-1000), sigmoid 1000) `shouldBe` (0, 1)
    it "relu and relu_grad (1 at 0, as functions.py)" $ do
      map relu [-1, 0, 2] `shouldBe` [0, 0, 2]
      map reluGrad [-1, 0, 2] `shouldBe` [0, 1, 1]
    it "softmax([0.3, 2.9, 4.0]) (book 3.5.1)" $
      VS.toList (softmax (vec [0.3, 2.9, 4.0])) `shouldBeNear'` [0.01821127, 0.24519181, 0.73659691]
    it "softmax rows are probabilities summing to 1 (QuickCheck)" $ property $
      forAll ((,) <$> choose (1, 6) <*> choose (1, 8)) $ \(r, c) ->
        forAll (vectorOf (r * c) (choose (-50, 50))) $ \xs ->
          let p = softmaxRows ((r >< c) xs)
          in all (\row -> abs (VS.sum row - 1) <= 1e-12 && VS.all (\v -> v >= 0 && v <= 1) row) (toRows p)
    it "softmax does not overflow at [1010, 1000, 990] (book 3.5.2)" $
      VS.toList (softmax (vec [1010, 1000, 990])) `shouldBeNear'` [9.99954600e-01, 4.53978686e-05, 2.06106005e-09]

  describe "Losses (chapter 4)" $ do
    let y1 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
        y2 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
        t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        row ys = (1 >< 10) ys
    it "sum of squares 0.0975 and 0.5975" $ do
      sumSquaredError (vec y1) (vec t) `shouldSatisfy` closeTo 1e-12 0 0.0975
      sumSquaredError (vec y2) (vec t) `shouldSatisfy` closeTo 1e-12 0 0.5975
    it "cross entropy 0.510825457099338 with the label 2" $
      crossEntropyError (row y1) (TLabels (Labels (VS.fromList [2]))) `shouldSatisfy` closeTo 1e-15 0 0.510825457099338
    it "cross entropy 2.302584092994546 with one-hot t (argmax at 7)" $
      crossEntropyError (row y2) (TOneHot (row t)) `shouldSatisfy` closeTo 1e-15 0 2.302584092994546
    it "a zero probability costs -log(1e-7), not infinity" $
      crossEntropyError (row y1) (TLabels (Labels (VS.fromList [3]))) `shouldSatisfy` closeTo 1e-15 0 16.11809565095832

  describe "Gradient (chapter 4)" $ do
    it "numerical_diff(function_1, 5) and (…, 10)" $ do
      numericalDiff function1 5 `shouldSatisfy` closeTo 1e-12 0 0.1999999999990898
      numericalDiff function1 10 `shouldSatisfy` closeTo 1e-12 0 0.2999999999986347
    it "numerical_gradient(function_2) at (3, 4), (0, 2), (3, 0)" $ do
      VS.toList (numericalGradient function2 (vec [3, 4])) `shouldBeNear'` [6, 8]
      VS.toList (numericalGradient function2 (vec [0, 2])) `shouldBeNear'` [0, 4]
      VS.toList (numericalGradient function2 (vec [3, 0])) `shouldBeNear'` [6, 0]
    it "gradient_descent(function_2, [-3, 4], lr 0.1, 100 steps)" $
      VS.toList (gradientDescent function2 0.1 100 (vec [-3, 4]))
        `shouldBeNear'` [-6.11110793e-10, 8.14814391e-10]

  describe "Graph (5.3)" $ do
    it "buy_apple: 220, dapple 2.2, dapple_num 110, dtax 200" $ do
      let BuyApple p da dn dt = buyApple 100 2 1.1 1
      [p, da, dn, dt] `shouldBeNear'` [220, 2.2, 110, 200]
    it "buy_apple_orange: 715, 2.2, 110, 3.3, 165, 650" $ do
      let BuyAppleOrange p da dn dor don dt = buyAppleOrange 100 2 150 3 1.1 1
      [p, da, dn, dor, don, dt] `shouldBeNear'` [715, 2.2, 110, 3.3, 165, 650]

  describe "The 3-layer network (3.4.3)" $
    it "forward([1.0, 0.5]) = [0.31682708, 0.69627909]" $
      concat (toLists (y (net3Forward net3Init IdentityOutput (fromLists [[1.0, 0.5]]))))
        `shouldBeNear'` [0.31682708, 0.69627909]

  describe "Layers" $ do
    it "ReLU passes no gradient at exactly 0" $ do
      let (out, tape) = reluForward (fromLists [[-1, 0, 2]])
      toLists out `shouldBe` [[0, 0, 2]]
      toLists (reluBackward tape (fromLists [[5, 5, 5]])) `shouldBe` [[0, 0, 5]]
    it "Sigmoid backward is dout·(1 − y)·y" $ do
      let (_, tape) = sigmoidForward (fromLists [[0]])
      toLists (sigmoidBackward tape (fromLists [[1]])) `shouldBe` [[0.25]]
    -- small integers: every product and partial sum is exact, in any order and with or
    -- without FMA, so BLAS's results can be compared exactly here
    it "Affine: out = x·W + b, dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ dout" $ do
      let layer = Dense (fromLists [[1, 2], [3, 4], [5, 6]]) (vec [1, 1])
          (out, tape) = affineForward layer (fromLists [[1, 2, 3]])
          (dx, Dense dw db) = affineBackward layer tape (fromLists [[1, 1]])
      toLists out `shouldBe` [[23, 29]]
      toLists dx `shouldBe` [[3, 7, 11]]
      toLists dw `shouldBe` [[1, 1], [2, 2], [3, 3]]
      VS.toList db `shouldBe` [1, 1]
    it "SoftmaxWithLoss backward is (y − onehot(t)) / N" $ do
      let ((_, yv), tape) = softmaxWithLossForward (fromLists [[0, 0], [0, 0]]) (TLabels (Labels (VS.fromList [0, 1])))
      toLists yv `shouldBe` [[0.5, 0.5], [0.5, 0.5]]
      toLists (softmaxWithLossBackward tape) `shouldBe` [[-0.25, 0.25], [0.25, -0.25]]
    it "Dropout in test mode scales forward and backward by 1 − ratio" $ do
      let ((out, tape), _) = dropoutForward 0.25 False (mkGen 0) (fromLists [[4, 8]])
      toLists out `shouldBe` [[3, 6]]
      toLists (dropoutBackward tape (fromLists [[4, 4]])) `shouldBe` [[3, 3]]
    it "BatchNorm normalises each column to mean 0 (train mode)" $ do
      let bn = BatchNorm (vec [1, 1]) (vec [0, 0]) (vec [0, 0]) (vec [0, 0]) 0.9
          (out, bn', _) = batchNormForward True bn (fromLists [[1, 10], [3, 30]])
      concat (toLists out) `shouldBeNear'` [-0.9999995000003750, -0.9999999950000001, 0.9999995000003750, 0.9999999950000001]
      VS.toList (bnRunningMean bn') `shouldBeNear'` [0.2, 2.0]

    it "BatchNorm backward agrees with central differences (train mode)" $ do
      let (xv, g1) = randn [5, 3] (mkGen 21)
          (wv, g2) = randn [5, 3] g1
          (gv, _) = rand [3] g2
          x = (5 >< 3) (VS.toList xv)
          w = (5 >< 3) (VS.toList wv)
          bnWith gam = BatchNorm gam (vec [0.1, -0.2, 0.3]) (vec [0, 0, 0]) (vec [1, 1, 1]) 0.9
          -- L = Σ out·w, so dL/dout = w
          lossOf gam xm = let (out, _, _) = batchNormForward True (bnWith gam) xm
                          in VS.sum (VS.zipWith (*) (flatten out) (flatten w))
          (_, _, tape) = batchNormForward True (bnWith gv) x
          (dx, BatchNormGrad dg _) = batchNormBackward (bnWith gv) tape w
          numDx = numericalGradient (lossOf gv . (5 >< 3) . VS.toList) (flatten x)
          numDg = numericalGradient (\g' -> lossOf g' x) gv
      VS.toList (flatten dx) `shouldBeNear''` VS.toList numDx
      VS.toList dg `shouldBeNear''` VS.toList numDg

  describe "Rng (MRG32k3a, shared by every port)" $ do
    it "uniform(seed 0) starts 0.13598841039594017, 0.7558522371615436, 0.5755553189002691" $
      VS.toList (fst (uniforms 3 (mkGen 0))) `shouldBe` [0.13598841039594017, 0.7558522371615436, 0.5755553189002691]
    it "normal(seed 1) starts -1.1117745579601175, 0.865606350584982" $
      VS.toList (fst (normals 2 (mkGen 1))) `shouldBeNear'` [-1.1117745579601175, 0.865606350584982]
    it "an odd normal(n) still draws the last pair" $
      snd (normals 3 (mkGen 7)) `shouldBe` snd (uniforms 4 (mkGen 7))
    it "uniforms lie in (0, 1)" $ property $ \(NonNegative s) ->
      VS.all (\u -> u > 0 && u < 1) (fst (uniforms 200 (mkGen (s `mod` maxSeed))))
    it "permutation is a permutation" $ property $ \(NonNegative s) (Positive n') ->
      let n = n' `mod` 300 + 1
      in sort (VS.toList (fst (permutation n (mkGen (s `mod` maxSeed))))) == [0 .. n - 1]
    it "choice stays in 0..n−1" $ property $ \(NonNegative s) (Positive n) ->
      VS.all (\i -> i >= 0 && i < n) (fst (choice n 50 (mkGen (s `mod` maxSeed))))

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
    it "every gradient has its parameter's shape (QuickCheck)" $ property $
      forAll ((,,,) <$> choose (0, 100000) <*> choose (1, 8) <*> choose (1, 8) <*> choose (1, 8)) $
        \(s, d, h', c) ->
          let (net, x, t) = smallNet s d h' c Relu 0
              shapes (Dense w b) = (rows w, cols w, VS.length b)
          in map shapes (gradient net x t) == map shapes (layers net)

  describe "Optimizers" $ do
    let p0 = [Dense (fromLists [[1, 2]]) (vec [3])]
        g = [Dense (fromLists [[0.5, -1]]) (vec [2])]
        run opt n = fst (foldl (\(p, st) _ -> update opt st p g) (p0, initState opt p0) [1 .. n :: Int])
        flat ds = concat [concat (toLists w) ++ VS.toList b | Dense w b <- ds]
    it "SGD: p − lr·g" $ flat (run (SGD 0.1) 1) `shouldBeNear'` [0.95, 2.1, 2.8]
    it "Momentum: two steps give p − lr·g·(1 + (1 + m))" $
      flat (run (Momentum 0.1 0.9) 2) `shouldBeNear'` [1 - 0.05 * 2.9, 2 + 0.1 * 2.9, 3 - 0.2 * 2.9]
    it "Nesterov: lr 0.5, momentum 0.5, W = [0], grads [1] then [1] give W = -1.625" $ do
      -- step 1: W = 0 + 0.25·0 − 1.5·0.5·1 = −0.75, v = 0.5·0 − 0.5·1 = −0.5;
      -- step 2: W = −0.75 + 0.25·(−0.5) − 0.75·1 = −1.625 (every term a binary fraction: exact)
      let w0 = M.fromList [("W" :: String, Tensor [1] (vec [0]))]
          g1 = M.fromList [("W" :: String, Tensor [1] (vec [1]))]
          (w2, _) = foldl (\(p, st) g' -> update (Nesterov 0.5 0.5) st p g') (w0, initState (Nesterov 0.5 0.5) w0) [g1, g1]
      fmap (VS.toList . values) (M.lookup "W" w2) `shouldBe` Just [-1.625]
    it "AdaGrad: the first step is lr·sign(g) (up to 1e-7)" $
      flat (run (AdaGrad 0.01) 1) `shouldBeNear''` [0.99, 2.01, 2.99]
    it "Adam: the first step is lr·sign(g) (bias-corrected)" $
      flat (run (Adam 0.001 0.9 0.999) 1) `shouldBeNear''` [0.999, 2.001, 2.999]

  describe "Train: epochs as the book counts them" $ do
    let evaluatedAfter n b iters = [ (i, k) | i <- [0 .. iters - 1], Just k <- [epochAfter (iterPerEpoch n b) i] ]
    it "60000 / 128 = 468.75: after iterations 0, 1875, 3750 (epochs 0, 4, 8)" $
      evaluatedAfter 60000 128 4000 `shouldBe` [(0, 0), (1875, 4), (3750, 8)]
    it "60000 / 100 = 600: after 0, 600, 1200" $
      map fst (evaluatedAfter 60000 100 1201) `shouldBe` [0, 600, 1200]
    it "60000 / 7 is no binary fraction: only after iteration 0" $
      evaluatedAfter 60000 7 20000 `shouldBe` [(0, 0)]
    it "at least 1 iteration per epoch (300 images, batch 500)" $
      map fst (evaluatedAfter 300 500 3) `shouldBe` [0, 1, 2]
    it "fmodExact is IEEE fmod without rounding" $ do
      fmodExact 1875 468.75 `shouldBe` 0
      fmodExact 1000 468.75 `shouldBe` 62.5
      -- C's fmod(1e22, 0.1) (math.fmod in Python), exact, so a Double again
      fromRational (fmodExact 1e22 0.1) `shouldBe` (0.08768742176060307 :: Double)

  describe "JSON numbers" $ do
    it "round-trips tricky doubles exactly" $
      forM_ [0.1 + 0.2, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 1 / 3, -0.0, 1e22, 123456789.125] $ \d -> do
        let txt = B.toLazyByteString (encodeJ (JArr [JNum d]))
        case A.decode txt of
          Just (A.Array xs) -> (numberOf =<< headMay xs) `shouldBe` Just d
          _ -> expectationFailure ("not decodable: " ++ show txt)
    it "round-trips any double (QuickCheck)" $ property $ \d ->
      let txt = B.toLazyByteString (encodeJ (JArr [JNum d]))
      in (A.decode txt >>= \v -> case v of A.Array xs -> numberOf =<< headMay xs; _ -> Nothing) == Just (d :: Double)
    it "writes NaN and the infinities as strings" $
      B.toLazyByteString (encodeJ (JArr [JNum (0 / 0), JNum (1 / 0), JNum (-1 / 0)]))
        `shouldBe` "[\"NaN\",\"Infinity\",\"-Infinity\"]"
    it "reads them back as numbers" $
      fmap isInfinite (numberOf (A.String "-Infinity")) `shouldBe` Just True

  describe "IDX" $ do
    it "decodes a raw u8 file" $ do
      let bytes = BS.pack ([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3] ++ [1 .. 6])
      case decodeIdx bytes of
        Right (Idx sh v) -> (sh, VS.toList v) `shouldBe` ([2, 3], [1 .. 6])
        Left e -> expectationFailure e
    it "decodes big-endian int16 and float64" $ do
      let i16 = BS.pack [0, 0, 0x0B, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00]
          f64 = BS.pack ([0, 0, 0x0E, 1, 0, 0, 0, 1] ++ BL.unpack (B.toLazyByteString (B.doubleBE 0.1)))
      fmap (VS.toList . idxValues) (decodeIdx i16) `shouldBe` Right [-2, 256]
      fmap (VS.toList . idxValues) (decodeIdx f64) `shouldBe` Right [0.1]
    it "refuses a file shorter than its header says" $
      either (const True) (const False) (decodeIdx (BS.pack [0, 0, 8, 1, 0, 0, 0, 9, 1, 2])) `shouldBe` True

  describe "Runner" $ do
    it "answers softmax with the book's values" $ do
      v <- answer "{\"id\": \"s\", \"op\": \"fn.softmax\", \"args\": {\"x\": [0.3, 2.9, 4.0]}}"
      case v of
        A.Object o | Just (A.Object ok) <- KM.lookup "ok" o, Just (A.Array ys) <- KM.lookup "y" ok ->
          map (maybe 0 id . numberOf) (foldr (:) [] ys) `shouldBeNear'` [0.01821127, 0.24519181, 0.73659691]
        _ -> expectationFailure (show v)
    it "weight_init_std names are case-insensitive as in the book (He, ReLU, Xavier, SIGMOID)" $ do
      let request op std = "{\"id\": \"w\", \"op\": \"multi_layer_net." <> op <> "\", \"args\": {\"input_size\": 3, "
            <> "\"hidden_size_list\": [2], \"output_size\": 2, \"weight_init_std\": \"" <> std <> "\", "
            <> "\"params\": {\"W1\": [[1, 2], [3, 4], [5, 6]], \"b1\": [0, 0], \"W2\": [[1, 0], [0, 1]], \"b2\": [0, 0]}, "
            <> "\"x\": [[0.1, 0.2, 0.3]], \"t\": [1]}}"
      forM_ ["init", "loss", "gradient", "numerical_gradient"] $ \op ->
        forM_ [("He", "he"), ("ReLU", "relu"), ("Xavier", "xavier"), ("SIGMOID", "sigmoid")] $ \(given, lower) -> do
          -- the same computation in the same process: the same bits
          got <- answer (request op given)
          want <- answer (request op lower)
          (errorType got, got) `shouldBe` (Nothing, want)
      map weightInitNamed ["hE", "Relu", "XAVIER", "Sigmoid", "SİGMOID", "tanh"]
        `shouldBe` [Just He, Just He, Just Xavier, Just Xavier, Nothing, Nothing]
    it "optimizer names are lower-cased as the book's Trainer does (SGD, Momentum, Adam)" $ do
      let run name = "{\"id\": \"o\", \"op\": \"optimizer.run\", \"args\": {\"name\": \"" <> name <> "\", "
            <> "\"hyper\": {\"lr\": 0.5}, \"params\": {\"w\": [1.0, -2.0]}, \"grads_seq\": [{\"w\": [1.0, 0.5]}, {\"w\": [0.5, 1.0]}]}}"
          train name = "{\"id\": \"o\", \"op\": \"train.two_layer_net\", \"args\": {\"x_train\": [[0.1, 0.2], [0.3, 0.4]], "
            <> "\"t_train\": [0, 1], \"hidden_size\": 2, \"output_size\": 2, \"batch_size\": 2, \"iters\": 2, \"seed\": 1, "
            <> "\"optimizer\": {\"name\": \"" <> name <> "\", \"hyper\": {\"lr\": 0.5}}}}"
      forM_ [run, train] $ \request ->
        forM_ [("SGD", "sgd"), ("Momentum", "momentum"), ("NESTEROV", "nesterov"), ("AdaGrad", "adagrad"), ("RMSprop", "rmsprop"), ("Adam", "adam")] $ \(given, lower) -> do
          got <- answer (request given)
          want <- answer (request lower)
          (errorType got, got) `shouldBe` (Nothing, want)
      forM_ [run, train] $ \request -> do
        v <- answer (request "S G D")
        errorType v `shouldBe` Just (A.String "BadArgs")
    let errorCase name line want = it name $ do
          v <- answer line
          errorType v `shouldBe` Just (A.String want)
    errorCase "not JSON is BadRequest" "{oops" "BadRequest"
    errorCase "no op is BadRequest" "{\"id\": \"x\"}" "BadRequest"
    errorCase "an unknown op is UnknownOp" "{\"id\": \"x\", \"op\": \"fn.nope\"}" "UnknownOp"
    errorCase "a missing argument is BadArgs" "{\"id\": \"x\", \"op\": \"fn.relu\", \"args\": {}}" "BadArgs"
    errorCase "a ragged array is BadArgs" "{\"id\": \"x\", \"op\": \"fn.relu\", \"args\": {\"x\": [[1], [1, 2]]}}" "BadArgs"
    errorCase "a label 1.5 is BadArgs" "{\"id\": \"x\", \"op\": \"loss.cross_entropy_error\", \"args\": {\"y\": [[0.5, 0.5]], \"t\": [1.5]}}" "BadArgs"
    errorCase "W 3x2 with 4 columns of x is ShapeError"
      "{\"id\": \"x\", \"op\": \"layer.affine\", \"args\": {\"W\": [[1,2],[3,4],[5,6]], \"b\": [0,0], \"x\": [[1,2,3,4]], \"dout\": [[1,1]]}}" "ShapeError"
    errorCase "a label outside 0..C−1 is ValueError" "{\"id\": \"x\", \"op\": \"loss.cross_entropy_error\", \"args\": {\"y\": [[0.5, 0.5]], \"t\": [2]}}" "ValueError"
    errorCase "n = 0 is ValueError" "{\"id\": \"x\", \"op\": \"rng.uniform\", \"args\": {\"seed\": 0, \"n\": 0}}" "ValueError"
    errorCase "activation names are case-sensitive (the book looks them up as given)"
      "{\"id\": \"x\", \"op\": \"multi_layer_net.init\", \"args\": {\"input_size\": 3, \"hidden_size_list\": [2], \"output_size\": 2, \"activation\": \"ReLU\"}}" "BadArgs"
    errorCase "function names are case-sensitive (f: Function_1 is not function_1)"
      "{\"id\": \"x\", \"op\": \"grad.numerical_diff\", \"args\": {\"f\": \"Function_1\", \"x\": 1.0}}" "BadArgs"
    errorCase "output names are case-sensitive (net3.forward output: Softmax is not softmax)"
      "{\"id\": \"x\", \"op\": \"net3.forward\", \"args\": {\"network\": {\"W1\": [[0.1]], \"b1\": [0.1], \"W2\": [[0.1]], \"b2\": [0.1], \"W3\": [[0.1]], \"b3\": [0.1]}, \"x\": [1.0], \"output\": \"Softmax\"}}" "BadArgs"
    errorCase "a missing IDX file is ValueError" "{\"id\": \"x\", \"op\": \"data.idx\", \"args\": {\"path\": \"/nonexistent.idx\"}}" "ValueError"
  Readme.spec
  Commands.spec
  where
    shouldBeNear' got want = shouldBeNear got want 1e-7
    shouldBeNear'' got want = shouldBeNear got want 1e-6
    headMay xs = if null xs then Nothing else Just (foldr const undefined xs)
