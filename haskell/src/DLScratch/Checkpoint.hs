{-# LANGUAGE OverloadedStrings #-}
-- | The checkpoint of a stopped bin/train run (shared_tests/README.md §8): the parameters, the
-- optimizer's state, the generator's six words, the iteration and the history so far, in the
-- notation of the parameters file, so that any port resumes any port's run.
--
-- Reading is in two stages: 'readCheckpointFile' checks what needs nothing but the file (JSON,
-- format, version, an options object); the caller builds the run of those options, and
-- 'restoreCheckpoint' checks the rest against that run ('Expected').
module DLScratch.Checkpoint
  ( SavedOptimizer (..)
  , saveOptimizer
  , restoreOptimizer
  , savedName
  , SavedHistory (..)
  , Checkpoint (..)
  , checkpointJ
  , writeCheckpoint
  , readCheckpointFile
  , Expected (..)
  , restoreCheckpoint
  ) where

import Control.Exception (IOException, try)
import Control.Monad (unless, when, zipWithM)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy.Char8 as BLC
import Data.List (sort)
import qualified Data.Scientific as Sci
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Vector as V
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Vector, cols, reshape)
import System.Directory (createDirectoryIfMissing, renameFile)
import System.FilePath (takeDirectory)
import System.IO (IOMode (WriteMode), withBinaryFile)
import System.IO.Error (ioeGetErrorString)

import DLScratch.Json (J (..), decodeLine, encodeJ, numberOf, vectorJ)
import DLScratch.Layers (Dense (..))
import DLScratch.Networks (Params)
import DLScratch.Optimizers (OptState (..), Optimizer (..), initState, optimizerName)
import DLScratch.Rng (Gen, genFromWords, genWords)
import DLScratch.Train (Model, modelArrays, modelParams, withModelParams)

-- region: checkpoint
-- part: state
-- | What an optimizer's update keeps between steps, by the optimizer's name (README §8): sgd
-- nothing; momentum and nesterov v; adagrad and rmsprop h; adam its iteration count, m and v.
data SavedOptimizer
  = SavedSGD
  | SavedMomentum Params
  | SavedNesterov Params
  | SavedAdaGrad Params
  | SavedRMSprop Params
  | SavedAdam Int Params Params

-- | The name the checkpoint gives the optimizer (the history's options' "optimizer").
savedName :: SavedOptimizer -> Text
savedName s = case s of
  SavedSGD -> "sgd"
  SavedMomentum _ -> "momentum"
  SavedNesterov _ -> "nesterov"
  SavedAdaGrad _ -> "adagrad"
  SavedRMSprop _ -> "rmsprop"
  SavedAdam {} -> "adam"

-- | The state an optimizer has reached, by its name (the parameters give the zeros of a state
-- before the first update).
saveOptimizer :: Optimizer -> Params -> OptState Params -> SavedOptimizer
saveOptimizer opt params st = case (opt, st) of
  (SGD {}, _) -> SavedSGD
  (Momentum {}, Velocity v) -> SavedMomentum v
  (Nesterov {}, Velocity v) -> SavedNesterov v
  (AdaGrad {}, SquareSum h) -> SavedAdaGrad h
  (RMSprop {}, SquareSum h) -> SavedRMSprop h
  (Adam {}, AdamState t m v) -> SavedAdam t m v
  _ -> saveOptimizer opt params (initState opt params)

-- | The state that 'update' continues from.
restoreOptimizer :: SavedOptimizer -> OptState Params
restoreOptimizer s = case s of
  SavedSGD -> Stateless
  SavedMomentum v -> Velocity v
  SavedNesterov v -> Velocity v
  SavedAdaGrad h -> SquareSum h
  SavedRMSprop h -> SquareSum h
  SavedAdam t m v -> AdamState t m v

-- part: save
-- | The run's record up to the checkpoint: every step's loss, the evaluations (iteration, train
-- acc, test acc) and the seconds of training.
data SavedHistory = SavedHistory { savedLosses :: [Double], savedAccs :: [(Int, Double, Double)], savedSeconds :: Double }
  deriving (Eq, Show)

-- | A checkpoint: the parameters file's network, the history's options, the iterations done, the
-- generator after the last of them, the optimizer's state, the network (its parameters) and the
-- history.
data Checkpoint = Checkpoint
  { ckNetwork :: J
  , ckOptions :: J
  , ckIteration :: Int
  , ckGen :: Gen
  , ckOptimizer :: SavedOptimizer
  , ckModel :: Model
  , ckHistory :: SavedHistory
  }

