{-# LANGUAGE FlexibleInstances, OverloadedStrings, TypeApplications #-}
-- | The runner: the request loop of shared_tests/README.md (decode a line, look up its op,
-- validate its args by ops.json, bind, encode the answer) and one binding per op, which
-- calls the book's code with arguments the validator has already checked.
module DLScratch.Runner (Binding, bindings, runLine, runStream) where

import Control.DeepSeq (force)
import Control.Exception (SomeException, evaluate, try)
import Data.Bifunctor (first)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Char8 as BC
import qualified Data.Map.Strict as M
import Data.Maybe (fromMaybe)
import Data.Text (Text, pack, unpack)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, cmap, flatten, reshape, rows)
import System.IO
import DLScratch.Array
import DLScratch.Datasets (Idx (..), readIdx)
import DLScratch.Error
import DLScratch.Functions
import DLScratch.Gates
import qualified DLScratch.Gradient as G
import DLScratch.Graph
import DLScratch.Json
import DLScratch.Layers
import DLScratch.Networks
import DLScratch.Optimizers
import qualified DLScratch.Rng as Rng
import DLScratch.Train
import DLScratch.Trainer
import DLScratch.Util
import DLScratch.Validate

-- | The entries of an ok object.
type Out = [(Text, J)]

-- | How an op is answered from its validated arguments (in IO: data.idx reads a file).
type Binding = Args -> IO (Either DLError Out)

-- | Answer every line of stdin on stdout; blank lines (ASCII white space only) get no answer.
runStream :: IO ()
runStream = do
  schema <- loadSchema
  mapM_ (`hSetBinaryMode` True) [stdin, stdout]
  hSetBuffering stdout (BlockBuffering Nothing)
  let loop = hIsEOF stdin >>= \eof -> if eof then pure () else BC.hGetLine stdin >>= \line ->
        if BC.all (`elem` (" \t\n\v\f\r" :: String)) line then loop
        else runLine schema line >>= B.hPutBuilder stdout . (<> "\n") >> hFlush stdout >> loop
  loop

-- | The answer line (without newline) to one request line.
runLine :: Schema -> BC.ByteString -> IO B.Builder
runLine schema line = case decodeLine line of
  Right (A.Object o) | Just (A.String i) <- KM.lookup "id" o -> answer (JStr i) <$> guarded (request o)
  r -> pure (answer JNull (Left (DLError BadRequest (either ("not JSON: " ++) (const noId) r))))
  where
    noId = "not an object with a string \"id\""
    request o = case (KM.lookup "op" o, fromMaybe (A.Object KM.empty) (KM.lookup "args" o)) of
      (Just (A.String op), A.Object args) -> case (M.lookup op (schemaOps schema), M.lookup op bindings) of
        (Just spec, Just bind) -> validateIO schema spec args >>= either (pure . Left) bind
        (Nothing, _) -> refuse UnknownOp ("unknown op " ++ show op)
        (_, Nothing) -> refuse InternalError ("no binding for " ++ unpack op)
      (Just (A.String _), _) -> refuse BadArgs "\"args\" is not an object"
      _ -> refuse BadRequest "the request has no string \"op\""
    refuse t = pure . Left . DLError t
    answer i r = encodeJ (JObj [("id", i), either errorJ (\entries -> ("ok", JObj entries)) r])
    errorJ (DLError t m) = ("error", JObj [("type", JStr (pack (show t))), ("message", JStr (pack m))])

-- | Evaluate the answer completely, an exception (a bug) becoming an InternalError.
guarded :: IO (Either DLError Out) -> IO (Either DLError Out)
guarded act = either (Left . DLError InternalError . show @SomeException) id <$> try (evaluate . force =<< act)

-- Bindings ---------------------------------------------------------------------------

-- | A value of an answer: a number, or an array of its ok key's shape in ops.json.
class Result r where result :: Shape -> r -> J
instance Result Double where result _ = JNum
instance Result Int where result _ = JInt
instance Result Tensor where result _ = tensorJ
instance Result (Vector Double) where result s = tensorJ . Tensor s
instance Result (Matrix Double) where result s = tensorJ . Tensor s . flatten
instance Result (VS.Vector Int) where result _ = intsJ . VS.toList
instance Result Images where result _ = tensorJ . imagesTensor

-- | The ok entry k.
ok :: Result r => Args -> Text -> r -> (Text, J)
ok a k r = (k, result (shapeOf a k) r)

