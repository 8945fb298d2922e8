{-# LANGUAGE OverloadedStrings #-}
-- | The generic validator, kind by kind, on ops.json's own ops.
module DLScratch.ValidateSpec (spec) where

import Control.Monad (forM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import Data.List (isInfixOf)
import System.FilePath ((</>))
import DLScratch.DatasetsSpec (withTempDir)
import qualified Data.ByteString.Lazy.Char8 as BL
import qualified Data.Map.Strict as M
import Data.Text (Text)
import qualified Data.Vector.Storable as VS
import Test.Hspec
import DLScratch.Array (Tensor (..))
import DLScratch.Error
import DLScratch.Functions (Labels (..), Targets (..))
import DLScratch.Validate

spec :: Spec
spec = do
  schema <- runIO loadSchema
  let run :: Text -> BL.ByteString -> Either DLError Args
      run op json = maybe (error ("not a JSON object: " ++ BL.unpack json)) (validate schema (schemaOps schema M.! op)) (A.decode json)
      refused op json = either (Just . errType) (const Nothing) (run op json)
      valid op json = either (error . show) id (run op json)
      affine x = "{\"W\": [[1], [2], [3], [4]], \"b\": [0], \"x\": " <> x <> ", \"dout\": [[1]]}"
      num a k = arg a k :: Double
      int a k = arg a k :: Int
      tensor a k = arg a k :: Tensor
      targets a k = arg a k :: Targets
      params a k = arg a k :: M.Map Text Tensor
      hyper a k = arg a k :: M.Map Text Double
      ints a k = arg a k :: [Int]
      gradsSeq a k = arg a k :: [M.Map Text Tensor]
  describe "kinds" $ do
    it "number: a JSON number or NaN/Infinity strings, nothing else" $ do
      num (valid "gate.and" "{\"x1\": 1, \"x2\": \"-Infinity\"}") "x2" `shouldBe` (-1 / 0)
      refused "gate.and" "{\"x1\": \"1\", \"x2\": 0}" `shouldBe` Just BadArgs
      refused "gate.and" "{\"x1\": true, \"x2\": 0}" `shouldBe` Just BadArgs
    it "integer: a whole number (2.0 is 2) within min and max" $ do
      int (valid "rng.uniform" "{\"seed\": 0, \"n\": 2.0}") "n" `shouldBe` 2
      refused "rng.uniform" "{\"seed\": 0, \"n\": 2.5}" `shouldBe` Just BadArgs
      refused "rng.uniform" "{\"seed\": 0, \"n\": 0}" `shouldBe` Just ValueError
      refused "rng.uniform" "{\"seed\": 0, \"n\": 1e300}" `shouldBe` Just ValueError
    it "seed: 0 <= seed < 2^31" $ do
      refused "rng.uniform" "{\"seed\": 2147483648, \"n\": 1}" `shouldBe` Just ValueError
      refused "rng.uniform" "{\"seed\": -1, \"n\": 1}" `shouldBe` Just ValueError
      int (valid "rng.uniform" "{\"seed\": 2147483647, \"n\": 1}") "seed" `shouldBe` 2147483647
    it "boolean" $
      refused "layer.dropout" "{\"x\": [1], \"train_flg\": 1, \"dout\": [1]}" `shouldBe` Just BadArgs
    it "name: as written, or lower-cased first where ops.json says fold_case" $ do
      refused "grad.numerical_diff" "{\"f\": \"Function_1\", \"x\": 1}" `shouldBe` Just BadArgs
      name (valid "optimizer.run" "{\"name\": \"AdaGrad\", \"params\": {}, \"grads_seq\": []}") "name" `shouldBe` "adagrad"
    it "name_or_number: a number, or a name" $ do
      let mln w = "{\"input_size\": 2, \"hidden_size_list\": [], \"output_size\": 2, \"weight_init_std\": " <> w <> "}"
      num (valid "multi_layer_net.init" (mln "0.5")) "weight_init_std" `shouldBe` 0.5
      name (valid "multi_layer_net.init" (mln "\"XAVIER\"")) "weight_init_std" `shouldBe` "xavier"
      refused "multi_layer_net.init" (mln "\"tanh\"") `shouldBe` Just BadArgs
    it "array: nested lists of its ndim, no size-0 dimension, not ragged" $ do
      shape (tensor (valid "fn.softmax" "{\"x\": [[1, 2], [3, 4]]}") "x") `shouldBe` [2, 2]
      refused "fn.softmax" "{\"x\": 1.0}" `shouldBe` Just ShapeError
      refused "fn.softmax" "{\"x\": [[[1]]]}" `shouldBe` Just ShapeError
      refused "fn.relu" "{\"x\": [[]]}" `shouldBe` Just ShapeError
      refused "fn.relu" "{\"x\": [[1], [1, 2]]}" `shouldBe` Just BadArgs
      refused "fn.relu" "{\"x\": [1, \"a\"]}" `shouldBe` Just BadArgs
    it "array_or_number: a number is a 0-D array" $
      shape (tensor (valid "layer.mul" "{\"x\": 2, \"y\": 3, \"dout\": 1}") "y") `shouldBe` []
    it "D...: trailing dimensions multiplied, N the first" $ do
      let a = valid "layer.affine" (affine "[[[1, 2], [3, 4]]]")
      (symbol a "N", symbol a "D", shapeOf a "out") `shouldBe` (1, 4, [1, 1])
    it "target: labels (one integer per row, 0..C-1) or one-hot of the scores' shape" $ do
      let cee t = "{\"y\": [[0.5, 0.5], [0.1, 0.9]], \"t\": " <> t <> "}"
          labelsOf a = case targets a "t" of { TLabels (Labels l) -> Just (VS.toList l); _ -> Nothing }
      labelsOf (valid "loss.cross_entropy_error" (cee "[1, 0]")) `shouldBe` Just [1, 0]
      labelsOf (valid "loss.cross_entropy_error" (cee "[[0, 1], [1, 0]]")) `shouldBe` Nothing
      refused "loss.cross_entropy_error" (cee "[1, 2]") `shouldBe` Just ValueError
      refused "loss.cross_entropy_error" (cee "[1, 0.5]") `shouldBe` Just BadArgs
      refused "loss.cross_entropy_error" (cee "[1]") `shouldBe` Just ShapeError
    it "labels: a one-hot t_train is refused" $
      refused "train.two_layer_net" "{\"x_train\": [[1], [2]], \"output_size\": 2, \"t_train\": [[0, 1], [1, 0]], \"hidden_size\": 2, \"iters\": 1}"
        `shouldBe` Just ShapeError
    it "int_list: integers >= 1, possibly none" $ do
      let mln h = "{\"input_size\": 2, \"hidden_size_list\": " <> h <> ", \"output_size\": 2}"
      ints (valid "multi_layer_net.init" (mln "[]")) "hidden_size_list" `shouldBe` []
      refused "multi_layer_net.init" (mln "[3, 0]") `shouldBe` Just ValueError
      refused "multi_layer_net.init" (mln "[1.5]") `shouldBe` Just BadArgs
    it "params: every key of its shape, a missing or null key ShapeError" $ do
      let tln b2 = "{\"params\": {\"W1\": [[1]], \"b1\": [0], \"W2\": [[1, 2]], \"b2\": " <> b2 <> "}, \"x\": [1]}"
      M.keys (params (valid "two_layer_net.predict" (tln "[0, 0]")) "params") `shouldBe` ["W1", "W2", "b1", "b2"]
      refused "two_layer_net.predict" (tln "null") `shouldBe` Just ShapeError
      refused "two_layer_net.predict" (tln "[0]") `shouldBe` Just ShapeError
      refused "two_layer_net.predict" (tln "[\"a\", 0]") `shouldBe` Just BadArgs
    it "grads_seq and hyper: the keys of params, numbers" $ do
      let opt h g = "{\"name\": \"sgd\", \"hyper\": " <> h <> ", \"params\": {\"w\": [1, 2]}, \"grads_seq\": " <> g <> "}"
      length (gradsSeq (valid "optimizer.run" (opt "{}" "[{\"w\": [1, 1]}, {\"w\": [0, 1]}]")) "grads_seq") `shouldBe` 2
      refused "optimizer.run" (opt "{}" "[{\"v\": [1, 1]}]") `shouldBe` Just ShapeError
      refused "optimizer.run" (opt "{}" "[{\"w\": [1]}]") `shouldBe` Just ShapeError
      refused "optimizer.run" (opt "{\"lr\": \"fast\"}" "[]") `shouldBe` Just BadArgs
    it "optimizer: optimizer.run's name and hyper" $ do
      let train o = "{\"x_train\": [[1]], \"output_size\": 2, \"t_train\": [1], \"hidden_size\": 2, \"iters\": 1" <> o <> "}"
      name (valid "train.two_layer_net" (train "")) "optimizer.name" `shouldBe` "sgd"
      hyper (valid "train.two_layer_net" (train ", \"optimizer\": {\"name\": \"Adam\", \"hyper\": {\"beta1\": 0.5}}")) "optimizer.hyper"
        `shouldBe` M.fromList [("beta1", 0.5)]
      refused "train.two_layer_net" (train ", \"optimizer\": {\"name\": \"newton\"}") `shouldBe` Just BadArgs
    it "path: a string" $
      refused "data.idx" "{\"path\": 3}" `shouldBe` Just BadArgs
    it "dims: integers (BadArgs), as many as its symbols (ShapeError), each in 1 .. max_elements, bound" $ do
      let col2im sh = "{\"input_shape\": " <> sh <> ", \"filter_h\": 2, \"filter_w\": 2, \"col\": [[1, 1, 1, 1]]}"
          a = valid "util.col2im" (col2im "[1, 1, 2, 2]")
      map (symbol a) ["N", "C", "IH", "IW", "OH", "OW"] `shouldBe` [1, 1, 2, 2, 1, 1]
      ints a "input_shape" `shouldBe` [1, 1, 2, 2]
      refused "util.col2im" (col2im "[1, 1, 2, 2.5]") `shouldBe` Just BadArgs
      refused "util.col2im" (col2im "[1, 2, 2]") `shouldBe` Just ShapeError
      refused "util.col2im" (col2im "[1, 1, 0, 2]") `shouldBe` Just ValueError
      refused "util.col2im" (col2im "[1, 1, 20000000, 2]") `shouldBe` Just ValueError
    it "record: integer fields with their defaults (missing or null), each bound, no other key" $ do
      let a = valid "simple_conv_net.init" "{\"input_dim\": [1, 8, 8], \"conv_param\": {\"filter_size\": 3, \"pad\": null}}"
          fields = arg a "conv_param" :: M.Map Text Int
      fields `shouldBe` M.fromList [("filter_num", 30), ("filter_size", 3), ("pad", 0), ("stride", 1)]
      map (symbol a) ["filter_num", "filter_size", "pad", "stride"] `shouldBe` [30, 3, 0, 1]
      refused "simple_conv_net.init" "{\"conv_param\": {\"filters\": 3}}" `shouldBe` Just BadArgs
      refused "simple_conv_net.init" "{\"conv_param\": {\"stride\": 0}}" `shouldBe` Just ValueError
      refused "simple_conv_net.init" "{\"conv_param\": {\"stride\": 1.5}}" `shouldBe` Just BadArgs
      refused "simple_conv_net.init" "{\"conv_param\": [30, 5, 0, 1]}" `shouldBe` Just BadArgs
    it "then window: OH = (IH + 2·pad − FH) // stride + 1, OW likewise, right after pad" $ do
      -- 5×7 image, 2×3 window, stride 2, pad 1: OH = 5 // 2 + 1 = 3, OW = 6 // 2 + 1 = 4
      let im2col x fh fw more = "{\"input_data\": " <> x <> ", \"filter_h\": " <> fh <> ", \"filter_w\": " <> fw <> more <> "}"
          zeros57 = "[[[" <> BL.intercalate ", " (replicate 5 "[0, 0, 0, 0, 0, 0, 0]") <> "]]]"
          a = valid "util.im2col" (im2col zeros57 "2" "3" ", \"stride\": 2, \"pad\": 1")
      (symbol a "OH", symbol a "OW", shapeOf a "col") `shouldBe` (3, 4, [12, 6])
      refused "util.im2col" (im2col zeros57 "6" "1" "") `shouldBe` Just ShapeError
      valid "util.im2col" (im2col zeros57 "7" "1" ", \"pad\": 1") `seq` pure ()
      -- the window is checked before the limits: too high a window and too large an image
      refused "util.im2col" (im2col zeros57 "10000000" "1" ", \"pad\": 4000") `shouldBe` Just ShapeError
      refused "util.im2col" (im2col zeros57 "1" "1" ", \"pad\": 5000") `shouldBe` Just ValueError
    it "then pool_window: the convolution's output is at least 2×2; PH = OH // 2, PW = OW // 2" $ do
      let a = valid "simple_conv_net.init" "{\"input_dim\": [1, 9, 12], \"conv_param\": {\"filter_size\": 3, \"stride\": 2}}"
      -- OH = (9 − 3) // 2 + 1 = 4, OW = (12 − 3) // 2 + 1 = 5
      map (symbol a) ["OH", "OW", "PH", "PW"] `shouldBe` [4, 5, 2, 2]
      refused "simple_conv_net.init" "{\"input_dim\": [1, 4, 4], \"conv_param\": {\"filter_size\": 4}}" `shouldBe` Just ShapeError
    it "products: W2 is filter_num·PH·PW rows, col N·OH·OW × C·FH·FW" $ do
      let loss w2 = "{\"input_dim\": [1, 4, 4], \"conv_param\": {\"filter_num\": 2, \"filter_size\": 1}, \"hidden_size\": 1, \"output_size\": 2, \"params\": {\"W1\": [[[[1]]], [[[1]]]], \"b1\": [0, 0], \"W2\": " <> w2 <> ", \"b2\": [0], \"W3\": [[1, 1]], \"b3\": [0, 0]}, \"x\": [[[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]], \"t\": [1]}"
      -- conv 4×4, pooled 2×2: W2 has 2·2·2 = 8 rows
      shape (params (valid "simple_conv_net.loss" (loss "[[0], [0], [0], [0], [0], [0], [0], [0]]")) "params" M.! "W2") `shouldBe` [8, 1]
      refused "simple_conv_net.loss" (loss "[[0], [0], [0], [0]]") `shouldBe` Just ShapeError
      refused "util.col2im" "{\"input_shape\": [1, 1, 3, 3], \"filter_h\": 2, \"filter_w\": 2, \"col\": [[1, 1, 1, 1], [1, 1, 1, 1]]}" `shouldBe` Just ShapeError
    it "conv_net_size: counts beyond 2^63 are still too many" $ do
      -- W2 alone: 30·4999998²·10^7 ≈ 7.5·10^21 elements, far above 2^63
      refused "simple_conv_net.init" "{\"input_dim\": [1, 10000000, 10000000], \"hidden_size\": 10000000}" `shouldBe` Just ValueError
      refused "simple_conv_net.init" "{\"hidden_size\": 2400}" `shouldBe` Just ValueError
      symbol (valid "simple_conv_net.init" "{\"hidden_size\": 2300}") "PH" `shouldBe` 12
    it "network: a simple_conv_net binds C, IH, IW, and its x is 4-D (network_input)" $ do
      let net = "{\"kind\": \"simple_conv_net\", \"input_dim\": [1, 3, 3], \"conv_param\": {\"filter_num\": 1, \"filter_size\": 2}, \"hidden_size\": 1, \"output_size\": 2}"
          trainer x = "{\"network\": " <> net <> ", \"x_train\": " <> x <> ", \"t_train\": [0], \"x_test\": " <> x <> ", \"t_test\": [1]}"
          a = valid "train.trainer" (trainer "[[[[0, 0, 0], [0, 0, 0], [0, 0, 0]]]]")
      map (symbol a) ["C", "IH", "IW", "SL", "N", "M"] `shouldBe` [1, 3, 3, 2, 1, 1]
      refused "train.trainer" (trainer "[[0, 0, 0, 0, 0, 0, 0, 0, 0]]") `shouldBe` Just ShapeError
      refused "train.trainer" (trainer "[[[[0, 0], [0, 0]]]]") `shouldBe` Just ShapeError
      refused "train.trainer" "{\"network\": {\"kind\": \"two_layer_net\", \"input_size\": 4, \"hidden_size\": 1, \"output_size\": 2}, \"x_train\": [[[[0, 0], [0, 0]]]], \"t_train\": [0], \"x_test\": [[[[0, 0], [0, 0]]]], \"t_test\": [0]}"
        `shouldBe` Just ShapeError
  describe "DeepConvNet's hooks" $ do
    it "deep_geometry: 4x4 images end 1x1 (PH, PW); 3x3 ones have nothing left to pool" $ do
      map (symbol (valid "deep_conv_net.init" "{\"input_dim\": [1, 4, 4]}")) ["PH", "PW"] `shouldBe` [1, 1]
      map (symbol (valid "deep_conv_net.init" "{}")) ["PH", "PW"] `shouldBe` [4, 4]
      refused "deep_conv_net.init" "{\"input_dim\": [1, 3, 9]}" `shouldBe` Just ShapeError
    it "deep_conv_net_size: 71795 + 68·hidden for 1x4x4 images and 3 outputs, at most 10^7" $ do
      -- the convolutions' W and b: 160 + 2320 + 4640 + 9248 + 18496 + 36928 = 71792; b8: 3;
      -- W7 64·1·1·h, b7 h, W8 3h: 68h. h = 146003 gives 9999999, h = 146004 gives 10000067.
      let net h = "{\"input_dim\": [1, 4, 4], \"output_size\": 3, \"hidden_size\": " <> BL.pack (show (h :: Int)) <> "}"
      refused "deep_conv_net.init" (net 146003) `shouldBe` Nothing
      refused "deep_conv_net.init" (net 146004) `shouldBe` Just ValueError
      refused "deep_conv_net.init" "{\"input_dim\": [1, 10000000, 10000000]}" `shouldBe` Just ValueError
  describe "model_file: load_params' checks of a parameters file (shared_tests/data/models)" $ do
    let models = "../shared_tests/data/models/"
        evaluate' file x = do
          let Just raw = A.decode ("{\"path\": \"" <> BL.pack (models ++ file) <> "\", \"x\": " <> x <> ", \"t\": [0]}")
          validateIO schema (schemaOps schema M.! "model.evaluate") raw
        six = "[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]"
    it "a good file: its network binds S0 (or C, IH, IW) and SL; params of init's shapes, in row-major order" $ do
      Right a <- evaluate' "two_layer_net.json" six
      map (symbol a) ["S0", "SL", "N"] `shouldBe` [6, 3, 1]
      let model = arg a "path" :: Args
          p = arg model "params" :: M.Map Text Tensor
      name model "kind" `shouldBe` "two_layer_net"
      map (\k -> shape (p M.! k)) ["W1", "b1", "W2", "b2"] `shouldBe` [[6, 4], [4], [4, 3], [3]]
      -- the file's first numbers of W1, as written there
      take 2 (VS.toList (values (p M.! "W1"))) `shouldBe` [0.8121726818316208, -0.3058782068250377]
      Right d <- evaluate' "deep_conv_net.json" ("[[" <> BL.pack (show (replicate 8 (replicate 8 (0 :: Double)))) <> "]]")
      map (symbol d) ["C", "IH", "IW", "SL", "N"] `shouldBe` [1, 8, 8, 3, 1]
      shape (arg (arg d "path" :: Args) "params" M.! ("W7" :: Text) :: Tensor) `shouldBe` [64, 5]
    it "a missing file, one that is not JSON, or not such a file: ValueError" $
      forM_ ["no-such-model.json", "not-json.json", "bad-format.json", "bad-shape.json", "bad-keys.json", "bad-count.json"
            , "bad-kind.json"] $ \file -> do
        r <- evaluate' file six
        (file, either (Just . errType) (const Nothing) r) `shouldBe` (file, Just ValueError)
    it "the params' keys in the network's order: the good file with b1 written after W2 is refused" $
      withTempDir $ \dir -> do
        good <- BL.readFile (models ++ "two_layer_net.json")
        let Just (A.Object o) = A.decode good
            Just (A.Object ps) = KM.lookup "params" o
            entry k = "\"" <> BL.pack k <> "\": " <> A.encode (KM.lookup (K.fromString k) ps)
            swapped = "{\"format\": \"dlscratch-params\", \"version\": 1, \"network\": " <> A.encode (KM.lookup "network" o)
              <> ", \"params\": {" <> BL.intercalate ", " (map entry ["W1", "W2", "b1", "b2"]) <> "}}"
            path = dir </> "swapped.json"
        BL.writeFile path swapped
        let Just raw = A.decode ("{\"path\": " <> A.encode path <> ", \"x\": " <> six <> ", \"t\": [0]}")
        r <- validateIO schema (schemaOps schema M.! "model.evaluate") raw
        either (\e -> (errType e, "W1, W2, b1, b2" `isInfixOf` errMessage e)) (const (InternalError, False)) r
          `shouldBe` (ValueError, True)
    it "x of the network's kind: 2-D for a two_layer_net, 4-D for a convolutional one (model_input)" $ do
      (either (Just . errType) (const Nothing) <$> evaluate' "two_layer_net.json" "[[[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]]]")
        `shouldReturn` Just ShapeError
      (either (Just . errType) (const Nothing) <$> evaluate' "simple_conv_net.json" (BL.pack (show [replicate 36 (0 :: Double)])))
        `shouldReturn` Just ShapeError
  describe "the order of checks" $ do
    it "a symbol bound by an earlier argument: W is 4x1, so b has 1 element and x 4 columns" $ do
      refused "layer.affine" "{\"W\": [[1], [2], [3], [4]], \"b\": [0, 0], \"x\": [1, 2, 3, 4], \"dout\": [1]}" `shouldBe` Just ShapeError
      refused "layer.affine" (affine "[[1, 2, 3]]") `shouldBe` Just ShapeError
      refused "simple_net.loss" "{\"W\": [[1, 2]], \"x\": [1], \"t\": [0, 0, 1]}" `shouldBe` Just ShapeError
    it "a default, and null counts as absent" $ do
      let drop' r = "{\"x\": [1], \"dropout_ratio\": " <> r <> ", \"dout\": [1]}"
      num (valid "layer.dropout" "{\"x\": [1], \"dout\": [1]}") "dropout_ratio" `shouldBe` 0.5
      num (valid "layer.dropout" (drop' "null")) "dropout_ratio" `shouldBe` 0.5
      refused "layer.dropout" (drop' "1") `shouldBe` Just ValueError
      refused "fn.relu" "{\"x\": null}" `shouldBe` Just BadArgs
      let bn = valid "layer.batch_norm" "{\"x\": [[1], [2]], \"gamma\": [1], \"beta\": [0], \"running_mean\": null, \"dout\": [[1], [1]]}"
      (arg bn "running_mean" :: Maybe Tensor) `shouldBe` Nothing
    it "limits: sizes whose products exceed max_elements, before anything is allocated" $ do
      refused "two_layer_net.init" "{\"input_size\": 10000, \"hidden_size\": 10000, \"output_size\": 1}" `shouldBe` Just ValueError
      refused "multi_layer_net.init" "{\"input_size\": 4000, \"hidden_size_list\": [4000], \"output_size\": 1}" `shouldBe` Just ValueError
      refused "grad.gradient_descent" "{\"f\": \"function_2\", \"init_x\": [1, 2], \"step_num\": 6000000}" `shouldBe` Just ValueError
    it "hooks: momentum_domain refuses momentum outside [0, 1] for momentum and nesterov only" $ do
      let opt n m = "{\"name\": \"" <> n <> "\", \"hyper\": {\"momentum\": " <> m <> "}, \"params\": {}, \"grads_seq\": []}"
      refused "optimizer.run" (opt "momentum" "1.5") `shouldBe` Just ValueError
      refused "optimizer.run" (opt "Nesterov" "\"NaN\"") `shouldBe` Just ValueError
      refused "optimizer.run" (opt "sgd" "1.5") `shouldBe` Nothing
    it "hooks: layer_params gives W{i}, b{i} of the layer sizes" $ do
      let mln w2 = "{\"input_size\": 1, \"hidden_size_list\": [2], \"output_size\": 1, \"params\": {\"W1\": [[1, 1]], \"b1\": [0, 0], \"W2\": "
                   <> w2 <> ", \"b2\": [0]}, \"x\": [1], \"t\": 0}"
      M.keys (params (valid "multi_layer_net.loss" (mln "[[1], [1]]")) "params") `shouldBe` ["W1", "W2", "b1", "b2"]
      refused "multi_layer_net.loss" (mln "[[1, 1]]") `shouldBe` Just ShapeError
    it "hooks: extend_params and running_stats add gamma{i}, beta{i} and running_mean{i}, running_var{i} with batch norm" $ do
      let ext bn ps rs = "{\"input_size\": 1, \"hidden_size_list\": [2], \"output_size\": 1, \"use_batchnorm\": " <> bn
            <> ", \"params\": {\"W1\": [[1, 1]], \"b1\": [0, 0], \"W2\": [[1], [1]], \"b2\": [0]" <> ps <> "}"
            <> rs <> ", \"x\": [[1]]}"
          gb = ", \"gamma1\": [1, 1], \"beta1\": [0, 0]"
      M.keys (params (valid "multi_layer_net_extend.predict" (ext "true" gb "")) "params")
        `shouldBe` ["W1", "W2", "b1", "b2", "beta1", "gamma1"]
      M.keys (params (valid "multi_layer_net_extend.predict" (ext "false" gb "")) "params") `shouldBe` ["W1", "W2", "b1", "b2"]
      refused "multi_layer_net_extend.predict" (ext "true" "" "") `shouldBe` Just ShapeError
      refused "multi_layer_net_extend.predict" (ext "true" ", \"gamma1\": [1], \"beta1\": [0, 0]" "") `shouldBe` Just ShapeError
      let rs = ", \"running_stats\": {\"running_mean1\": [0, 0], \"running_var1\": [1, 1]}"
      M.keys (params (valid "multi_layer_net_extend.predict" (ext "true" gb rs)) "running_stats")
        `shouldBe` ["running_mean1", "running_var1"]
      refused "multi_layer_net_extend.predict" (ext "true" gb ", \"running_stats\": {}") `shouldBe` Just ShapeError
      (arg (valid "multi_layer_net_extend.predict" (ext "true" gb "")) "running_stats" :: Maybe (M.Map Text Tensor))
        `shouldBe` Nothing
    let trainer net extra = "{\"network\": " <> net <> ", \"x_train\": [[1, 2], [3, 4]], \"t_train\": [0, 1], "
          <> "\"x_test\": [[1, 2]], \"t_test\": [1]" <> extra <> "}"
        mln = "{\"kind\": \"multi_layer_net\", \"input_size\": 2, \"hidden_size_list\": [3], \"output_size\": 2"
    it "network: the arguments of <kind>.init but seed, S0 and SL bound to input_size and output_size" $ do
      let a = valid "train.trainer" (trainer (mln <> ", \"seed\": -1}") "")
          net = arg a "network" :: Args
      (name net "kind", arg net "input_size" :: Int, arg net "hidden_size_list" :: [Int]) `shouldBe` ("multi_layer_net", 2, [3])
      (name net "activation", num net "weight_decay_lambda") `shouldBe` ("relu", 0)
      (symbol a "S0", symbol a "SL") `shouldBe` (2, 2)
      refused "train.trainer" (trainer "{\"kind\": \"two_layer_net\", \"input_size\": 3, \"hidden_size\": 2, \"output_size\": 2}" "")
        `shouldBe` Just ShapeError   -- x_train has 2 columns, not S0 = 3
      refused "train.trainer" (trainer "{\"kind\": \"multi_layer_net\", \"input_size\": 2, \"hidden_size_list\": [], \"output_size\": 1}" "")
        `shouldBe` Just ValueError   -- the label 1 of one class
    it "network: a refusal of <kind>.init prefixed \"network: \"; an unknown kind BadArgs" $ do
      either (\(DLError t m) -> Just (t, take 9 m)) (const Nothing) (run "train.trainer" (trainer (mln <> ", \"activation\": \"tanh\"}") ""))
        `shouldBe` Just (BadArgs, "network: ")
      refused "train.trainer" (trainer "{\"kind\": \"simple_net\"}" "") `shouldBe` Just BadArgs
      refused "train.trainer" (trainer "[1]" "") `shouldBe` Just BadArgs
      refused "train.trainer" (trainer "{\"kind\": \"multi_layer_net\", \"input_size\": 2, \"output_size\": 2}" "") `shouldBe` Just BadArgs
    it "hooks: trainer_steps, int(epochs·max(N / batch, 1))·batch at most max_elements" $ do
      let steps e b = trainer (mln <> "}") (", \"epochs\": " <> e <> ", \"mini_batch_size\": " <> b)
      refused "train.trainer" (steps "6000000" "1") `shouldBe` Just ValueError       -- 1.2·10^7 steps of 1
      refused "train.trainer" (steps "2" "10000000") `shouldBe` Just ValueError      -- 2 steps of 10^7
      refused "train.trainer" (steps "1000" "2") `shouldBe` Nothing
  it "ok shapes follow the bound symbols: 1-D x gives 1-D scores" $ do
    let tln x = "{\"params\": {\"W1\": [[1]], \"b1\": [0], \"W2\": [[1, 2]], \"b2\": [0, 0]}, \"x\": " <> x <> "}"
    shapeOf (valid "two_layer_net.predict" (tln "[1]")) "y" `shouldBe` [2]
    shapeOf (valid "two_layer_net.predict" (tln "[[1], [2], [3]]")) "y" `shouldBe` [3, 2]
