{-# LANGUAGE OverloadedStrings #-}
-- | The runner: the ops it binds are ops.json's, answers to whole request lines, the name
-- rules, the error types, and bin/runner --help.
module DLScratch.RunnerSpec (spec) where

import Control.Monad (forM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.KeyMap as KM
import Data.List (isPrefixOf)
import qualified Data.Map.Strict as M
import qualified Data.Text as T
import System.Exit (ExitCode (..))
import System.Process (readProcessWithExitCode)
import Test.Hspec
import DLScratch.Json (numberOf)
import DLScratch.Networks (WeightInit (..), weightInitNamed)
import DLScratch.Runner (bindings)
import DLScratch.Validate (Schema (..), loadSchema)
import Support

spec :: Spec
spec = do
  schema <- runIO loadSchema
  let answer = answerWith schema
  it "binds exactly the ops of ops.json" $
    M.keys bindings `shouldBe` M.keys (schemaOps schema)
  it "bin/runner --help lists every op of ops.json" $ do
    (code, out, _) <- readProcessWithExitCode "bin/runner" ["--help"] ""
    code `shouldBe` ExitSuccess
    [ l | l <- lines out, "Ops: " `isPrefixOf` l ] `shouldBe` ["Ops: " ++ T.unpack (T.intercalate ", " (M.keys (schemaOps schema)))]
  it "answers softmax with the book's values" $ do
    v <- answer "{\"id\": \"s\", \"op\": \"fn.softmax\", \"args\": {\"x\": [0.3, 2.9, 4.0]}}"
    case v of
      A.Object o | Just (A.Object ok) <- KM.lookup "ok" o, Just (A.Array ys) <- KM.lookup "y" ok ->
        map (maybe 0 id . numberOf) (foldr (:) [] ys) `shouldBeNear'` [0.01821127, 0.24519181, 0.73659691]
      _ -> expectationFailure (show v)
  it "util.to_float16 keeps x's shape: [[0.1, 65520], [-2^-26, 1/3]] -> [[0.0999755859375, Infinity], [-0.0, 0.333251953125]]" $ do
    v <- answer "{\"id\": \"h\", \"op\": \"util.to_float16\", \"args\": {\"x\": [[0.1, 65520], [-1.4901161193847656e-08, 0.3333333333333333]]}}"
    (okValue v >>= KM.lookup "y") `shouldBe` A.decode "[[0.0999755859375, \"Infinity\"], [-0.0, 0.333251953125]]"
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
  it "train.trainer answers the book's lists and the trained parameters of the network's kind" $ do
    let request net = "{\"id\": \"t\", \"op\": \"train.trainer\", \"args\": {\"network\": " <> net <> ", "
          <> "\"x_train\": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], \"t_train\": [0, 1, 1], \"x_test\": [[0.2, 0.1]], "
          <> "\"t_test\": [0], \"epochs\": 4, \"mini_batch_size\": 2, \"optimizer\": \"Adam\", \"seed\": 3}}"
        keysOf v = maybe [] KM.keys (okValue v)
        lengthOf k v = case okValue v >>= KM.lookup k of { Just (A.Array xs) -> length xs; _ -> -1 }
        paramKeys v = case okValue v >>= KM.lookup "params" of { Just (A.Object p) -> KM.keys p; _ -> [] }
    v <- answer (request "{\"kind\": \"multi_layer_net_extend\", \"input_size\": 2, \"hidden_size_list\": [3], \"output_size\": 2, \"use_batchnorm\": true, \"use_dropout\": true}")
    keysOf v `shouldBe` ["params", "test_acc", "test_acc_list", "train_acc_list", "train_loss_list"]
    (lengthOf "train_loss_list" v, lengthOf "train_acc_list" v) `shouldBe` (6, 2)   -- 1.5 steps an epoch: after steps 0 and 3
    paramKeys v `shouldBe` ["W1", "W2", "b1", "b2", "beta1", "gamma1"]
    w <- answer (request "{\"kind\": \"two_layer_net\", \"input_size\": 2, \"hidden_size\": 3, \"output_size\": 2}")
    paramKeys w `shouldBe` ["W1", "W2", "b1", "b2"]
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