-- | Named arrays in the network's order and shapes, each @{"shape": [...], "data": [...]}@.
arraysJ :: Model -> Params -> J
arraysJ model ps = JObj [ (k, JObj [("shape", JArr (map JInt sh)), ("data", vectorJ v)])
                        | (k, sh, v) <- modelArrays (withModelParams ps model) ]

-- | The checkpoint's JSON: @{"format": "dlscratch-checkpoint", "version": 1, "port": "haskell",
-- "network", "options", "iteration", "rng": {"s1", "s2"}, "optimizer": {"name", "state"}, "params",
-- "history"}@, every number written so that it reads back to the same double.
checkpointJ :: Checkpoint -> J
checkpointJ ck = JObj
  [ ("format", JStr "dlscratch-checkpoint"), ("version", JInt 1), ("port", JStr "haskell")
  , ("network", ckNetwork ck), ("options", ckOptions ck), ("iteration", JInt (ckIteration ck))
  , ("rng", JObj [("s1", words' s1), ("s2", words' s2)])
  , ("optimizer", JObj [("name", JStr (savedName opt)), ("state", JObj state)])
  , ("params", arraysJ model (modelParams model))
  , ("history", JObj [ ("loss_history", JArr (map JNum (savedLosses h)))
                     , ("acc_iters", JArr [JInt i | (i, _, _) <- savedAccs h])
                     , ("train_acc", JArr [JNum a | (_, a, _) <- savedAccs h])
                     , ("test_acc", JArr [JNum a | (_, _, a) <- savedAccs h])
                     , ("seconds", JNum (savedSeconds h)) ]) ]
  where
    (s1, s2) = genWords (ckGen ck)
    words' = JArr . map (JInt . fromInteger)
    (opt, model, h) = (ckOptimizer ck, ckModel ck, ckHistory ck)
    arrays = arraysJ model
    state = case opt of
      SavedSGD -> []
      SavedMomentum v -> [("v", arrays v)]
      SavedNesterov v -> [("v", arrays v)]
      SavedAdaGrad h' -> [("h", arrays h')]
      SavedRMSprop h' -> [("h", arrays h')]
      SavedAdam t m v -> [("iter", JInt t), ("m", arrays m), ("v", arrays v)]

-- | The checkpoint written whole to a file beside FILE, then renamed to FILE (a file that is there
-- is either the old checkpoint or the new one), or why it cannot be written.
writeCheckpoint :: FilePath -> Checkpoint -> IO (Either String ())
writeCheckpoint path ck = do
  let tmp = path ++ ".tmp"
  r <- try $ do
    createDirectoryIfMissing True (takeDirectory path)
    withBinaryFile tmp WriteMode (\h -> B.hPutBuilder h (encodeJ (checkpointJ ck) <> B.char7 '\n'))
    renameFile tmp path
  pure (either (\e -> Left ("cannot write " ++ path ++ ": " ++ ioeGetErrorString (e :: IOException))) Right r)
-- endregion

-- | The file as a checkpoint's JSON object and its options object, or what is wrong: it cannot be
-- read, is not JSON, has another format or version, has no options object.
readCheckpointFile :: FilePath -> IO (Either String (A.Object, A.Object))
readCheckpointFile path = either unreadable parse <$> try (BS.readFile path)
  where
    unreadable e = Left ("cannot read " ++ path ++ ": " ++ ioeGetErrorString (e :: IOException))
    parse bytes = do
      v <- either (\e -> Left (path ++ " is not JSON (" ++ e ++ ")")) Right (decodeLine bytes)
      o <- case v of
        A.Object o | KM.lookup "format" o == Just (A.String "dlscratch-checkpoint") -> Right o
        _ -> Left (path ++ " is not a dlscratch checkpoint (its \"format\" is not \"dlscratch-checkpoint\")")
      unless (KM.lookup "version" o == Just (A.Number 1)) $ Left (path ++ " is a checkpoint of version "
        ++ maybe "none" shortJson (KM.lookup "version" o) ++ "; this trainer reads version 1")
      opts <- object "the checkpoint" "options" o
      Right (o, opts)

