{-# LANGUAGE FlexibleInstances, OverloadedStrings #-}
-- | The runner: the request loop of shared_tests/README.md (decode a line, look up its op,
-- validate its args by ops.json, bind, encode the answer) and one binding per op, which
-- calls the book's code with arguments the validator has already checked.
module DLScratch.Runner (Binding (..), bindings, runLine, runStream) where

import Control.DeepSeq (force)
import Control.Exception (SomeException, evaluate, fromException, try)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Char8 as BC
import qualified Data.Map.Strict as M
import Data.Maybe (fromMaybe)
import Data.Text (Text, pack, unpack)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, flatten, reshape)
import System.IO
import DLScratch.Array
import DLScratch.Datasets (Idx (..), readIdx)
import DLScratch.Error
import DLScratch.Functions
import DLScratch.Gates
import DLScratch.Gradient (function1, function2, gradientDescent, numericalDiff)
import qualified DLScratch.Gradient as G
import DLScratch.Graph
import DLScratch.Json
import DLScratch.Layers
import DLScratch.Networks hiding (numericalGradient)
import qualified DLScratch.Networks as N
import DLScratch.Optimizers
import qualified DLScratch.Rng as Rng
import DLScratch.Train
import DLScratch.Validate

type Out = [(Text, J)]

-- | How an op is answered from its validated arguments: most are pure; data.idx reads a file.
data Binding = Pure (Args -> Out) | Impure (Args -> IO (Either DLError Out))

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
  Right (A.Object o) | Just (A.String i) <- KM.lookup "id" o -> answer (JStr i) <$> case KM.lookup "op" o of
    Just (A.String op) -> request op (fromMaybe (A.Object KM.empty) (KM.lookup "args" o))
    _ -> pure (Left (DLError BadRequest "the request has no string \"op\""))
  r -> pure (answer JNull (Left (DLError BadRequest (either ("not JSON: " ++) (const "not an object with a string \"id\"") r))))
  where
    request op args = case (args, M.lookup op (schemaOps schema), M.lookup op bindings) of
      (A.Object a, Just spec, Just b) -> guarded (either (pure . Left) (bind b) (validate schema spec a))
      (A.Object _, Nothing, _) -> pure (Left (DLError UnknownOp ("unknown op " ++ show op)))
      (A.Object _, _, Nothing) -> pure (Left (DLError InternalError ("no binding for " ++ unpack op)))
      _ -> pure (badArgs "\"args\" is not an object")
    bind (Pure f) a = pure (Right (f a))
    bind (Impure f) a = f a
    answer i = encodeJ . JObj . (("id", i) :) . either (\(DLError t m) -> [("error", JObj [("type", JStr (pack (show t))), ("message", JStr (pack m))])])
                                                        (\ok' -> [("ok", JObj ok')])

-- | Evaluate the answer completely, an exception (a bug) becoming an InternalError.
guarded :: IO (Either DLError Out) -> IO (Either DLError Out)
guarded act = either (Left . classify) id <$> try (act >>= evaluate . force)
  where classify e = fromMaybe (DLError InternalError (show (e :: SomeException))) (fromException e)

-- Bindings ---------------------------------------------------------------------------

-- | Flat values, shaped on output by the ok key's shape in ops.json.
class Flat a where flat :: a -> Vector Double
instance Flat (Matrix Double) where flat = flatten
instance Flat (VS.Vector Double) where flat = id

-- | An ok entry of the shape ops.json gives it.
ok :: Flat m => Args -> Text -> m -> (Text, J)
ok a k m = (k, tensorJ (Tensor (shapeOf a k) (flat m)))

-- | An array argument as rows: 1-D is one row, ndim >= 2 is (first dimension, the rest).
rowsOf :: Args -> Text -> Matrix Double
rowsOf a = asRows . tensor a

-- | An array argument as one row.
rowOf :: Args -> Text -> Matrix Double
rowOf a k = let v = values (tensor a k) in reshape (VS.length v) v

vals :: Args -> Text -> Vector Double
vals a = values . tensor a

-- | W1, b1, W2, b2, ... of a params argument.
denseOf :: Args -> Text -> [Dense]
denseOf a k = go (1 :: Int)
  where
    p = params a k
    go i = case (M.lookup ("W" <> pack (show i)) p, M.lookup ("b" <> pack (show i)) p) of
      (Just w, Just b) -> Dense (toMatrix w) (values b) : go (i + 1)
      _ -> []

denseOut :: [Dense] -> Out
denseOut ds = concat [ [("W" <> i, matrixJ w), ("b" <> i, vectorJ b)] | (n, Dense w b) <- zip [1 :: Int ..] ds, let i = pack (show n) ]

-- | function_1 and function_2 of chapter 4; on an array function_1 is summed (np.sum(f(x))).
named :: Args -> (Double -> Double, Vector Double -> Double)
named a = if name a "f" == "function_1" then (function1, VS.sum . VS.map function1) else (\x -> x * x, function2)

