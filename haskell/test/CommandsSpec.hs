{-# LANGUAGE OverloadedStrings #-}
-- | The commands in bin/: bin/train and bin/bench refuse bad options and bad data files with
-- one line on stderr and exit status 2, and a small bin/train run writes the §8 history.
module CommandsSpec (spec) where

import Control.Monad (forM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Lazy.Char8 as BLC
import Data.List (isInfixOf, isPrefixOf, sort)
import qualified Data.Text as T
import System.Directory
import System.Exit (ExitCode (..))
import System.FilePath ((</>))
import System.IO (hGetContents, hGetLine)
import System.Posix.Signals (sigINT, signalProcess)
import System.Process (CreateProcess (..), StdStream (..), createProcess, getPid, proc, readProcessWithExitCode,
                       waitForProcess)
import Test.Hspec
import DLScratch.DatasetsSpec (withTempDir)

-- | Run a command; (exit code, stdout, stderr).
run :: FilePath -> [String] -> IO (ExitCode, String, String)
run exe args = readProcessWithExitCode exe args ""

-- | Exit status 2 and one line on stderr, @prog: ...@, containing each of the words.
oneLineError :: String -> [String] -> (ExitCode, String, String) -> Expectation
oneLineError prog wordsWanted (code, _, err) = do
  (code, length (lines err)) `shouldBe` (ExitFailure 2, 1)
  err `shouldSatisfy` \e -> (prog ++ ": ") `isPrefixOf` e && all (`isInfixOf` e) wordsWanted

fashion :: FilePath
fashion = "/usr/share/datasets/fashion-mnist"

-- | The brief's bad directory: t10k-labels-idx1-ubyte.gz is a copy of the
-- test images, the other three files are the real ones.
withBadDataDir :: (FilePath -> IO a) -> IO a
withBadDataDir act = withTempDir $ \dir -> do
  forM_ ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"] $ \f ->
    createFileLink (fashion </> f) (dir </> f)
  copyFile (fashion </> "t10k-images-idx3-ubyte.gz") (dir </> "t10k-labels-idx1-ubyte.gz")
  act dir

-- | The object with its member k (an object) changed by f.
inside :: K.Key -> (A.Object -> A.Object) -> A.Object -> A.Object
inside k f o = case KM.lookup k o of
  Just (A.Object v) -> KM.insert k (A.Object (f v)) o
  _ -> o

spec :: Spec
spec = do
  describe "bin/train" $ do
    let train = run "bin/train"
    it "refuses a labels file that is a copy of an images file, with or without --test-size" $
      withBadDataDir $ \dir -> do
        train ["--data-dir", dir] >>= oneLineError "bin/train" ["t10k-labels-idx1-ubyte.gz"]
        train ["--data-dir", dir, "--test-size", "100"] >>= oneLineError "bin/train" ["t10k-labels-idx1-ubyte.gz"]
    it "refuses bad options in one line, exit status 2" $ do
      train ["--iters", "0"] >>= oneLineError "bin/train" ["--iters", "0"]
      train ["--seed", "-1"] >>= oneLineError "bin/train" ["--seed", "-1"]
      train ["--seed", "2147483648"] >>= oneLineError "bin/train" ["--seed"]
      train ["--optimizer", "bogus"] >>= oneLineError "bin/train" ["--optimizer", "bogus"]
      train ["--lr", "nan"] >>= oneLineError "bin/train" ["--lr", "nan"]
      train ["--batch-size", "abc"] >>= oneLineError "bin/train" ["--batch-size", "abc"]
      train ["--iters"] >>= oneLineError "bin/train" ["--iters"]
      train ["--bogus"] >>= oneLineError "bin/train" ["--bogus"]
      train ["--net", "lenet"] >>= oneLineError "bin/train" ["--net", "lenet"]
    it "refuses an option the chosen network does not accept" $ do
      train ["--net", "simple_conv_net", "--iters", "5"] >>= oneLineError "bin/train" ["--iters", "simple_conv_net"]
      train ["--epochs", "2"] >>= oneLineError "bin/train" ["--epochs", "two_layer_net"]
      train ["--evaluate-samples", "10", "--net", "two_layer_net"] >>= oneLineError "bin/train" ["--evaluate-samples"]
      train ["--net", "simple_conv_net", "--evaluate-samples", "0"] >>= oneLineError "bin/train" ["--evaluate-samples", "0"]
      train ["--net", "deep_conv_net", "--iters", "5"] >>= oneLineError "bin/train" ["--iters", "deep_conv_net"]
      train ["--net", "deep_conv_net", "--weight-init-std", "0.1"] >>= oneLineError "bin/train" ["--weight-init-std", "deep_conv_net"]
    it "--help lists every option with its default, and the optimizers" $ do
      (code, out, _) <- train ["--help"]
      code `shouldBe` ExitSuccess
      out `shouldSatisfy` ("usage: bin/train" `isPrefixOf`)
      forM_ ["--net", "--data-dir", "--iters", "--epochs", "--evaluate-samples", "--batch-size", "--hidden", "--lr"
            , "--optimizer", "--weight-init-std", "--seed", "--train-size", "--test-size", "--out", "--save-params"
            , "--checkpoint", "--stop-after", "--resume", "--quiet"] $ \opt ->
        [ l | l <- lines out, ("  " ++ opt ++ " ") `isPrefixOf` l, "(default: " `isInfixOf` l ] `shouldSatisfy` (not . null)
      out `shouldSatisfy` ("sgd, momentum, nesterov, adagrad, rmsprop, adam" `isInfixOf`)
      -- train_convnet.py's defaults beside train_neuralnet.py's
      forM_ ["100 for simple_conv_net", "0.001 for simple_conv_net", "adam for simple_conv_net"] $ \d ->
        out `shouldSatisfy` (d `isInfixOf`)
      -- train_deepnet.py's: the Trainer's options, the learning rate, adam, no --weight-init-std
      forM_ ["simple_conv_net or deep_conv_net", "simple_conv_net, deep_conv_net only", "0.001 for simple_conv_net, deep_conv_net"
            , "adam for simple_conv_net, deep_conv_net", "two_layer_net,\n                         simple_conv_net only"] $ \d ->
        out `shouldSatisfy` (d `isInfixOf`)
    it "a small run: epochs by true division (300 / 128 = 2.34375: only after iteration 0) and the final evaluation" $
      withTempDir $ \dir -> do
        let out = dir </> "h.json"
        (code, stdout', err) <- train ["--train-size", "300", "--test-size", "100", "--iters", "7", "--batch-size", "128", "--quiet", "--out", out]
        (code, err) `shouldBe` (ExitSuccess, "")
        case lines stdout' of
          [epoch0, final, written] -> do
            epoch0 `shouldSatisfy` ("epoch 0  train acc " `isPrefixOf`)
            final `shouldSatisfy` \l -> "final (after iteration 6)  train acc " `isPrefixOf` l && " ms/iter)" `isInfixOf` l
            written `shouldBe` ("history written to " ++ out)
          ls -> expectationFailure ("expected an epoch line, the final line and the history line: " ++ show ls)
        Just (A.Object h) <- A.decode <$> BLC.readFile out
        sort (map K.toText (KM.keys h)) `shouldBe` sort
          [ "port", "options", "loss_history", "acc_iters", "train_acc", "test_acc"
          , "final_iter", "final_train_acc", "final_test_acc", "seconds" ]
        KM.lookup "acc_iters" h `shouldBe` Just (A.toJSON [0 :: Int])
        KM.lookup "final_iter" h `shouldBe` Just (A.toJSON (6 :: Int))
        KM.lookup "port" h `shouldBe` Just (A.String "haskell")
        fmap (\(A.Array v) -> length v) (KM.lookup "loss_history" h) `shouldBe` Just 7
        -- the final accuracies are counts of hits over 300 and 100 images
        let hits n key = case KM.lookup key h of
              Just (A.Number a) -> let k = realToFrac a * n :: Double in abs (k - fromIntegral (round k :: Int)) < 1e-9
              _ -> False
        (hits 300 "final_train_acc", hits 100 "final_test_acc") `shouldBe` (True, True)
    it "--net simple_conv_net: the Trainer's epochs, the evaluated samples, the history's options, --save-params" $
      withTempDir $ \dir -> do
        let out = dir </> "h.json"
            params = dir </> "p.json"
        -- 300 images in batches of 50: 6 steps an epoch, evaluated after step 0 on 100 images
        (code, stdout', err) <- train [ "--net", "simple_conv_net", "--train-size", "300", "--test-size", "100", "--epochs", "1"
                                      , "--batch-size", "50", "--evaluate-samples", "100", "--quiet", "--out", out
                                      , "--save-params", params ]
        (code, err) `shouldBe` (ExitSuccess, "")
        case lines stdout' of
          [epoch1, final, written, saved] -> do
            epoch1 `shouldSatisfy` ("epoch 1  train acc " `isPrefixOf`)
            final `shouldSatisfy` ("final (after iteration 5)  train acc " `isPrefixOf`)
            (written, saved) `shouldBe` ("history written to " ++ out, "parameters written to " ++ params)
          ls -> expectationFailure ("expected an epoch line, the final line and two written lines: " ++ show ls)
        Just (A.Object h) <- A.decode <$> BLC.readFile out
        KM.lookup "acc_iters" h `shouldBe` Just (A.toJSON [0 :: Int])
        fmap (\(A.Array v) -> length v) (KM.lookup "loss_history" h) `shouldBe` Just 6
        case KM.lookup "options" h of
          Just (A.Object o) -> map (`KM.lookup` o) ["net", "epochs", "evaluate_samples", "iters", "hidden", "optimizer", "lr"]
            `shouldBe` map Just [ A.String "simple_conv_net", A.Number 1, A.Number 100, A.Number 6, A.Number 100
                                , A.String "adam", A.Number 0.001 ]
          _ -> expectationFailure "no options object"
        Just (A.Object p) <- A.decode <$> BLC.readFile params
        map (`KM.lookup` p) ["format", "version", "port"] `shouldBe` map Just [A.String "dlscratch-params", A.Number 1, A.String "haskell"]
        case KM.lookup "params" p of
          Just (A.Object ps) -> do
            map K.toText (KM.keys ps) `shouldBe` sort ["W1", "b1", "W2", "b2", "W3", "b3"]
            -- W2: 30 filters of the 12x12 pooled 24x24 convolution
            [ (k, KM.lookup "shape" a) | k <- ["W1", "W2", "b3"], Just (A.Object a) <- [KM.lookup k ps] ]
              `shouldBe` [ ("W1", Just (A.toJSON [30, 1, 5, 5 :: Int])), ("W2", Just (A.toJSON [4320, 100 :: Int]))
                         , ("b3", Just (A.toJSON [10 :: Int])) ]
          _ -> expectationFailure "no params object"

    it "--net deep_conv_net: train_deepnet.py's defaults in the history, --save-params the deep_conv_net network" $
      withTempDir $ \dir -> do
        let out = dir </> "h.json"
            params = dir </> "p.json"
        -- 100 images in batches of 50: 2 steps an epoch, evaluated after step 0 on 20 images
        (code, stdout', err) <- train [ "--net", "deep_conv_net", "--train-size", "100", "--test-size", "20", "--epochs", "1"
                                      , "--batch-size", "50", "--evaluate-samples", "20", "--quiet", "--out", out
                                      , "--save-params", params ]
        (code, err) `shouldBe` (ExitSuccess, "")
        take 2 (lines stdout') `shouldSatisfy` \ls -> case ls of
          [epoch1, final] -> "epoch 1  train acc " `isPrefixOf` epoch1 && "final (after iteration 1)  train acc " `isPrefixOf` final
          _ -> False
        Just (A.Object h) <- A.decode <$> BLC.readFile out
        fmap (\(A.Array v) -> length v) (KM.lookup "loss_history" h) `shouldBe` Just 2
        case KM.lookup "options" h of
          Just (A.Object o) -> do
            map (`KM.lookup` o) ["net", "epochs", "evaluate_samples", "iters", "hidden", "optimizer", "lr"]
              `shouldBe` map Just [ A.String "deep_conv_net", A.Number 1, A.Number 20, A.Number 2, A.Number 50
                                  , A.String "adam", A.Number 0.001 ]
            KM.lookup "weight_init_std" o `shouldBe` Nothing
          _ -> expectationFailure "no options object"
        Just (A.Object p) <- A.decode <$> BLC.readFile params
        KM.lookup "network" p `shouldBe` A.decode "{\"kind\": \"deep_conv_net\", \"input_dim\": [1, 28, 28], \"hidden_size\": 50, \"output_size\": 10}"
        case KM.lookup "params" p of
          Just (A.Object ps) -> do
            length (KM.keys ps) `shouldBe` 16
            -- W7: 64 maps of the last pooling's 4x4 (28 -> 28, 28, 14, 14, 16, 8, 8, 8, 4)
            [ (k, KM.lookup "shape" a) | k <- ["W1", "W6", "W7", "b8"], Just (A.Object a) <- [KM.lookup k ps] ]
              `shouldBe` [ ("W1", Just (A.toJSON [16, 1, 3, 3 :: Int])), ("W6", Just (A.toJSON [64, 64, 3, 3 :: Int]))
                         , ("W7", Just (A.toJSON [1024, 50 :: Int])), ("b8", Just (A.toJSON [10 :: Int])) ]
          _ -> expectationFailure "no params object"

    describe "--stop-after, --resume, SIGINT (README §8's interrupted runs)" $ do
      let small = ["--train-size", "300", "--test-size", "100", "--batch-size", "50", "--quiet"]
          keysOf path = do
            Just (A.Object h) <- A.decode <$> BLC.readFile path
            pure h
          -- the whole run's record: everything but the seconds
          sameRun a b = KM.delete "seconds" a `shouldBe` KM.delete "seconds" b
      forM_ [ ["--iters", "12", "--optimizer", "adam"], ["--iters", "13", "--optimizer", "nesterov"]
            , ["--net", "simple_conv_net", "--epochs", "2", "--evaluate-samples", "40", "--optimizer", "rmsprop"]
            , ["--net", "deep_conv_net", "--epochs", "2", "--evaluate-samples", "20", "--train-size", "100", "--batch-size", "25"] ] $ \run' ->
        it ("a run stopped and resumed is the uninterrupted run exactly: " ++ unwords run') $ withTempDir $ \dir -> do
          let args = small ++ run'
              [whole, part, ckpt, resumed] = map (dir </>) ["whole.json", "part.json", "part.ckpt.json", "resumed.json"]
          (code0, _, err0) <- train (args ++ ["--out", whole])
          (code0, err0) `shouldBe` (ExitSuccess, "")
          (code1, out1, err1) <- train (args ++ ["--out", part, "--stop-after", "5"])
          (code1, err1) `shouldBe` (ExitSuccess, "")
          last (lines out1) `shouldBe` ("interrupted after iteration 4: checkpoint written to " ++ ckpt
                                        ++ " (continue with --resume " ++ ckpt ++ ")")
          stopped <- keysOf part
          (KM.lookup "stopped_after" stopped, KM.lookup "checkpoint" stopped, KM.lookup "final_iter" stopped)
            `shouldBe` (Just (A.Number 5), Just (A.String (T.pack ckpt)), Nothing)
          fmap (\(A.Array v) -> length v) (KM.lookup "loss_history" stopped) `shouldBe` Just 5
          (code2, _, err2) <- train ["--resume", ckpt, "--quiet", "--out", resumed]
          (code2, err2) `shouldBe` (ExitSuccess, "")
          w <- keysOf whole
          r <- keysOf resumed
          sameRun r w
      it "SIGINT finishes the step, writes the history and the checkpoint, exit status 130" $ withTempDir $ \dir -> do
        let out = dir </> "s.json"
        (_, Just hout, Just herr, ph) <- createProcess (proc "bin/train" (small ++ ["--iters", "1000000", "--out", out]))
          { std_out = CreatePipe, std_err = CreatePipe }
        first <- hGetLine hout   -- the evaluation after iteration 0: training has started
        first `shouldSatisfy` ("epoch 0  train acc " `isPrefixOf`)
        getPid ph >>= mapM_ (signalProcess sigINT)
        code <- waitForProcess ph
        rest <- hGetContents hout
        err <- hGetContents herr
        (code, err) `shouldBe` (ExitFailure 130, "")
        last (lines rest) `shouldSatisfy` ("interrupted after iteration " `isPrefixOf`)
        h <- keysOf out
        case KM.lookup "stopped_after" h of
          Just (A.Number n) -> do
            n `shouldSatisfy` (>= 1)
            fmap (\(A.Array v) -> fromIntegral (length v)) (KM.lookup "loss_history" h) `shouldBe` Just n
          v -> expectationFailure ("stopped_after: " ++ show v)
        doesFileExist (dir </> "s.ckpt.json") `shouldReturn` True
      it "refuses bad checkpoints and run options with --resume in one line, exit status 2" $ withTempDir $ \dir -> do
        let ckpt = dir </> "c.json"
            write path v = BLC.writeFile path (A.encode v)
            edited f = do
              Just (A.Object c) <- A.decode <$> BLC.readFile ckpt
              let path = dir </> "bad.json"
              write path (A.Object (f c))
              pure path
        (code, _, _) <- train (small ++ ["--iters", "10", "--out", dir </> "h.json", "--checkpoint", ckpt, "--stop-after", "3"])
        code `shouldBe` ExitSuccess
        train ["--resume", ckpt, "--seed", "1"] >>= oneLineError "bin/train" ["--seed", "--resume"]
        train ["--resume", ckpt, "--net", "two_layer_net"] >>= oneLineError "bin/train" ["--net", "--resume"]
        train ["--resume", dir </> "none.json"] >>= oneLineError "bin/train" ["none.json"]
        BLC.writeFile (dir </> "text.json") "not json"
        train ["--resume", dir </> "text.json"] >>= oneLineError "bin/train" ["text.json", "not JSON"]
        p1 <- edited (KM.insert "format" (A.String "dlscratch-params"))
        train ["--resume", p1] >>= oneLineError "bin/train" ["dlscratch-checkpoint"]
        p2 <- edited (KM.insert "version" (A.Number 2))
        train ["--resume", p2] >>= oneLineError "bin/train" ["version 2"]
        p3 <- edited (KM.insert "iteration" (A.Number 10))
        train ["--resume", p3] >>= oneLineError "bin/train" ["iteration 10", "1 .. 9"]
        p4 <- edited (inside "params" (inside "W1" (KM.insert "shape" (A.toJSON [50, 784 :: Int]))))
        train ["--resume", p4] >>= oneLineError "bin/train" ["params.W1", "[50,784]"]
        p5 <- edited (inside "options" (KM.insert "train_size" (A.Number 70000)))
        train ["--resume", p5] >>= oneLineError "bin/train" ["60000 training images", "70000"]
        p6 <- edited (inside "rng" (KM.insert "s2" (A.toJSON [0, 0, 0 :: Int])))
        train ["--resume", p6] >>= oneLineError "bin/train" ["rng.s2"]

  describe "bin/experiment" $ do
    let experiment = run "bin/experiment"
    it "refuses bad options, names and data files in one line, exit status 2" $ do
      experiment [] >>= oneLineError "bin/experiment" ["NAME", "optimizer_compare_naive"]
      experiment ["bogus"] >>= oneLineError "bin/experiment" ["bogus"]
      experiment ["optimizer_compare_naive", "--scale", "0"] >>= oneLineError "bin/experiment" ["--scale", "0"]
      experiment ["optimizer_compare_naive", "--scale", "1.5"] >>= oneLineError "bin/experiment" ["--scale", "1.5"]
      experiment ["optimizer_compare_naive", "--scale", "x"] >>= oneLineError "bin/experiment" ["--scale", "x"]
      experiment ["optimizer_compare_naive", "--seed", "-1"] >>= oneLineError "bin/experiment" ["--seed", "-1"]
      experiment ["optimizer_compare_naive", "--seed"] >>= oneLineError "bin/experiment" ["--seed"]
      experiment ["optimizer_compare_naive", "--bogus"] >>= oneLineError "bin/experiment" ["--bogus"]
      experiment ["optimizer_compare_naive", "overfit_dropout"] >>= oneLineError "bin/experiment" ["overfit_dropout"]
      withBadDataDir $ \dir -> withTempDir $ \tmp ->
        experiment ["overfit_weight_decay", "--data-dir", dir, "--out", tmp </> "r.json"]
          >>= oneLineError "bin/experiment" ["t10k-labels-idx1-ubyte.gz"]
    it "--help lists every experiment and every option with its default" $ do
      (code, out, _) <- experiment ["--help"]
      code `shouldBe` ExitSuccess
      forM_ ["--scale", "--seed", "--data-dir", "--out", "--quiet"] $ \opt ->
        [ l | l <- lines out, ("  " ++ opt ++ " ") `isPrefixOf` l, "(default: " `isInfixOf` l ] `shouldSatisfy` (not . null)
      forM_ [ "optimizer_compare_naive", "optimizer_compare_mnist", "weight_init_activation_histogram", "weight_init_compare"
            , "batch_norm_test", "overfit_weight_decay", "overfit_dropout", "hyperparameter_optimization" ] $ \name ->
        out `shouldSatisfy` (("  " ++ name ++ " ") `isInfixOf`)
    it "a tiny run of overfit_dropout writes the record of §13" $
      withTempDir $ \dir -> do
        let out = dir </> "r.json"
        (code, _, err) <- experiment ["overfit_dropout", "--scale", "0.01", "--seed", "3", "--quiet", "--out", out]
        (code, err) `shouldBe` (ExitSuccess, "")
        Just (A.Object r) <- A.decode <$> BLC.readFile out
        map K.toText (KM.keys r) `shouldBe` sort ["experiment", "port", "options", "results", "seconds"]
        KM.lookup "port" r `shouldBe` Just (A.String "haskell")
        KM.lookup "options" r `shouldBe` Just (A.object [("scale", A.Number 0.01), ("seed", A.Number 3), ("data_dir", A.String (T.pack fashion))])
        case KM.lookup "results" r of
          -- 301·0.01 = 3 epochs of 3 steps, evaluated after steps 0, 3, 6
          Just (A.Object res) -> map (fmap (\(A.Array v) -> length v) . (`KM.lookup` res)) ["train_acc", "test_acc", "train_loss"]
                                   `shouldBe` [Just 3, Just 3, Just 9]
          _ -> expectationFailure "no results object"

  describe "bin/bench" $ do
    let bench = run "bin/bench"
    it "refuses bad options in one line, exit status 2" $ do
      bench ["--repeats", "0"] >>= oneLineError "bin/bench" ["--repeats", "0"]
      bench ["--steps", "0"] >>= oneLineError "bin/bench" ["--steps", "0"]
      bench ["--repeats", "abc"] >>= oneLineError "bin/bench" ["--repeats", "abc"]
      bench ["--no-python"] >>= oneLineError "bin/bench" ["--no-python"]
      bench ["--bogus"] >>= oneLineError "bin/bench" ["--bogus"]
      bench ["--hidden", "0"] >>= oneLineError "bin/bench" ["--hidden", "0"]
      bench ["--batch", "x"] >>= oneLineError "bin/bench" ["--batch", "x"]
      bench ["--batch"] >>= oneLineError "bin/bench" ["--batch"]
    it "--help lists every option with its default" $ do
      (code, out, _) <- bench ["--help"]
      code `shouldBe` ExitSuccess
      forM_ ["--repeats", "--steps", "--hidden", "--batch", "--check", "--no-reference", "--json"] $ \opt ->
        [ l | l <- lines out, ("  " ++ opt ++ " ") `isPrefixOf` l, "(default: " `isInfixOf` l ] `shouldSatisfy` (not . null)
    it "--json: the last line is {\"port\": \"haskell\", \"ms_per_step\": ...}" $ do
      (code, out, _) <- bench ["--repeats", "1", "--steps", "1", "--json"]
      code `shouldBe` ExitSuccess
      case A.decode (BLC.pack (last (lines out))) of
        Just (A.Object o) -> do
          KM.lookup "port" o `shouldBe` Just (A.String "haskell")
          KM.lookup "ms_per_step" o `shouldSatisfy` \v -> case v of Just (A.Number _) -> True; _ -> False
          KM.lookup "page_faults_per_step" o `shouldSatisfy` \v -> case v of Just (A.Number _) -> True; _ -> False
        _ -> expectationFailure ("not a JSON object: " ++ out)
    it "--check: one JSON line with the step's loss, dx1 (batch x 784) and gradients" $ do
      (code, out, _) <- bench ["--check", "--hidden", "3", "--batch", "2"]
      code `shouldBe` ExitSuccess
      length (lines out) `shouldBe` 1
      let shape v = case v of
            A.Array xs -> length xs : maybe [] shape (foldr (const . Just) Nothing xs)
            _ -> []
      case A.decode (BLC.pack out) of
        Just (A.Object o) -> do
          KM.lookup "loss" o `shouldSatisfy` \v -> case v of Just (A.Number l) -> l > 0; _ -> False
          fmap shape (KM.lookup "dx1" o) `shouldBe` Just [2, 784]
          case KM.lookup "grads" o of
            Just (A.Object g) -> map (fmap shape . (`KM.lookup` g)) ["W1", "b1", "W2", "b2"]
                                   `shouldBe` map Just [[784, 3], [3], [3, 10], [10]]
            _ -> expectationFailure ("no grads object: " ++ out)
        _ -> expectationFailure ("not a JSON object: " ++ out)
    it "--net simple_conv_net --check: dx1 is N x 1 x 28 x 28, W1 30 x 1 x 5 x 5, W2 of the 12 x 12 pooled maps" $ do
      (code, out, _) <- bench ["--net", "simple_conv_net", "--check", "--hidden", "2", "--batch", "1"]
      code `shouldBe` ExitSuccess
      let shape v = case v of
            A.Array xs -> length xs : maybe [] shape (foldr (const . Just) Nothing xs)
            _ -> []
      case A.decode (BLC.pack out) of
        Just (A.Object o) -> do
          fmap shape (KM.lookup "dx1" o) `shouldBe` Just [1, 1, 28, 28]
          case KM.lookup "grads" o of
            Just (A.Object g) -> map (fmap shape . (`KM.lookup` g)) ["W1", "b1", "W2", "b2", "W3", "b3"]
                                   `shouldBe` map Just [[30, 1, 5, 5], [30], [4320, 2], [2], [2, 10], [10]]
            _ -> expectationFailure ("no grads object: " ++ out)
        _ -> expectationFailure ("not a JSON object: " ++ out)
      bench ["--net", "lenet"] >>= oneLineError "bin/bench" ["--net", "lenet"]
    it "--net deep_conv_net --check: dx1 N x 1 x 28 x 28, W1 16 x 1 x 3 x 3 ... W7 of the last 4 x 4 pooling, 16 gradients" $ do
      (code, out, _) <- bench ["--net", "deep_conv_net", "--check", "--hidden", "3", "--batch", "2"]
      code `shouldBe` ExitSuccess
      let shape v = case v of
            A.Array xs -> length xs : maybe [] shape (foldr (const . Just) Nothing xs)
            _ -> []
      case A.decode (BLC.pack out) of
        Just (A.Object o) -> do
          fmap shape (KM.lookup "dx1" o) `shouldBe` Just [2, 1, 28, 28]
          case KM.lookup "grads" o of
            Just (A.Object g) -> do
              length (KM.keys g) `shouldBe` 16
              map (fmap shape . (`KM.lookup` g)) ["W1", "b1", "W4", "W6", "b6", "W7", "b7", "W8", "b8"]
                `shouldBe` map Just [[16, 1, 3, 3], [16], [32, 32, 3, 3], [64, 64, 3, 3], [64], [1024, 3], [3], [3, 10], [10]]
            _ -> expectationFailure ("no grads object: " ++ out)
        _ -> expectationFailure ("not a JSON object: " ++ out)
    it "--net deep_conv_net --json: the flops of README §9's products (batch 2, hidden 3: 104,684,904 a step)" $ do
      -- per image: 28·28·16·9 + 28·28·16·144 + 14·14·32·144 + 16·16·32·288 + 8·8·64·288 + 8·8·64·576
      -- = 8,720,640 for the convolutions, 1024·3 + 3·10 = 3,102 for the Affines; times 3 products, 2 flops, 2 images
      (code, out, _) <- bench ["--net", "deep_conv_net", "--repeats", "1", "--steps", "1", "--json", "--hidden", "3", "--batch", "2"]
      code `shouldBe` ExitSuccess
      case A.decode (BLC.pack (last (lines out))) of
        Just (A.Object o) | Just (A.Number ms) <- KM.lookup "ms_per_step" o, Just (A.Number gf) <- KM.lookup "gflops" o -> do
          KM.lookup "net" o `shouldBe` Just (A.String "deep_conv_net")
          let flops = realToFrac gf * realToFrac ms * 1e6 :: Double
          abs (flops - 104684904) / 104684904 `shouldSatisfy` (< 1e-9)
        _ -> expectationFailure ("not the JSON object: " ++ out)
