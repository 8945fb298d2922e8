{-# LANGUAGE BangPatterns #-}
-- | IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw,
-- and the four-file MNIST layout used by the trainer.
--
-- IDX: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
-- 0x0D f32, 0x0E f64, all big-endian), the number of dimensions, each
-- dimension as a big-endian u32, then the values row-major.
module DLScratch.Datasets
  ( IdxType (..)
  , IdxHeader (..)
  , idxHeader
  , Idx (..)
  , decodeIdx
  , decodeIdxRows
  , decodeIdxWith
  , readIdxBytes
  , readIdx
  , readIdxRows
  , readIdxWith
  , Mnist (..)
  , mnistFiles
  , defaultDataDir
  , loadMnist
  , loadMnistShaped
  ) where

import qualified Codec.Compression.GZip as GZip
import Control.Exception (IOException, SomeException, evaluate, try, catch)
import Data.Bits (shiftL, (.|.))
import qualified Data.ByteString as BS
import qualified Data.ByteString.Lazy as BL
import qualified Data.ByteString.Unsafe as BU
import Data.Int (Int16, Int32, Int8)
import Data.List (intercalate)
import Data.Word (Word32, Word64, Word8)
import GHC.Float (castWord32ToFloat, castWord64ToDouble)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, reshape)
import System.Directory (doesFileExist)
import System.IO.Error (ioeGetErrorString)
import DLScratch.Functions (Labels (..))

-- region: idx
-- | The element type of an IDX file (its third byte).
data IdxType = IdxU8 | IdxI8 | IdxI16 | IdxI32 | IdxF32 | IdxF64
  deriving (Eq, Show)

-- | The type byte and the width in bytes of a type.
typeCode :: IdxType -> (Word8, Int)
typeCode t = case t of
  IdxU8 -> (0x08, 1)
  IdxI8 -> (0x09, 1)
  IdxI16 -> (0x0B, 2)
  IdxI32 -> (0x0C, 4)
  IdxF32 -> (0x0D, 4)
  IdxF64 -> (0x0E, 8)

-- | What an IDX file's header says: the element type and the dimensions.
data IdxHeader = IdxHeader { idxType :: !IdxType, idxDims :: ![Int] }
  deriving (Eq, Show)

-- | The header of an IDX file's bytes (already decompressed), checking that
-- the bytes hold as many values as it says.
idxHeader :: BS.ByteString -> Either String IdxHeader
idxHeader bs
  | BS.length bs < 4 = Left "the file is shorter than an IDX header (4 bytes)"
  | BS.index bs 0 /= 0 || BS.index bs 1 /= 0 = Left "not an IDX file: the first two bytes are not zero"
  | otherwise = do
      ty <- case [ t | t <- [IdxU8, IdxI8, IdxI16, IdxI32, IdxF32, IdxF64], fst (typeCode t) == BS.index bs 2 ] of
        t : _ -> Right t
        [] -> Left ("unknown IDX type byte 0x" ++ hex (BS.index bs 2))
      let nd = fromIntegral (BS.index bs 3)
          headerLen = 4 + 4 * nd
      if BS.length bs < headerLen
        then Left ("the file is shorter than its header says (" ++ show nd ++ " dimensions)")
        else do
          let dims = [ fromIntegral (bigEndian bs 4 (4 + 4 * k)) | k <- [0 .. nd - 1] ] :: [Int]
              need = toInteger headerLen + product (map toInteger dims) * toInteger (snd (typeCode ty))
          if toInteger (BS.length bs) < need
            then Left ("the file is shorter than its header says: " ++ show need
                       ++ " bytes needed, " ++ show (BS.length bs) ++ " present")
            else Right (IdxHeader ty dims)
  where
    hex b = let s = "0123456789abcdef" in [s !! fromIntegral (b `div` 16), s !! fromIntegral (b `mod` 16)]

-- | The header's length in bytes: 4, then 4 per dimension.
headerLength :: IdxHeader -> Int
headerLength h = 4 + 4 * length (idxDims h)