optimizerOf :: Text -> M.Map Text Double -> Optimizer
optimizerOf n h = withHyper (M.mapKeys unpack h) (fromMaybe (SGD 0.01) (defaultOptimizer (unpack n)))

netOf :: Args -> Net
netOf a = case M.lookup "activation" (argValues a) of
  Just _ -> Net (if name a "activation" == "sigmoid" then Sigmoid else Relu) (num a "weight_decay_lambda") (denseOf a "params")
  Nothing -> Net Relu 0 (denseOf a "params")

-- | Every op of ops.json.
bindings :: M.Map Text Binding
bindings = M.fromList $
  [ (op, Pure (\a -> [("y", JInt (g (num a "x1") (num a "x2")))]))
  | (op, g) <- [("gate.and", andGate), ("gate.nand", nandGate), ("gate.or", orGate), ("gate.xor", xorGate)] ] ++
  [ (op, Pure (\a -> [("y", tensorJ (tmap f (tensor a "x")))]))
  | (op, f) <- [ ("fn.identity", identity), ("fn.step", step), ("fn.sigmoid", sigmoid)
               , ("fn.sigmoid_grad", sigmoidGrad), ("fn.relu", relu), ("fn.relu_grad", reluGrad) ] ] ++
  [ ("fn.softmax", Pure (\a -> [ok a "y" (softmaxRows (rowsOf a "x"))]))
  , ("loss.sum_squared_error", Pure (\a -> [("loss", JNum (sumSquaredError (vals a "y") (vals a "t")))]))
  , ("loss.cross_entropy_error", Pure (\a -> [("loss", JNum (crossEntropyError (rowsOf a "y") (targets a "t")))]))
  , ("grad.numerical_diff", Pure (\a -> [("d", JNum (numericalDiff (fst (named a)) (num a "x")))]))
  , ("grad.numerical_gradient", Pure (\a -> [ok a "grad" (G.numericalGradient (snd (named a)) (vals a "x"))]))
  , ("grad.gradient_descent", Pure (\a -> [ok a "x" (gradientDescent (snd (named a)) (num a "lr") (int a "step_num") (vals a "init_x"))]))
  , ("simple_net.predict", Pure (\a -> [ok a "p" (simpleNetPredict (toMatrix (tensor a "W")) (rowsOf a "x"))]))
  , ("simple_net.loss", Pure (\a -> [("loss", JNum (simpleNetLoss (toMatrix (tensor a "W")) (rowsOf a "x") (targets a "t")))]))
  , ("simple_net.numerical_gradient", Pure (\a -> [ok a "dW" (simpleNetNumericalGradient (toMatrix (tensor a "W")) (rowsOf a "x") (targets a "t"))]))
  , ("layer.mul", Pure (\a -> let (out, tape) = mulForward (vals a "x") (vals a "y")
                                  (dx, dy) = mulBackward tape (vals a "dout")
                              in [ok a "out" out, ok a "dx" dx, ok a "dy" dy]))
  , ("layer.add", Pure (\a -> let (dx, dy) = addBackward (vals a "dout")
                              in [ok a "out" (addForward (vals a "x") (vals a "y")), ok a "dx" dx, ok a "dy" dy]))
  , ("graph.buy_apple", Pure (\a -> let BuyApple p da dn dt = buyApple (num a "apple") (num a "apple_num") (num a "tax") (num a "dprice")
                                    in zip ["price", "dapple", "dapple_num", "dtax"] (map JNum [p, da, dn, dt])))
  , ("graph.buy_apple_orange", Pure (\a ->
      let BuyAppleOrange p da dn dor don dt = buyAppleOrange (num a "apple") (num a "apple_num") (num a "orange")
                                                             (num a "orange_num") (num a "tax") (num a "dprice")
      in zip ["price", "dapple", "dapple_num", "dorange", "dorange_num", "dtax"] (map JNum [p, da, dn, dor, don, dt])))
  , ("layer.relu", Pure (\a -> let (out, tape) = reluForward (rowOf a "x") in [ok a "out" out, ok a "dx" (reluBackward tape (rowOf a "dout"))]))
  , ("layer.sigmoid", Pure (\a -> let (out, tape) = sigmoidForward (rowOf a "x") in [ok a "out" out, ok a "dx" (sigmoidBackward tape (rowOf a "dout"))]))
  , ("layer.affine", Pure (\a -> let layer = Dense (toMatrix (tensor a "W")) (vals a "b")
                                     (out, tape) = affineForward layer (rowsOf a "x")
                                     (dx, Dense dw db) = affineBackward layer tape (reshape (symbol a "M") (vals a "dout"))
                                 in [ok a "out" out, ok a "dx" dx, ok a "dW" dw, ok a "db" db]))
  , ("layer.softmax_with_loss", Pure (\a -> let ((l, y'), tape) = softmaxWithLossForward (rowsOf a "x") (targets a "t")
                                            in [("loss", JNum l), ok a "y" y', ok a "dx" (softmaxWithLossBackward tape)]))
  , ("layer.dropout", Pure (\a -> let ((out, tape), _) = dropoutForward (num a "dropout_ratio") (bool a "train_flg") (Rng.mkGen (int a "seed")) (rowOf a "x")
                                  in [ok a "out" out, ok a "dx" (dropoutBackward tape (rowOf a "dout"))]))
  , ("layer.batch_norm", Pure (\a ->
      let running k = case value a k of { VArr t -> values t; _ -> VS.replicate (symbol a "D") 0 }
          bn = BatchNorm (vals a "gamma") (vals a "beta") (running "running_mean") (running "running_var") (num a "momentum")
          (out, bn', tape) = batchNormForward (bool a "train_flg") bn (rowsOf a "x")
          (dx, BatchNormGrad dg db) = batchNormBackward bn tape (rowsOf a "dout")
      in [ ok a "out" out, ok a "dx" dx, ok a "dgamma" dg, ok a "dbeta" db
         , ok a "running_mean" (bnRunningMean bn'), ok a "running_var" (bnRunningVar bn') ]))
  , ("net3.init", Pure (const (denseOut net3Init)))
  , ("net3.forward", Pure (\a ->
      let tr3 = net3Forward (denseOf a "network") (if name a "output" == "softmax" then SoftmaxOutput else IdentityOutput) (rowsOf a "x")
      in zipWith (ok a) ["a1", "z1", "a2", "z2", "a3", "y"] (map ($ tr3) [a1, z1, a2, z2, a3, y])))
  , ("two_layer_net.init", Pure (\a -> denseOut (layers (fst (initTwoLayerNet (int a "input_size") (int a "hidden_size")
                                   (int a "output_size") (num a "weight_init_std") (Rng.mkGen (int a "seed")))))))
  , ("two_layer_net.predict", Pure (\a -> [ok a "y" (predict (netOf a) (rowsOf a "x"))]))
  , ("two_layer_net.accuracy", Pure (\a -> [("accuracy", JNum (accuracy (netOf a) (rowsOf a "x") (targets a "t")))]))
  , ("multi_layer_net.init", Pure (\a ->
      let wi = case value a "weight_init_std" of { VNum d -> StdDev d; _ -> fromMaybe He (weightInitNamed (name a "weight_init_std")) }
      in denseOut (fst (initLayers wi ([int a "input_size"] ++ ints a "hidden_size_list" ++ [int a "output_size"]) (Rng.mkGen (int a "seed"))))))
  , ("optimizer.run", Pure (\a ->
      let opt = optimizerOf (name a "name") (hyper a "hyper")
          p0 = params a "params"
          step' (p, st) g = update opt st p g
      in [("params", JObj [ (k, tensorJ t) | (k, t) <- M.toList (fst (foldl step' (p0, initState opt p0) (gradsSeq a "grads_seq"))) ])]))
  , ("rng.uniform", Pure (\a -> [("x", vectorJ (fst (Rng.uniforms (int a "n") (Rng.mkGen (int a "seed")))))]))
  , ("rng.normal", Pure (\a -> [("x", vectorJ (fst (Rng.normals (int a "n") (Rng.mkGen (int a "seed")))))]))
  , ("rng.permutation", Pure (\a -> [("p", intsJ (VS.toList (fst (Rng.permutation (int a "n") (Rng.mkGen (int a "seed"))))))]))
  , ("rng.choice", Pure (\a -> [("idx", intsJ (VS.toList (fst (Rng.choice (int a "n") (int a "size") (Rng.mkGen (int a "seed"))))))]))
  , ("train.two_layer_net", Pure (\a ->
      let (n, h) = (name a "optimizer.name", hyper a "optimizer.hyper")
          cfg = TrainConfig (int a "hidden_size") (int a "output_size") (num a "weight_init_std") (int a "batch_size")
                            (int a "iters") (int a "seed") (optimizerOf n (M.insertWith (\_ given -> given) "lr" (num a "lr") h))
          (hist, net) = trainTwoLayerNet cfg (toMatrix (tensor a "x_train")) (targetLabels (targets a "t_train"))
      in [("loss_history", JArr (map JNum hist)), ("params", JObj (denseOut (layers net)))]))
  , ("data.idx", Impure (\a -> fmap (either (Left . DLError ValueError) (\(Idx sh v) ->
      Right [("shape", intsJ sh), ("sum", JNum (VS.sum v)), ("head", vectorJ (VS.take 16 v))])) (readIdx (unpack (name a "path")))))
  ] ++
  [ (family <> ".loss", Pure (\a -> [("loss", JNum (loss (netOf a) (rowsOf a "x") (targets a "t")))])) | family <- nets ] ++
  [ (family <> ".gradient", Pure (\a -> denseOut (gradient (netOf a) (rowsOf a "x") (targets a "t")))) | family <- nets ] ++
  [ (family <> ".numerical_gradient", Pure (\a -> denseOut (N.numericalGradient (netOf a) (rowsOf a "x") (targets a "t")))) | family <- nets ]
  where nets = ["two_layer_net", "multi_layer_net"]
