{-# LANGUAGE OverloadedStrings #-}
-- | The MNIST loader's checks and the commands in bin/: bin/train and
-- bin/bench refuse bad options and bad data files with one line on stderr
-- and exit status 2, a small bin/train run writes the §8 history, and
-- bin/runner --help lists every op.
module Commands (spec) where

import Control.Exception (finally)
import Control.Monad (forM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString as BS
import qualified Data.ByteString.Lazy.Char8 as BLC
import Data.Bits (shiftR)
import Data.List (isInfixOf, isPrefixOf, sort)
import qualified Data.Text as T
import qualified Data.Vector.Storable as VS
import Data.Word (Word8)
import Numeric.LinearAlgebra (cols, rows, toLists)
import System.Directory
import System.Exit (ExitCode (..))
import System.FilePath ((</>))
import System.IO (hClose, openTempFile)
import System.Process (readProcessWithExitCode)
import Test.Hspec

import DLScratch.Datasets
import DLScratch.Functions (Labels (..))
import DLScratch.Runner (opNames)

-- | An IDX file: two zero bytes, the type byte, the number of dimensions,
-- each dimension as a big-endian u32, then the values.
idx :: Word8 -> [Int] -> [Word8] -> BS.ByteString
idx ty dims body = BS.pack ([0, 0, ty, fromIntegral (length dims)] ++ concatMap be32 dims ++ body)
  where be32 d = [fromIntegral (d `shiftR` s) | s <- [24, 16, 8, 0]]

-- | A fresh directory, removed afterwards.
withTempDir :: (FilePath -> IO a) -> IO a
withTempDir act = do
  tmp <- getTemporaryDirectory
  (p, h) <- openTempFile tmp "dlscratch-test"
  hClose h >> removeFile p >> createDirectory p
  act p `finally` removeDirectoryRecursive p

-- | Three training images and two test images of 2×2 pixels, labels 0..9.
goodFiles :: [(FilePath, BS.ByteString)]
goodFiles =
  [ ("train-images-idx3-ubyte", idx 0x08 [3, 2, 2] [0, 51, 102, 255, 1, 2, 3, 4, 5, 6, 7, 8])
  , ("train-labels-idx1-ubyte", idx 0x08 [3] [9, 0, 3])
  , ("t10k-images-idx3-ubyte", idx 0x08 [2, 2, 2] [10, 20, 30, 40, 50, 60, 70, 80])
  , ("t10k-labels-idx1-ubyte", idx 0x08 [2] [1, 2]) ]

-- | loadMnist on a directory of files, with some replaced (Nothing: absent).
loadWith :: [(FilePath, Maybe BS.ByteString)] -> IO (Either String Mnist)
loadWith changes = withTempDir $ \dir -> do
  forM_ goodFiles $ \(name, bytes) -> case lookup name changes of
    Nothing -> BS.writeFile (dir </> name) bytes
    Just (Just other) -> BS.writeFile (dir </> name) other
    Just Nothing -> pure ()
  either (Left . drop (length dir + 1)) Right <$> loadMnist dir Nothing Nothing

-- | The error names the file, and says what.
refusedNaming :: FilePath -> String -> Either String Mnist -> Expectation
refusedNaming name what r = case r of
  Left e -> e `shouldSatisfy` (\m -> name `isPrefixOf` m && what `isInfixOf` m)
  Right _ -> expectationFailure ("loaded, but " ++ name ++ " should be refused (" ++ what ++ ")")

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

spec :: Spec
spec = do
  describe "loadMnist checks the four files first, naming the first bad one" $ do
    it "loads good files (pixels byte / 255, the first N images)" $ do
      r <- withTempDir $ \dir -> do
        forM_ goodFiles $ \(name, bytes) -> BS.writeFile (dir </> name) bytes
        loadMnist dir (Just 2) Nothing
      case r of
        Left e -> expectationFailure e
        Right m -> do
          (rows (xTrain m), cols (xTrain m), rows (xTest m)) `shouldBe` (2, 4, 2)
          head (toLists (xTrain m)) `shouldBe` [0, 0.2, 0.4, 1]
          VS.toList (labelVector (tTrain m)) `shouldBe` [9, 0]
    it "a missing file" $
      loadWith [("t10k-labels-idx1-ubyte", Nothing)] >>= refusedNaming "t10k-labels-idx1-ubyte" "no such file"
    it "a file shorter than its header says" $
      loadWith [("train-labels-idx1-ubyte", Just (idx 0x08 [3] [1, 2]))] >>= refusedNaming "train-labels-idx1-ubyte" "shorter"
    it "not an IDX file" $
      loadWith [("train-images-idx3-ubyte", Just "hello, world")] >>= refusedNaming "train-images-idx3-ubyte" "not an IDX file"
    it "images that are not unsigned bytes" $
      loadWith [("train-images-idx3-ubyte", Just (idx 0x0C [1, 1, 1] [0, 0, 0, 7]))] >>= refusedNaming "train-images-idx3-ubyte" "unsigned bytes"
    it "labels that are an images file" $
      loadWith [("t10k-labels-idx1-ubyte", Just (snd (goodFiles !! 2)))] >>= refusedNaming "t10k-labels-idx1-ubyte" "1 dimension"
    it "fewer labels than images" $
      loadWith [("train-labels-idx1-ubyte", Just (idx 0x08 [2] [1, 2]))] >>= refusedNaming "train-labels-idx1-ubyte" "2 labels for the 3 images"
    it "a label outside 0..9" $
      loadWith [("t10k-labels-idx1-ubyte", Just (idx 0x08 [2] [1, 10]))] >>= refusedNaming "t10k-labels-idx1-ubyte" "label 10 at index 1"
    it "test images of another size than the training images" $
      loadWith [("t10k-images-idx3-ubyte", Just (idx 0x08 [2, 1, 4] [1 .. 8]))] >>= refusedNaming "t10k-images-idx3-ubyte" "training images are [3, 2, 2]"
    it "the first bad file in the order train images, train labels, test images, test labels" $
      loadWith [("t10k-labels-idx1-ubyte", Nothing), ("train-labels-idx1-ubyte", Just (idx 0x08 [3] [1, 2, 11]))]
        >>= refusedNaming "train-labels-idx1-ubyte" "outside 0..9"

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
    it "--help lists every option with its default, and the optimizers" $ do
      (code, out, _) <- train ["--help"]
      code `shouldBe` ExitSuccess
      out `shouldSatisfy` ("usage: bin/train" `isPrefixOf`)
      forM_ ["--data-dir", "--iters", "--batch-size", "--hidden", "--lr", "--optimizer", "--weight-init-std"
            , "--seed", "--train-size", "--test-size", "--out", "--quiet"] $ \opt ->
        [ l | l <- lines out, ("  " ++ opt ++ " ") `isPrefixOf` l, "(default: " `isInfixOf` l ] `shouldSatisfy` (not . null)
      out `shouldSatisfy` ("sgd, momentum, nesterov, adagrad, rmsprop, adam" `isInfixOf`)
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

  describe "bin/bench" $ do
    let bench = run "bin/bench"
    it "refuses bad options in one line, exit status 2" $ do
      bench ["--repeats", "0"] >>= oneLineError "bin/bench" ["--repeats", "0"]
      bench ["--steps", "0"] >>= oneLineError "bin/bench" ["--steps", "0"]
      bench ["--repeats", "abc"] >>= oneLineError "bin/bench" ["--repeats", "abc"]
      bench ["--no-python"] >>= oneLineError "bin/bench" ["--no-python"]
      bench ["--bogus"] >>= oneLineError "bin/bench" ["--bogus"]
    it "--help lists every option with its default" $ do
      (code, out, _) <- bench ["--help"]
      code `shouldBe` ExitSuccess
      forM_ ["--repeats", "--steps", "--no-reference", "--json"] $ \opt ->
        [ l | l <- lines out, ("  " ++ opt ++ " ") `isPrefixOf` l, "(default: " `isInfixOf` l ] `shouldSatisfy` (not . null)
    it "--json: the last line is {\"port\": \"haskell\", \"ms_per_step\": ...}" $ do
      (code, out, _) <- bench ["--repeats", "1", "--steps", "1", "--json"]
      code `shouldBe` ExitSuccess
      case A.decode (BLC.pack (last (lines out))) of
        Just (A.Object o) -> do
          KM.lookup "port" o `shouldBe` Just (A.String "haskell")
          KM.lookup "ms_per_step" o `shouldSatisfy` \v -> case v of Just (A.Number _) -> True; _ -> False
        _ -> expectationFailure ("not a JSON object: " ++ out)

  describe "bin/runner" $
    it "--help lists every op" $ do
      (code, out, _) <- run "bin/runner" ["--help"]
      code `shouldBe` ExitSuccess
      [ l | l <- lines out, "Ops: " `isPrefixOf` l ] `shouldBe` ["Ops: " ++ T.unpack (T.intercalate ", " opNames)]
      length opNames `shouldBe` 48
