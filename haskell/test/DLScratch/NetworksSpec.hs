-- | The networks: the 3-layer network, TwoLayerNet, MultiLayerNet, SimpleConvNet, DeepConvNet and their gradient
-- checks.
module DLScratch.NetworksSpec (spec) where

import Control.Monad (forM_)
import Data.List (mapAccumL)
import qualified Data.Text as T
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, cols, flatten, fromLists, reshape, rows, scale, toLists, (><))
import Test.Hspec
import Test.QuickCheck hiding (scale, (><))
import DLScratch.Functions
import qualified DLScratch.Gradient as G
import DLScratch.Layers
import DLScratch.Networks
import qualified DLScratch.Networks as N
import DLScratch.Rng
import DLScratch.Train (Model (..), modelArrays)
import DLScratch.Util (Window (..))
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


  describe "MultiLayerNetExtend (6.3, 6.4)" $ do
    -- sizes [4, 5, 3, 2], a batch of 20 and balanced labels, as smallNet
    let extendNet act dropout bn lam =
          let (net, g1) = initExtendNet act (StdDev 0.5) lam dropout bn [4, 5, 3, 2] (mkGen 13)
              (xv, _) = rand [20, 4] g1
          in (net { extDropoutSeed = 99 }, (20 >< 4) (VS.toList xv), TLabels (Labels (VS.generate 20 (`mod` 2))))
        flat (ds, gbs) = concatMap (\(Dense w b) -> [flatten w, b]) ds ++ concatMap (\(g, b) -> [g, b]) gbs
        mad x y = VS.sum (VS.map abs (VS.zipWith (-) x y)) / fromIntegral (VS.length x) :: Double
    it "init: MultiLayerNet's weights from the same generator, γ = 1 and β = 0 per hidden layer" $ do
      let (net, _) = initExtendNet Relu He 0 Nothing True [3, 4, 2, 5] (mkGen 7)
          (ds, _) = initLayers He [3, 4, 2, 5] (mkGen 7)
      map (flatten . weight) (extAffines net) `shouldBe` map (flatten . weight) ds
      snd (extendParams net) `shouldBe` [(VS.replicate 4 1, VS.replicate 4 0), (VS.replicate 2 1, VS.replicate 2 0)]
      runningStats net `shouldBe` [(VS.replicate 4 0, VS.replicate 4 0), (VS.replicate 2 0, VS.replicate 2 0)]
    forM_ [(Sigmoid, Just 0.3, True, 0.1), (Sigmoid, Nothing, True, 0), (Sigmoid, Just 0.5, False, 0.05)] $
      \(act, dropout, bn, lam) ->
        it ("gradient check: backprop vs numerical, Dropout " ++ show dropout ++ ", batch norm " ++ show bn
            ++ ", λ " ++ show lam ++ ": mean |diff| <= 1e-7 per parameter") $ do
          let (net, x, t) = extendNet act dropout bn lam
              backprop' = flat (fst (extendGradient net x t))
              numerical = flat (extendNumericalGradient net x t)
          length backprop' `shouldBe` (if bn then 10 else 6)
          zipWith mad backprop' numerical `shouldSatisfy` all (<= 1e-7)
    it "the Dropout masks: rand(shape) > ratio from one generator seeded with the dropout seed, each pass" $ do
      -- x·I = x through ReLU (x > 0), Dropout, then I again: the scores are x·mask
      let eye = reshape 3 (VS.fromList [1, 0, 0, 0, 1, 0, 0, 0, 1])
          net = ExtendNet Relu 0 (Just 0.5) 42 [Dense eye (VS.replicate 3 0), Dense eye (VS.replicate 3 0)] []
          x = (2 >< 3) [1, 2, 3, 4, 5, 6]
          (u, _) = rand [2, 3] (mkGen 42)
          masked = VS.zipWith (\a r -> if r > 0.5 then a else 0) (flatten x) u
      flatten (fst (extendPredict True net x)) `shouldBe` masked
      flatten (fst (extendPredict True (snd (extendPredict True net x)) x)) `shouldBe` masked
      flatten (fst (extendPredict False net x)) `shouldBe` VS.map (* 0.5) (flatten x)
    it "running statistics: r ← 0.9·r + 0.1·batch value after a training pass, kept by a test pass" $ do
      -- one hidden unit, x = 1 and 3: batch mean 2, variance 1
      let net = ExtendNet Relu 0 Nothing 0 [Dense ((1 >< 1) [1]) (vec [0]), Dense ((1 >< 2) [1, -1]) (vec [0, 0])]
                          [batchNormLayer (vec [1]) (vec [0])]
          x = (2 >< 1) [1, 3]
          (_, trained) = extendPredict True net x
          m = 0.9   -- the book's r ← m·r + (1 − m)·value, 1 − m = 0.09999999999999998 in float64
          (rm, rv) = ((1 - m) * 2, (1 - m) * 1)
      runningStats trained `shouldBe` [(vec [rm], vec [rv])]
      runningStats (snd (extendPredict False trained x)) `shouldBe` [(vec [rm], vec [rv])]
      runningStats (snd (extendPredict True trained x)) `shouldBe` [(vec [m * rm + (1 - m) * 2], vec [m * rv + (1 - m) * 1])]
      -- untrained, a test pass divides by sqrt(0 + 1e-6): x = 1 scores 1000 and -1000
      concat (toLists (fst (extendPredict False net ((1 >< 1) [1])))) `shouldBeNear'` [1000, -1000]
    it "the loss in test and training mode, plus 0.5·λ·Σ W² " $ do
      let (net, x, t) = extendNet Sigmoid (Just 0.3) True 0.1
          decay = sum [0.5 * 0.1 * VS.sum (VS.map (^ (2 :: Int)) (flatten w)) | Dense w _ <- extAffines net]
          (l0, _) = extendLoss True net { extWeightDecayLambda = 0 } x t
      fst (extendLoss True net x t) - l0 `shouldSatisfy` (\d -> abs (d - decay) <= 1e-12)
      fst (extendLoss False net x t) `shouldSatisfy` (/= fst (extendLoss True net x t))
    it "accuracy: a NaN score is the row's argmax (numpy's: the first NaN wins)" $ do
      -- no hidden layer: scores = x + b, b = [0, NaN, 0] puts a NaN in column 1 of every row
      let net = ExtendNet Relu 0 Nothing 0 [Dense (reshape 3 (VS.fromList [1, 0, 0, 0, 1, 0, 0, 0, 1])) (vec [0, 0 / 0, 0])] []
          x = (2 >< 3) [1, 2, 5, 9, 2, 5]
      extendAccuracy net x (TLabels (Labels (VS.fromList [1, 2]))) `shouldBe` 0.5
      accuracy (Net Relu 0 (extAffines net)) x (TLabels (Labels (VS.fromList [1, 1]))) `shouldBe` 1

  describe "SimpleConvNet (7.5)" $ do
    it "init: W1, W2, W3 drawn in that order from one generator, W2 of the pooled size, zero biases" $ do
      -- 7×7 input, 3×3 filters: conv output 5×5, pooled 2×2 (the book's formula would say 2·2.5·2.5)
      let (net, _) = initConvNet (InputDim 1 7 7) (ConvParam 2 3 0 1) 4 3 0.5 (mkGen 7)
          [Dense w1 b1, Dense w2 b2, Dense w3 b3] = convNetParams net
          (z, _) = randn [2 * 9 + 2 * 2 * 2 * 4 + 4 * 3] (mkGen 7)
      map (\w -> (rows w, cols w)) [w1, w2, w3] `shouldBe` [(2, 9), (8, 4), (4, 3)]
      concatMap (VS.toList . flatten) [w1, w2, w3] `shouldBe` map (0.5 *) (VS.toList z)
      map VS.toList [b1, b2, b3] `shouldBe` [[0, 0], [0, 0, 0, 0], [0, 0, 0]]
    -- x = 1..9 in one 3×3 image; one 2×2 filter of ones: conv [[12, 16], [24, 28]], pooled 28;
    -- W2 = 2, b2 = −1: 55; W3 = [1, −1]: scores [55, −55]
    let tiny b3 = convNet (InputDim 1 3 3) (ConvParam 1 2 0 1)
          [Dense (fromLists [[1, 1, 1, 1]]) (vec [0]), Dense (fromLists [[2]]) (vec [-1]), Dense (fromLists [[1, -1]]) b3]
        nine = fromLists [[1 .. 9]]
    it "predict: conv – relu – pool – affine – relu – affine, by hand" $
      toLists (convNetPredict (tiny (vec [0, 0])) nine) `shouldBe` [[55, -55]]
    it "loss: softmax with loss of the scores (−log(1/(1 + e^−110) + 1e-7) for label 0)" $ do
      convNetLoss (tiny (vec [0, 0])) nine (TLabels (Labels (VS.fromList [0]))) `shouldSatisfy` (\l -> abs (l + log (1 + 1e-7)) < 1e-15)
      convNetLoss (tiny (vec [0, 0])) nine (TLabels (Labels (VS.fromList [1]))) `shouldSatisfy` (\l -> abs (l + log 1e-7) < 1e-9)
    it "accuracy counts every sample, 100 at a time: 130 samples, the last 30 right, is 30/130" $ do
      -- zero weights, b3 = [0, 1]: every sample is predicted 1
      let zero = convNet (InputDim 1 3 3) (ConvParam 1 2 0 1)
            [Dense (fromLists [[0, 0, 0, 0]]) (vec [0]), Dense (fromLists [[0]]) (vec [0]), Dense (fromLists [[0, 0]]) (vec [0, 1])]
          x = reshape 9 (VS.replicate (130 * 9) 1)
          t = TLabels (Labels (VS.generate 130 (\i -> if i >= 100 then 1 else 0)))
      convNetAccuracy zero x t `shouldBe` 30 / 130
    it "the book's gradient check (1×10×10, 10 filters 3×3, hidden 10, t = 1): mean |diff| < 1e-7 per parameter" $ do
      -- the loss is −log(y_t + 1e-7), so for one sample the exact gradient is r·(backprop's),
      -- r = y_t / (y_t + 1e-7) (backprop's dx = y − t leaves the 1e-7 out): about 1 − 1e-6 here
      let (net, g) = initConvNet (InputDim 1 10 10) (ConvParam 10 3 0 1) 10 10 0.01 (mkGen 0)
          (xv, _) = rand [100] g
          x = reshape 100 xv
          t = TLabels (Labels (VS.fromList [1]))
          yt = head (toLists (softmaxRows (convNetPredict net x))) !! 1
          r = yt / (yt + 1e-7)
          backprop' = convNetGradient net x t
          numerical = convNetNumericalGradient net x t
          scaled (Dense w b) = Dense (scale r w) (VS.map (r *) b)
      length backprop' `shouldBe` 3
      forM_ (zip backprop' numerical) $ \(a, b) ->
        meanAbsDiff (scaled a) b `shouldSatisfy` (\(dw, db) -> dw < 1e-7 && db < 1e-7)
      -- unscaled, the 1e-7 shows: db3 differs by about mean|y − t|·(1 − r)
      snd (meanAbsDiff (last backprop') (last numerical)) `shouldSatisfy` (> 1e-8)
    it "backprop: its dx (one image per row) is the numerical gradient by x, with padding and stride" $ do
      let (net, g) = initConvNet (InputDim 2 6 5) (ConvParam 3 3 1 2) 5 4 0.3 (mkGen 5)
          (xv, _) = rand [2 * 2 * 6 * 5] g
          x = reshape 60 xv
          t = TLabels (Labels (VS.fromList [1, 3]))
          bp = convNetBackprop net x t
          numDx = G.numericalGradient (\v -> convNetLoss net (reshape 60 v) t) xv
      bpLoss bp `shouldBe` convNetLoss net x t
      windowStride (convWindow (convNetConv net)) `shouldBe` 2
      VS.sum (VS.map abs (flatten (bpDx bp) - numDx)) / 120 `shouldSatisfy` (<= 1e-7)

  describe "DeepConvNet (8.1)" $ do
    it "the image through the convolutions (s + 2·pad − 2) and poolings (s // 2): 28 ends 4×4, 8 ends 1×1" $ do
      map fst (deepConvSizes 28 28) `shouldBe` [28, 28, 14, 14, 16, 8, 8, 8, 4]
      deepConvSizes 8 5 `shouldBe` [(8, 5), (8, 5), (4, 2), (4, 2), (6, 4), (3, 2), (3, 2), (3, 2), (1, 1)]
    it "init: W1 … W8 of their shapes, drawn in order, each sqrt(2/n)·randn with n a unit's inputs; zero biases" $ do
      let (net, _) = initDeepConvNet (InputDim 1 8 8) 5 3 (mkGen 3)
          arrays = modelArrays (DeepConvModel net)
          ws = [v | (k, _, v) <- arrays, T.head k == 'W']
          fanIns = [9, 144, 144, 288, 288, 576, 64, 5] :: [Int]
          counts = [144, 2304, 4608, 9216, 18432, 36864, 320, 15]
          (z, _) = randn [sum counts] (mkGen 3)
          pieces = snd (mapAccumL (\rest n -> (drop n rest, take n rest)) (VS.toList z) counts)
      [(T.unpack k, sh) | (k, sh, _) <- arrays] `shouldBe`
        [ ("W1", [16, 1, 3, 3]), ("b1", [16]), ("W2", [16, 16, 3, 3]), ("b2", [16]), ("W3", [32, 16, 3, 3]), ("b3", [32])
        , ("W4", [32, 32, 3, 3]), ("b4", [32]), ("W5", [64, 32, 3, 3]), ("b5", [64]), ("W6", [64, 64, 3, 3]), ("b6", [64])
        , ("W7", [64, 5]), ("b7", [5]), ("W8", [5, 3]), ("b8", [3]) ]
      map VS.toList ws `shouldBe` [map (sqrt (2 / fromIntegral n) *) piece | (n, piece) <- zip fanIns pieces]
      and [VS.all (== 0) v | (k, _, v) <- arrays, T.head k == 'b'] `shouldBe` True
    -- zero filters: every image is 0 after the convolutions; W7 = 0, b7 = [1, 3], W8 = [[1, 0, 0], [0, 1, 0]],
    -- b8 = [1, −2, 4]. Test mode: h = [1, 3]·0.5 = [0.5, 1.5], a8 = [1.5, −0.5, 4], y = 0.5·a8.
    let zeroConvs = [Dense (reshape (cin * 9) (VS.replicate (fn * cin * 9) 0)) (VS.replicate fn 0)
                    | (cin, fn) <- zip [1, 16, 16, 32, 32, 64] [16, 16, 32, 32, 64, 64]]
        handNet b8 = deepConvNet (InputDim 1 4 4)
          (zeroConvs ++ [Dense (reshape 2 (VS.replicate 128 0)) (vec [1, 3]), Dense (fromLists [[1, 0, 0], [0, 1, 0]]) b8]) 11
        x1 = reshape 16 (VS.fromList [1 .. 16])
    it "predict in test mode: each Dropout multiplies by 1 − 0.5 (zero weights: the last halves b8)" $ do
      toLists (deepConvNetPredict False (handNet (vec [1, -2, 4])) x1) `shouldBe` [[0.75, -0.25, 2]]
      let zeroAffine = deepConvNet (InputDim 1 4 4) (zeroConvs ++ [Dense (reshape 2 (VS.replicate 128 0)) (vec [0, 0]),
                         Dense (reshape 3 (VS.replicate 6 0)) (vec [1, -2, 4])]) 0
      toLists (deepConvNetPredict False zeroAffine x1) `shouldBe` [[0.5, -1, 2]]
    it "a training-mode pass: the N × hidden mask, then the N × output one, from one generator of the seed" $ do
      let (u, _) = uniforms 5 (mkGen 11)
          [m1, m2, n1, n2, n3] = map (\a -> if a > 0.5 then 1 else 0) (VS.toList u)
          a8 = [1 * m1 + 1, 3 * m2 - 2, 4]
      toLists (deepConvNetPredict True (handNet (vec [1, -2, 4])) x1) `shouldBe` [zipWith (*) a8 [n1, n2, n3]]
      -- the loss is a training-mode pass unless told
      let net = handNet (vec [1, -2, 4])
          t = TLabels (Labels (VS.fromList [2]))
          ys = head (toLists (softmaxRows (deepConvNetPredict True net x1)))
      deepConvNetLoss True net x1 t `shouldBe` negate (log (ys !! 2 + 1e-7))
    it "accuracy: test mode over every sample, 100 at a time: 130 samples, the last 30 right, is 30/130" $ do
      let net = handNet (vec [0, 10, 0])   -- every sample's scores [0.25, 5.75, 0]: class 1
          x = reshape 16 (VS.replicate (130 * 16) 1)
          t = TLabels (Labels (VS.generate 130 (\i -> if i >= 100 then 1 else 0)))
      deepConvNetAccuracy net x t `shouldBe` 30 / 130
    it "gradient: central differences of the training-mode loss (same mask seed) on a 1×8×8 image" $ do
      let (net0, g) = initDeepConvNet (InputDim 1 8 8) 5 3 (mkGen 2)
          net = net0 { deepDropoutSeed = 4 }
          (xv, _) = rand [2 * 64] g
          x = reshape 64 xv
          t = TLabels (Labels (VS.fromList [1, 2]))
          ps = deepConvNetParams net
          grads = deepConvNetGradient net x t
          lossWith k f = deepConvNetLoss True (withDeepConvNetParams [if i == k then f d else d | (i, d) <- zip [0 ..] ps] net) x t
          h = 1e-4
          bump v j e = v VS.// [(j, v VS.! j + e)]
          numW k j = let Dense w b = ps !! k; c = cols w; at e = lossWith k (const (Dense (reshape c (bump (flatten w) j e)) b))
                     in (at h - at (-h)) / (2 * h)
          numB k j = let Dense w b = ps !! k; at e = lossWith k (const (Dense w (bump b j e)))
                     in (at h - at (-h)) / (2 * h)
      length grads `shouldBe` 8
      forM_ (zip3 [0 ..] ps grads) $ \(k, Dense w b, Dense dw db) -> do
        let nw = VS.length (flatten w)
        forM_ [0, nw `div` 2, nw - 1] $ \j ->
          (k, j, numW k j) `shouldSatisfy` (\(_, _, n) -> closeTo 1e-3 1e-7 (flatten dw VS.! j) n)
        forM_ [0, VS.length b - 1] $ \j ->
          (k, j, numB k j) `shouldSatisfy` (\(_, _, n) -> closeTo 1e-3 1e-7 (db VS.! j) n)
