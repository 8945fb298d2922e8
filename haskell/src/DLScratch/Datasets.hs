{-# LANGUAGE BangPatterns #-}
-- | IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw,
-- and the four-file MNIST layout used by the trainer.
--
-- IDX: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
-- 0x0D f32, 0x0E f64, all big-endian), the number of dimensions, each
-- dimension as a big-endian u32, then the values row-major.
module DLScratch.Datasets
  ( Idx (..)
  , decodeIdx
  , decodeIdxRows
  , readIdx
  , readIdxRows
  , decodeIdxWith
  , readIdxWith
  , Mnist (..)
  , defaultDataDir
  , loadMnist
  ) where

import qualified Codec.Compression.GZip as GZip
import Control.Exception (IOException, SomeException, evaluate, try, catch)
import Data.Bits (shiftL, (.|.))
import qualified Data.ByteString as BS
import qualified Data.ByteString.Lazy as BL
import qualified Data.ByteString.Unsafe as BU
import Data.Int (Int16, Int32, Int8)
import Data.Word (Word32, Word64)
import GHC.Float (castWord32ToFloat, castWord64ToDouble)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, reshape)
import System.Directory (doesFileExist)
import DLScratch.Functions (Labels (..))

-- region: idx
-- | An IDX array: its shape and its values as float64, row-major.
data Idx = Idx { idxShape :: [Int], idxValues :: VS.Vector Double }

-- | Decode an IDX file's bytes (already decompressed).
decodeIdx :: BS.ByteString -> Either String Idx
decodeIdx = decodeIdxRows Nothing

-- | Decode at most the first k entries along the first dimension (all when
-- Nothing); the shape answered is the shape of what was decoded.
decodeIdxRows :: Maybe Int -> BS.ByteString -> Either String Idx
decodeIdxRows = decodeIdxWith id

-- | 'decodeIdxRows' with f applied to every value as it is decoded.
decodeIdxWith :: (Double -> Double) -> Maybe Int -> BS.ByteString -> Either String Idx
decodeIdxWith f limit bs
  | BS.length bs < 4 = Left "the file is shorter than an IDX header (4 bytes)"
  | BS.index bs 0 /= 0 || BS.index bs 1 /= 0 = Left "not an IDX file: the first two bytes are not zero"
  | otherwise = do
      (width, conv) <- case BS.index bs 2 of
        0x08 -> Right (1, \o -> fromIntegral (BU.unsafeIndex bs o))
        0x09 -> Right (1, \o -> fromIntegral (fromIntegral (BU.unsafeIndex bs o) :: Int8))
        0x0B -> Right (2, \o -> fromIntegral (fromIntegral (be 2 o) :: Int16))
        0x0C -> Right (4, \o -> fromIntegral (fromIntegral (be 4 o) :: Int32))
        0x0D -> Right (4, \o -> realToFrac (castWord32ToFloat (fromIntegral (be 4 o) :: Word32)))
        0x0E -> Right (8, \o -> castWord64ToDouble (be 8 o))
        ty -> Left ("unknown IDX type byte 0x" ++ hex ty)
      let nd = fromIntegral (BS.index bs 3)
          headerLen = 4 + 4 * nd
      if BS.length bs < headerLen
        then Left ("the file is shorter than its header says (" ++ show nd ++ " dimensions)")
        else do
          let dims = [ fromIntegral (be 4 (4 + 4 * k)) | k <- [0 .. nd - 1] ] :: [Int]
              need = fromIntegral headerLen + product (map toInteger dims) * toInteger width :: Integer
          if toInteger (BS.length bs) < need
            then Left ("the file is shorter than its header says: " ++ show need
                       ++ " bytes needed, " ++ show (BS.length bs) ++ " present")
            else do
              let dims' = case (dims, limit) of
                    (d0 : rest, Just k) -> min d0 (max k 0) : rest
                    _ -> dims
                  n' = product dims'
              Right (Idx dims' (VS.generate n' (\i -> f (conv (headerLen + i * width)))))
  where
    be :: Int -> Int -> Word64
    be w o = go 0 0
      where
        go !k !acc
          | k >= w = acc
          | otherwise = go (k + 1) ((acc `shiftL` 8) .|. fromIntegral (BU.unsafeIndex bs (o + k)))
    hex b = let s = "0123456789abcdef" in [s !! fromIntegral (b `div` 16), s !! fromIntegral (b `mod` 16)]

-- | Read an IDX file, gunzipping it when it starts with the gzip magic 1f 8b.
readIdx :: FilePath -> IO (Either String Idx)
readIdx = readIdxRows Nothing

-- | 'readIdx' keeping at most the first k entries along the first dimension.
readIdxRows :: Maybe Int -> FilePath -> IO (Either String Idx)
readIdxRows = readIdxWith id

-- | 'readIdxRows' with f applied to every value as it is decoded.
readIdxWith :: (Double -> Double) -> Maybe Int -> FilePath -> IO (Either String Idx)
readIdxWith f limit path = do
  r <- try (BS.readFile path) :: IO (Either IOException BS.ByteString)
  case r of
    Left e -> pure (Left ("cannot read " ++ path ++ ": " ++ show e))
    Right raw
      | BS.take 2 raw == BS.pack [0x1f, 0x8b] -> do
          d <- (Right <$> evaluate (BL.toStrict (GZip.decompress (BL.fromStrict raw))))
                 `catch` (\e -> pure (Left (show (e :: SomeException))))
          pure (either (\m -> Left (path ++ ": corrupt gzip data: " ++ m)) (fmap' path . decodeIdxWith f limit) d)
      | otherwise -> pure (fmap' path (decodeIdxWith f limit raw))
  where
    fmap' p = either (\m -> Left (p ++ ": " ++ m)) Right
-- endregion

-- | Training and test images (rows of 784 values in [0, 1]) and labels.
data Mnist = Mnist
  { xTrain :: Matrix Double, tTrain :: Labels
  , xTest :: Matrix Double, tTest :: Labels }

defaultDataDir :: FilePath
defaultDataDir = "/usr/share/datasets/fashion-mnist"

-- | The four IDX files of a directory (each name with or without .gz),
-- keeping the first @trainSize@ / @testSize@ images; images become
-- @byte / 255.0@ flattened to one row each.
loadMnist :: FilePath -> Maybe Int -> Maybe Int -> IO (Either String Mnist)
loadMnist dir trainSize testSize = do
  xtr <- images "train-images-idx3-ubyte" trainSize
  ttr <- labels "train-labels-idx1-ubyte" trainSize
  xte <- images "t10k-images-idx3-ubyte" testSize
  tte <- labels "t10k-labels-idx1-ubyte" testSize
  pure (Mnist <$> xtr <*> ttr <*> xte <*> tte)
  where
    find name = do
      let p = dir ++ "/" ++ name
      gz <- doesFileExist (p ++ ".gz")
      pure (if gz then p ++ ".gz" else p)
    images name lim = do
      p <- find name
      r <- readIdxWith (/ 255.0) lim p
      pure $ do
        Idx sh v <- r
        case sh of
          (_ : rest@(_ : _)) -> Right (reshape (product rest) v)
          _ -> Left (p ++ ": expected an image array, got shape " ++ show sh)
    labels name lim = do
      p <- find name
      r <- readIdxRows lim p
      pure $ do
        Idx sh v <- r
        case sh of
          [_] -> Right (Labels (VS.map round v))
          _ -> Left (p ++ ": expected a label vector, got shape " ++ show sh)
