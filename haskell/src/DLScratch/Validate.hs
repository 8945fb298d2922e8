{-# LANGUAGE LambdaCase, OverloadedStrings #-}
-- | The generic validator: @shared_tests/ops.json@, read once, turns a request's @args@ into
-- typed, shape-checked 'Value's by interpreting the op's schema in its @check_order@: each
-- argument in order (presence or default, JSON type, dimensions and symbols, domain), then
-- the op's @limits@, then its @hooks@.
module DLScratch.Validate
  ( Schema (..), OpSpec (..), Value (..), Args (..), loadSchema, parseSchema, validate, shapeOf
  , value, num, int, bool, name, tensor, targets, params, gradsSeq, hyper, ints, symbol
  ) where

import Control.Monad (foldM, forM_, unless, when, zipWithM, zipWithM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import Data.Aeson.Types (Parser, parseEither, (.!=), (.:), (.:!), (.:?))
import Data.Char (isDigit)
import qualified Data.Map.Strict as M
import Data.Maybe (fromMaybe)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Vector as V
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (reshape)
import System.Directory (doesFileExist, getCurrentDirectory)
import System.Environment (getExecutablePath, lookupEnv)
import System.FilePath (takeDirectory, (</>))
import DLScratch.Array
import DLScratch.Error
import DLScratch.Functions (Labels (..), Targets (..), labelTargets)
import DLScratch.Json (numberOf, tensorOf)

data Schema = Schema { maxElements :: !Int, seedLimit :: !Int, schemaOps :: M.Map Text OpSpec }

-- | An op: its arguments in check order, each ok key's shape, its limits and hooks.
data OpSpec = OpSpec { opArgs :: [ArgSpec], opOk :: M.Map Text Text, opLimits :: [Limit], opHooks :: [Text] }

-- | Σ of products of terms (an integer argument, @x.size@, @x.columns@), or a counting hook.
data Limit = Products Text [[Text]] | LimitHook Text Text

data ArgSpec = ArgSpec
  { argName, argKind, argShape :: Text, argDefault :: Maybe A.Value  -- ^ Just Null: may stay absent
  , argMin, argMax, argBelow :: Maybe Double, argChoices :: [Text], argFoldCase :: Bool
  , argScores :: Text, argKeys :: [(Text, Text)], argKeysHook :: Maybe Text, argLike :: Text }

-- | A validated argument (a path is a 'VName', labels a 'VTarget' of 'TLabels').
data Value = VNum !Double | VInt !Int | VBool !Bool | VName !Text | VArr !Tensor | VTarget !Targets
  | VParams (M.Map Text Tensor) | VGrads [M.Map Text Tensor] | VHyper (M.Map Text Double) | VInts [Int] | VAbsent

-- | An op's validated arguments and the dimensions its symbols were bound to.
data Args = Args { argValues :: M.Map Text Value, argSymbols :: M.Map Text Int, argOk :: M.Map Text Text }

type R = Either DLError

-- | @$DLSCRATCH_OPS_JSON@, else the first @shared_tests/ops.json@ above the executable or here.
loadSchema :: IO Schema
loadSchema = do
  exe <- getExecutablePath
  cwd <- getCurrentDirectory
  let up d = d : if takeDirectory d == d then [] else up (takeDirectory d)
      firstFile = foldr (\f rest -> doesFileExist f >>= \e -> if e then pure f else rest) (fail "no shared_tests/ops.json found")
  file <- lookupEnv "DLSCRATCH_OPS_JSON" >>= maybe (firstFile [d </> "shared_tests/ops.json" | d <- up (takeDirectory exe) ++ up cwd]) pure
  decoded <- A.eitherDecodeFileStrict' file
  either (fail . ((file ++ ": ") ++)) pure (decoded >>= parseEither parseSchema)

parseSchema :: A.Value -> Parser Schema
parseSchema = A.withObject "ops.json" $ \o -> do
  lim <- o .: "limits"
  let bound k s = s .:! k >>= traverse (\case A.String l -> lim .: K.fromText l; v -> A.parseJSON v)
      arg = A.withObject "arg" $ \s -> ArgSpec <$> s .: "name" <*> s .: "kind" <*> s .:? "shape" .!= "*"
        <*> s .:! "default" <*> bound "min" s <*> bound "max" s <*> s .:? "max_exclusive" <*> s .:? "choices" .!= []
        <*> s .:? "fold_case" .!= False <*> s .:? "scores" .!= "" <*> (maybe [] M.toList <$> s .:? "keys")
        <*> s .:? "keys_hook" <*> s .:? "like" .!= ""
      limit = A.withObject "limit" $ \l -> l .: "what" >>= \w ->
        l .:? "sum_of_products" >>= maybe (LimitHook w <$> l .: "hook") (pure . Products w)
      op = A.withObject "op" $ \s -> OpSpec <$> (s .: "args" >>= mapM arg) <*> (s .: "ok" >>= traverse (\e -> e .:? "shape" .!= ""))
        <*> (s .:? "limits" .!= [] >>= mapM limit) <*> s .:? "hooks" .!= []
  Schema <$> lim .: "max_elements" <*> lim .: "seed_limit" <*> (o .: "ops" >>= traverse op)

-- | The op's arguments in order, then its limits, then its hooks.
validate :: Schema -> OpSpec -> A.Object -> R Args
validate sc op raw = do
  a <- checkArgs sc (opArgs op) raw (Args M.empty M.empty (opOk op))
  forM_ (opLimits op) $ \l -> do
    (what, total) <- case l of
      Products w terms -> Right (w, sum (map (product . map (toInteger . term a)) terms))
      LimitHook w h -> hook h >>= \case { Count n -> Right (w, n a); _ -> internal h }
    when (total > toInteger (maxElements sc)) $
      valueError (T.unpack what ++ " would hold " ++ show total ++ " elements, above the limit of " ++ show (maxElements sc))
  forM_ (opHooks op) $ \h -> hook h >>= \case { Check c -> c a; _ -> internal h }
  pure a
  where term a t = case T.splitOn "." t of
          [x, "size"] -> product (shapeOf a x)
          [x, "columns"] -> last (shapeOf a x)
          _ -> symbol a t

checkArgs :: Schema -> [ArgSpec] -> A.Object -> Args -> R Args
checkArgs sc specs raw a0 = foldM arg a0 specs
  where arg a s = case (KM.lookup (K.fromText (argName s)) raw, argDefault s) of
          (Just v, _) | v /= A.Null -> check sc s v a
          (_, Just A.Null) -> Right (put (argName s) VAbsent a)
          (_, Just d) -> check sc s d a
          _ -> badArgs ("missing argument " ++ show (argName s))

put :: Text -> Value -> Args -> Args
put k v a = a { argValues = M.insert k v (argValues a) }

bindSym :: Text -> Int -> Args -> Args
bindSym x n a = a { argSymbols = M.insert x n (argSymbols a) }

-- | One argument by its kind (ops.json "kinds").
check :: Schema -> ArgSpec -> A.Value -> Args -> R Args
check sc s v a = case argKind s of
  "number" -> number k v >>= \d -> domain ks d >> ok (VNum d)
  "integer" -> integer k v >>= \n -> domain ks (fromIntegral n) >> Right (bindSym k n (put k (VInt n) a))
  "seed" -> check sc s { argKind = "integer", argMin = Just 0, argBelow = Just (fromIntegral (seedLimit sc)) } v a
  "boolean" -> case v of { A.Bool b -> ok (VBool b); _ -> badArgs (ks ++ " must be true or false") }
  "name" -> choice >>= ok . VName
  "name_or_number" -> case v of { A.String _ -> choice >>= ok . VName; _ -> number k v >>= ok . VNum }
  "array" -> arrayOf k v >>= \t -> put k (VArr t) <$> shaped k (argShape s) (shape t) a
  "array_or_number" -> check sc s { argKind = "array" } v a
  "target" -> scores >>= \ys -> target k ys v >>= ok . VTarget . either (TOneHot . reshape (last ys) . values) (labelTargets (last ys))
  "labels" -> scores >>= \ys -> target k ys v >>= either (const (shapeError (ks ++ " must be labels"))) (ok . VTarget . TLabels)
  "int_list" -> case v of
    A.Array xs -> do
      ns <- mapM (integer k) (V.toList xs)
      zipWithM_ (\i n -> domain (ks ++ "[" ++ show i ++ "]") (fromIntegral n)) [0 :: Int ..] ns
      ok (VInts ns)
    _ -> badArgs (ks ++ " must be a list of integers")
  "params" -> case v of
    A.Object o -> do
      (keys, a') <- maybe (Right (argKeys s, a)) (\h -> hook h >>= \case { Keys f -> Right (f a o); _ -> internal h }) (argKeysHook s)
      let entry (m, b) (key, spec) = do
            e <- case KM.lookup (K.fromText key) o of   -- any_keys: a null entry is an ill-typed array
              Just e | e /= A.Null || argKeysHook s == Just "any_keys" -> Right e
              _ -> shapeError (ks ++ " has no " ++ T.unpack key)
            t <- arrayOf (k <> "." <> key) e
            (,) (M.insert key t m) <$> shaped (k <> "." <> key) spec (shape t) b
      foldM entry (M.empty, a') keys >>= \(m, b) -> Right (put k (VParams m) b)
    _ -> badArgs (ks ++ " must be an object of arrays")
  "grads_seq" -> case v of
    A.Array xs -> zipWithM grads [0 :: Int ..] (V.toList xs) >>= ok . VGrads
    _ -> badArgs (ks ++ " must be a list of objects")
  "hyper" -> case v of
    A.Object o -> mapM (\(key, e) -> maybe (badArgs (ks ++ "." ++ K.toString key ++ " must be a number"))
                                           (Right . (,) (K.toText key)) (numberOf e)) (KM.toList o) >>= ok . VHyper . M.fromList
    _ -> badArgs (ks ++ " must be an object of numbers")
  "optimizer" -> case (v, M.lookup "optimizer.run" (schemaOps sc)) of
    (A.Object o, Just run) -> do   -- optimizer.run's name (default "sgd") and hyper, as optimizer.name, optimizer.hyper
      let sub = [ x { argDefault = maybe (Just "sgd") Just (argDefault x) } | x <- opArgs run, argName x `elem` ["name", "hyper"] ]
      b <- checkArgs sc sub o (Args M.empty M.empty M.empty)
      Right a { argValues = argValues a <> M.mapKeys ((k <> ".") <>) (argValues b) }
    _ -> badArgs (ks ++ " must be an object {\"name\": ..., \"hyper\": {...}}")
  "path" -> case v of { A.String p -> ok (VName p); _ -> badArgs (ks ++ " must be a string") }
  other -> internal other
  where
    k = argName s
    ks = T.unpack k
    ok x = Right (put k x a)
    domain what x = unless (maybe True (x >=) (argMin s) && maybe True (x <=) (argMax s) && maybe True (x <) (argBelow s)) $
      valueError (what ++ " = " ++ showN x ++ " is outside " ++ maybe "(-inf" (("[" ++) . showN) (argMin s) ++ ", "
                  ++ maybe (maybe "inf)" ((++ ")") . showN) (argBelow s)) ((++ "]") . showN) (argMax s))
    choice = case v of
      A.String x | key `elem` argChoices s -> Right key
        where key = if argFoldCase s then T.toLower x else x
      _ -> badArgs (ks ++ " must be one of " ++ T.unpack (T.intercalate ", " (argChoices s)))
    scores = maybe (internal ("scores of " <> k)) Right (shapeOf' a (argScores s))
    grads i = \case
      A.Object o -> do
        let like = params a (argLike s)
            what = k <> "[" <> T.pack (show i) <> "]"
        unless (M.keys like == M.keys (KM.toMapText o)) $ shapeError (T.unpack what ++ " has other keys than " ++ T.unpack (argLike s))
        flip M.traverseWithKey like $ \key p -> arrayOf (what <> "." <> key) (KM.toMapText o M.! key) >>= \t ->
          if shape t == shape p then Right t else shapeError (T.unpack what ++ "." ++ T.unpack key ++ " is not of shape " ++ showShape (shape p))
      _ -> badArgs (ks ++ "[" ++ show i ++ "] must be an object")

showN :: Double -> String
showN x = if x == fromInteger (round x) && abs x < 1e15 then show (round x :: Integer) else show x

internal :: Text -> R a
internal what = Left (DLError InternalError ("ops.json: no kind or hook of this port fits " ++ T.unpack what))

number :: Text -> A.Value -> R Double
number k v = maybe (badArgs (T.unpack k ++ " must be a number")) Right (numberOf v)

-- | A whole number (2.0 is 2; 2.5, "NaN" are not), saturated to the range of Int.
integer :: Text -> A.Value -> R Int
integer k v = case numberOf v of
  Just x | not (isNaN x || isInfinite x) && x == fromInteger (truncate x) ->
    Right (fromInteger (max (toInteger (minBound :: Int)) (min (toInteger (maxBound :: Int)) (truncate x))))
  _ -> badArgs (T.unpack k ++ " must be an integer")

-- | A nested list of numbers (or a number) without a size-0 dimension.
arrayOf :: Text -> A.Value -> R Tensor
arrayOf k v = do
  t <- either (\(DLError ty m) -> Left (DLError ty (T.unpack k ++ ": " ++ m))) Right (tensorOf v)
  when (0 `elem` shape t) $ shapeError (T.unpack k ++ " has a size-0 dimension " ++ showShape (shape t))
  Right t

data Dim = Lit !Int | Sym !Text

-- | A shape's alternatives: the dimensions, and whether the last is "D..." (the product of
-- one or more trailing dimensions).
alternatives :: Text -> [([Dim], Bool)]
alternatives = map (alt . T.words) . T.splitOn "|"
  where alt ws = (map (dim . \w -> fromMaybe w (T.stripSuffix "..." w)) ws, any ("..." `T.isSuffixOf`) ws)
        dim w = if T.all isDigit w then Lit (read (T.unpack w)) else Sym w

-- | Check a shape against its spec (alternatives chosen by ndim), binding symbols left to right.
shaped :: Text -> Text -> Shape -> Args -> R Args
shaped k spec sh a
  | spec == "*" = Right a
  | Just other <- T.stripPrefix "=" spec = if shapeOf' a other == Just sh then Right a else mismatch ("the shape of " ++ T.unpack other)
  | otherwise = case filter fits (alternatives spec) of
      [] -> mismatch (show (length sh) ++ " dimensions")
      (ds, rest) : _ -> foldM bind a (zip ds (if rest then init' ++ [product (drop (length ds - 1) sh)] else sh))
        where init' = take (length ds - 1) sh
  where
    fits (ds, rest) = if rest then length sh >= length ds else length sh == length ds
    bind b = \case
      (Lit m, n) | m /= n -> mismatch (show m)
      (Sym x, n) | Just m <- M.lookup x (argSymbols b) -> if m == n then Right b else mismatch (T.unpack x ++ " = " ++ show m)
                 | otherwise -> Right (bindSym x n b)
      _ -> Right b
    mismatch :: String -> R b
    mismatch why = shapeError (T.unpack k ++ " has shape " ++ showShape sh ++ ", which is not " ++ T.unpack spec ++ " (" ++ why ++ ")")

-- | The shape of an argument, of an ok key, or of a spec: its last alternative whose symbols are bound.
shapeOf' :: Args -> Text -> Maybe Shape
shapeOf' a x = case M.lookup x (argValues a) of
  Just (VArr t) -> Just (shape t)
  _ -> let spec = M.findWithDefault x x (argOk a) in case T.stripPrefix "=" spec of
    Just other -> shapeOf' a other
    Nothing -> foldl (\acc (ds, _) -> maybe acc Just (traverse dimOf ds)) Nothing (alternatives spec)
  where dimOf = \case { Lit m -> Just m; Sym s -> M.lookup s (argSymbols a) }

-- | 'shapeOf'' of what validation has bound (an ok key's shape for the answer).
shapeOf :: Args -> Text -> Shape
shapeOf a x = fromMaybe (error ("no shape for " ++ T.unpack x)) (shapeOf' a x)

-- | t for scores of shape ys (C: one sample; N×C): one-hot when t has the scores' shape, else
-- labels, one integer in 0..C-1 per row (a number or a 1-element list for 1-D scores).
target :: Text -> Shape -> A.Value -> R (Either Tensor Labels)
target k ys v = do
  t <- arrayOf k v
  let (n, c) = case ys of { [m] -> (1, m); r : rest -> (r, product rest); [] -> (1, 1) }
      oneRow = length ys == 1
      label i x
        | isNaN x || isInfinite x || x /= fromInteger (truncate x) = badArgs (ks ++ "[" ++ show i ++ "] = " ++ show x ++ " is not an integer")
        | x < 0 || x >= fromIntegral c = valueError (ks ++ "[" ++ show i ++ "] = " ++ showN x ++ " is outside 0.." ++ show (c - 1))
        | otherwise = Right (truncate x)
      wrong = shapeError (ks ++ " has shape " ++ showShape (shape t) ++ ": not " ++ show n ++ " labels or one-hot " ++ showShape ys)
  if shape t == ys then Right (Left t) else do
    when (size t == product ys && ndim t >= 1 && not (ndim t == 1 && not oneRow && n == size t)) wrong
    unless (if oneRow then ndim t <= 1 && size t == 1 else ndim t == 1 && size t == n) wrong
    Right . Labels . VS.fromList <$> zipWithM label [0 :: Int ..] (VS.toList (values t))
  where ks = T.unpack k

-- | ops.json "hooks": params keys from the arguments, an element count, or a check.
data Hook = Keys (Args -> A.Object -> ([(Text, Text)], Args)) | Count (Args -> Integer) | Check (Args -> R ())

hook :: Text -> R Hook
hook h = maybe (internal h) Right (M.lookup h hooks)

hooks :: M.Map Text Hook
hooks = M.fromList
  [ ("layer_sizes", Count (\a -> let s = map toInteger (layerSizes a) in sum (zipWith (*) s (drop 1 s))))
  , ("layer_params", Keys $ \a _ -> let s = layerSizes a; t = T.pack . show in
      ( concat [ [("W" <> t i, t p <> " " <> t q), ("b" <> t i, t q)] | (i, p, q) <- zip3 [1 :: Int ..] s (drop 1 s) ]
      , bindSym "SL" (last s) (bindSym "S0" (head s) a) ))
  , ("any_keys", Keys (\a o -> ([(K.toText key, "*") | key <- KM.keys o], a)))
  , ("momentum_domain", Check $ \a -> case M.lookup "momentum" (hyper a "hyper") of
      Just m | name a "name" `elem` ["momentum", "nesterov"] && not (m >= 0 && m <= 1) ->
        valueError ("hyper.momentum = " ++ show m ++ " is outside [0, 1]")
      _ -> Right ()) ]

-- | S = [input_size, *hidden_size_list, output_size]
layerSizes :: Args -> [Int]
layerSizes a = [int a "input_size"] ++ ints a "hidden_size_list" ++ [int a "output_size"]

-- | A validated argument; VAbsent when it was absent with a null default.
value :: Args -> Text -> Value
value a k = M.findWithDefault VAbsent k (argValues a)

pick :: (Value -> Maybe b) -> Args -> Text -> b
pick f a k = fromMaybe (error (T.unpack k ++ " is not a validated argument of this kind")) (f (value a k))

num :: Args -> Text -> Double
num = pick $ \case { VNum d -> Just d; _ -> Nothing }
int :: Args -> Text -> Int
int = pick $ \case { VInt n -> Just n; _ -> Nothing }
bool :: Args -> Text -> Bool
bool = pick $ \case { VBool b -> Just b; _ -> Nothing }
name :: Args -> Text -> Text
name = pick $ \case { VName x -> Just x; _ -> Nothing }
tensor :: Args -> Text -> Tensor
tensor = pick $ \case { VArr t -> Just t; _ -> Nothing }
targets :: Args -> Text -> Targets
targets = pick $ \case { VTarget t -> Just t; _ -> Nothing }
params :: Args -> Text -> M.Map Text Tensor
params = pick $ \case { VParams m -> Just m; _ -> Nothing }
gradsSeq :: Args -> Text -> [M.Map Text Tensor]
gradsSeq = pick $ \case { VGrads g -> Just g; _ -> Nothing }
hyper :: Args -> Text -> M.Map Text Double
hyper = pick $ \case { VHyper h -> Just h; _ -> Nothing }
ints :: Args -> Text -> [Int]
ints = pick $ \case { VInts ns -> Just ns; _ -> Nothing }

-- | The dimension a symbol (or an integer argument) was bound to.
symbol :: Args -> Text -> Int
symbol a s = fromMaybe (error ("unbound symbol " ++ T.unpack s)) (M.lookup s (argSymbols a))
