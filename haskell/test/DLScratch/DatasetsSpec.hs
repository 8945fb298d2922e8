{-# LANGUAGE OverloadedStrings #-}
-- | IDX files and the MNIST loader's checks: the four files are checked first, the first bad
-- one named.
module DLScratch.DatasetsSpec (spec, idx, withTempDir) where

import Control.Exception (finally)
import Control.Monad (forM_)
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.Bits (shiftR)
import Data.List (isInfixOf, isPrefixOf)
import qualified Data.Vector.Storable as VS
import Data.Word (Word8)
import Numeric.LinearAlgebra (cols, rows, toLists)
import System.Directory
import System.FilePath ((</>))
import System.IO (hClose, openTempFile)
import Test.Hspec
import DLScratch.Datasets
import DLScratch.Functions (Labels (..))

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

spec :: Spec
spec = do
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