-- | What the run of a checkpoint's options is: the network's description and the network (its
-- parameters' names and shapes), the history's options, the optimizer, the run's iterations and
-- the iterations after which it evaluates, of those before I.
data Expected = Expected
  { exNetwork :: J
  , exModel :: Model
  , exOptions :: J
  , exOptimizer :: Optimizer
  , exSteps :: Int
  , exEvaluatedBefore :: Int -> [Int]
  }

-- | The checkpoint's object checked against the run its options build (README §8's list: the
-- network, 0 < iteration < the run's iterations, the generator's words, the params' and the
-- optimizer state's keys and shapes, the optimizer's name, the history's lengths, numbers where
-- numbers belong), or the first thing that is wrong.
restoreCheckpoint :: Expected -> A.Object -> Either String Checkpoint
restoreCheckpoint ex o = do
  let network = KM.lookup "network" o
  when (network /= Just (jValue (exNetwork ex))) $ Left ("the checkpoint's network "
    ++ maybe "(none)" shortJson network ++ " is not its options' " ++ BLC.unpack (B.toLazyByteString (encodeJ (exNetwork ex))))
  i <- integer "the checkpoint" "iteration" o
  unless (0 < i && i < exSteps ex) $ Left ("the checkpoint's iteration " ++ show i ++ " is not in 1 .. "
    ++ show (exSteps ex - 1) ++ " (the run has " ++ show (exSteps ex) ++ ")")
  rng <- object "the checkpoint" "rng" o
  s1 <- list "rng" "s1" rng >>= traverse (wholeNumber "rng.s1")
  s2 <- list "rng" "s2" rng >>= traverse (wholeNumber "rng.s2")
  gen <- genFromWords (s1, s2)
  let model = exModel ex
      arrays = decodeArrays model
  params <- arrays "params" (KM.lookup "params" o)
  opt <- object "the checkpoint" "optimizer" o
  let want = T.pack (optimizerName (exOptimizer ex))
  case KM.lookup "name" opt of
    Just (A.String n) | n == want -> Right ()
    n -> Left ("optimizer.name is " ++ maybe "(none)" shortJson n ++ ", not the options' \"" ++ T.unpack want ++ "\"")
  state <- object "optimizer" "state" opt
  let keys = case exOptimizer ex of
        SGD {} -> []
        Momentum {} -> ["v"]
        Nesterov {} -> ["v"]
        AdaGrad {} -> ["h"]
        RMSprop {} -> ["h"]
        Adam {} -> ["iter", "m", "v"]
      given = sort (map K.toText (KM.keys state))
  unless (given == sort keys) $ Left ("optimizer.state has the keys " ++ names given ++ ", not " ++ names keys)
  let stateArrays k = arrays ("optimizer.state." <> k) (KM.lookup (K.fromText k) state)
  saved <- case exOptimizer ex of
    SGD {} -> Right SavedSGD
    Momentum {} -> SavedMomentum <$> stateArrays "v"
    Nesterov {} -> SavedNesterov <$> stateArrays "v"
    AdaGrad {} -> SavedAdaGrad <$> stateArrays "h"
    RMSprop {} -> SavedRMSprop <$> stateArrays "h"
    Adam {} -> do
      t <- integer "optimizer.state" "iter" state
      when (t < 1) $ Left ("optimizer.state.iter is " ++ show t ++ ", not a count of updates >= 1")
      SavedAdam t <$> stateArrays "m" <*> stateArrays "v"
  hist <- object "the checkpoint" "history" o
  losses <- list "history" "loss_history" hist >>= traverse (number "history.loss_history")
  accIters <- list "history" "acc_iters" hist >>= traverse (fmap fromInteger . wholeNumber "history.acc_iters")
  trainAcc <- list "history" "train_acc" hist >>= traverse (number "history.train_acc")
  testAcc <- list "history" "test_acc" hist >>= traverse (number "history.test_acc")
  seconds <- maybe (Left "history has no \"seconds\"") (number "history.seconds") (KM.lookup "seconds" hist)
  unless (length losses == i) $ Left ("history.loss_history has " ++ show (length losses) ++ " losses for iteration " ++ show i)
  let ends = exEvaluatedBefore ex i
  unless (accIters == ends) $ Left ("history.acc_iters is " ++ show (take 8 accIters)
    ++ ", not the epochs' ends before iteration " ++ show i ++ ": " ++ show (take 8 ends))
  mapM_ (\(k, xs) ->
    unless (length xs == length ends) $ Left ("history." ++ k ++ " has " ++ show (length xs)
      ++ " accuracies for " ++ show (length ends) ++ " evaluations")) [("train_acc", trainAcc), ("test_acc", testAcc)]
  Right (Checkpoint (exNetwork ex) (exOptions ex) i gen saved (withModelParams params model)
                    (SavedHistory losses (zip3 accIters trainAcc testAcc) seconds))
  where
    names ks = if null ks then "none" else T.unpack (T.intercalate ", " ks)

