{-# LANGUAGE OverloadedStrings #-}
-- | The runner: answers the JSON Lines requests of shared_tests/README.md
-- one line at a time. Each request is decoded, its arguments checked
-- (BadArgs, ShapeError, ValueError), the library called, and the answer
-- fully evaluated inside an exception handler, so that no request can stop
-- the runner.
module DLScratch.Runner
  ( runLine
  , runStream
  , ops
  , opNames
  ) where

import Control.DeepSeq (force)
import Control.Exception (SomeException, evaluate, try, fromException, ArithException, ErrorCall)
import Control.Monad (forM, forM_, unless, when)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import qualified Data.Aeson.Parser.Internal as AP
import qualified Data.Aeson.Internal as AT (IResult (ISuccess))
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Char8 as BC
import qualified Data.Map.Strict as M
import Data.Maybe (fromMaybe)
import qualified Data.Scientific as Sci
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Vector as V
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, cols, flatten, reshape, rows)
import System.IO

import DLScratch.Array
import DLScratch.Datasets
import DLScratch.Error
import DLScratch.Functions
import DLScratch.Gates
import DLScratch.Graph
import DLScratch.Gradient hiding (numericalGradient)
import qualified DLScratch.Gradient as G
import DLScratch.Json
import DLScratch.Layers
import DLScratch.Networks hiding (numericalGradient)
import qualified DLScratch.Networks as N
import DLScratch.Optimizers
import qualified DLScratch.Rng as Rng
import DLScratch.Train

type R = Either DLError
type Args = A.Object
type Out = [(Text, J)]

-- | How an op is answered: most are pure, data.idx reads a file.
data Handler = Pure (Args -> R Out) | Impure (Args -> IO (R Out))

-- Running ----------------------------------------------------------------

-- | Answer every line of stdin on stdout (blank lines get no answer).
runStream :: IO ()
runStream = do
  hSetBinaryMode stdin True
  hSetBinaryMode stdout True
  hSetBuffering stdout (BlockBuffering Nothing)
  let loop = do
        eof <- hIsEOF stdin
        unless eof $ do
          line <- BS.hGetLine stdin
          -- blank: ASCII white space only (isSpace would take the byte 0xA0 too)
          unless (BC.all (`elem` (" \t\n\v\f\r" :: String)) line) $ do
            ans <- runLine line
            B.hPutBuilder stdout (ans <> B.char7 '\n')
            hFlush stdout
          loop
  loop