-- | The answer of an op with one ok key (as every op bound so has).
one :: Result r => (Args -> r) -> Args -> Out
one f a = [ok a k (f a) | k <- M.keys (argOk a)]

-- | data.idx: the file's shape, the sum of its values and the first 16 of them.
dataIdx :: Binding
dataIdx a = either (Left . DLError ValueError) (Right . answer) <$> readIdx (unpack (arg a "path"))
  where answer (Idx sh v) = [("shape", intsJ sh), ("sum", JNum (VS.sum v)), ("head", vectorJ (VS.take 16 v))]

-- | Every op of ops.json.
bindings :: M.Map Text Binding
bindings = M.insert "data.idx" dataIdx (M.map (\f -> pure . Right . f) pureBindings)

-- | The ops answered by a function of their arguments alone.
pureBindings :: M.Map Text (Args -> Out)
pureBindings = M.fromList $
  [(op, one (\a -> g (arg a "x1") (arg a "x2"))) | (op, g) <- gates] ++
  [(op, one (\a -> tmap f (arg a "x"))) | (op, f) <- elementwise] ++
  [ ("fn.softmax", one (\a -> softmaxRows (arg a "x")))
  , ("loss.sum_squared_error", one (\a -> sumSquaredError (arg a "y") (arg a "t")))
  , ("loss.cross_entropy_error", one (\a -> crossEntropyError (arg a "y") (arg a "t")))
  , ("grad.numerical_diff", one (\a -> G.numericalDiff (fst (named a)) (arg a "x")))
  , ("grad.numerical_gradient", one (\a -> G.numericalGradient (snd (named a)) (arg a "x")))
  , ("grad.gradient_descent", one (\a ->
      G.gradientDescent (snd (named a)) (arg a "lr") (arg a "step_num") (arg a "init_x")))
  , ("simple_net.predict", one (\a -> simpleNetPredict (arg a "W") (arg a "x")))
  , ("simple_net.loss", one (onSimpleNet simpleNetLoss))
  , ("simple_net.numerical_gradient", one (onSimpleNet simpleNetNumericalGradient))
  , ("layer.mul", \a -> let (out, tape) = mulForward (arg a "x" :: Vector Double) (arg a "y")
                            (dx, dy) = mulBackward tape (arg a "dout")
                        in [ok a "out" out, ok a "dx" dx, ok a "dy" dy])
  , ("layer.add", \a -> let (dx, dy) = addBackward (arg a "dout" :: Vector Double)
                            out = addForward (arg a "x") (arg a "y") :: Vector Double
                        in [ok a "out" out, ok a "dx" dx, ok a "dy" dy])
  , ("graph.buy_apple", \a ->
      let BuyApple p da dn dt = buyApple (arg a "apple") (arg a "apple_num") (arg a "tax") (arg a "dprice")
      in zip ["price", "dapple", "dapple_num", "dtax"] (map JNum [p, da, dn, dt]))
  , ("graph.buy_apple_orange", \a ->
      let BuyAppleOrange p da dn dor don dt = buyAppleOrange (arg a "apple") (arg a "apple_num")
            (arg a "orange") (arg a "orange_num") (arg a "tax") (arg a "dprice")
      in zip ["price", "dapple", "dapple_num", "dorange", "dorange_num", "dtax"]
             (map JNum [p, da, dn, dor, don, dt]))
  , ("layer.relu", rowLayer reluForward reluBackward)
  , ("layer.sigmoid", rowLayer sigmoidForward sigmoidBackward)
  , ("layer.dropout", \a ->
      rowLayer (fst . dropoutForward (arg a "dropout_ratio") (arg a "train_flg") (gen a)) dropoutBackward a)
  , ("layer.affine", \a -> let layer = Dense (arg a "W") (arg a "b")
                               (out, tape) = affineForward layer (arg a "x")
                               dout = reshape (symbol a "M") (arg a "dout")
                               (dx, Dense dw db) = affineBackward layer tape dout
                           in [ok a "out" out, ok a "dx" dx, ok a "dW" dw, ok a "db" db])
  , ("layer.softmax_with_loss", \a ->
      let ((l, y'), tape) = softmaxWithLossForward (arg a "x") (arg a "t")
      in [ok a "loss" l, ok a "y" y', ok a "dx" (softmaxWithLossBackward tape)])
  , ("layer.batch_norm", \a ->
      let running k = fromMaybe (VS.replicate (symbol a "D") 0) (arg a k) :: Vector Double  -- absent: zeros
          bn = BatchNorm (arg a "gamma") (arg a "beta") (running "running_mean") (running "running_var")
                         (arg a "momentum")
          (out, bn', tape) = batchNormForward (arg a "train_flg") bn (arg a "x")
          (dx, BatchNormGrad dg db) = batchNormBackward bn tape (arg a "dout")
      in [ ok a "out" out, ok a "dx" dx, ok a "dgamma" dg, ok a "dbeta" db
         , ok a "running_mean" (bnRunningMean bn'), ok a "running_var" (bnRunningVar bn') ])
  , ("net3.init", const (denseOut net3Init))
  , ("net3.forward", \a ->
      let output = if name a "output" == "softmax" then SoftmaxOutput else IdentityOutput
          tr3 = net3Forward (denseOf a "network") output (arg a "x")
      in zipWith (ok a) ["a1", "z1", "a2", "z2", "a3", "y"] (map ($ tr3) [a1, z1, a2, z2, a3, y]))
  , ("two_layer_net.init", \a -> denseOut (layers (fst (initTwoLayerNet (arg a "input_size")
      (arg a "hidden_size") (arg a "output_size") (arg a "weight_init_std") (gen a)))))
  , ("two_layer_net.predict", one (\a -> predict (netOf a) (arg a "x")))
  , ("two_layer_net.accuracy", one (onBatch accuracy))
  , ("multi_layer_net.init", \a -> denseOut (fst (initLayers (weightInitOf a) (layerSizes a) (gen a))))
  , ("multi_layer_net_extend.init", \a -> extendOut (extendParams (fst (extendInit a (gen a)))))
  , ("multi_layer_net_extend.predict", \a ->
      extendPass a "y" (\n -> extendPredict (arg a "train_flg") n (arg a "x")))
  , ("multi_layer_net_extend.loss", \a ->
      extendPass a "loss" (\n -> extendLoss (arg a "train_flg") n (arg a "x") (arg a "t")))
  , ("multi_layer_net_extend.accuracy", one (onExtend extendAccuracy))
  , ("multi_layer_net_extend.gradient", extendOut . fst . onExtend extendGradient)
  , ("multi_layer_net_extend.numerical_gradient", extendOut . onExtend extendNumericalGradient)
  , ("util.im2col", one (\a -> im2col (windowOf a (arg a "filter_h") (arg a "filter_w")) (arg a "input_data")))
  , ("util.col2im", one (\a -> case arg a "input_shape" of
      [n, c, h, w] -> col2im (windowOf a (arg a "filter_h") (arg a "filter_w")) (ImageShape n c h w) (arg a "col")
      _ -> error "input_shape: N, C, H, W"))
  , ("layer.convolution", \a ->
      let layer = Convolution (Dense (arg a "W") (arg a "b")) (windowOf a (symbol a "FH") (symbol a "FW"))
          (out, tape) = convolutionForward layer (arg a "x")
          (dx, Dense dw db) = convolutionBackward layer tape (arg a "dout")
      in [ok a "out" out, ok a "dx" dx, ok a "dW" dw, ok a "db" db])
  , ("layer.pooling", \a ->
      let (out, tape) = poolingForward (Pooling (windowOf a (arg a "pool_h") (arg a "pool_w"))) (arg a "x")
      in [ok a "out" out, ok a "dx" (poolingBackward tape (arg a "dout"))])
  , ("simple_conv_net.init", \a -> let (net, _) = initConvNet (inputDimOf a) (convParamOf a) (arg a "hidden_size")
                                                     (arg a "output_size") (arg a "weight_init_std") (gen a)
                                   in convOut net (convNetParams net))
  , ("simple_conv_net.predict", one (\a -> convNetPredict (convNetOf a) (arg a "x")))
  , ("simple_conv_net.loss", one (onConvNet convNetLoss))
  , ("simple_conv_net.accuracy", one (onConvNet convNetAccuracy))
  , ("simple_conv_net.gradient", \a -> convOut (convNetOf a) (onConvNet convNetGradient a))
  , ("simple_conv_net.numerical_gradient", \a -> convOut (convNetOf a) (onConvNet convNetNumericalGradient a))
  , ("deep_conv_net.init", \a -> deepOut (fst (initDeepConvNet (inputDimOf a) (arg a "hidden_size")
                                                                (arg a "output_size") (gen a))))
  , ("deep_conv_net.predict", one (\a -> deepConvNetPredict (arg a "train_flg") (deepConvNetOf a) (arg a "x")))
  , ("deep_conv_net.loss", one (\a -> deepConvNetLoss (arg a "train_flg") (deepConvNetOf a) (arg a "x") (arg a "t")))
  , ("deep_conv_net.accuracy", one (\a -> deepConvNetAccuracy (deepConvNetOf a) (arg a "x") (arg a "t")))
  , ("deep_conv_net.gradient", \a -> let net = deepConvNetOf a in
      deepOut (withDeepConvNetParams (deepConvNetGradient net (arg a "x") (arg a "t")) net))
  , ("model.evaluate", \a ->
      -- with half: every weight and every element of x rounded to binary16 (half_float_network.py),
      -- the arithmetic float64
      let model = arg a "path" :: Args
          half = if arg a "half" then pmap (VS.map toFloat16) else id :: Params -> Params
          (x, t) = ((if arg a "half" then cmap toFloat16 else id) (arg a "x" :: Matrix Double), arg a "t" :: Targets)
          (scores, acc) = case name model "kind" of
            "two_layer_net" -> let net0 = twoLayerNetOf model
                                   net = net0 { layers = half (layers net0) }
                               in (predict net x, accuracy net x t)
            "simple_conv_net" -> let net0 = convNetOf model
                                     net = withConvNetParams (half (convNetParams net0)) net0
                                 in (convNetPredict net x, convNetAccuracy net x t)
            _ -> let net0 = deepConvNetOf model
                     net = withDeepConvNetParams (half (deepConvNetParams net0)) net0
                 in (deepConvNetPredict False net x, deepConvNetAccuracy net x t)
      in [ok a "y" scores, ok a "accuracy" acc])
  , ("train.trainer", trainer)
  , ("optimizer.run", \a ->
      let opt = optimizerOf (name a "name") (arg a "hyper")
          (p0, grads) = (arg a "params", arg a "grads_seq" :: [M.Map Text Tensor])
          final = fst (foldl (\(p, st) g -> update opt st p g) (p0, initState opt p0) grads)
      in [("params", JObj [(k, tensorJ t) | (k, t) <- M.toList final])])
  , ("rng.uniform", one (\a -> fst (Rng.uniforms (arg a "n") (gen a))))
  , ("rng.normal", one (\a -> fst (Rng.normals (arg a "n") (gen a))))
  , ("rng.permutation", one (\a -> fst (Rng.permutation (arg a "n") (gen a))))
  , ("rng.choice", one (\a -> fst (Rng.choice (arg a "n") (arg a "size") (gen a))))
  , ("train.two_layer_net", \a ->
      let hyper = M.insertWith (\_ given -> given) "lr" (arg a "lr") (arg a "optimizer.hyper")
          optimizer = optimizerOf (name a "optimizer.name") hyper
          cfg = TrainConfig (arg a "hidden_size") (arg a "output_size") (arg a "weight_init_std")
                            (arg a "batch_size") (arg a "iters") (arg a "seed") optimizer
          (hist, net) = trainTwoLayerNet cfg (arg a "x_train") (targetLabels (arg a "t_train"))
      in [("loss_history", JArr (map JNum hist)), ("params", JObj (denseOut (layers net)))])
  ] ++ concat
  [ [ (family <> ".loss", one (onBatch loss)), (family <> ".gradient", denseOut . onBatch gradient)
    , (family <> ".numerical_gradient", denseOut . onBatch numericalGradient) ]
  | family <- ["two_layer_net", "multi_layer_net"] ]
  where
    gates = [("gate.and", andGate), ("gate.nand", nandGate), ("gate.or", orGate), ("gate.xor", xorGate)]
    elementwise = [ ("fn.identity", identity), ("fn.step", step), ("fn.sigmoid", sigmoid)
                  , ("fn.sigmoid_grad", sigmoidGrad), ("fn.relu", relu), ("fn.relu_grad", reluGrad)
                  , ("fn.tanh", tanhActivation), ("util.to_float16", toFloat16) ]
    onBatch f a = f (netOf a) (arg a "x") (arg a "t")   -- the network's f on the batch x, t
    onSimpleNet f a = f (arg a "W") (arg a "x") (arg a "t")
    -- x and dout as one row each, through an elementwise layer: out and dx
    rowLayer forward backward a = [ok a "out" out, ok a "dx" (backward tape (rowOf a "dout"))]
      where (out, tape) = forward (rowOf a "x")
    rowOf a k = let v = arg a k :: Vector Double in reshape (VS.length v) v
    gen a = Rng.mkGen (arg a "seed")
    onExtend f a = f (extendOf a) (arg a "x") (arg a "t")
    onConvNet f a = f (convNetOf a) (arg a "x") (arg a "t")
    -- the convolution's or the pooling's window, with the op's stride and pad
    windowOf a fh fw = Window fh fw (arg a "stride") (arg a "pad")
    -- the value of a pass as k, and the running statistics after it
    extendPass a k f = let (r, net) = f (extendOf a) in [ok a k r, ("running_stats", JObj (pairsOut
      ("running_mean", "running_var") (runningStats net)))]
    -- the network of the params and running_stats arguments, its masks drawn from seed
    extendOf a =
      let p = arg a "params" :: M.Map Text Tensor
          given = arg a "running_stats" :: Maybe (M.Map Text Tensor)   -- absent: zeros
          running k i n = maybe (VS.replicate n 0) (values . (M.! (k <> i))) given
          norm (i, n) = (batchNormLayer (values (p M.! ("gamma" <> i))) (values (p M.! ("beta" <> i))))
            { bnRunningMean = running "running_mean" i n, bnRunningVar = running "running_var" i n }
      in ExtendNet (activationOf a) (arg a "weight_decay_lambda") (dropoutOf a) (fromMaybe 0 (arg a "seed"))
           (denseOf a "params") [norm h | arg a "use_batchnorm", h <- zip numbers (arg a "hidden_size_list")]
    -- the layers W1, b1, W2, b2, ... of a params argument
    denseOf a k = let p = arg a k :: M.Map Text Tensor in
      [ Dense (asRows (p M.! ("W" <> i))) (values (p M.! ("b" <> i)))   -- a conv W1: FN rows
      | i <- takeWhile (\i -> M.member ("W" <> i) p) numbers ]
    -- function_1 and function_2 of chapter 4; on an array function_1 is summed (np.sum(f(x)))
    named a | name a "f" == "function_1" = (G.function1, VS.sum . VS.map G.function1)
            | otherwise = (\x -> x * x, G.function2) :: (Double -> Double, Vector Double -> Double)
    -- the network of the params argument; TwoLayerNet's has neither an activation nor weight decay
    netOf a = Net (activationOf a) (fromMaybe 0 (arg a "weight_decay_lambda")) (denseOf a "params")

-- | SimpleConvNet of the structure arguments and params.
convNetOf :: Args -> ConvNet
convNetOf a = convNet (inputDimOf a) (convParamOf a) [ Dense (asRows (p M.! ("W" <> i))) (values (p M.! ("b" <> i)))
                                                     | i <- ["1", "2", "3"] ]
  where p = arg a "params" :: M.Map Text Tensor

-- | DeepConvNet of the structure arguments and params, its masks from seed (absent: 0).
deepConvNetOf :: Args -> DeepConvNet
deepConvNetOf a = deepConvNet (inputDimOf a) (paramsOf a (length deepConvs + 2)) (fromMaybe 0 (arg a "seed"))

-- | TwoLayerNet of a params argument.
twoLayerNetOf :: Args -> Net
twoLayerNetOf a = Net Relu 0 (paramsOf a 2)

-- | (W1, b1), …, (Wk, bk) of params, every W as rows (a convolution's as W_col, FN rows).
paramsOf :: Args -> Int -> Params
paramsOf a k = [ Dense (asRows (p M.! ("W" <> i))) (values (p M.! ("b" <> i))) | i <- take k numbers ]
  where p = arg a "params" :: M.Map Text Tensor

-- | W1 … W8 (a convolution's FN × C × 3 × 3), b1 … b8 of a DeepConvNet.
deepOut :: DeepConvNet -> Out
deepOut net = [(k, tensorJ (Tensor sh v)) | (k, sh, v) <- modelArrays (DeepConvModel net)]

-- | W1 (FN × C × FS × FS), b1, W2, b2, W3, b3 of a SimpleConvNet's parameters.
convOut :: ConvNet -> Params -> Out
convOut net ps = case denseOut ps of
  ("W1", _) : rest | Dense w1 _ : _ <- ps ->
    ("W1", tensorJ (Tensor [rows w1, inChannels (convNetInput net), fs, fs] (flatten w1))) : rest
  out -> out
  where fs = windowH (convWindow (convNetConv net))

-- | W1, b1, W2, b2, ... of layers, and with MultiLayerNetExtend's parameters gamma1, beta1, ...
denseOut :: [Dense] -> Out
denseOut ds = concat [[("W" <> i, matrixJ w), ("b" <> i, vectorJ b)] | (i, Dense w b) <- zip numbers ds]

extendOut :: ExtendParams -> Out
extendOut (ds, gbs) = denseOut ds ++ pairsOut ("gamma", "beta") gbs

-- | ka1, kb1, ka2, kb2, ... of a list of pairs.
pairsOut :: (Text, Text) -> [(Vector Double, Vector Double)] -> Out
pairsOut (ka, kb) vs = concat [[(ka <> i, vectorJ u), (kb <> i, vectorJ v)] | (i, (u, v)) <- zip numbers vs]

-- | The optimizer of a name and its hyper-parameters.
optimizerOf :: Text -> M.Map Text Double -> Optimizer
optimizerOf n h = withHyper (M.mapKeys unpack h) (fromMaybe (SGD 0.01) (defaultOptimizer (unpack n)))

-- | The layers' numbers "1", "2", ...
numbers :: [Text]
numbers = map (pack . show) [1 :: Int ..]

-- | The activation argument (absent: ReLU, TwoLayerNet's).
activationOf :: Args -> Activation
activationOf a = if arg a "activation" == Just ("sigmoid" :: Text) then Sigmoid else Relu

-- | weight_init_std: a number, else a name.
weightInitOf :: Args -> WeightInit
weightInitOf a =
  maybe (fromMaybe He (weightInitNamed (name a "weight_init_std"))) StdDev (arg a "weight_init_std")

-- | The Dropout ratio, with use_dropout.
dropoutOf :: Args -> Maybe Double
dropoutOf a = if arg a "use_dropout" then Just (arg a "dropout_ration") else Nothing

-- | MultiLayerNetExtend of the init arguments, its weights drawn from the generator.
extendInit :: Args -> Rng.Gen -> (ExtendNet, Rng.Gen)
extendInit a = initExtendNet (activationOf a) (weightInitOf a) (arg a "weight_decay_lambda") (dropoutOf a)
                             (arg a "use_batchnorm") (layerSizes a)

-- | train.trainer: one generator draws the network's weights, then every batch and mask seed.
trainer :: Args -> Out
trainer a = case name net "kind" of
  "two_layer_net" -> run denseOut (initTwoLayerNet (arg net "input_size") (arg net "hidden_size")
                                                  (arg net "output_size") (arg net "weight_init_std") g0)
  "multi_layer_net" -> run denseOut (first (Net (activationOf net) (arg net "weight_decay_lambda"))
                                            (initLayers (weightInitOf net) (layerSizes net) g0))
  "simple_conv_net" -> let (n0, g) = initConvNet (inputDimOf net) (convParamOf net) (arg net "hidden_size")
                                                  (arg net "output_size") (arg net "weight_init_std") g0
                       in run (convOut n0) (n0, g)
  "deep_conv_net" -> let (n0, g) = initDeepConvNet (inputDimOf net) (arg net "hidden_size") (arg net "output_size") g0
                     in run (\ps -> deepOut (withDeepConvNetParams ps n0)) (n0, g)
  _ -> run extendOut (extendInit net g0)
  where
    net = arg a "network" :: Args
    g0 = Rng.mkGen (arg a "seed")
    cfg = TrainerConfig (arg a "epochs") (arg a "mini_batch_size")
            (optimizerOf (name a "optimizer") (arg a "optimizer_param"))
            (arg a "evaluate_sample_num_per_epoch")
    dat = TrainerData (arg a "x_train") (targetLabels (arg a "t_train"))
                      (arg a "x_test") (targetLabels (arg a "t_test"))
    run :: Network n => (Weights n -> Out) -> (n, Rng.Gen) -> Out
    run out (n0, g) = let r = train cfg dat n0 g in
      [ ("train_loss_list", numbersJ (trainLossList r)), ("train_acc_list", numbersJ (trainAccList r))
      , ("test_acc_list", numbersJ (testAccList r)), ("test_acc", JNum (testAcc r))
      , ("params", JObj (out (weights (trainedNet r)))) ]
    numbersJ = JArr . map JNum
