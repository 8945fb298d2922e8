{-# LANGUAGE OverloadedStrings #-}
-- | The networks of the book: the fixed 3-layer network of chapter 3,
-- simpleNet of chapter 4, and the backpropagation networks TwoLayerNet
-- (chapter 5), MultiLayerNet (chapter 6, @common/multi_layer_net.py@),
-- MultiLayerNetExtend (@common/multi_layer_net_extend.py@), SimpleConvNet (chapter 7) and
-- DeepConvNet (chapter 8, @ch08/deep_convnet.py@).
--
-- A network is its parameters, a list of 'Dense' layers; TwoLayerNet is the
-- two-layer ReLU case of 'Net'.
module DLScratch.Networks
  ( -- * The 3-layer network (3.4.3)
    net3Init
  , Net3Output (..)
  , Net3Trace (..)
  , net3Forward
    -- * simpleNet (4.4.2)
  , simpleNetPredict
  , simpleNetLoss
  , simpleNetNumericalGradient
    -- * TwoLayerNet and MultiLayerNet
  , Activation (..)
  , Params
  , Grads
  , Net (..)
  , twoLayerNet
  , WeightInit (..)
  , weightInitNamed
  , initStd
  , initLayers
  , initTwoLayerNet
  , predict
  , loss
  , accuracy
  , accuracyInBlocks
  , Backprop (..)
  , backprop
  , gradient
  , numericalGradient
    -- * MultiLayerNetExtend
  , ExtendNet (..)
  , ExtendParams
  , batchNormLayer
  , initExtendNet
  , extendParams
  , withExtendParams
  , runningStats
  , extendPredict
  , extendLoss
  , extendAccuracy
  , extendGradient
  , extendNumericalGradient
    -- * SimpleConvNet
  , InputDim (..)
  , ConvParam (..)
  , defaultConvParam
  , ConvNet (..)
  , accuracyBatch
  , convNet
  , initConvNet
  , convNetParams
  , withConvNetParams
  , convNetPredict
  , convNetLoss
  , convNetAccuracy
  , convNetBackprop
  , convNetGradient
  , convNetNumericalGradient
    -- * DeepConvNet
  , deepConvs
  , deepPoolAfter
  , deepConvSizes
  , DeepConvNet (..)
  , deepConvNet
  , initDeepConvNet
  , deepConvNetParams
  , withDeepConvNetParams
  , deepConvNetPredict
  , deepConvNetLoss
  , deepConvNetAccuracy
  , deepConvNetGradient
  , deepConvNetBackprop
  ) where

import Control.DeepSeq (NFData (..))
import Data.List (mapAccumL, mapAccumR)
import Data.Maybe (catMaybes)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, cols, flatten, fromLists, fromList, reshape, rows, (<>), asRow,
                              scale, sumElements)
import Prelude hiding ((<>))
import DLScratch.Functions

import qualified DLScratch.Gradient as G
import DLScratch.Layers
import DLScratch.Rng (Gen, mkGen, randn)
import DLScratch.Util

-- 3-layer network --------------------------------------------------------

-- region: net3
-- | The book's fixed weights (W1, b1), (W2, b2), (W3, b3).
net3Init :: [Dense]
net3Init =
  [ Dense (fromLists [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]) (fromList [0.1, 0.2, 0.3])
  , Dense (fromLists [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]) (fromList [0.1, 0.2])
  , Dense (fromLists [[0.1, 0.3], [0.2, 0.4]]) (fromList [0.1, 0.2])
  ]

data Net3Output = IdentityOutput | SoftmaxOutput deriving (Eq, Show)

-- | Every intermediate of the forward pass.
data Net3Trace = Net3Trace { a1, z1, a2, z2, a3, y :: Matrix Double }

-- | @a1 = x·W1 + b1, z1 = σ(a1), a2 = z1·W2 + b2, z2 = σ(a2),
-- a3 = z2·W3 + b3, y = identity(a3)@ (or softmax). For 1-D x the book's
-- x·W is a 1×D row here.
net3Forward :: [Dense] -> Net3Output -> Matrix Double -> Net3Trace
net3Forward ds out x = Net3Trace a1' z1' a2' z2' a3' y'
  where
    [l1, l2, l3] = take 3 ds
    aff (Dense w b) v = v <> w + asRow b
    a1' = aff l1 x
    z1' = mapM' sigmoid a1'
    a2' = aff l2 z1'
    z2' = mapM' sigmoid a2'
    a3' = aff l3 z2'
    y' = case out of
      IdentityOutput -> a3'
      SoftmaxOutput -> softmaxRows a3'
-- endregion

-- simpleNet --------------------------------------------------------------

-- region: simple_net
-- part: predict
-- | @p = x·W@
simpleNetPredict :: Matrix Double -> Matrix Double -> Matrix Double
simpleNetPredict w x = x <> w

