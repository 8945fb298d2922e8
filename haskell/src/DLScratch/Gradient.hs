-- | Numerical differentiation (chapter 4, @common/gradient.py@).
--
-- The book perturbs the array in place and restores it; here each
-- perturbation is a fresh vector that differs from x in one element, which
-- gives the same numbers without aliasing.
module DLScratch.Gradient
  ( h
  , numericalDiff
  , numericalGradient
  , gradientDescent
  , function1
  , function2
  ) where

import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Vector)

-- region: numerical_diff
-- region: numerical_gradient
-- | The step, 1e-4.
h :: Double
h = 1e-4
-- endregion

-- | Central difference @(f(x+h) − f(x−h)) / 2h@.
numericalDiff :: (Double -> Double) -> Double -> Double
numericalDiff f x = (f (x + h) - f (x - h)) / (2 * h)
-- endregion

-- region: numerical_gradient
-- | For every element i in row-major order,
-- @(f(x with x_i + h) − f(x with x_i − h)) / 2h@, f always seeing the whole array.
numericalGradient :: (Vector Double -> Double) -> Vector Double -> Vector Double
numericalGradient f x = VS.generate (VS.length x) partial
  where
    partial i =
      let xi = x VS.! i
          fxh1 = f (x VS.// [(i, xi + h)])
          fxh2 = f (x VS.// [(i, xi - h)])
      in (fxh1 - fxh2) / (2 * h)
-- endregion

-- region: gradient_descent
-- | @step_num@ times @x ← x − lr·∇f(x)@ (numerical gradient).
gradientDescent :: (Vector Double -> Double) -> Double -> Int -> Vector Double -> Vector Double
gradientDescent f lr stepNum x0 = iterate stepOnce x0 !! max 0 stepNum
  where
    stepOnce x = let g = numericalGradient f x
                 in VS.force (VS.zipWith (\a d -> a - lr * d) x g)
-- endregion

-- region: numerical_diff
-- | @function_1(x) = 0.01x² + 0.1x@
function1 :: Double -> Double
function1 x = 0.01 * x ** 2 + 0.1 * x
-- endregion

-- region: numerical_gradient
-- | @function_2(x) = Σ x_i²@
function2 :: Vector Double -> Double
function2 = VS.sum . VS.map (** 2)
-- endregion