-- | A request line as JSON. The whole line must be one JSON text (eitherDecodeStrict'
-- checks that nothing follows it); the value is then read with the last of duplicate keys
-- winning (README section 1, as the other ports' parsers), where aeson's default keeps the
-- first.
decodeLine :: BS.ByteString -> Either String A.Value
decodeLine line = do
  -- README section 1: more than 1000 levels of arrays and objects is BadRequest (the
  -- other ports' parsers stop there; aeson has no limit)
  when (BC.count '[' line + BC.count '{' line > maxNesting && nestingDepth line > maxNesting) $
    Left ("the line nests arrays and objects more than " ++ show maxNesting ++ " levels deep")
  _ <- A.eitherDecodeStrict' line :: Either String A.Value
  either (Left . snd) Right (AP.eitherDecodeStrictWith AP.jsonLast' AT.ISuccess line)

maxNesting :: Int
maxNesting = 1000

-- | Strict state of 'nestingDepth': deepest level, level, inside a string, after a backslash.
data Nest = Nest !Int !Int !Bool !Bool

-- | The deepest nesting of arrays and objects in a line, brackets inside strings not counted.
nestingDepth :: BS.ByteString -> Int
nestingDepth = (\(Nest m _ _ _) -> m) . BS.foldl' step (Nest 0 0 False False)
  where
    step (Nest m d True esc) c
      | esc = Nest m d True False
      | c == 92 = Nest m d True True            -- backslash
      | c == 34 = Nest m d False False          -- closing quote
      | otherwise = Nest m d True False
    step (Nest m d False _) c
      | c == 34 = Nest m d True False
      | c == 91 || c == 123 = Nest (max m (d + 1)) (d + 1) False False
      | c == 93 || c == 125 = Nest m (d - 1) False False
      | otherwise = Nest m d False False

-- | The answer line (without newline) to one request line.
runLine :: BS.ByteString -> IO B.Builder
runLine line = case decodeLine line of
  Left e -> pure (errorAnswer JNull (DLError BadRequest ("not valid JSON: " ++ e)))
  Right (A.Object o) -> do
    let idJ = case KM.lookup "id" o of
          Just (A.String s) -> JStr s
          _ -> JNull
    case (KM.lookup "id" o, KM.lookup "op" o) of
      (Just (A.String _), Just (A.String op)) -> do
        r <- guarded (dispatch op (KM.lookup "args" o))
        pure $ case r of
          Left err -> errorAnswer idJ err
          Right out -> encodeJ (JObj [("id", idJ), ("ok", JObj out)])
      (Just (A.String _), _) -> pure (errorAnswer idJ (DLError BadRequest "the request has no string \"op\""))
      _ -> pure (errorAnswer idJ (DLError BadRequest "the request has no string \"id\""))
  Right _ -> pure (errorAnswer JNull (DLError BadRequest "the request is not a JSON object"))

errorAnswer :: J -> DLError -> B.Builder
errorAnswer idJ (DLError t m) =
  encodeJ (JObj [("id", idJ), ("error", JObj [("type", JStr (T.pack (errorTypeName t))), ("message", JStr (T.pack m))])])

-- | Run a handler and evaluate its answer completely, turning any
-- exception (a pure 'error', an arithmetic exception) into an error.
guarded :: IO (R Out) -> IO (R Out)
guarded act = do
  r <- try (act >>= evaluate . force)
  pure $ case r of
    Right v -> v
    Left e -> Left (classify e)
  where
    classify :: SomeException -> DLError
    classify e
      | Just d <- fromException e = d
      | Just a <- fromException e = DLError InternalError ("arithmetic: " ++ show (a :: ArithException))
      | Just c <- fromException e = DLError InternalError (show (c :: ErrorCall))
      | otherwise = DLError InternalError (show e)

dispatch :: Text -> Maybe A.Value -> IO (R Out)
dispatch op margs = case (margs, M.lookup op ops) of
  -- args that is not an object is a fault of the line itself, checked before the op
  -- (README section 3, order of checks)
  (Just v, _) | not (isObject v) -> pure (badArgs "\"args\" is not an object")
  (_, Nothing) -> pure (Left (DLError UnknownOp ("unknown op " ++ show op)))
  (Just (A.Object a), Just h) -> call h a
  (_, Just h) -> call h KM.empty
  where
    isObject (A.Object _) = True
    isObject _ = False
    call (Pure f) a = pure (f a)
    call (Impure f) a = f a

-- | Every op of the protocol.
ops :: M.Map Text Handler
ops = M.fromList $
  [ ("gate.and", Pure (gate andGate)), ("gate.nand", Pure (gate nandGate))
  , ("gate.or", Pure (gate orGate)), ("gate.xor", Pure (gate xorGate))
  , ("fn.identity", Pure (elementwise identity)), ("fn.step", Pure (elementwise step))
  , ("fn.sigmoid", Pure (elementwise sigmoid)), ("fn.sigmoid_grad", Pure (elementwise sigmoidGrad))
  , ("fn.relu", Pure (elementwise relu)), ("fn.relu_grad", Pure (elementwise reluGrad))
  , ("fn.softmax", Pure opSoftmax)
  , ("loss.sum_squared_error", Pure opSSE), ("loss.cross_entropy_error", Pure opCEE)
  , ("grad.numerical_diff", Pure opNumDiff), ("grad.numerical_gradient", Pure opNumGrad)
  , ("grad.gradient_descent", Pure opGradDescent)
  , ("simple_net.predict", Pure (opSimpleNet SNPredict))
  , ("simple_net.loss", Pure (opSimpleNet SNLoss))
  , ("simple_net.numerical_gradient", Pure (opSimpleNet SNGrad))
  , ("layer.mul", Pure (opMulAdd True)), ("layer.add", Pure (opMulAdd False))
  , ("graph.buy_apple", Pure opBuyApple), ("graph.buy_apple_orange", Pure opBuyAppleOrange)
  , ("layer.relu", Pure (opActLayer True)), ("layer.sigmoid", Pure (opActLayer False))
  , ("layer.affine", Pure opAffine), ("layer.softmax_with_loss", Pure opSoftmaxWithLoss)
  , ("layer.dropout", Pure opDropout), ("layer.batch_norm", Pure opBatchNorm)
  , ("net3.init", Pure (const (Right (denseOut net3Init)))), ("net3.forward", Pure opNet3Forward)
  , ("two_layer_net.init", Pure opTwoInit)
  , ("multi_layer_net.init", Pure opMultiInit)
  , ("optimizer.run", Pure opOptimizer)
  , ("rng.uniform", Pure (opRng RUniform)), ("rng.normal", Pure (opRng RNormal))
  , ("rng.permutation", Pure (opRng RPerm)), ("rng.choice", Pure (opRng RChoice))
  , ("train.two_layer_net", Pure opTrain)
  , ("data.idx", Impure opIdx)
  ] ++
  [ ("two_layer_net." <> k, Pure (opNet TwoLayer m)) | (k, m) <- netModes ] ++
  [ ("multi_layer_net." <> k, Pure (opNet MultiLayer m)) | (k, m) <- netModes, k /= "predict", k /= "accuracy" ]
  where
    netModes = [("predict", NPredict), ("loss", NLoss), ("accuracy", NAccuracy)
               , ("gradient", NGradient), ("numerical_gradient", NNumGrad)]

-- | The names of 'ops', sorted.
opNames :: [Text]
opNames = M.keys ops

-- Arguments --------------------------------------------------------------

-- | The argument, absent or null being Nothing.
optArg :: Text -> Args -> Maybe A.Value
optArg k a = case KM.lookup (K.fromText k) a of
  Nothing -> Nothing
  Just A.Null -> Nothing
  Just v -> Just v

reqArg :: Text -> Args -> R A.Value
reqArg k a = maybe (badArgs ("missing argument " ++ show k)) Right (optArg k a)

-- | A scalar number (or "NaN"/"Infinity"/"-Infinity").
numV :: Text -> A.Value -> R Double
numV k v = maybe (badArgs (T.unpack k ++ " must be a number")) Right (numberOf v)

num :: Text -> Args -> R Double
num k a = reqArg k a >>= numV k

numDef :: Text -> Double -> Args -> R Double
numDef k d a = maybe (Right d) (numV k) (optArg k a)

-- | An integer (2 and 2.0 both are; 2.5 is not).
intV :: Text -> A.Value -> R Int
intV k v = case v of
  A.Number s
    | isInfinite (toDouble s) -> badArgs (T.unpack k ++ " must be an integer, not " ++ show (toDouble s))
    | Sci.isInteger s -> Right (fromMaybe (if s > 0 then maxBound else minBound) (Sci.toBoundedInteger s))
  _ -> badArgs (T.unpack k ++ " must be an integer")

int :: Text -> Args -> R Int
int k a = reqArg k a >>= intV k

intDef :: Text -> Int -> Args -> R Int
intDef k d a = maybe (Right d) (intV k) (optArg k a)

boolDef :: Text -> Bool -> Args -> R Bool
boolDef k d a = case optArg k a of
  Nothing -> Right d
  Just (A.Bool b) -> Right b
  Just _ -> badArgs (T.unpack k ++ " must be true or false")

strV :: Text -> A.Value -> R Text
strV _ (A.String s) = Right s
strV k _ = badArgs (T.unpack k ++ " must be a string")

-- | An array argument of any ndim (a scalar included).
anyT :: Text -> A.Value -> R Tensor
anyT k v = either (\(DLError t m) -> Left (DLError t (T.unpack k ++ ": " ++ m))) Right (tensorOf v)

-- | An array argument with no size-0 dimension.
tensorArg :: Text -> Args -> R Tensor
tensorArg k a = reqArg k a >>= anyT k >>= nonEmpty k

nonEmpty :: Text -> Tensor -> R Tensor
nonEmpty k t
  | 0 `elem` shape t = shapeError (T.unpack k ++ " has a size-0 dimension " ++ showShape (shape t))
  | otherwise = Right t

-- | An array argument of one of the given ndims (a scalar where an array
-- belongs is BadArgs, another ndim ShapeError).
arrayArg :: Text -> [Int] -> Args -> R Tensor
arrayArg k nds a = reqArg k a >>= arrayV k nds

arrayV :: Text -> [Int] -> A.Value -> R Tensor
arrayV k nds v = do
  t <- anyT k v
  -- README §2: a number is a 0-D array, so where the op needs another ndim it
  -- is ShapeError like any other ndim that does not fit
  unless (ndim t `elem` nds) $
    shapeError (T.unpack k ++ " must be " ++ ndimWords nds ++ ", got shape " ++ showShape (shape t))
  nonEmpty k t

ndimWords :: [Int] -> String
ndimWords nds = case nds of
  [n] -> show n ++ "-D"
  _ -> foldr1 (\x y -> x ++ " or " ++ y) (map ((++ "-D") . show) nds)

objArg :: Text -> Args -> R A.Object
objArg k a = reqArg k a >>= \v -> case v of
  A.Object o -> Right o
  _ -> badArgs (T.unpack k ++ " must be an object")

-- | A seed, 0 <= seed < 2^31.
seedArg :: Maybe Int -> Args -> R Int
seedArg def a = do
  s <- maybe (int "seed" a) (\d -> intDef "seed" d a) def
  unless (s >= 0 && s < Rng.maxSeed) $ valueError ("seed = " ++ show s ++ " is outside 0 <= seed < 2^31")
  Right s

-- | A size or count >= 1, at most 10,000,000.
countArg :: Text -> Maybe Int -> Args -> R Int
countArg k def a = do
  n <- maybe (int k a) (\d -> intDef k d a) def
  positive k n

positive :: Text -> Int -> R Int
positive k n = do
  when (n < 1) $ valueError (T.unpack k ++ " = " ++ show n ++ " must be at least 1")
  when (n > limit) $ valueError (T.unpack k ++ " = " ++ show n ++ " is above 10,000,000")
  Right n

limit :: Int
limit = 10000000

-- | Refuse a product of size arguments above 10,000,000 elements.
checkTotal :: String -> Integer -> R ()
checkTotal what n =
  when (n > toInteger limit) $
    valueError (what ++ " would hold " ++ show n ++ " elements, above the limit of 10,000,000")

-- | The number of weights of layers of these sizes.
weightCount :: [Int] -> Integer
weightCount sizes = sum (zipWith (\p q -> toInteger p * toInteger q) sizes (drop 1 sizes))

sameShape :: String -> Tensor -> String -> Tensor -> R ()
sameShape na a nb b =
  unless (shape a == shape b) $
    shapeError (nb ++ " has shape " ++ showShape (shape b) ++ " but " ++ na ++ " has shape " ++ showShape (shape a))

-- | Targets for scores y of N rows and C columns (1-D y: one sample):
-- one-hot of y's shape, or labels (a scalar or 1-element list for 1-D y, N
-- integers for 2-D y). As in the book, whenever t has as many elements as
-- y it is one-hot (with C = 1 the labels themselves are).
targetsArg :: Text -> Tensor -> A.Value -> R Targets
targetsArg k y v = do
  t <- anyT k v
  let (n, c) = case shape y of
        [m] -> (1, m)
        (r : rest) -> (r, product rest)
        [] -> (1, 1)
      oneHotT = Right (TOneHot (reshape c (values t)))
  if shape t == shape y && size t > 0
    then oneHotT
    else do
      when (size t == size y && ndim t >= 1 && not (ndim t == 1 && ndim y == 2 && n == size y)) $
        shapeError ("one-hot " ++ T.unpack k ++ " has shape " ++ showShape (shape t)
                    ++ " but the scores have shape " ++ showShape (shape y))
      labels <- case (ndim y, ndim t) of
        (1, nt) | nt <= 1 && size t == 1 -> Right (values t)
        (1, _) -> shapeError (T.unpack k ++ " must be one label or one-hot of length " ++ show c
                              ++ ", got shape " ++ showShape (shape t))
        (_, 1) | size t == n -> Right (values t)
        _ -> shapeError (T.unpack k ++ " has shape " ++ showShape (shape t) ++ " but there are "
                         ++ show n ++ " rows of scores (labels or one-hot " ++ showShape (shape y) ++ ")")
      l <- integerLabels k labels
      checkLabels c l
      if size t == size y then oneHotT else Right (TLabels l)

showD :: Double -> String
showD = show

-- | Labels (a 1-D list of integers) for a training set of n rows and c classes.
labelsArg :: Text -> Int -> Int -> Args -> R Labels
labelsArg k n c a = do
  t <- arrayArg k [1] a
  unless (size t == n) $ shapeError (T.unpack k ++ " has " ++ show (size t) ++ " labels but there are " ++ show n ++ " rows")
  l <- integerLabels k (values t)
  checkLabels c l
  Right l

-- | Values that must be integers, as labels.
integerLabels :: Text -> VS.Vector Double -> R Labels
integerLabels k v = Labels . VS.fromList <$> forM (zip [0 :: Int ..] (VS.toList v)) (\(i, d) ->
  if isNaN d || isInfinite d || snd (properFraction d :: (Integer, Double)) /= 0
    then badArgs (T.unpack k ++ "[" ++ show i ++ "] = " ++ showD d ++ " is not an integer label")
    -- a whole number too large for an Int (1e300) is a label out of range, not a non-integer
    else Right (if abs d >= 2 ^ (62 :: Int) then (if d > 0 then maxBound else minBound) else truncate d))

-- Outputs --------------------------------------------------------------------

-- | "W1", "b1", "W2", ... for a list of layers.
denseOut :: [Dense] -> Out
denseOut ds = concat [ [("W" <> i, matrixJ w), ("b" <> i, vectorJ b)]
                     | (k, Dense w b) <- zip [1 :: Int ..] ds, let i = T.pack (show k) ]

-- | Scores as answered: 1-D for a one-sample (1-D) input.
rowsOut :: Bool -> Matrix Double -> J
rowsOut oneSample m = if oneSample then vectorJ (flatten m) else matrixJ m

-- Ops ------------------------------------------------------------------------

gate :: (Double -> Double -> Int) -> Args -> R Out
gate g a = do
  x1 <- num "x1" a
  x2 <- num "x2" a
  Right [("y", JInt (g x1 x2))]

elementwise :: (Double -> Double) -> Args -> R Out
elementwise f a = do
  x <- tensorArg "x" a
  Right [("y", tensorJ (tmap f x))]

opSoftmax :: Args -> R Out
opSoftmax a = do
  x <- tensorArg "x" a
  case shape x of
    [_] -> Right [("y", vectorJ (softmax (values x)))]
    [_, _] -> Right [("y", matrixJ (softmaxRows (toMatrix x)))]
    s -> shapeError ("softmax takes a 1-D or 2-D x, got shape " ++ showShape s)

opSSE :: Args -> R Out
opSSE a = do
  y <- tensorArg "y" a
  t <- tensorArg "t" a
  sameShape "y" y "t" t
  Right [("loss", JNum (sumSquaredError (values y) (values t)))]

-- | Scores y (1-D or 2-D) as a matrix of rows.
scoresArg :: Text -> Args -> R Tensor
scoresArg k = arrayArg k [1, 2]

opCEE :: Args -> R Out
opCEE a = do
  y <- scoresArg "y" a
  t <- reqArg "t" a >>= targetsArg "t" y
  Right [("loss", JNum (crossEntropyError (asRows y) t))]

-- | Scalar functions by name.
data Fun = F1 | F2

funArg :: Args -> R Fun
funArg a = do
  f <- reqArg "f" a >>= strV "f"
  case f of
    "function_1" -> Right F1
    "function_2" -> Right F2
    _ -> badArgs ("unknown function f = " ++ show f ++ " (function_1 or function_2)")

-- | The function applied to a whole array: function_2 is @Σ x_i²@, function_1 on an array is
-- @Σ_i (0.01·x_i² + 0.1·x_i)@ (the protocol, as the reference's @np.sum(function_1(x))@).
funOnArray :: Fun -> Tensor -> R (VS.Vector Double -> Double)
funOnArray F2 _ = Right function2
funOnArray F1 _ = Right (VS.sum . VS.map function1)

opNumDiff :: Args -> R Out
opNumDiff a = do
  f <- funArg a
  x <- num "x" a
  let g = case f of
        F1 -> function1
        F2 -> \v -> v * v
  Right [("d", JNum (numericalDiff g x))]

opNumGrad :: Args -> R Out
opNumGrad a = do
  f <- funArg a
  x <- arrayArg "x" [1, 2] a
  g <- funOnArray f x
  Right [("grad", tensorJ (Tensor (shape x) (G.numericalGradient g (values x))))]

opGradDescent :: Args -> R Out
opGradDescent a = do
  f <- funArg a
  x <- arrayArg "init_x" [1, 2] a
  lr <- numDef "lr" 0.01 a
  n <- intDef "step_num" 100 a
  when (n < 1) $ valueError ("step_num = " ++ show n ++ " must be at least 1")
  when (n > limit) $ valueError ("step_num = " ++ show n ++ " is above 10,000,000")
  checkTotal "step_num x init_x" (toInteger n * toInteger (size x))
  g <- funOnArray f x
  Right [("x", tensorJ (Tensor (shape x) (gradientDescent g lr n (values x))))]

data SNMode = SNPredict | SNLoss | SNGrad

opSimpleNet :: SNMode -> Args -> R Out
opSimpleNet mode a = do
  w <- arrayArg "W" [2] a
  x <- arrayArg "x" [1, 2] a
  let [d, m] = shape w
      xm = asRows x
      one = ndim x == 1
  unless (cols xm == d) $
    shapeError ("W is " ++ show d ++ "x" ++ show m ++ " but x has " ++ show (cols xm) ++ " columns")
  let wm = toMatrix w
      p = simpleNetPredict wm xm
      pShape = if one then Tensor [m] VS.empty else Tensor [rows xm, m] VS.empty
  case mode of
    SNPredict -> Right [("p", rowsOut one p)]
    SNLoss -> do
      t <- reqArg "t" a >>= targetsArg "t" pShape
      Right [("loss", JNum (simpleNetLoss wm xm t))]
    SNGrad -> do
      t <- reqArg "t" a >>= targetsArg "t" pShape
      Right [("dW", matrixJ (simpleNetNumericalGradient wm xm t))]

opMulAdd :: Bool -> Args -> R Out
opMulAdd isMul a = do
  x <- tensorArg "x" a
  y <- tensorArg "y" a
  dout <- tensorArg "dout" a
  sameShape "x" x "y" y
  sameShape "x" x "dout" dout
  if isMul
    then Right [ ("out", tensorJ (tzip (*) x y)), ("dx", tensorJ (tzip (*) dout y))
               , ("dy", tensorJ (tzip (*) dout x)) ]
    else Right [("out", tensorJ (tzip (+) x y)), ("dx", tensorJ dout), ("dy", tensorJ dout)]

opBuyApple :: Args -> R Out
opBuyApple a = do
  r <- buyApple <$> num "apple" a <*> num "apple_num" a <*> num "tax" a <*> num "dprice" a
  Right [ ("price", JNum (baPrice r)), ("dapple", JNum (baDApple r))
        , ("dapple_num", JNum (baDAppleNum r)), ("dtax", JNum (baDTax r)) ]

opBuyAppleOrange :: Args -> R Out
opBuyAppleOrange a = do
  r <- buyAppleOrange <$> num "apple" a <*> num "apple_num" a <*> num "orange" a
                      <*> num "orange_num" a <*> num "tax" a <*> num "dprice" a
  Right [ ("price", JNum (baoPrice r)), ("dapple", JNum (baoDApple r))
        , ("dapple_num", JNum (baoDAppleNum r)), ("dorange", JNum (baoDOrange r))
        , ("dorange_num", JNum (baoDOrangeNum r)), ("dtax", JNum (baoDTax r)) ]

-- | A tensor of any shape through a matrix layer, elementwise: as one row.
flatRow :: Tensor -> Matrix Double
flatRow t = reshape (max 1 (size t)) (values t)

opActLayer :: Bool -> Args -> R Out
opActLayer isRelu a = do
  x <- tensorArg "x" a
  dout <- tensorArg "dout" a
  sameShape "x" x "dout" dout
  let back m = Tensor (shape x) (flatten m)
      (out, dx)
        | isRelu = let (o, tp) = reluForward (flatRow x) in (o, reluBackward tp (flatRow dout))
        | otherwise = let (o, tp) = sigmoidForward (flatRow x) in (o, sigmoidBackward tp (flatRow dout))
  Right [("out", tensorJ (back out)), ("dx", tensorJ (back dx))]

-- | W (D×M) and b (M) that fit together.
denseArg :: Text -> Text -> Args -> R Dense
denseArg kw kb a = do
  w <- arrayArg kw [2] a
  b <- arrayArg kb [1] a
  let [_, m] = shape w
  unless (size b == m) $
    shapeError (T.unpack kb ++ " has " ++ show (size b) ++ " elements but " ++ T.unpack kw ++ " has " ++ show m ++ " columns")
  Right (Dense (toMatrix w) (values b))

-- | x as (N, D) rows for a layer taking D inputs; 1-D x of length D is one sample.
inputRows :: Text -> Int -> Tensor -> R (Matrix Double)
inputRows k d x = case shape x of
  [] -> shapeError (T.unpack k ++ " must be an array, not a number")
  [n] | n == d -> Right (reshape d (values x))
      | otherwise -> shapeError (T.unpack k ++ " has " ++ show n ++ " elements but W has " ++ show d ++ " rows")
  (n : rest)
    | product rest == d -> Right (reshape d (values x))
    | otherwise -> shapeError (T.unpack k ++ " has shape " ++ showShape (n : rest) ++ " which is not (N, "
                               ++ show d ++ ") after flattening")

opAffine :: Args -> R Out
opAffine a = do
  layer@(Dense w _) <- denseArg "W" "b" a
  x <- tensorArg "x" a
  xm <- inputRows "x" (rows w) x
  dout <- tensorArg "dout" a
  let one = ndim x == 1
      m = cols w
      wantDout = if one then [m] else [rows xm, m]
  unless (shape dout == wantDout) $
    shapeError ("dout has shape " ++ showShape (shape dout) ++ " but out has shape " ++ showShape wantDout)
  let (out, tape) = affineForward layer xm
      (dx, Dense dw db) = affineBackward layer tape (reshape m (values dout))
  Right [ ("out", rowsOut one out), ("dx", tensorJ (Tensor (shape x) (flatten dx)))
        , ("dW", matrixJ dw), ("db", vectorJ db) ]

opSoftmaxWithLoss :: Args -> R Out
opSoftmaxWithLoss a = do
  x <- scoresArg "x" a
  t <- reqArg "t" a >>= targetsArg "t" x
  let one = ndim x == 1
      ((l, y), tape) = softmaxWithLossForward (asRows x) t
      dx = softmaxWithLossBackward tape
  Right [("loss", JNum l), ("y", rowsOut one y), ("dx", rowsOut one dx)]

opDropout :: Args -> R Out
opDropout a = do
  x <- tensorArg "x" a
  ratio <- numDef "dropout_ratio" 0.5 a
  unless (ratio >= 0 && ratio < 1) $ valueError ("dropout_ratio = " ++ showD ratio ++ " is outside [0, 1)")
  train <- boolDef "train_flg" True a
  s <- seedArg (Just 0) a
  dout <- tensorArg "dout" a
  sameShape "x" x "dout" dout
  let ((out, tape), _) = dropoutForward ratio train (Rng.mkGen s) (flatRow x)
      dx = dropoutBackward tape (flatRow dout)
      back m = tensorJ (Tensor (shape x) (flatten m))
  Right [("out", back out), ("dx", back dx)]

opBatchNorm :: Args -> R Out
opBatchNorm a = do
  x <- tensorArg "x" a
  when (ndim x < 2) $ shapeError ("batch_norm takes x of ndim >= 2, got shape " ++ showShape (shape x))
  let n = head (shape x)
      d = size x `div` n
      xm = reshape d (values x)
      vecD k = do
        v <- arrayArg k [1] a
        unless (size v == d) $ shapeError (T.unpack k ++ " has " ++ show (size v) ++ " elements but x has " ++ show d ++ " features")
        Right (values v)
      optVecD k = case optArg k a of
        Nothing -> Right (VS.replicate d 0)
        Just _ -> vecD k
  gamma <- vecD "gamma"
  beta <- vecD "beta"
  m <- numDef "momentum" 0.9 a
  unless (m >= 0 && m <= 1) $ valueError ("momentum = " ++ showD m ++ " is outside [0, 1]")
  rm <- optVecD "running_mean"
  rv <- optVecD "running_var"
  train <- boolDef "train_flg" True a
  dout <- tensorArg "dout" a
  sameShape "x" x "dout" dout
  let bn = BatchNorm gamma beta rm rv m
      (out, bn', tape) = batchNormForward train bn xm
      (dx, BatchNormGrad dg db) = batchNormBackward bn tape (reshape d (values dout))
      back mm = tensorJ (Tensor (shape x) (flatten mm))
  Right [ ("out", back out), ("dx", back dx), ("dgamma", vectorJ dg), ("dbeta", vectorJ db)
        , ("running_mean", vectorJ (bnRunningMean bn')), ("running_var", vectorJ (bnRunningVar bn')) ]

-- | Layers named W1, b1, W2, b2, ... from an object, checked against the sizes.
layersFrom :: Text -> A.Object -> [Int] -> R [Dense]
layersFrom what o sizes = forM (zip3 [1 :: Int ..] sizes (drop 1 sizes)) $ \(k, nIn, nOut) -> do
  let kw = "W" <> T.pack (show k)
      kb = "b" <> T.pack (show k)
      -- a null entry counts as absent (as everywhere in the protocol): params has no key
      get key = case optArg key o of
        Nothing -> shapeError (T.unpack what ++ " has no " ++ T.unpack key)
        Just v -> Right v
  w <- get kw >>= arrayV kw [2]
  b <- get kb >>= arrayV kb [1]
  unless (shape w == [nIn, nOut]) $
    shapeError (T.unpack what ++ "." ++ T.unpack kw ++ " has shape " ++ showShape (shape w) ++ ", expected " ++ showShape [nIn, nOut])
  unless (shape b == [nOut]) $
    shapeError (T.unpack what ++ "." ++ T.unpack kb ++ " has shape " ++ showShape (shape b) ++ ", expected " ++ showShape [nOut])
  Right (Dense (toMatrix w) (values b))

-- | The sizes [D, n1, ..., C] of layers given as W1, W2, ... in an object
-- (W1 fixes D; each W_k its successor).
sizesFrom :: Text -> A.Object -> Int -> R [Int]
sizesFrom what o nLayers = do
  ws <- forM [1 .. nLayers] $ \k -> do
    let kw = "W" <> T.pack (show k)
    case optArg kw o of
      Nothing -> shapeError (T.unpack what ++ " has no " ++ T.unpack kw)
      Just v -> arrayV kw [2] v
  Right (head (shape (head ws)) : map (last . shape) ws)

opNet3Forward :: Args -> R Out
opNet3Forward a = do
  net <- objArg "network" a
  x <- arrayArg "x" [1, 2] a
  out <- case optArg "output" a of
    Nothing -> Right IdentityOutput
    Just v -> strV "output" v >>= \s -> case s of
      "identity" -> Right IdentityOutput
      "softmax" -> Right SoftmaxOutput
      _ -> badArgs ("unknown output " ++ show s ++ " (identity or softmax)")
  sizes <- sizesFrom "network" net 3
  ds <- layersFrom "network" net sizes
  xm <- inputRows "x" (head sizes) x
  let one = ndim x == 1
      tr3 = net3Forward ds out xm
      o = rowsOut one
  Right [ ("a1", o (a1 tr3)), ("z1", o (z1 tr3)), ("a2", o (a2 tr3)), ("z2", o (z2 tr3))
        , ("a3", o (a3 tr3)), ("y", o (y tr3)) ]

opTwoInit :: Args -> R Out
opTwoInit a = do
  i <- countArg "input_size" Nothing a
  h' <- countArg "hidden_size" Nothing a
  o <- countArg "output_size" Nothing a
  s <- numDef "weight_init_std" 0.01 a
  sd <- seedArg (Just 0) a
  checkTotal "the network" (weightCount [i, h', o])
  let (net, _) = initTwoLayerNet i h' o s (Rng.mkGen sd)
  Right (denseOut (layers net))

-- | The structure args of multi_layer_net: sizes, activation, weight init (the seed is
-- read by init only: the loss and gradient ops take the parameters as given).
data MultiSpec = MultiSpec [Int] Activation WeightInit

multiSpec :: Args -> R MultiSpec
multiSpec a = do
  i <- countArg "input_size" Nothing a
  hl <- reqArg "hidden_size_list" a >>= \v -> case v of
    A.Array xs -> forM (V.toList xs) (\e -> intV "hidden_size_list" e >>= positive "hidden size")
    _ -> badArgs "hidden_size_list must be a list of integers"
  o <- countArg "output_size" Nothing a
  act <- case optArg "activation" a of
    Nothing -> Right Relu
    Just v -> strV "activation" v >>= \s -> case s of
      "relu" -> Right Relu
      "sigmoid" -> Right Sigmoid
      _ -> badArgs ("unknown activation " ++ show s ++ " (relu or sigmoid)")
  wi <- case optArg "weight_init_std" a of
    Nothing -> Right He
    Just (A.String s) -> maybe (badArgs ("unknown weight_init_std " ++ show s ++ " (a number, he/relu or xavier/sigmoid)"))
                               Right (weightInitNamed s)
    Just v -> StdDev <$> numV "weight_init_std" v
  let sizes = [i] ++ hl ++ [o]
  checkTotal "the network" (weightCount sizes)
  Right (MultiSpec sizes act wi)

opMultiInit :: Args -> R Out
opMultiInit a = do
  MultiSpec sizes _ wi <- multiSpec a
  sd <- seedArg (Just 0) a
  Right (denseOut (fst (initLayers wi sizes (Rng.mkGen sd))))

data NetKind = TwoLayer | MultiLayer
data NetMode = NPredict | NLoss | NAccuracy | NGradient | NNumGrad

opNet :: NetKind -> NetMode -> Args -> R Out
opNet kind mode a = do
  params <- objArg "params" a
  net <- case kind of
    TwoLayer -> do
      sizes <- sizesFrom "params" params 2
      Net Relu 0 <$> layersFrom "params" params sizes
    MultiLayer -> do
      MultiSpec sizes act _ <- multiSpec a
      lam <- numDef "weight_decay_lambda" 0 a
      Net act lam <$> layersFrom "params" params sizes
  let d = rows (weight (head (layers net)))
      c = cols (weight (last (layers net)))
  x <- case mode of
    NAccuracy -> arrayArg "x" [2] a
    _ -> arrayArg "x" [1, 2] a
  xm <- inputRows "x" d x
  let one = ndim x == 1
      scoresShape = Tensor (if one then [c] else [rows xm, c]) VS.empty
      targets = reqArg "t" a >>= targetsArg "t" scoresShape
  case mode of
    NPredict -> Right [("y", rowsOut one (predict net xm))]
    NLoss -> targets >>= \t -> Right [("loss", JNum (loss net xm t))]
    NAccuracy -> targets >>= \t -> Right [("accuracy", JNum (accuracy net xm t))]
    NGradient -> targets >>= \t -> Right (denseOut (gradient net xm t))
    NNumGrad -> targets >>= \t -> Right (denseOut (N.numericalGradient net xm t))

-- | An optimizer from a name and a hyper object; keys a given optimizer
-- does not use are ignored, missing ones take the book's defaults. The name
-- is lower-cased first, as the book's Trainer does (@optimizer.lower()@), so
-- "SGD" and "Adam" are sgd and adam (the only other name lower-cased is
-- weight_init_std; f, output and activation are matched as written).
optimizerFrom :: Text -> A.Object -> Maybe Double -> R Optimizer
optimizerFrom name hyper lrDefault = do
  base <- maybe (badArgs ("unknown optimizer " ++ show name ++ " (sgd, momentum, nesterov, adagrad, rmsprop, adam)"))
                Right (defaultOptimizer (T.unpack (T.toLower name)))
  -- keys this optimizer does not use are ignored, but every value must be a number (as the
  -- reference and the other ports check)
  forM_ (KM.toList hyper) $ \(k, v) -> numV ("hyper." <> K.toText k) v
  -- a hyper-parameter given as null is ill-typed, not missing
  let h k d = case KM.lookup (K.fromText k) hyper of
        Just A.Null -> badArgs ("hyper." ++ T.unpack k ++ " must be a number, not null")
        _ -> numDef k d hyper
  lr' <- h "lr" (fromMaybe (lr base) lrDefault)
  o <- case base of
    SGD _ -> Right (SGD lr')
    Momentum _ m -> Momentum lr' <$> h "momentum" m
    Nesterov _ m -> Nesterov lr' <$> h "momentum" m
    AdaGrad _ -> Right (AdaGrad lr')
    RMSprop _ d -> RMSprop lr' <$> h "decay_rate" d
    Adam _ b1 b2 -> Adam lr' <$> h "beta1" b1 <*> h "beta2" b2
  case o of
    -- written as "not inside" so that NaN (every comparison false) is refused too
    Momentum _ m | not (m >= 0 && m <= 1) -> valueError ("momentum = " ++ showD m ++ " is outside [0, 1]")
    Nesterov _ m | not (m >= 0 && m <= 1) -> valueError ("momentum = " ++ showD m ++ " is outside [0, 1]")
    _ -> Right o

namedArrays :: Text -> A.Object -> R (M.Map Text Tensor)
namedArrays what o = M.fromList <$> forM (KM.toList o) (\(k, v) -> do
  let kt = K.toText k
  t <- anyT (what <> "." <> kt) v >>= nonEmpty (what <> "." <> kt)
  Right (kt, t))

opOptimizer :: Args -> R Out
opOptimizer a = do
  name <- reqArg "name" a >>= strV "name"
  hyper <- case optArg "hyper" a of
    Nothing -> Right KM.empty
    Just (A.Object o) -> Right o
    Just _ -> badArgs "hyper must be an object"
  opt <- optimizerFrom name hyper Nothing
  params <- objArg "params" a >>= namedArrays "params"
  seqV <- reqArg "grads_seq" a >>= \v -> case v of
    A.Array xs -> Right (V.toList xs)
    _ -> badArgs "grads_seq must be a list of grads objects"
  gradsSeq <- forM (zip [0 :: Int ..] seqV) $ \(i, gv) -> do
    let what = "grads_seq[" <> T.pack (show i) <> "]"
    g <- case gv of
      A.Object o -> namedArrays what o
      _ -> badArgs (T.unpack what ++ " must be an object")
    unless (M.keys g == M.keys params) $
      shapeError (T.unpack what ++ " has keys " ++ show (M.keys g) ++ " but params has " ++ show (M.keys params))
    forM_ (M.toList params) $ \(k, p) -> sameShape ("params." ++ T.unpack k) p (T.unpack what ++ "." ++ T.unpack k) (g M.! k)
    Right g
  let step' (p, st) g = update opt st p g
      (final, _) = foldl step' (params, initState opt params) gradsSeq
  Right [("params", JObj [ (k, tensorJ t) | (k, t) <- M.toList final ])]

data RngOp = RUniform | RNormal | RPerm | RChoice

opRng :: RngOp -> Args -> R Out
opRng op a = do
  s <- seedArg Nothing a
  n <- countArg "n" Nothing a
  let g = Rng.mkGen s
  case op of
    RUniform -> Right [("x", vectorJ (fst (Rng.uniforms n g)))]
    RNormal -> Right [("x", vectorJ (fst (Rng.normals n g)))]
    RPerm -> Right [("p", intsJ (VS.toList (fst (Rng.permutation n g))))]
    RChoice -> do
      k <- countArg "size" Nothing a
      Right [("idx", intsJ (VS.toList (fst (Rng.choice n k g))))]

opTrain :: Args -> R Out
opTrain a = do
  x <- arrayArg "x_train" [2] a
  hdn <- countArg "hidden_size" Nothing a
  o <- countArg "output_size" Nothing a
  let [n, d] = shape x
  t <- labelsArg "t_train" n o a
  s <- numDef "weight_init_std" 0.01 a
  lr' <- numDef "lr" 0.1 a
  bs <- countArg "batch_size" (Just 100) a
  it <- countArg "iters" Nothing a
  sd <- seedArg (Just 0) a
  opt <- case optArg "optimizer" a of
    Nothing -> Right (SGD lr')
    Just (A.Object o') -> do
      name <- maybe (Right "sgd") (strV "optimizer.name") (optArg "name" o')
      hyper <- case optArg "hyper" o' of
        Nothing -> Right KM.empty
        Just (A.Object hy) -> Right hy
        Just _ -> badArgs "optimizer.hyper must be an object"
      optimizerFrom name hyper (Just lr')
    Just _ -> badArgs "optimizer must be an object {name, hyper}"
  checkTotal "the network" (weightCount [d, hdn, o])
  checkTotal "iters x batch_size" (toInteger it * toInteger bs)
  let cfg = TrainConfig hdn o s bs it sd opt
      (hist, net) = trainTwoLayerNet cfg (toMatrix x) t
  Right [("loss_history", JArr (map JNum hist)), ("params", JObj (denseOut (layers net)))]

opIdx :: Args -> IO (R Out)
opIdx a = case reqArg "path" a >>= strV "path" of
  Left e -> pure (Left e)
  Right p -> do
    r <- readIdx (T.unpack p)
    pure $ case r of
      Left m -> valueError m
      Right (Idx sh v) -> Right
        [ ("shape", intsJ sh), ("sum", JNum (VS.sum v))
        , ("head", vectorJ (VS.take 16 v)) ]

