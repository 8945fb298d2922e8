{-# LANGUAGE BangPatterns #-}
-- | Activation functions and losses (the book's chapters 3–4,
-- @common/functions.py@).
module DLScratch.Functions
  ( -- * Activations, one element at a time
    identity
  , step
  , sigmoid
  , sigmoidGrad
  , relu
  , reluGrad
  , tanhActivation
    -- * Softmax
  , softmax
  , softmaxRows
    -- * Targets
  , Labels (..)
  , Targets (..)
  , targetLabels
  , labelTargets
  , oneHot
  , argmaxRows
    -- * Losses
  , sumSquaredError
  , crossEntropyError
  ) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, cols, flatten, toRows, rows, atIndex, assoc, reshape)
import DLScratch.Array (argmaxV, maxV)

-- region: identity
-- | @identity(x) = x@
identity :: Double -> Double
identity = id
-- endregion

-- region: step_function
-- | @step(x) = 1 if x > 0 else 0@
step :: Double -> Double
step x = if x > 0 then 1 else 0
-- endregion

-- region: sigmoid
-- | @sigmoid(x) = 1 / (1 + exp(−x))@; exp's overflow gives exactly 0 at −1000.
sigmoid :: Double -> Double
sigmoid x = 1 / (1 + exp (negate x))

-- | @sigmoid'(x) = (1 − s)·s@ with @s = sigmoid(x)@
sigmoidGrad :: Double -> Double
sigmoidGrad x = let s = sigmoid x in (1 - s) * s
-- endregion

-- region: relu
-- | @relu(x) = max(0, x)@ (NaN stays NaN)
relu :: Double -> Double
relu x = if x > 0 || isNaN x then x else 0

-- | @relu'(x) = 1 if x >= 0 else 0@ (the book's functions.py)
reluGrad :: Double -> Double
reluGrad x = if x >= 0 then 1 else 0
-- endregion

-- region: tanh
-- | @tanh(x) = (e^x − e^−x) / (e^x + e^−x)@, libm's (±1 exactly beyond |x| ≈ 19.1; −0 and NaN kept)
tanhActivation :: Double -> Double
tanhActivation = tanh
-- endregion

-- region: softmax
-- | @softmax(x)_k = exp(x_k − max x) / Σ_j exp(x_j − max x)@, over a whole vector.
softmax :: Vector Double -> Vector Double
softmax x = VS.map (/ s) e
  where
    m = maxV x
    e = VS.map (\a -> exp (a - m)) x
    s = VS.foldl' (+) 0 e

-- | 'softmax' of every row (the same operations in the same order), written
-- into one matrix: @e = exp(x − max_row)@, @y = e / Σ_row e@.
softmaxRows :: Matrix Double -> Matrix Double
softmaxRows a
  | c == 0 = a
  | otherwise = reshape c (VS.generate (r * c) (\k -> VS.unsafeIndex e k / VS.unsafeIndex s (k `quot` c)))
  where
    r = rows a
    c = cols a
    v = flatten a
    row w i = VS.unsafeSlice (i * c) c w
    m = VS.generate r (maxV . row v)
    e = VS.generate (r * c) (\k -> exp (VS.unsafeIndex v k - VS.unsafeIndex m (k `quot` c)))
    s = VS.generate r (VS.foldl' (+) 0 . row e)
-- endregion

-- region: cross_entropy_error
-- | Class labels, one integer per row.
newtype Labels = Labels { labelVector :: VS.Vector Int }
  deriving (Eq, Show)

-- | What a loss compares the scores with: labels, or one-hot rows (same
-- shape as y) whose row argmax is the label.
data Targets = TLabels !Labels | TOneHot !(Matrix Double)
  deriving (Show)

-- | Labels as the targets of scores with c columns, by the book's rule
-- @t.size == y.size@ means one-hot: with c = 1 the labels themselves are
-- read as a one-hot column (so SoftmaxWithLoss's dx is y − t, not 0).
labelTargets :: Int -> Labels -> Targets
labelTargets 1 (Labels l) = TOneHot (reshape 1 (VS.map fromIntegral l))
labelTargets _ l = TLabels l

-- | The labels a target stands for (first maximum of each one-hot row).
targetLabels :: Targets -> Labels
targetLabels (TLabels l) = l
targetLabels (TOneHot m) = argmaxRows m

-- | @argmax@ of each row, first maximum on ties.
argmaxRows :: Matrix Double -> Labels
argmaxRows = Labels . VS.fromList . map argmaxV . toRows

-- | Labels as one-hot rows of width c.
oneHot :: Int -> Labels -> Matrix Double
oneHot c (Labels l) = assoc (VS.length l, c) 0 [((i, k), 1) | (i, k) <- zip [0 ..] (VS.toList l)]
-- endregion

-- region: sum_squared_error
-- | @E = 0.5·Σ (y − t)²@ (no division by N)
sumSquaredError :: Vector Double -> Vector Double -> Double
sumSquaredError y t = 0.5 * VS.sum (VS.zipWith (\a b -> (a - b) * (a - b)) y t)
-- endregion

-- region: cross_entropy_error
-- | @E = −Σ_i log(y[i, t_i] + 1e-7) / N@ for N rows of y. Precondition: the
-- labels are in range and there is one per row.
crossEntropyError :: Matrix Double -> Targets -> Double
crossEntropyError y t = negate (go 0 0) / fromIntegral n
  where
    n = rows y
    Labels l = targetLabels t
    go !i !acc
      | i >= n = acc
      | otherwise = go (i + 1) (acc + log (y `atIndex` (i, l VS.! i) + 1e-7))
-- endregion
