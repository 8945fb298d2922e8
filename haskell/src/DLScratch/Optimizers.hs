{-# LANGUAGE FlexibleInstances #-}
-- | The book's optimizers (@common/optimizer.py@) with their state made
-- explicit: 'update' takes the state and answers the new one, so a training
-- loop threads it through a fold instead of keeping it in an object.
module DLScratch.Optimizers
  ( Parameters (..)
  , zerosLike
  , Optimizer (..)
  , defaultOptimizer
  , withHyper
  , optimizerName
  , optimizerNames
  , OptState (..)
  , initState
  , update
  ) where

import Control.DeepSeq (NFData (..))
import qualified Data.Map.Strict as M
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Vector, cols, flatten, reshape, scale)
import DLScratch.Array (Tensor (..))
import DLScratch.Layers (Dense (..))

-- | A collection of float arrays that an optimizer updates element by
-- element: the parameters, their gradients, the optimizer's own state.
class Parameters p where
  pmap :: (Vector Double -> Vector Double) -> p -> p
  -- | Combine two collections of the same structure array by array.
  pzip :: (Vector Double -> Vector Double -> Vector Double) -> p -> p -> p

instance Parameters Dense where
  {-# INLINE pmap #-}
  {-# INLINE pzip #-}
  pmap f (Dense w b) = Dense (reshape (cols w) (f (flatten w))) (f b)
  pzip f (Dense w b) (Dense w' b') =
    Dense (reshape (cols w) (f (flatten w) (flatten w'))) (f b b')

instance Parameters p => Parameters [p] where
  pmap f = map (pmap f)
  pzip f = zipWith (pzip f)

instance Parameters (Vector Double) where
  pmap = id
  pzip = id

-- | Two collections side by side (MultiLayerNetExtend's Affine and BatchNorm parameters).
instance (Parameters a, Parameters b) => Parameters (a, b) where
  pmap f (a, b) = (pmap f a, pmap f b)
  pzip f (a, b) (a', b') = (pzip f a a', pzip f b b')

instance Parameters Tensor where
  pmap f (Tensor s v) = Tensor s (f v)
  pzip f (Tensor s v) (Tensor _ w) = Tensor s (f v w)

-- | Named arrays; the second argument must have the first one's keys.
instance Ord k => Parameters (M.Map k Tensor) where
  pmap f = M.map (pmap f)
  pzip f a b = M.mapWithKey (\k t -> pzip f t (b M.! k)) a

zerosLike :: Parameters p => p -> p
zerosLike = pmap (VS.map (const 0))

-- | An optimizer and its hyper-parameters.
data Optimizer
  = SGD { lr :: !Double }
  | Momentum { lr :: !Double, momentum :: !Double }
  | Nesterov { lr :: !Double, momentum :: !Double }
  | AdaGrad { lr :: !Double }
  | RMSprop { lr :: !Double, decayRate :: !Double }
  | Adam { lr :: !Double, beta1 :: !Double, beta2 :: !Double }
  deriving (Eq, Show)

optimizerNames :: [String]
optimizerNames = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]

-- | The book's defaults by name: SGD lr 0.01; Momentum and Nesterov lr 0.01,
-- momentum 0.9; AdaGrad lr 0.01; RMSprop lr 0.01, decay_rate 0.99; Adam
-- lr 0.001, beta1 0.9, beta2 0.999.
defaultOptimizer :: String -> Maybe Optimizer
defaultOptimizer name = case name of
  "sgd" -> Just (SGD 0.01)
  "momentum" -> Just (Momentum 0.01 0.9)
  "nesterov" -> Just (Nesterov 0.01 0.9)
  "adagrad" -> Just (AdaGrad 0.01)
  "rmsprop" -> Just (RMSprop 0.01 0.99)
  "adam" -> Just (Adam 0.001 0.9 0.999)
  _ -> Nothing

-- | The book's keyword arguments (@Momentum(lr=0.1, momentum=0.5)@): each hyper-parameter
-- given by name replaces the default; names the optimizer does not take are ignored.
withHyper :: M.Map String Double -> Optimizer -> Optimizer
withHyper h opt = case opt of
  SGD l -> SGD (k "lr" l)
  Momentum l m -> Momentum (k "lr" l) (k "momentum" m)
  Nesterov l m -> Nesterov (k "lr" l) (k "momentum" m)
  AdaGrad l -> AdaGrad (k "lr" l)
  RMSprop l d -> RMSprop (k "lr" l) (k "decay_rate" d)
  Adam l b1 b2 -> Adam (k "lr" l) (k "beta1" b1) (k "beta2" b2)
  where k key d = M.findWithDefault d key h

-- | The name 'defaultOptimizer' knows an optimizer by.
optimizerName :: Optimizer -> String
optimizerName opt = case opt of
  SGD {} -> "sgd"
  Momentum {} -> "momentum"
  Nesterov {} -> "nesterov"
  AdaGrad {} -> "adagrad"
  RMSprop {} -> "rmsprop"
  Adam {} -> "adam"

-- | What an optimizer remembers between updates.
data OptState p
  = Stateless
  | Velocity !p             -- ^ Momentum, Nesterov: v
  | SquareSum !p            -- ^ AdaGrad, RMSprop: h
  | AdamState !Int !p !p    -- ^ Adam: iter, m, v

instance NFData p => NFData (OptState p) where
  rnf Stateless = ()
  rnf (Velocity v) = rnf v
  rnf (SquareSum h) = rnf h
  rnf (AdamState i m v) = i `seq` rnf m `seq` rnf v

-- | The state before the first update (zeros of the parameters' shapes).
initState :: Parameters p => Optimizer -> p -> OptState p
initState opt params = case opt of
  SGD {} -> Stateless
  Momentum {} -> Velocity zeros
  Nesterov {} -> Velocity zeros
  AdaGrad {} -> SquareSum zeros
  RMSprop {} -> SquareSum zeros
  Adam {} -> AdamState 0 zeros zeros
  where zeros = zerosLike params

-- | Two vectors of one length combined element by element, in one pass
-- into one new vector.
zipV :: (Double -> Double -> Double) -> Vector Double -> Vector Double -> Vector Double
zipV f u v = VS.generate (VS.length u) (\k -> f (VS.unsafeIndex u k) (VS.unsafeIndex v k))
{-# INLINE zipV #-}

-- | @v + c@ elementwise.
addC :: Double -> Vector Double -> Vector Double
addC c v = v + VS.replicate (VS.length v) c

-- | @update opt state params grads@: one update with the gradients,
-- answering the new parameters and state.
--
-- * SGD: @p ← p − lr·g@
-- * Momentum: @v ← momentum·v − lr·g; p ← p + v@
-- * Nesterov (the book's form of 2021-01-18): @p ← p + momentum²·v; p ← p − (1 + momentum)·lr·g;
--   v ← momentum·v; v ← v − lr·g@ (the parameters move with the previous v)
-- * AdaGrad: @h ← h + g²; p ← p − lr·g / (√h + 1e-7)@
-- * RMSprop: @h ← decay·h; h ← h + (1 − decay)·g²; p ← p − lr·g / (√h + 1e-7)@
-- * Adam: @t ← t + 1; lr_t = lr·√(1 − β2^t) / (1 − β1^t); m ← m + (1 − β1)(g − m);
--   v ← v + (1 − β2)(g² − v); p ← p − lr_t·m / (√v + 1e-7)@
update :: Parameters p => Optimizer -> OptState p -> p -> p -> (p, OptState p)
{-# SPECIALIZE update :: Optimizer -> OptState [Dense] -> [Dense] -> [Dense] -> ([Dense], OptState [Dense]) #-}
update opt st params grads = case (opt, st) of
  -- region: sgd
  -- part: update
  -- p ← p − lr·g
  (SGD a, _) -> (pzip (zipV (\p g -> p - a * g)) params grads, Stateless)
  -- endregion
  -- region: momentum
  -- part: update
  -- v ← momentum·v − lr·g; p ← p + v
  (Momentum a m, Velocity v) ->
    let v' = pzip (\vi g -> scale m vi - scale a g) v grads
    in (pzip (+) params v', Velocity v')
  -- endregion
  -- region: nesterov
  -- part: update
  -- p ← p + momentum²·v; p ← p − (1 + momentum)·lr·g (with the previous v); then
  -- v ← momentum·v; v ← v − lr·g
  (Nesterov a m, Velocity v) ->
    let p1 = pzip (\p vi -> p + scale (m * m) vi) params v
        p2 = pzip (\p g -> p - scale ((1 + m) * a) g) p1 grads
        v1 = pmap (scale m) v
        v2 = pzip (\vi g -> vi - scale a g) v1 grads
    in (p2, Velocity v2)
  -- endregion
  -- region: adagrad
  -- part: update
  -- h ← h + g²; p ← p − lr·g / (√h + 1e-7)
  (AdaGrad a, SquareSum h) ->
    let h' = pzip (\hi g -> hi + g * g) h grads
    in (descend a h', SquareSum h')
  -- endregion
  -- region: rmsprop
  -- part: update
  -- h ← decay·h; h ← h + (1 − decay)·g²; p ← p − lr·g / (√h + 1e-7)
  (RMSprop a d, SquareSum h) ->
    let h1 = pmap (scale d) h
        h' = pzip (\hi g -> hi + scale (1 - d) g * g) h1 grads
    in (descend a h', SquareSum h')
  -- endregion
  -- region: adam
  -- part: update
  -- t ← t + 1; lr_t = lr·√(1 − β2^t) / (1 − β1^t)
  -- m ← m + (1 − β1)·(g − m); v ← v + (1 − β2)·(g² − v); p ← p − lr_t·m / (√v + 1e-7)
  (Adam a b1 b2, AdamState t m v) ->
    let t' = t + 1
        ft = fromIntegral t' :: Double
        lrT = a * sqrt (1 - b2 ** ft) / (1 - b1 ** ft)
        m' = pzip (\mi g -> mi + scale (1 - b1) (g - mi)) m grads
        v' = pzip (\vi g -> vi + scale (1 - b2) (g * g - vi)) v grads
        stepv = pzip (\mi vi -> scale lrT mi / addC 1e-7 (sqrt vi)) m' v'
    in (pzip (-) params stepv, AdamState t' m' v')
  -- endregion
  -- the first update: the state starts at zeros of the parameters' shapes
  _ -> update opt (initState opt params) params grads
  where
    -- region: adagrad
    -- part: helper
    -- region: rmsprop
    -- part: helper
    -- p ← p − lr·g / (√h + 1e-7)
    descend a h' =
      let stepv = pzip (\g hi -> scale a g / addC 1e-7 (sqrt hi)) grads h'
      in pzip (-) params stepv
    -- endregion
    -- endregion
