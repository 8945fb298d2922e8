{-# LANGUAGE FlexibleInstances, LambdaCase, OverloadedStrings #-}
-- | The generic validator: @shared_tests/ops.json@, read once, turns a request's @args@ into
-- typed, shape-checked 'Value's by interpreting the op's schema in its @check_order@: each
-- argument in order (presence or default, JSON type, dimensions and symbols, domain), then
-- the op's @limits@, then its @hooks@. An argument's @then@ hooks run right after it.
module DLScratch.Validate
  ( Schema (..), OpSpec (..), Value (..), Args (..), FromValue (..), loadSchema, parseSchema, validate
  , validateIO, arg, name, layerSizes, shapeOf, symbol, inputDimOf, convParamOf
  ) where

import Control.Applicative ((<|>))
import Control.Monad (filterM, foldM, forM_, mfilter, unless, when, zipWithM, zipWithM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import Data.Aeson.Types (Parser, parseEither, parseMaybe, (.!=), (.:), (.:!), (.:?))
import Data.Char (isDigit)
import qualified Data.Map.Strict as M
import Data.Maybe (fromMaybe)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Vector as V
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, reshape)
import System.Directory (doesFileExist, getCurrentDirectory)
import System.Environment (getExecutablePath, lookupEnv)
import System.FilePath (takeDirectory, (</>))
import DLScratch.Array
import DLScratch.Error
import DLScratch.Functions (Labels (..), Targets (..), labelTargets)
import DLScratch.Json (numberOf)
import DLScratch.Networks
import DLScratch.Rng (mkGen)
import DLScratch.Train (Model (..), ParamsText (..), modelArrays, readParams)
import DLScratch.Util (Images, imagesOf)

data Schema = Schema { maxElements :: !Int, seedLimit :: !Int, schemaOps :: M.Map Text OpSpec }

-- | An op: its arguments in check order, each ok key's shape, its limits and hooks.
data OpSpec = OpSpec { opArgs :: [ArgSpec], opOk :: M.Map Text Text, opLimits :: [Limit], opHooks :: [Text]
                     , opWindow :: [Text] }  -- ^ the dimensions FH, FW of im2col's window

-- | What a limit counts, and how: Σ of products of terms (an integer argument, @x.size@,
-- @x.columns@), or a counting hook.
data Limit = Limit Text (Either [[Text]] Text)

data ArgSpec = ArgSpec
  { argName, argKind, argShape :: Text, argDefault :: Maybe A.Value  -- ^ Just Null: may stay absent
  , argMin, argMax, argBelow :: Maybe Double
  , argChoices :: [Text], argFoldCase :: Bool  -- ^ choices (a network's kinds)
  , argScores :: Text, argKeys :: [(Text, Text)], argKeysHook :: Maybe Text, argLike :: Text
  , argSymbolList :: [Text]  -- ^ dims: the symbols its integers bind
  , argFields :: [ArgSpec]   -- ^ record: its integer fields
  , argThen :: [Text] }      -- ^ the hooks that run right after it

-- | A validated argument (a path is a 'VName', labels a 'VTarget' of 'TLabels'): int_list is
-- a list, hyper and params are objects, grads_seq a list of objects, a network the object of
-- its kind (a 'VName') and its init op's arguments.
data Value = VNum !Double | VInt !Int | VBool !Bool | VName !Text | VArr !Tensor | VTarget !Targets
  | VList [Value] | VObj (M.Map Text Value) | VAbsent

-- | An op's validated arguments and the dimensions its symbols were bound to.
data Args = Args { argValues :: M.Map Text Value, argSymbols :: M.Map Text Int, argOk :: M.Map Text Text
                 , argWindow :: [Text]
                 , argFiles :: M.Map Text (Either String ParamsText) }  -- ^ the parameters files, read

type R = Either DLError

-- | @$DLSCRATCH_OPS_JSON@, else the first @shared_tests/ops.json@ above the executable or here.
loadSchema :: IO Schema
loadSchema = do
  (exe, cwd, given) <- (,,) <$> getExecutablePath <*> getCurrentDirectory <*> lookupEnv "DLSCRATCH_OPS_JSON"
  let up d = d : if takeDirectory d == d then [] else up (takeDirectory d)
  found <- filterM doesFileExist [d </> "shared_tests/ops.json" | d <- up (takeDirectory exe) ++ up cwd]
  file <- case maybe found pure given of { f : _ -> pure f; [] -> fail "no shared_tests/ops.json found" }
  decoded <- A.eitherDecodeFileStrict' file
  either (fail . ((file ++ ": ") ++)) pure (decoded >>= parseEither parseSchema)

parseSchema :: A.Value -> Parser Schema
parseSchema = A.withObject "ops.json" $ \o -> do
  lim <- o .: "limits"
  let bound s k = s .:! k >>= traverse (\case A.String l -> lim .: K.fromText l; v -> A.parseJSON v)
      arg' = A.withObject "arg" $ \s -> ArgSpec <$> s .: "name" <*> s .: "kind" <*> s .:? "shape" .!= "*"
        <*> s .:! "default" <*> bound s "min" <*> bound s "max" <*> s .:? "max_exclusive"
        <*> (fromMaybe [] <$> ((<|>) <$> s .:? "choices" <*> s .:? "kinds"))
        <*> s .:? "fold_case" .!= False <*> s .:? "scores" .!= ""
        <*> (maybe [] M.toList <$> s .:? "keys") <*> s .:? "keys_hook" <*> s .:? "like" .!= ""
        <*> s .:? "symbols" .!= [] <*> (s .:? "fields" .!= [] >>= mapM arg') <*> s .:? "then" .!= []
      limit = A.withObject "limit" $ \l ->
        Limit <$> l .: "what" <*> (l .:? "sum_of_products" >>= maybe (Right <$> l .: "hook") (pure . Left))
      op = A.withObject "op" $ \s -> OpSpec <$> (s .: "args" >>= mapM arg')
        <*> (s .: "ok" >>= traverse (\e -> e .:? "shape" .!= "")) <*> (s .:? "limits" .!= [] >>= mapM limit)
        <*> s .:? "hooks" .!= [] <*> s .:? "window" .!= []
  Schema <$> lim .: "max_elements" <*> lim .: "seed_limit" <*> (o .: "ops" >>= traverse op)

-- | The op's arguments in order, then its limits, then its hooks.
validate :: Schema -> OpSpec -> A.Object -> R Args
validate = validateWith M.empty

-- | 'validate' after reading the files that the op's model_file hooks check (the only input of
-- a validation that is not in the request).
validateIO :: Schema -> OpSpec -> A.Object -> IO (R Args)
validateIO sc op raw = do
  files <- sequence [ (,) p <$> readParams (T.unpack p) | s <- opArgs op, "model_file" `elem` argThen s
                    , Just (A.String p) <- [KM.lookup (K.fromText (argName s)) raw] ]
  pure (validateWith (M.fromList files) sc op raw)

validateWith :: M.Map Text (Either String ParamsText) -> Schema -> OpSpec -> A.Object -> R Args
validateWith files sc op raw = do
  a <- checkArgs sc (opArgs op) raw (Args M.empty M.empty (opOk op) (opWindow op) files)
  forM_ (opLimits op) $ \(Limit what count) -> do
    total <- either (Right . sum . map (product . map (toInteger . term a))) (fmap ($ a) . hook countHooks)
                    count
    when (total > toInteger (maxElements sc)) $ valueError (T.unpack what ++ " would hold " ++ show total
      ++ " elements, above the limit of " ++ show (maxElements sc))
  forM_ (opHooks op) $ \h -> hook checkHooks h >>= ($ a)
  pure a
  where term a t = case T.splitOn "." t of
          [x, "size"] -> product (shapeOf a x)
          [x, "columns"] -> last (shapeOf a x)
          _ -> symbol a t

-- | Each argument as given (null counts as absent), else its default (a null default lets it
-- stay absent), then its @then@ hooks.
checkArgs :: Schema -> [ArgSpec] -> A.Object -> Args -> R Args
checkArgs sc specs raw a0 = foldM arg' a0 specs
  where arg' a s = given s a >>= \b -> foldM (\c h -> hook (thenHooks sc) h >>= \f -> f s c) b (argThen s)
        given s a = case mfilter (/= A.Null) (KM.lookup (K.fromText (argName s)) raw) <|> argDefault s of
          Just A.Null -> Right (put (argName s) VAbsent a)
          Just v -> check sc s v a
          Nothing -> badArgs ("missing argument " ++ show (argName s))

put :: Text -> Value -> Args -> Args
put k v a = a { argValues = M.insert k v (argValues a) }

bindSym :: Text -> Int -> Args -> Args
bindSym x n a = a { argSymbols = M.insert x n (argSymbols a) }

-- | Binds a symbol, or checks it against the dimension it was bound to (ShapeError).
bindChecked :: String -> Text -> Int -> Args -> R Args
bindChecked what x n a = case M.lookup x (argSymbols a) of
  Just m | m /= n -> shapeError (what ++ ": " ++ T.unpack x ++ " is " ++ show n ++ " here but " ++ show m ++ " before")
  _ -> Right (bindSym x n a)

-- | One argument by its kind (ops.json "kinds").
check :: Schema -> ArgSpec -> A.Value -> Args -> R Args
check sc s v a = case argKind s of
  "number" -> number ks v >>= \d -> domain ks d >> ok (VNum d)
  "integer" -> integer v >>= \n -> domain ks (fromIntegral n) >> Right (bindSym k n (put k (VInt n) a))
  "seed" -> check sc s { argKind = "integer", argMin = Just 0, argBelow = Just seeds } v a
  "boolean" -> json "true or false" >>= ok . VBool
  "path" -> json "a string" >>= ok . VName
  "name" -> choice >>= ok . VName
  "name_or_number" -> case v of { A.String _ -> choice >>= ok . VName; _ -> number ks v >>= ok . VNum }
  "array" -> arrayOf ks v >>= \t -> put k (VArr t) <$> shaped ks (argShape s) (shape t) a
  "array_or_number" -> check sc s { argKind = "array" } v a
  "target" -> targetOf (\ys -> Right . TOneHot . reshape (last ys) . values) (labelTargets . last)
  "labels" -> targetOf (\_ _ -> shapeError (ks ++ " must be labels")) (const TLabels)
  "int_list" -> do
    ns <- json "a list of integers" >>= mapM integer
    zipWithM_ (\i n -> domain (ks ++ "[" ++ show i ++ "]") (fromIntegral n)) [0 :: Int ..] ns
    ok (VList (map VInt ns))
  "hyper" -> json "an object of numbers" >>= M.traverseWithKey (\key -> number (ks ++ "." ++ T.unpack key))
    >>= ok . VObj . M.map VNum
  "params" -> json "an object of arrays" >>= \o -> do
    (keys, a') <- maybe (Right (argKeys s, a)) (fmap (\f -> f a o) . hook keysHooks) (argKeysHook s)
    let entry (m, b) (key, spec) = do
          e <- case KM.lookup (K.fromText key) o of   -- any_keys: a null entry is an ill-typed array
            Just e | e /= A.Null || argKeysHook s == Just "any_keys" -> Right e
            _ -> shapeError (ks ++ " has no " ++ T.unpack key)
          t <- arrayOf (ks ++ "." ++ T.unpack key) e
          (,) (M.insert key (VArr t) m) <$> shaped (ks ++ "." ++ T.unpack key) spec (shape t) b
    foldM entry (M.empty, a') keys >>= \(m, b) -> Right (put k (VObj m) b)
  "grads_seq" -> json "a list of objects" >>= zipWithM grads [0 :: Int ..] >>= ok . VList
  "optimizer" -> case (parseMaybe A.parseJSON v, M.lookup "optimizer.run" (schemaOps sc)) of
    (Just o, Just run) -> do   -- optimizer.run's name (default "sgd") and hyper, as optimizer.name, .hyper
      let sub = [ x { argDefault = argDefault x <|> Just "sgd" }
                | x <- opArgs run, argName x `elem` ["name", "hyper"] ]
      b <- checkArgs sc sub o (Args M.empty M.empty M.empty [] M.empty)
      Right a { argValues = argValues a <> M.mapKeys ((k <> ".") <>) (argValues b) }
    _ -> badArgs (ks ++ " must be an object {\"name\": ..., \"hyper\": {...}}")
  "network" -> do   -- the arguments of <kind>.init but seed, its refusals prefixed "network: "
    o <- json "an object {\"kind\": ..., ...}"
    kind <- expect (ks ++ ".kind") ("one of " ++ T.unpack (T.intercalate ", " (argChoices s)))
      (mfilter (`elem` argChoices s) (parseMaybe A.parseJSON =<< KM.lookup "kind" o))
    initOp <- maybe (internal (kind <> ".init")) Right (M.lookup (kind <> ".init") (schemaOps sc))
    net <- either (\(DLError t m) -> Left (DLError t (ks ++ ": " ++ m))) Right $
      validate sc initOp { opArgs = filter ((/= "seed") . argName) (opArgs initOp) } (KM.delete "kind" o)
    let dims = if kind `elem` convolutional then zip ["C", "IH", "IW"] (arg net "input_dim")
               else [("S0", arg net "input_size")]   -- the images' dimensions
    Right (foldr (uncurry bindSym) (put k (VObj (M.insert "kind" (VName kind) (argValues net))) a)
                 (("SL", arg net "output_size") : dims))
  "dims" -> do   -- as many integers as symbols, each in 1 .. max_elements, bound in order
    ns <- json "a list of integers" >>= zipWithM (\i e -> expect (ks ++ "[" ++ show i ++ "]") "an integer"
      (saturate <$> (whole =<< numberOf e))) [0 :: Int ..]
    let syms = argSymbolList s
    when (length ns /= length syms) $ shapeError (ks ++ " has " ++ show (length ns) ++ " entries, not "
      ++ show (length syms) ++ " (" ++ T.unpack (T.unwords syms) ++ ")")
    zipWithM_ (\i n -> unless (n >= 1 && n <= maxElements sc) $ valueError (ks ++ "[" ++ show i ++ "] = "
      ++ show n ++ " is outside [1, " ++ show (maxElements sc) ++ "]")) [0 :: Int ..] ns
    foldM (\b (x, n) -> bindChecked ks x n b) (put k (VList (map VInt ns)) a) (zip syms ns)
  "record" -> do   -- an object of integer fields, each checked as an integer argument, bound as a symbol
    o <- json "an object of integers" :: R A.Object
    let names = map argName (argFields s)
    case filter (`notElem` names) (map K.toText (KM.keys o)) of
      u : _ -> badArgs (ks ++ " has no field " ++ show u ++ " (fields: " ++ T.unpack (T.intercalate ", " names) ++ ")")
      [] -> Right ()
    let field b f = do
          let key = k <> "." <> argName f
              v' = fromMaybe A.Null (mfilter (/= A.Null) (KM.lookup (K.fromText (argName f)) o) <|> argDefault f)
          c <- check sc f { argName = key } v' b
          bindChecked ks (argName f) (symbol c key) c { argValues = M.delete key (argValues c) }
    b <- foldM field a (argFields s)
    Right (put k (VObj (M.fromList [(argName f, VInt (symbol b (argName f))) | f <- argFields s])) b)
  other -> internal other
  where
    (k, ks, seeds) = (argName s, T.unpack k, fromIntegral (seedLimit sc))
    ok x = Right (put k x a)
    expect what kind = maybe (badArgs (what ++ " must be " ++ kind)) Right   -- Just x, or BadArgs
    number what = expect what "a number" . numberOf
    -- a whole number, saturated to the range of Int
    integer = fmap saturate . expect ks "an integer" . (>>= whole) . numberOf
    saturate = fromInteger . max (toInteger (minBound :: Int)) . min (toInteger (maxBound :: Int))
    -- v as the JSON type b (a Bool, Text, list or object), or BadArgs
    json :: A.FromJSON b => String -> R b
    json kind = expect ks kind (parseMaybe A.parseJSON v)
    -- min <= x <= max, x < max_exclusive (NaN is outside every range)
    domain what x = unless (and (zipWith (\inside -> maybe True (inside x)) [(>=), (<=), (<)] bounds)) $
      valueError (what ++ " = " ++ showN x ++ " is outside " ++ maybe "(-inf" (("[" ++) . showN) (argMin s)
        ++ ", " ++ maybe (maybe "inf)" ((++ ")") . showN) (argBelow s)) ((++ "]") . showN) (argMax s))
    bounds = [argMin s, argMax s, argBelow s]
    choice = expect ks ("one of " ++ T.unpack (T.intercalate ", " (argChoices s)))
      (mfilter (`elem` argChoices s) ((if argFoldCase s then T.toLower else id) <$> parseMaybe A.parseJSON v))
    -- t for the scores' shape ys: what a t of that very shape is, else labels
    targetOf oneHot labels = do
      ys <- maybe (internal ("scores of " <> k)) Right (shapeOf' a (argScores s))
      target ks ys v >>= either (oneHot ys) (Right . labels ys) >>= ok . VTarget
    -- exactly the keys of like, each an array of its shape
    grads i g = do
      let what = ks ++ "[" ++ show i ++ "]"
          like = arg a (argLike s) :: M.Map Text Tensor
      o <- expect what "an object" (parseMaybe A.parseJSON g)
      unless (M.keys like == M.keys o) $ shapeError (what ++ " has other keys than " ++ T.unpack (argLike s))
      fmap VObj $ flip M.traverseWithKey like $ \key p -> do
        t <- arrayOf (what ++ "." ++ T.unpack key) (o M.! key)
        if shape t == shape p then Right (VArr t)
        else shapeError (what ++ "." ++ T.unpack key ++ " is not of shape " ++ showShape (shape p))

showN :: Double -> String
showN x = if x == fromInteger (round x) && abs x < 1e15 then show (round x :: Integer) else show x

internal :: Text -> R a
internal what = Left (DLError InternalError ("ops.json: no kind or hook of this port fits " ++ T.unpack what))

-- | x when it is a whole number (2.0 is 2; 2.5, NaN, the infinities are not).
whole :: Double -> Maybe Integer
whole x = if isNaN x || isInfinite x || x /= fromInteger (truncate x) then Nothing else Just (truncate x)

-- | A number (0-D) or nested lists of numbers: at most 32 dimensions and none of size 0
-- (ShapeError), not ragged and nothing but numbers (BadArgs).
arrayOf :: String -> A.Value -> R Tensor
arrayOf k v0 = do
  t <- nested (0 :: Int) v0
  when (0 `elem` shape t) $ shapeError (k ++ " has a size-0 dimension " ++ showShape (shape t))
  Right t
  where
    nested depth v = case (numberOf v, v) of
      (Just d, _) -> Right (scalar d)
      (_, A.Array xs)
        | depth >= 32 -> shapeError (k ++ ": an array of more than 32 dimensions")
        | Just ds <- traverse numberOf xs -> Right (Tensor [V.length xs] (VS.convert ds))   -- a row at once
        | otherwise -> traverse (nested (depth + 1)) (V.toList xs) >>= \ts -> case map shape ts of
            s0 : rest | all (== s0) rest -> Right (Tensor (length ts : s0) (VS.concat (map values ts)))
            _ -> badArgs (k ++ ": a ragged array (rows of different lengths or depths)")
      _ -> badArgs (k ++ ": not a number or an array of numbers")

-- | A literal, a symbol (or integer argument), or a product a*b*c of those.
data Dim = Lit !Int | Sym !Text | Prod [Dim]

-- | A shape's alternatives: the dimensions, and whether the last is "D..." (the product of
-- one or more trailing dimensions).
alternatives :: Text -> [([Dim], Bool)]
alternatives = map (alt . T.words) . T.splitOn "|"
  where alt ws = (map (dim . \w -> fromMaybe w (T.stripSuffix "..." w)) ws, any ("..." `T.isSuffixOf`) ws)
        dim w | "*" `T.isInfixOf` w = Prod (map dim (T.splitOn "*" w))
              | T.all isDigit w = Lit (read (T.unpack w))
              | otherwise = Sym w

-- | Check a shape against its spec (alternatives chosen by ndim), binding symbols left to right.
shaped :: String -> Text -> Shape -> Args -> R Args
shaped k spec sh a
  | spec == "*" = Right a
  | Just other <- T.stripPrefix "=" spec =
      if shapeOf' a other == Just sh then Right a else mismatch ("the shape of " ++ T.unpack other)
  | otherwise = case [ds | (ds, rest) <- alternatives spec, (if rest then (>=) else (==)) n (length ds)] of
      [] -> mismatch (show n ++ " dimensions")
      ds : _ -> foldM bind a (zip ds (lead ++ [product trailing]))   -- D...: the trailing ones' product
        where (lead, trailing) = splitAt (length ds - 1) sh
  where
    n = length sh
    bind b = \case
      (Lit m, d) | m /= d -> mismatch (show m)
      (Sym x, d) | Just m <- M.lookup x (argSymbols b) ->
                     if m == d then Right b else mismatch (T.unpack x ++ " = " ++ show m)
                 | otherwise -> Right (bindSym x d b)
      (p@(Prod _), d) | Just m <- dimValue b p, m /= d -> mismatch (show m)
      _ -> Right b
    mismatch :: String -> R b
    mismatch why = shapeError (k ++ " has shape " ++ showShape sh ++ ", which is not " ++ T.unpack spec
                               ++ " (" ++ why ++ ")")

-- | The shape of an argument, of an ok key, or of a spec: its last alternative whose symbols
-- are bound.
shapeOf' :: Args -> Text -> Maybe Shape
shapeOf' a x = case M.lookup x (argValues a) of
  Just (VArr t) -> Just (shape t)
  _ -> let spec = M.findWithDefault x x (argOk a) in case T.stripPrefix "=" spec of
    Just other -> shapeOf' a other
    Nothing -> foldl (\acc (ds, _) -> traverse (dimValue a) ds <|> acc) Nothing (alternatives spec)

-- | The dimension, when its symbols are bound.
dimValue :: Args -> Dim -> Maybe Int
dimValue a = \case
  Lit m -> Just m
  Sym s -> M.lookup s (argSymbols a)
  Prod ds -> product <$> traverse (dimValue a) ds

-- | 'shapeOf'' of what validation has bound (an ok key's shape for the answer).
shapeOf :: Args -> Text -> Shape
shapeOf a x = fromMaybe (error ("no shape for " ++ T.unpack x)) (shapeOf' a x)

-- | t for scores of shape ys (C: one sample; N×C): one-hot when t has the scores' shape, else
-- labels, one integer in 0..C-1 per row (a number or a 1-element list for 1-D scores).
target :: String -> Shape -> A.Value -> R (Either Tensor Labels)
target k ys v = do
  t <- arrayOf k v
  let (n, c) = case ys of { [m] -> (1, m); r : rest -> (r, product rest); [] -> (1, 1) }
      oneRow = length ys == 1
      label i x = case whole x of
        Nothing -> badArgs (k ++ "[" ++ show i ++ "] = " ++ show x ++ " is not an integer")
        Just l | l < 0 || l >= toInteger c ->
                   valueError (k ++ "[" ++ show i ++ "] = " ++ showN x ++ " is outside 0.." ++ show (c - 1))
               | otherwise -> Right (fromInteger l)
      wrong = shapeError (k ++ " has shape " ++ showShape (shape t) ++ ": not " ++ show n
                          ++ " labels or one-hot " ++ showShape ys)
  if shape t == ys then Right (Left t) else do
    when (size t == product ys && ndim t >= 1 && not (ndim t == 1 && not oneRow && n == size t)) wrong
    unless (if oneRow then ndim t <= 1 && size t == 1 else ndim t == 1 && size t == n) wrong
    Right . Labels . VS.fromList <$> zipWithM label [0 :: Int ..] (VS.toList (values t))

-- | ops.json "hooks" by what they give: a params argument's keys and shapes from the other
-- arguments (and the symbols they bind), a limit's element count, a check after the arguments.
keysHooks :: M.Map Text (Args -> A.Object -> ([(Text, Text)], Args))
keysHooks = M.fromList
  [ ("layer_params", \a _ -> let s = layerSizes a; t = T.pack . show in   -- W{i}: S_{i-1} S_i, b{i}: S_i
      ( concat [[("W" <> t i, t p <> " " <> t q), ("b" <> t i, t q)]
               | (i, p, q) <- zip3 [1 :: Int ..] s (tail s)]
      , bindSym "SL" (last s) (bindSym "S0" (head s) a) ))
  , ("extend_params", \a o -> let (ks, b) = layerParams a o in (ks ++ batchNormKeys ["gamma", "beta"] a, b))
  , ("running_stats", \a _ -> (batchNormKeys ["running_mean", "running_var"] a, a))
  , ("any_keys", \a o -> ([(K.toText key, "*") | key <- KM.keys o], a)) ]
  where layerParams = keysHooks M.! "layer_params"
        -- with use_batchnorm, {name}{i}: S_i for every hidden layer i
        batchNormKeys names a = [ (n <> T.pack (show i), T.pack (show si)) | arg a "use_batchnorm"
                                , (i, si) <- zip [1 :: Int ..] (arg a "hidden_size_list" :: [Int])
                                , n <- names ]

countHooks :: M.Map Text (Args -> Integer)
countHooks = M.fromList   -- layer_sizes: Σ S_{i-1}·S_i; trainer_steps: int(epochs·max(N / batch, 1))·batch
  [ ("layer_sizes", \a -> let s = map toInteger (layerSizes a) in sum (zipWith (*) s (tail s)))
  , ("trainer_steps", \a ->
      let batch = arg a "mini_batch_size" :: Int
          perEpoch = max (fromIntegral (symbol a "N") / fromIntegral batch) 1 :: Double
      in truncate (fromIntegral (arg a "epochs" :: Int) * perEpoch) * toInteger batch)
    -- the padded image N·C·(IH + 2·pad)·(IW + 2·pad) plus col N·OH·OW·C·FH·FW
  , ("im2col_size", \a -> let s = toInteger . symbol a; (fh, fw) = windowOf a; p = s "pad" in
      s "N" * s "C" * (s "IH" + 2 * p) * (s "IW" + 2 * p) + s "N" * s "OH" * s "OW" * s "C" * fh * fw)
    -- filter_num·k + filter_num·PH·PW·hidden + hidden·output, k = C·filter_size², plus col N·OH·OW·k
  , ("conv_net_size", \a -> let s = toInteger . symbol a; k = s "C" * s "filter_size" ^ (2 :: Int)
                                col = if M.member "x" (argValues a) then s "N" * s "OH" * s "OW" * k else 0 in
      s "filter_num" * k + s "filter_num" * s "PH" * s "PW" * s "hidden_size" + s "hidden_size" * s "output_size"
        + col)
    -- DeepConvNet's weights, plus for an op with x the largest convolution's col N·OH·OW·C_in·9
  , ("deep_conv_net_size", \a ->
      let s = toInteger . symbol a
          sizes = deepConvSizes (symbol a "IH") (symbol a "IW")
          channels = s "C" : map (toInteger . fst) (init deepConvs)
          inputs = (symbol a "IH", symbol a "IW") : map (sizes !!) [0, 2, 3, 5, 6]   -- each convolution's input
          filters = [(toInteger f, toInteger p) | (f, p) <- deepConvs]
          weights = sum [f * c * 9 + f | ((f, _), c) <- zip filters channels]
            + 64 * s "PH" * s "PW" * s "hidden_size" + s "hidden_size" * (1 + s "output_size") + s "output_size"
          colOf c (h, w) (_, p) = c * 9 * (toInteger h + 2 * p - 2) * (toInteger w + 2 * p - 2)
          col = maximum (zipWith3 colOf channels inputs filters)
      in weights + (if M.member "x" (argValues a) then s "N" * col else 0)) ]

-- | The window's FH and FW (ops.json's op field "window").
windowOf :: Args -> (Integer, Integer)
windowOf a = case map (toInteger . symbol a) (argWindow a) of
  [fh, fw] -> (fh, fw)
  _ -> error "ops.json: the op's window is not two dimensions"

-- | The kinds of network whose input is N × C × IH × IW.
convolutional :: [Text]
convolutional = ["simple_conv_net", "deep_conv_net"]

-- | The hooks an argument's "then" runs right after it is checked.
thenHooks :: Schema -> M.Map Text (ArgSpec -> Args -> R Args)
thenHooks sc = M.fromList
  [ ("window", \_ a -> do   -- FH <= IH + 2·pad, FW likewise; OH = (IH + 2·pad − FH) // stride + 1, OW
      let (fh, fw) = windowOf a
          (stride, pad) = (toInteger (symbol a "stride"), toInteger (symbol a "pad"))
          side b (what, size, f, out) = do
            let n = toInteger (symbol a size)
            when (f > n + 2 * pad) $ shapeError ("the window's " ++ what ++ " " ++ show f
              ++ " is larger than the padded input's " ++ show n ++ " + 2·" ++ show pad)
            Right (bindSym out (fromInteger ((n + 2 * pad - f) `div` stride + 1)) b)
      foldM side a [("height", "IH", fh, "OH"), ("width", "IW", fw, "OW")])
  , ("pool_window", \_ a -> do   -- the 2x2 pooling of stride 2: OH, OW >= 2; PH = OH // 2, PW = OW // 2
      let (oh, ow) = (symbol a "OH", symbol a "OW")
      when (min oh ow < 2) $ shapeError ("the convolution's output " ++ show oh ++ "x" ++ show ow
        ++ " is smaller than the 2x2 pooling")
      Right (bindSym "PH" (oh `div` 2) (bindSym "PW" (ow `div` 2) a)))
  , ("network_input", networkInput "network")
  , ("model_input", networkInput "path")
  , ("deep_geometry", \_ a -> do   -- s + 2·pad − 2 through each convolution, s // 2 through each pooling
      let (ih, iw) = (symbol a "IH", symbol a "IW")
          sizes = deepConvSizes ih iw
      when (minimum (concat [[sh, sw] | (sh, sw) <- sizes]) < 1) $ shapeError ("a " ++ show ih ++ "x" ++ show iw
        ++ " image is too small for DeepConvNet's three poolings (at least 4x4)")
      let (ph, pw) = last sizes
      Right (bindSym "PH" ph (bindSym "PW" pw a)))
  , ("model_file", modelFile sc) ]
  where
    -- 2-D images for the dense kinds, 4-D for the convolutional ones (the kind of the source argument)
    networkInput source s a = do
      let kind = name (arg a source) "kind"
          want = if kind `elem` convolutional then 4 else 2
          n = length (shapeOf a (argName s))
      when (n /= want) $ shapeError (T.unpack (argName s) ++ " is " ++ show n ++ "-D, but a "
        ++ T.unpack kind ++ " takes " ++ show want ++ "-D input")
      Right a

-- region: save_params
-- | load_params' checks: the file of the argument as a parameters file of section 8 (format and
-- version; its network checked as the network kind checks one, binding S0 or C, IH, IW, and SL;
-- its params exactly the arrays that <kind>.init draws for that network, each {"shape", "data"}),
-- any fault a ValueError. The argument becomes the network's object with its params.
modelFile :: Schema -> ArgSpec -> Args -> R Args
modelFile sc s a = do
  let path = name a (argName s)
  ParamsText record order <- case M.lookup path (argFiles a) of
    Just (Right v) -> Right v
    Just (Left e) -> valueError ("cannot read " ++ T.unpack path ++ " as JSON: " ++ e)
    Nothing -> internal ("model_file of " <> path)
  either (\(DLError _ m) -> valueError (T.unpack path ++ " is not a parameters file of section 8: " ++ m)) Right $ do
    o <- maybe (badArgs "it is not an object") Right (parseMaybe A.parseJSON record) :: R A.Object
    unless (KM.lookup "format" o == Just (A.String "dlscratch-params") && (numberOf =<< KM.lookup "version" o) == Just 1) $
      badArgs "it has no \"format\": \"dlscratch-params\", \"version\": 1"
    spec <- maybe (internal "train.trainer's network") Right
      (M.lookup "train.trainer" (schemaOps sc) >>= \op -> lookupArg "network" (opArgs op))
    b <- check sc spec { argChoices = ["two_layer_net", "simple_conv_net", "deep_conv_net"] }
               (fromMaybe A.Null (KM.lookup "network" o)) a
    net <- maybe (internal "network") Right (M.lookup "network" (argValues b))
    let want = [(k, sh) | (k, sh, _) <- modelArrays (initModel (arg b "network"))]
    arrays <- maybe (badArgs "params must be an object") Right (parseMaybe A.parseJSON =<< KM.lookup "params" o)
    let given = fromMaybe (map K.toText (KM.keys arrays)) order   -- in the file's order
    unless (given == map fst want) $ badArgs ("its params are " ++ T.unpack (T.intercalate ", " given)
      ++ ", not " ++ T.unpack (T.intercalate ", " (map fst want)))
    params <- flip traverse want $ \(key, wantShape) -> do
      let what = "params." ++ T.unpack key
      entry <- maybe (badArgs (what ++ " must be an object")) Right (KM.lookup (K.fromText key) arrays >>= parseMaybe A.parseJSON)
      let list k' = KM.lookup k' entry >>= parseMaybe A.parseJSON :: Maybe [A.Value]
      sh <- maybe (badArgs (what ++ ".shape must be a list of integers")) Right
        (list "shape" >>= traverse (\e -> saturate <$> (whole =<< numberOf e)))
      xs <- maybe (badArgs (what ++ ".data must be a list of numbers")) Right (list "data" >>= traverse numberOf)
      unless (sh == wantShape && length xs == product sh) $ badArgs (what ++ " is " ++ showShape sh ++ " with "
        ++ show (length xs) ++ " numbers, not " ++ showShape wantShape)
      Right (key, VArr (Tensor sh (VS.fromList xs)))
    let withParams = case net of
          VObj m -> VObj (M.insert "params" (VObj (M.fromList params)) m)
          other -> other
    Right (put (argName s) withParams b { argValues = M.delete "network" (argValues b) })
  where lookupArg n = foldr (\x r -> if argName x == n then Just x else r) Nothing
        saturate = fromInteger . max 0 . min (toInteger (maxBound :: Int))

-- | The network of a validated network argument, its weights drawn as <kind>.init's with seed 0.
initModel :: Args -> Model
initModel net = case name net "kind" of
  "two_layer_net" -> TwoLayerModel (fst (initTwoLayerNet (arg net "input_size") (arg net "hidden_size")
                                                         (arg net "output_size") (arg net "weight_init_std") g))
  "simple_conv_net" -> SimpleConvModel (fst (initConvNet (inputDimOf net) (convParamOf net) (arg net "hidden_size")
                                                         (arg net "output_size") (arg net "weight_init_std") g))
  _ -> DeepConvModel (fst (initDeepConvNet (inputDimOf net) (arg net "hidden_size") (arg net "output_size") g))
  where g = mkGen 0
-- endregion

-- | input_dim: C, H, W.
inputDimOf :: Args -> InputDim
inputDimOf a = case arg a "input_dim" of
  [c, h, w] -> InputDim c h w
  _ -> error "input_dim: C, H, W"

convParamOf :: Args -> ConvParam
convParamOf a = let m = arg a "conv_param" :: M.Map Text Int in
  ConvParam (m M.! "filter_num") (m M.! "filter_size") (m M.! "pad") (m M.! "stride")

checkHooks :: M.Map Text (Args -> R ())
checkHooks = M.fromList
  [ ("momentum_domain", \a -> case M.lookup "momentum" (arg a "hyper" :: M.Map Text Double) of
      Just m | name a "name" `elem` ["momentum", "nesterov"] && not (m >= 0 && m <= 1) ->
        valueError ("hyper.momentum = " ++ show m ++ " is outside [0, 1]")
      _ -> Right ()) ]

hook :: M.Map Text h -> Text -> R h
hook table h = maybe (internal h) Right (M.lookup h table)

-- | S = [input_size, *hidden_size_list, output_size]
layerSizes :: Args -> [Int]
layerSizes a = [arg a "input_size"] ++ arg a "hidden_size_list" ++ [arg a "output_size"]

-- | The Haskell value of a validated argument by the kind it was validated as; Nothing when
-- it is absent or of another kind.
class FromValue a where fromValue :: Value -> Maybe a
instance FromValue Double where fromValue = \case { VNum d -> Just d; _ -> Nothing }
instance FromValue Int where fromValue = \case { VInt n -> Just n; _ -> Nothing }
instance FromValue Bool where fromValue = \case { VBool b -> Just b; _ -> Nothing }
instance FromValue Text where fromValue = \case { VName x -> Just x; _ -> Nothing }
instance FromValue Tensor where fromValue = \case { VArr t -> Just t; _ -> Nothing }
instance FromValue Targets where fromValue = \case { VTarget t -> Just t; _ -> Nothing }
-- | An array's values, row-major.
instance FromValue (Vector Double) where fromValue = fmap values . fromValue
-- | An array as rows: a scalar or 1-D array is one row, else (first dimension, the rest).
instance FromValue (Matrix Double) where fromValue = fmap asRows . fromValue
instance FromValue a => FromValue [a] where
  fromValue = \case { VList vs -> traverse fromValue vs; _ -> Nothing }
instance FromValue a => FromValue (M.Map Text a) where
  fromValue = \case { VObj m -> traverse fromValue m; _ -> Nothing }
instance FromValue a => FromValue (Maybe a) where fromValue = Just . fromValue
-- | An object's entries (a network's kind and arguments) as arguments.
instance FromValue Args where fromValue = \case { VObj m -> Just (Args m M.empty M.empty [] M.empty); _ -> Nothing }
-- | A 4-D array as a batch of images.
instance FromValue Images where fromValue = fmap imagesOf . fromValue

-- | A validated argument as the type its kind gives.
arg :: FromValue a => Args -> Text -> a
arg a k = fromMaybe (error (T.unpack k ++ " is not a validated argument of this kind"))
                    (fromValue (M.findWithDefault VAbsent k (argValues a)))

name :: Args -> Text -> Text
name = arg

-- | The dimension a symbol (or an integer argument) was bound to.
symbol :: Args -> Text -> Int
symbol a s = fromMaybe (error ("unbound symbol " ++ T.unpack s)) (M.lookup s (argSymbols a))