-- part: loss
-- | @cross_entropy_error(softmax(x·W), t)@
simpleNetLoss :: Matrix Double -> Matrix Double -> Targets -> Double
simpleNetLoss w x t = crossEntropyError (softmaxRows (simpleNetPredict w x)) t

-- part: numerical_gradient
-- | The numerical gradient of the loss with respect to W.
simpleNetNumericalGradient :: Matrix Double -> Matrix Double -> Targets -> Matrix Double
simpleNetNumericalGradient w x t =
  reshape (cols w) (G.numericalGradient (\wv -> simpleNetLoss (reshape (cols w) wv) x t) (flatten w))
-- endregion

-- TwoLayerNet / MultiLayerNet --------------------------------------------

-- region: multi_layer_net
data Activation = Relu | Sigmoid deriving (Eq, Show)

-- region: two_layer_net
-- | A network's parameters: (W1, b1), (W2, b2), … in order.
type Params = [Dense]

-- | The gradient of the loss by every parameter, in the order of 'Params'.
type Grads = [Dense]

-- | Affine → activation pairs, a last Affine, SoftmaxWithLoss; the loss
-- adds the L2 weight decay @Σ_i 0.5·λ·Σ W_i²@.
data Net = Net
  { activation :: !Activation
  , weightDecayLambda :: !Double
  , layers :: !Params
  }

instance NFData Net where
  rnf (Net _ _ ps) = rnf ps

-- part: init
-- | The chapter-5 TwoLayerNet: Affine1 → ReLU → Affine2 → SoftmaxWithLoss.
twoLayerNet :: Dense -> Dense -> Net
twoLayerNet l1 l2 = Net Relu 0 [l1, l2]
-- endregion

-- | The scale of the initial weights: a number, or He @sqrt(2/n_in)@, or
-- Xavier @sqrt(1/n_in)@.
data WeightInit = StdDev Double | He | Xavier deriving (Eq, Show)