-- | Arrays of exactly the network's keys and shapes (@{"shape", "data"}@ each), as parameters.
decodeArrays :: Model -> Text -> Maybe A.Value -> Either String Params
decodeArrays model what v = do
  obj <- case v of
    Just (A.Object obj) -> Right obj
    _ -> Left (T.unpack what ++ " is not an object")
  let want = [(k, sh) | (k, sh, _) <- modelArrays model]
      given = sort (map K.toText (KM.keys obj))
  unless (given == sort (map fst want)) $ Left (T.unpack what ++ " has the keys "
    ++ T.unpack (T.intercalate ", " given) ++ ", not " ++ T.unpack (T.intercalate ", " (map fst want)))
  vs <- flip traverse want $ \(k, sh) -> do
    let at = T.unpack what ++ "." ++ T.unpack k
    entry <- object (T.unpack what) k obj
    got <- list at "shape" entry >>= traverse (wholeNumber (at ++ ".shape"))
    unless (got == map toInteger sh) $ Left (at ++ " has the shape " ++ show got ++ ", not " ++ show sh)
    xs <- list at "data" entry
    unless (length xs == product sh) $ Left (at ++ " has " ++ show (length xs) ++ " numbers for the shape " ++ show sh)
    VS.fromList <$> traverse (number (at ++ ".data")) xs
  fromArrays (modelParams model) vs

-- | Parameters like the template's from their arrays W1, b1, W2, b2, … (row-major).
fromArrays :: Params -> [Vector Double] -> Either String Params
fromArrays template vs = zipWithM layer template (pairs vs)
  where
    pairs (w : b : rest) = (w, b) : pairs rest
    pairs _ = []
    layer (Dense w0 _) (w, b) = Right (Dense (reshape (cols w0) w) b)

-- | The member k of an object, itself an object.
object :: String -> Text -> A.Object -> Either String A.Object
object at k o = case KM.lookup (K.fromText k) o of
  Just (A.Object v) -> Right v
  Just v -> Left (at ++ "." ++ T.unpack k ++ " is " ++ shortJson v ++ ", not an object")
  Nothing -> Left (at ++ " has no \"" ++ T.unpack k ++ "\"")

-- | The member k of an object, a list.
list :: String -> Text -> A.Object -> Either String [A.Value]
list at k o = case KM.lookup (K.fromText k) o of
  Just (A.Array v) -> Right (V.toList v)
  Just v -> Left (at ++ "." ++ T.unpack k ++ " is " ++ shortJson v ++ ", not a list")
  Nothing -> Left (at ++ " has no \"" ++ T.unpack k ++ "\"")

-- | The member k of an object, an integer that an Int holds.
integer :: String -> Text -> A.Object -> Either String Int
integer at k o = case KM.lookup (K.fromText k) o of
  Just v -> wholeNumber (at ++ "." ++ T.unpack k) v >>= \n ->
    if abs n < 2 ^ (62 :: Int) then Right (fromInteger n) else Left (at ++ "." ++ T.unpack k ++ " is too large")
  Nothing -> Left (at ++ " has no \"" ++ T.unpack k ++ "\"")

-- | A JSON integer (written without a fraction or with a zero one: 3 or 3.0 as Python reads 3).
wholeNumber :: String -> A.Value -> Either String Integer
wholeNumber at v = case v of
  -- (a bounded exponent: 1e1000000000 is not expanded)
  A.Number s | Sci.isInteger s, Sci.base10Exponent s < 400, Right n <- (Sci.floatingOrInteger s :: Either Double Integer) -> Right n
  _ -> Left (at ++ " is " ++ shortJson v ++ ", not an integer")

-- | A number, or one of the strings "NaN", "Infinity", "-Infinity".
number :: String -> A.Value -> Either String Double
number at v = maybe (Left (at ++ " is " ++ shortJson v ++ ", not a number")) Right (numberOf v)

-- | A value as JSON, cut to 40 characters.
shortJson :: A.Value -> String
shortJson v = let s = BLC.unpack (A.encode v) in if length s > 40 then take 37 s ++ "..." else s

-- | The value of a J (for comparing a file's JSON with what the port writes).
jValue :: J -> A.Value
jValue j = case j of
  JNum d | isNaN d -> A.String "NaN"
         | isInfinite d -> A.String (if d > 0 then "Infinity" else "-Infinity")
         | otherwise -> A.Number (Sci.fromFloatDigits d)
  JInt n -> A.Number (fromIntegral n)
  JStr s -> A.String s
  JNull -> A.Null
  JArr xs -> A.Array (V.fromList (map jValue xs))
  JObj kvs -> A.Object (KM.fromList [(K.fromText k, jValue v) | (k, v) <- kvs])