-- | The unsigned big-endian integer of w bytes at offset o.
bigEndian :: BS.ByteString -> Int -> Int -> Word64
bigEndian bs w o = go 0 0
  where
    go !k !acc
      | k >= w = acc
      | otherwise = go (k + 1) ((acc `shiftL` 8) .|. fromIntegral (BU.unsafeIndex bs (o + k)))

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
decodeIdxWith f limit bs = (\h -> idxValuesOf f limit h bs) <$> idxHeader bs

-- | The values of a file whose header has been read (and checked). Inlined,
-- so that the conversion and f compile into the loop over the elements.
idxValuesOf :: (Double -> Double) -> Maybe Int -> IdxHeader -> BS.ByteString -> Idx
{-# INLINE idxValuesOf #-}
idxValuesOf f limit h bs = Idx dims' $ case idxType h of
    IdxU8 -> values (\o -> fromIntegral (BU.unsafeIndex bs o))
    IdxI8 -> values (\o -> fromIntegral (fromIntegral (BU.unsafeIndex bs o) :: Int8))
    IdxI16 -> values (\o -> fromIntegral (fromIntegral (be 2 o) :: Int16))
    IdxI32 -> values (\o -> fromIntegral (fromIntegral (be 4 o) :: Int32))
    IdxF32 -> values (\o -> realToFrac (castWord32ToFloat (fromIntegral (be 4 o) :: Word32)))
    IdxF64 -> values (\o -> castWord64ToDouble (be 8 o))
  where
    start = headerLength h
    width = snd (typeCode (idxType h))
    dims' = case (idxDims h, limit) of
      (d0 : rest, Just k) -> min d0 (max k 0) : rest
      (dims, _) -> dims
    be = bigEndian bs
    -- one loop per element type: conv o decodes the element at byte offset o
    values :: (Int -> Double) -> VS.Vector Double
    values conv = VS.generate (product dims') (\i -> f (conv (start + i * width)))
    {-# INLINE values #-}

-- | A file's bytes, gunzipped when they start with the gzip magic 1f 8b; an
-- error names the file.
readIdxBytes :: FilePath -> IO (Either String BS.ByteString)
readIdxBytes path = do
  r <- try (BS.readFile path) :: IO (Either IOException BS.ByteString)
  case r of
    Left e -> pure (Left (path ++ ": cannot read it (" ++ ioeGetErrorString e ++ ")"))
    Right raw
      | BS.take 2 raw == BS.pack [0x1f, 0x8b] ->
          (Right <$> evaluate (BL.toStrict (GZip.decompress (BL.fromStrict raw))))
            `catch` (\e -> pure (Left (path ++ ": corrupt gzip data: " ++ show (e :: SomeException))))
      | otherwise -> pure (Right raw)

-- | Read an IDX file, gunzipping it when it starts with the gzip magic 1f 8b.
readIdx :: FilePath -> IO (Either String Idx)
readIdx = readIdxRows Nothing

-- | 'readIdx' keeping at most the first k entries along the first dimension.
readIdxRows :: Maybe Int -> FilePath -> IO (Either String Idx)
readIdxRows = readIdxWith id

-- | 'readIdxRows' with f applied to every value as it is decoded; every
-- error message starts with the path.
readIdxWith :: (Double -> Double) -> Maybe Int -> FilePath -> IO (Either String Idx)
readIdxWith f limit path = (>>= named path . decodeIdxWith f limit) <$> readIdxBytes path

-- | Prefix an error with the file it is about.
named :: FilePath -> Either String a -> Either String a
named path = either (\m -> Left (path ++ ": " ++ m)) Right
-- endregion

-- | Training and test images (rows of rows×cols values in [0, 1]) and labels.
data Mnist = Mnist
  { xTrain :: Matrix Double, tTrain :: Labels
  , xTest :: Matrix Double, tTest :: Labels }

defaultDataDir :: FilePath
defaultDataDir = "/usr/share/datasets/fashion-mnist"

-- | The four files of an MNIST directory, each read as NAME.gz or NAME:
-- training images and labels, test images and labels.
mnistFiles :: [FilePath]
mnistFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

-- | A file of the directory, its header and its bytes.
data IdxFile = IdxFile { filePath :: FilePath, fileHeader :: IdxHeader, fileBytes :: BS.ByteString }

-- | The four IDX files of a directory (each name with or without .gz),
-- keeping the first @trainSize@ / @testSize@ images; images become
-- @byte / 255.0@ flattened to one row each.
--
-- Every file is checked first, in the order of 'mnistFiles', and the first
-- one that fails is named: it exists and is a well-formed IDX file; images
-- are unsigned bytes of 3 dimensions (count × rows × cols) with the same
-- rows × cols in both sets; labels are unsigned bytes of 1 dimension, as
-- many as the images of their set, each in 0..9.
loadMnist :: FilePath -> Maybe Int -> Maybe Int -> IO (Either String Mnist)
loadMnist dir trainSize testSize = fmap fst <$> loadMnistShaped dir trainSize testSize

-- | 'loadMnist', and the images' rows × cols.
loadMnistShaped :: FilePath -> Maybe Int -> Maybe Int -> IO (Either String (Mnist, (Int, Int)))
loadMnistShaped dir trainSize testSize = do
  files <- mapM readFile' mnistFiles
  pure $ case files of
    [trI, trL, teI, teL] -> do
      xtr <- trI >>= imageFile Nothing
      ttr <- trL >>= labelFile xtr
      xte <- teI >>= imageFile (Just xtr)
      tte <- teL >>= labelFile xte
      let imageSize = case idxDims (fileHeader xtr) of { [_, r, c] -> (r, c); _ -> (0, 0) }
      Right (Mnist (images trainSize xtr) (labels trainSize ttr) (images testSize xte) (labels testSize tte), imageSize)
    _ -> Left "four files expected"
  where
    readFile' name = do
      let p = dir ++ "/" ++ name
      gz <- doesFileExist (p ++ ".gz")
      plain <- doesFileExist p
      let path = if gz then p ++ ".gz" else p
      if not (gz || plain)
        then pure (Left (p ++ "[.gz]: no such file"))
        else do
          bytes <- readIdxBytes path
          pure (bytes >>= \bs -> named path (IdxFile path <$> idxHeader bs <*> pure bs))
    check f ok what = if ok then Right () else Left (filePath f ++ ": " ++ what)
    shapeOf f = "[" ++ intercalate ", " (map show (idxDims (fileHeader f))) ++ "]"
    unsignedBytes f = check f (idxType (fileHeader f) == IdxU8)
      ("expected unsigned bytes (type 0x08), got " ++ show (idxType (fileHeader f)))
    imageFile train f = do
      unsignedBytes f
      case idxDims (fileHeader f) of
        [n, r, c] -> do
          check f (n >= 1 && r * c >= 1) ("no images in shape " ++ shapeOf f)
          case train of
            Just tr -> check f ([r, c] == drop 1 (idxDims (fileHeader tr)))
              ("images of shape " ++ shapeOf f ++ " but the training images are " ++ shapeOf tr)
            Nothing -> Right ()
          Right f
        _ -> Left (filePath f ++ ": expected images of 3 dimensions (count x rows x cols), got shape " ++ shapeOf f)
    labelFile imgs f = do
      unsignedBytes f
      case idxDims (fileHeader f) of
        [n] -> do
          let nImages = product (take 1 (idxDims (fileHeader imgs)))
              body = BS.take n (BS.drop (headerLength (fileHeader f)) (fileBytes f))
          check f (n == nImages) (show n ++ " labels for the " ++ show nImages ++ " images of " ++ filePath imgs)
          case BS.findIndex (> 9) body of
            Just i -> Left (filePath f ++ ": label " ++ show (BS.index body i) ++ " at index " ++ show i ++ " is outside 0..9")
            Nothing -> Right f
        _ -> Left (filePath f ++ ": expected labels of 1 dimension, got shape " ++ shapeOf f)
    images lim f = let Idx sh v = idxValuesOf (/ 255.0) lim (fileHeader f) (fileBytes f)
                   in reshape (product (drop 1 sh)) v
    labels lim f = Labels (VS.map round (idxValues (idxValuesOf id lim (fileHeader f) (fileBytes f))))