-- | The book's names, compared as @str(weight_init_std).lower()@: "relu" or
-- "he" is He, "sigmoid" or "xavier" is Xavier, in any case ("He", "ReLU").
-- (Python's full lower-casing is 'T.toLower': "SİGMOID" is not "sigmoid".)
weightInitNamed :: Text -> Maybe WeightInit
weightInitNamed name
  | lower `elem` ["relu", "he"] = Just He
  | lower `elem` ["sigmoid", "xavier"] = Just Xavier
  | otherwise = Nothing
  where lower = T.toLower name

initStd :: WeightInit -> Int -> Double
initStd (StdDev s) _ = s
initStd He nIn = sqrt (2.0 / fromIntegral nIn)
initStd Xavier nIn = sqrt (1.0 / fromIntegral nIn)

-- | Layer sizes @[n0, n1, ..., nk]@: @W_i = std_i·randn(n_{i−1}, n_i)@ drawn
-- in order from one generator, biases zero.
initLayers :: WeightInit -> [Int] -> Gen -> (Params, Gen)
initLayers wi sizes g0 = go (zip sizes (drop 1 sizes)) g0
  where
    go [] g = ([], g)
    go ((nIn, nOut) : rest) g =
      let (z, g') = randn [nIn, nOut] g
          s = initStd wi nIn
          w = reshape nOut (VS.map (s *) z)
          (ds, g'') = go rest g'
      in (Dense w (VS.replicate nOut 0) : ds, g'')

-- region: two_layer_net
-- part: init
-- | TwoLayerNet(input, hidden, output, weight_init_std) from a generator.
initTwoLayerNet :: Int -> Int -> Int -> Double -> Gen -> (Net, Gen)
initTwoLayerNet i hdn o s g =
  let ([l1, l2], g') = initLayers (StdDev s) [i, hdn, o] g in (twoLayerNet l1 l2, g')
-- endregion

-- region: two_layer_net
-- part: helper
data Tape = Tape AffineTape (Maybe ActTape)
data ActTape = RT ReluTape | ST SigmoidTape

-- | The activation layer's forward pass, and its tape.
activate :: Activation -> Matrix Double -> (Matrix Double, ActTape)
activate Relu = fmap RT . reluForward
activate Sigmoid = fmap ST . sigmoidForward

-- | The activation layer's backward pass.
deactivate :: ActTape -> Matrix Double -> Matrix Double
deactivate (RT t) = reluBackward t
deactivate (ST t) = sigmoidBackward t

forwardAll :: Net -> Matrix Double -> (Matrix Double, [Tape])
forwardAll net x0 = go (layers net) x0
  where
    go [] x = (x, [])
    go [d] x = let (o, t) = affineForward d x in (o, [Tape t Nothing])
    go (d : ds) x =
      let (o, t) = affineForward d x
          (o', at) = activate (activation net) o
          (out, tapes) = go ds o'
      in (out, Tape t (Just at) : tapes)

-- part: predict
-- | The scores of the last Affine layer (no softmax).
predict :: Net -> Matrix Double -> Matrix Double
predict net = fst . forwardAll net

-- part: loss
weightDecay :: Net -> Double
weightDecay net = foldl (\acc (Dense w _) -> acc + 0.5 * lam * sumElements (w * w)) 0 (layers net)
  where lam = weightDecayLambda net

-- | SoftmaxWithLoss of the scores, plus the weight decay (when λ ≠ 0).
loss :: Net -> Matrix Double -> Targets -> Double
loss net x t =
  let ((l, _), _) = softmaxWithLossForward (predict net x) t
  in if weightDecayLambda net == 0 then l else l + weightDecay net

-- part: accuracy
-- | Mean of @argmax(y) == t@ over the rows.
accuracy :: Net -> Matrix Double -> Targets -> Double
accuracy net x t =
  let Labels p = argmaxRows (predict net x)
      Labels l = targetLabels t
      hits = VS.length (VS.filter id (VS.zipWith (==) p l))
  in fromIntegral hits / fromIntegral (rows x)

-- | 'accuracy' counted over blocks of at most k rows, so that no more than k
-- rows of activations exist at once; the same hits, so the same result.
-- Precondition: k >= 1.
accuracyInBlocks :: Int -> Net -> Matrix Double -> Targets -> Double
accuracyInBlocks k net = blockAccuracy k (predict net)

-- | The fraction of rows whose argmax of @scores@ is t, the scores taken k rows at a time (the
-- last block may be shorter).
blockAccuracy :: Int -> (Matrix Double -> Matrix Double) -> Matrix Double -> Targets -> Double
blockAccuracy k scores x t = fromIntegral (sum (map hits [0, k .. n - 1])) / fromIntegral n
  where
    n = rows x
    c = cols x
    xv = flatten x
    Labels l = targetLabels t
    hits i =
      let m = min k (n - i)
          Labels p = argmaxRows (scores (reshape c (VS.unsafeSlice (i * c) (m * c) xv)))
      in VS.length (VS.filter id (VS.zipWith (==) p (VS.unsafeSlice i m l)))

-- part: gradient
-- | What the book's @gradient@ computes on its way: the loss of the forward
-- pass ('loss'), the gradient by the network's input (the first Affine's
-- @dx = dout·W1ᵀ@) and the gradient by every parameter.
data Backprop = Backprop
  { bpLoss :: !Double
  , bpDx :: !(Matrix Double)
  , bpGrads :: !Grads
  }

instance NFData Backprop where
  rnf (Backprop _ _ gs) = rnf gs

-- | Backpropagation: the forward pass and its loss, then every layer's
-- backward from the last to the first (dW gets λ·W).
backprop :: Net -> Matrix Double -> Targets -> Backprop
backprop net x t = Backprop l dx grads
  where
    (scores, tapes) = forwardAll net x
    ((l0, _), stape) = softmaxWithLossForward scores t
    l = if lam == 0 then l0 else l0 + weightDecay net
    lam = weightDecayLambda net
    (dx, grads) = foldr back (softmaxWithLossBackward stape, []) (zip (layers net) tapes)
    back (d, Tape at act) (dout, gs) =
      let dout' = maybe dout (`deactivate` dout) act
          (dxi, Dense dw db) = affineBackward d at dout'
          dw' = if lam == 0 then dw else dw + reshape (cols dw) (VS.map (lam *) (flatten (weight d)))
      in (dxi, Dense dw' db : gs)

-- | The gradient of 'loss' for every layer.
gradient :: Net -> Matrix Double -> Targets -> Grads
gradient net x t = bpGrads (backprop net x t)

-- part: numerical_gradient
-- | Central differences of 'loss' over every element of W1, b1, W2, b2, …
numericalGradient :: Net -> Matrix Double -> Targets -> Grads
numericalGradient net x t = numericalGradientOf (\ds -> loss net { layers = ds } x t) (layers net)

-- | Central differences of f over every element of W1, b1, W2, b2, …
numericalGradientOf :: (Params -> Double) -> Params -> Grads
numericalGradientOf f ds = [ Dense (gradW k) (gradB k) | k <- [0 .. length ds - 1] ]
  where
    setAt k g = [ if i == k then g d else d | (i, d) <- zip [0 :: Int ..] ds ]
    gradW k =
      let w = weight (ds !! k)
      in reshape (cols w) (G.numericalGradient
           (\v -> f (setAt k (\d -> d { weight = reshape (cols w) v }))) (flatten w))
    gradB k = G.numericalGradient (\v -> f (setAt k (\d -> d { bias = v }))) (bias (ds !! k))
-- endregion
-- endregion

-- MultiLayerNetExtend ----------------------------------------------------

-- region: multi_layer_net_extend
-- | MultiLayerNetExtend: hidden layer i is Affine_i → [BatchNorm_i] → activation → [Dropout_i];
-- then the last Affine and SoftmaxWithLoss. The loss adds @Σ_i 0.5·λ·Σ W_i²@.
data ExtendNet = ExtendNet
  { extActivation :: !Activation
  , extWeightDecayLambda :: !Double
  , extDropout :: !(Maybe Double)  -- ^ the Dropout ratio, with use_dropout
  , extDropoutSeed :: !Int         -- ^ the seed of the masks of every training-mode pass
  , extAffines :: ![Dense]         -- ^ W_i, b_i of every Affine, the output layer's last
  , extNorms :: ![BatchNorm]       -- ^ one per hidden layer with use_batchnorm, else none
  }

instance NFData ExtendNet where
  rnf net = rnf (extAffines net) `seq` rnf (runningStats net)

-- | What training changes: W_i, b_i of every Affine and γ_i, β_i of every BatchNorm.
type ExtendParams = ([Dense], [(Vector Double, Vector Double)])

-- part: init
-- | A BatchNorm layer of momentum 0.9 whose running statistics are the book's first ones (zeros).
batchNormLayer :: Vector Double -> Vector Double -> BatchNorm
batchNormLayer g b = BatchNorm g b zeros zeros 0.9 where zeros = VS.map (const 0) g

-- | MultiLayerNet's weights for the layer sizes @[n0, n1, ..., nk]@ ('initLayers'), with batch
-- norm γ_i = 1 and β_i = 0 for every hidden layer; the masks' seed is 0.
initExtendNet :: Activation -> WeightInit -> Double -> Maybe Double -> Bool -> [Int] -> Gen
              -> (ExtendNet, Gen)
initExtendNet act wi lam dropout useBatchNorm sizes g =
  let (ds, g') = initLayers wi sizes g
      norms = [batchNormLayer (VS.replicate n 1) (VS.replicate n 0) | useBatchNorm, n <- init (drop 1 sizes)]
  in (ExtendNet act lam dropout 0 ds norms, g')

-- part: helper
extendParams :: ExtendNet -> ExtendParams
extendParams net = (extAffines net, [(bnGamma bn, bnBeta bn) | bn <- extNorms net])

withExtendParams :: ExtendParams -> ExtendNet -> ExtendNet
withExtendParams (ds, gbs) net =
  net { extAffines = ds, extNorms = zipWith withScale (extNorms net) gbs }
  where withScale bn (g, b) = bn { bnGamma = g, bnBeta = b }

-- part: state
-- | (running_mean_i, running_var_i) of every BatchNorm layer.
runningStats :: ExtendNet -> [(Vector Double, Vector Double)]
runningStats net = [(bnRunningMean bn, bnRunningVar bn) | bn <- extNorms net]

-- part: predict
data HiddenTape = HiddenTape AffineTape (Maybe BatchNormTape) ActTape (Maybe DropoutTape)

-- | The forward pass (training mode with the flag): the scores, the network with the running
-- statistics after the pass, the hidden layers' tapes and the output Affine's. The Dropout layers
-- draw their masks in order from one generator seeded with the network's dropout seed.
extendForward :: Bool -> ExtendNet -> Matrix Double
              -> (Matrix Double, ExtendNet, [HiddenTape], AffineTape)
extendForward train net x0 = (scores, net { extNorms = norms' }, tapes, outTape)
  where
    hidden = init (extAffines net)
    normsOf = if null (extNorms net) then map (const Nothing) hidden else map Just (extNorms net)
    (scores, outTape) = affineForward (last (extAffines net)) xL
    (xL, norms', tapes) = go (zip hidden normsOf) (mkGen (extDropoutSeed net)) x0
    go [] _ x = (x, [], [])
    go ((d, bn) : rest) g x =
      let (a, at) = affineForward d x
          (b, bn', bt) = case bn of
            Nothing -> (a, Nothing, Nothing)
            Just l -> let (o, l', t) = batchNormForward train l a in (o, Just l', Just t)
          (z, act) = activate (extActivation net) b
          ((o, dt), g') = case extDropout net of
            Nothing -> ((z, Nothing), g)
            Just r -> let ((o', t), g'') = dropoutForward r train g z in ((o', Just t), g'')
          (out, bns, ts) = go rest g' o
      in (out, maybe bns (: bns) bn', HiddenTape at bt act dt : ts)

-- | The scores of the last Affine layer, and the network after the pass.
extendPredict :: Bool -> ExtendNet -> Matrix Double -> (Matrix Double, ExtendNet)
extendPredict train net x = let (s, net', _, _) = extendForward train net x in (s, net')

-- part: loss
-- | @Σ_i 0.5·λ·Σ W_i²@, summed in layer order from 0 (as the book's, even for λ = 0).
extendWeightDecay :: ExtendNet -> Double
extendWeightDecay net = foldl (\acc (Dense w _) -> acc + 0.5 * lam * sumElements (w * w)) 0 (extAffines net)
  where lam = extWeightDecayLambda net

-- | SoftmaxWithLoss of the scores plus the weight decay, and the network after the pass.
extendLoss :: Bool -> ExtendNet -> Matrix Double -> Targets -> (Double, ExtendNet)
extendLoss train net x t =
  let (s, net') = extendPredict train net x
  in (fst (fst (softmaxWithLossForward s t)) + extendWeightDecay net, net')

-- part: accuracy
-- | Mean of @argmax(y) == t@ over the rows of a test-mode pass.
extendAccuracy :: ExtendNet -> Matrix Double -> Targets -> Double
extendAccuracy net x t =
  let Labels p = argmaxRows (fst (extendPredict False net x))
      Labels l = targetLabels t
  in fromIntegral (VS.length (VS.filter id (VS.zipWith (==) p l))) / fromIntegral (rows x)

-- part: gradient
-- | Backpropagation through a training-mode pass (dW_i gets λ·W_i), and the network after it.
extendGradient :: ExtendNet -> Matrix Double -> Targets -> (ExtendParams, ExtendNet)
extendGradient net x t = ((map withDecay (zip (extAffines net) (dAffines ++ [dOut])), catMaybes dNorms), net')
  where
    (scores, net', tapes, outTape) = extendForward True net x
    (_, stape) = softmaxWithLossForward scores t
    (dh, dOut) = affineBackward (last (extAffines net)) outTape (softmaxWithLossBackward stape)
    normsOf = if null (extNorms net) then map (const Nothing) tapes else map Just (extNorms net)
    (dAffines, dNorms) = unzip (snd (foldr back (dh, []) (zip3 (init (extAffines net)) normsOf tapes)))
    back (d, bn, HiddenTape at bt act dt) (dout, gs) =
      let d1 = deactivate act (maybe dout (`dropoutBackward` dout) dt)
          (d2, dn) = case (bn, bt) of
            (Just l, Just tp) ->
              let (dx, BatchNormGrad dg db) = batchNormBackward l tp d1 in (dx, Just (dg, db))
            _ -> (d1, Nothing)
          (dx, grad) = affineBackward d at d2
      in (dx, (grad, dn) : gs)
    withDecay (Dense w _, Dense dw db) = Dense (dw + scale (extWeightDecayLambda net) w) db

-- part: numerical_gradient
-- | Central differences of the training-mode loss over every element of W1, b1, γ1, β1, W2, …
-- (every pass draws the same masks, so this is the derivative of one network).
extendNumericalGradient :: ExtendNet -> Matrix Double -> Targets -> ExtendParams
extendNumericalGradient net x t =
  ( [ Dense (reshape (cols w) (diff (flatten w) (\v -> (setAt k (Dense (reshape (cols w) v) b) ds, gbs))))
            (diff b (\v -> (setAt k (Dense w v) ds, gbs)))
    | (k, Dense w b) <- zip [0 ..] ds ]
  , [ (diff g (\v -> (ds, setAt k (v, be) gbs)), diff be (\v -> (ds, setAt k (g, v) gbs)))
    | (k, (g, be)) <- zip [0 ..] gbs ] )
  where
    (ds, gbs) = extendParams net
    diff v with = G.numericalGradient (\v' -> fst (extendLoss True (withExtendParams (with v') net) x t)) v
    setAt :: Int -> a -> [a] -> [a]
    setAt k e es = [if i == k then e else old | (i, old) <- zip [0 ..] es]
-- endregion

-- SimpleConvNet ----------------------------------------------------------

-- region: simple_conv_net
-- | C × H × W, the shape of one input image.
data InputDim = InputDim { inChannels, inHeight, inWidth :: !Int } deriving (Eq, Show)

-- | The book's conv_param: filter_num filters of filter_size × filter_size, pad, stride.
data ConvParam = ConvParam { filterNum, filterSize, convPad, convStride :: !Int } deriving (Eq, Show)

-- | The book's: 30 filters of 5 × 5, no padding, stride 1.
defaultConvParam :: ConvParam
defaultConvParam = ConvParam 30 5 0 1

-- | Convolution(W1, b1) → ReLU → Pooling(2 × 2, stride 2) → Affine(W2, b2) → ReLU →
-- Affine(W3, b3) → SoftmaxWithLoss. A batch is a matrix of one image (C·H·W, row-major) per row.
data ConvNet = ConvNet
  { convNetInput :: !InputDim
  , convNetConv :: !Convolution
  , convNetHidden :: !Dense
  , convNetOutput :: !Dense
  }

instance NFData ConvNet where
  rnf net = rnf (convNetParams net)

-- | 'convNetAccuracy' predicts this many samples at a time (the book's batch_size).
accuracyBatch :: Int
accuracyBatch = 100

convNetPool :: Pooling
convNetPool = Pooling (Window 2 2 2 0)

-- part: init
-- | The network of the structure and the parameters (W1 as W_col, b1), (W2, b2), (W3, b3).
convNet :: InputDim -> ConvParam -> Params -> ConvNet
convNet dim (ConvParam _ fs pad stride) ps = case ps of
  [c, h, o] -> ConvNet dim (Convolution c (Window fs fs stride pad)) h o
  _ -> error "convNet: three layers of parameters"

-- | W1 = std·randn(FN, C, FS, FS), W2 = std·randn(FN·PH·PW, hidden), W3 = std·randn(hidden, output)
-- drawn in that order, zero biases; PH × PW is the pooled size, OH // 2 × OW // 2.
initConvNet :: InputDim -> ConvParam -> Int -> Int -> Double -> Gen -> (ConvNet, Gen)
initConvNet dim cp hidden output std g0 =
  (convNet dim cp [Dense w1 (zeros fn), Dense w2 (zeros hidden), Dense w3 (zeros output)], g3)
  where
    ConvParam fn fs pad stride = cp
    (oh, ow) = outputShape (Window fs fs stride pad) (ImageShape 1 (inChannels dim) (inHeight dim) (inWidth dim))
    draw r c g = let (z, g') = randn [r, c] g in (reshape c (VS.map (std *) z), g')
    (w1, g1) = draw fn (inChannels dim * fs * fs) g0
    (w2, g2) = draw (fn * (oh `div` 2) * (ow `div` 2)) hidden g1
    (w3, g3) = draw hidden output g2
    zeros n = VS.replicate n 0

-- | (W1 as W_col, b1), (W2, b2), (W3, b3).
convNetParams :: ConvNet -> Params
convNetParams net = [convParams (convNetConv net), convNetHidden net, convNetOutput net]

withConvNetParams :: Params -> ConvNet -> ConvNet
withConvNetParams ps net = case ps of
  [c, h, o] -> net { convNetConv = (convNetConv net) { convParams = c }, convNetHidden = h, convNetOutput = o }
  _ -> error "withConvNetParams: three layers of parameters"

-- part: helper
data ConvNetTape = ConvNetTape ConvolutionTape ImageShape ReluTape PoolingTape ImageShape AffineTape ReluTape AffineTape

-- | The scores of the last Affine layer, and every layer's tape.
convNetForward :: ConvNet -> Matrix Double -> (Matrix Double, ConvNetTape)
convNetForward net x = (scores, ConvNetTape ct (imageShape conv) rt1 pt (imageShape pooled) at1 rt2 at2)
  where
    InputDim c h w = convNetInput net
    (conv, ct) = convolutionForward (convNetConv net) (Images (ImageShape (rows x) c h w) (flatten x))
    (r1, rt1) = reluForward (imagesRows conv)
    (pooled, pt) = poolingForward convNetPool (withPixels conv r1)
    (a1, at1) = affineForward (convNetHidden net) (imagesRows pooled)
    (r2, rt2) = reluForward a1
    (scores, at2) = affineForward (convNetOutput net) r2

-- part: predict
convNetPredict :: ConvNet -> Matrix Double -> Matrix Double
convNetPredict net = fst . convNetForward net

-- part: loss
-- | SoftmaxWithLoss of the scores.
convNetLoss :: ConvNet -> Matrix Double -> Targets -> Double
convNetLoss net x t = fst (fst (softmaxWithLossForward (convNetPredict net x) t))

-- part: accuracy
-- | The fraction of all samples whose argmax is t, predicted 'accuracyBatch' at a time, a last
-- partial batch included.
convNetAccuracy :: ConvNet -> Matrix Double -> Targets -> Double
convNetAccuracy net = blockAccuracy accuracyBatch (convNetPredict net)

-- part: gradient
-- | The loss, dx (one image per row) and the gradients of W1 (as W_col), b1, …, b3: the layers'
-- backward from the last to the first.
convNetBackprop :: ConvNet -> Matrix Double -> Targets -> Backprop
convNetBackprop net x t = Backprop l (imagesRows dx) [g1, g2, g3]
  where
    (scores, ConvNetTape ct convShape rt1 pt pooledShape at1 rt2 at2) = convNetForward net x
    ((l, _), st) = softmaxWithLossForward scores t
    (d2, g3) = affineBackward (convNetOutput net) at2 (softmaxWithLossBackward st)
    (d1, g2) = affineBackward (convNetHidden net) at1 (reluBackward rt2 d2)
    dpool = poolingBackward pt (Images pooledShape (flatten d1))
    drelu = Images convShape (flatten (reluBackward rt1 (imagesRows dpool)))
    (dx, g1) = convolutionBackward (convNetConv net) ct drelu

convNetGradient :: ConvNet -> Matrix Double -> Targets -> Grads
convNetGradient net x t = bpGrads (convNetBackprop net x t)

-- part: numerical_gradient
-- | Central differences of 'convNetLoss' over every element of W1, b1, W2, b2, W3, b3.
convNetNumericalGradient :: ConvNet -> Matrix Double -> Targets -> Grads
convNetNumericalGradient net x t =
  numericalGradientOf (\ps -> convNetLoss (withConvNetParams ps net) x t) (convNetParams net)
-- endregion

-- DeepConvNet ------------------------------------------------------------

-- region: deep_conv_net
-- | The book's six convolutions as (filter_num, pad), every filter 3 × 3 of stride 1.
deepConvs :: [(Int, Int)]
deepConvs = [(16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)]

-- | The convolutions (1-based) followed by a 2 × 2 pooling of stride 2.
deepPoolAfter :: [Int]
deepPoolAfter = [2, 4, 6]

-- | The image's height × width after each convolution and each pooling, in order: a 3 × 3
-- filter with pad p makes a side s into @s + 2p − 2@, a pooling into @s // 2@.
deepConvSizes :: Int -> Int -> [(Int, Int)]
deepConvSizes h0 w0 = concat (snd (mapAccumL next (h0, w0) (zip [1 ..] deepConvs)))
  where
    next (h, w) (i, (_, p)) =
      let conv = (h + 2 * p - 2, w + 2 * p - 2)
          pooled = (fst conv `div` 2, snd conv `div` 2)
      in if i `elem` deepPoolAfter then (pooled, [conv, pooled]) else (conv, [conv])

-- | (Convolution – ReLU – Convolution – ReLU – Pooling) × 3 with 16, 16, 32, 32, 64, 64 filters,
-- then Affine(W7, b7) – ReLU – Dropout(0.5) – Affine(W8, b8) – Dropout(0.5) – SoftmaxWithLoss.
-- A batch is a matrix of one image (C·H·W, row-major) per row.
data DeepConvNet = DeepConvNet
  { deepInput :: !InputDim
  , deepConvLayers :: ![Convolution]  -- ^ W1 … W6 as W_col, b1 … b6
  , deepHidden :: !Dense              -- ^ W7, b7
  , deepOutput :: !Dense              -- ^ W8, b8
  , deepDropoutSeed :: !Int           -- ^ the seed of both masks of a training-mode pass
  }

instance NFData DeepConvNet where
  rnf net = rnf (deepConvNetParams net)

-- part: init
-- | The network of the structure and the parameters (W1 … W6 as W_col), its masks from the seed.
deepConvNet :: InputDim -> Params -> Int -> DeepConvNet
deepConvNet dim ps dropoutSeed = case splitAt (length deepConvs) ps of
  (cs, [h, o]) -> DeepConvNet dim (zipWith (\d (_, p) -> Convolution d (Window 3 3 1 p)) cs deepConvs) h o dropoutSeed
  _ -> error "deepConvNet: eight layers of parameters"

-- | @W_i = sqrt(2/n_i)·randn@ drawn W1 … W8 in order (He's scale), n_i a unit's inputs: C·9, 16·9,
-- 16·9, 32·9, 32·9, 64·9, 64·PH·PW, hidden_size; zero biases; the masks' seed is 0.
initDeepConvNet :: InputDim -> Int -> Int -> Gen -> (DeepConvNet, Gen)
initDeepConvNet dim hidden output g0 = (deepConvNet dim (convs ++ affines) 0, g')
  where
    InputDim c h w = dim
    (ph, pw) = last (deepConvSizes h w)
    filters = map fst deepConvs
    -- W_col is FN × C_in·9 (n = its columns, one bias per filter); an affine's W is n × M
    (g1, convs) = mapAccumL (draw snd fst) g0 [(fn, cin * 9) | (cin, fn) <- zip (c : init filters) filters]
    (g', affines) = mapAccumL (draw fst snd) g1 [(last filters * ph * pw, hidden), (hidden, output)]
    draw fanIn biases g (r, cl) =
      let (z, g2) = randn [r, cl] g
      in (g2, Dense (reshape cl (VS.map (initStd He (fanIn (r, cl)) *) z)) (VS.replicate (biases (r, cl)) 0))

-- | (W1 … W6 as W_col, b1 … b6), (W7, b7), (W8, b8).
deepConvNetParams :: DeepConvNet -> Params
deepConvNetParams net = map convParams (deepConvLayers net) ++ [deepHidden net, deepOutput net]

withDeepConvNetParams :: Params -> DeepConvNet -> DeepConvNet
withDeepConvNetParams ps net = deepConvNet (deepInput net) ps (deepDropoutSeed net)

-- part: helper
-- | A convolution's tape, its output's shape, the ReLU's tape and the pooling's after it, if any.
data ConvBlockTape = ConvBlockTape ConvolutionTape ImageShape ReluTape (Maybe PoolingTape)

data DeepTape = DeepTape [ConvBlockTape] ImageShape AffineTape ReluTape DropoutTape AffineTape DropoutTape

deepPool :: Pooling
deepPool = Pooling (Window 2 2 2 0)

-- | The scores of the last Dropout (training mode with the flag: its two masks, N × hidden_size
-- then N × output_size, drawn from one generator seeded with the network's dropout seed), and
-- every layer's tape.
deepForward :: Bool -> DeepConvNet -> Matrix Double -> (Matrix Double, DeepTape)
deepForward train net x = (scores, DeepTape blockTapes (imageShape flat) at7 rt7 dt7 at8 dt8)
  where
    InputDim c h w = deepInput net
    (flat, blockTapes) = mapAccumL block (Images (ImageShape (rows x) c h w) (flatten x))
                                   (zip [1 ..] (deepConvLayers net))
    block img (i, layer) =
      let (conv, ct) = convolutionForward layer img
          (r, rt) = reluForward (imagesRows conv)
          (out, pt) = if i `elem` deepPoolAfter
            then let (p, t) = poolingForward deepPool (withPixels conv r) in (p, Just t)
            else (withPixels conv r, Nothing)
      in (out, ConvBlockTape ct (imageShape conv) rt pt)
    (a7, at7) = affineForward (deepHidden net) (imagesRows flat)
    (r7, rt7) = reluForward a7
    ((d7, dt7), g) = dropoutForward 0.5 train (mkGen (deepDropoutSeed net)) r7
    (a8, at8) = affineForward (deepOutput net) d7
    ((scores, dt8), _) = dropoutForward 0.5 train g a8

-- part: predict
-- | The scores (test mode without the flag: each Dropout multiplies by 1 − 0.5).
deepConvNetPredict :: Bool -> DeepConvNet -> Matrix Double -> Matrix Double
deepConvNetPredict train net = fst . deepForward train net

-- part: loss
-- | SoftmaxWithLoss of the scores (the book's loss is a training-mode pass).
deepConvNetLoss :: Bool -> DeepConvNet -> Matrix Double -> Targets -> Double
deepConvNetLoss train net x t = fst (fst (softmaxWithLossForward (deepConvNetPredict train net x) t))

-- part: accuracy
-- | The fraction of all samples whose test-mode argmax is t, 'accuracyBatch' at a time.
deepConvNetAccuracy :: DeepConvNet -> Matrix Double -> Targets -> Double
deepConvNetAccuracy net = blockAccuracy accuracyBatch (deepConvNetPredict False net)

-- part: gradient
-- | Backpropagation through a training-mode pass: dW, db of W1 (as W_col), b1, …, W8, b8.
deepConvNetGradient :: DeepConvNet -> Matrix Double -> Targets -> Grads
deepConvNetGradient net x t = bpGrads (deepConvNetBackprop net x t)

-- | The loss of a training-mode pass, dx (one image per row: the first convolution's
-- col2im(dout·W_col)) and the gradients of W1 (as W_col), b1, …, W8, b8.
deepConvNetBackprop :: DeepConvNet -> Matrix Double -> Targets -> Backprop
deepConvNetBackprop net x t = Backprop l (imagesRows dx) (convGrads ++ [g7, g8])
  where
    (scores, DeepTape blockTapes flatShape at7 rt7 dt7 at8 dt8) = deepForward True net x
    ((l, _), st) = softmaxWithLossForward scores t
    (d7, g8) = affineBackward (deepOutput net) at8 (dropoutBackward dt8 (softmaxWithLossBackward st))
    (d6, g7) = affineBackward (deepHidden net) at7 (reluBackward rt7 (dropoutBackward dt7 d7))
    (dx, convGrads) = mapAccumR back (Images flatShape (flatten d6)) (zip (deepConvLayers net) blockTapes)
    back dout (layer, ConvBlockTape ct convShape rt pt) =
      let dpool = maybe dout (`poolingBackward` dout) pt
      in convolutionBackward layer ct (Images convShape (flatten (reluBackward rt (imagesRows dpool))))
-- endregion
