{-# LANGUAGE BangPatterns #-}
-- | An n-dimensional float64 array: a shape and its values in row-major
-- order. This is the form in which arrays cross the runner protocol; the
-- numerical code itself works on hmatrix 'Matrix' and 'Vector' values, and
-- this module converts between the two.
module DLScratch.Array
  ( Shape
  , Tensor (..)
  , ndim
  , size
  , scalar
  , fromVector
  , fromMatrix
  , toMatrix
  , asRows
  , reshapeT
  , tmap
  , tzip
  , sumRows
  , mmul
  , argmaxV
  , maxV
  , showShape
  ) where

import Control.DeepSeq (NFData (..))
import Data.List (intercalate)
import qualified Data.Vector.Storable as VS
import Numeric.LinearAlgebra (Matrix, Vector, cols, flatten, reshape, rows, tr, (<>))
import Prelude hiding ((<>))

-- | The extent of each dimension; @[]@ is a scalar.
type Shape = [Int]

-- | Row-major values with their shape; @VS.length values == product shape@.
data Tensor = Tensor { shape :: !Shape, values :: !(Vector Double) }
  deriving (Eq, Show)

instance NFData Tensor where
  rnf (Tensor s v) = rnf s `seq` v `seq` ()

ndim :: Tensor -> Int
ndim = length . shape

size :: Tensor -> Int
size = product . shape

scalar :: Double -> Tensor
scalar x = Tensor [] (VS.singleton x)

-- | A 1-D tensor.
fromVector :: Vector Double -> Tensor
fromVector v = Tensor [VS.length v] v

-- | A 2-D tensor (rows × cols).
fromMatrix :: Matrix Double -> Tensor
fromMatrix m = Tensor [rows m, cols m] (flatten m)

-- | A 2-D tensor as a matrix (no copy). Precondition: ndim 2, no zero extent.
toMatrix :: Tensor -> Matrix Double
toMatrix (Tensor [_, c] v) = reshape c v
toMatrix t = error ("toMatrix: not 2-D: " ++ showShape (shape t))

-- | Any tensor as an (N, rest) matrix where N is its first extent (the
-- book's @x.reshape(x.shape[0], -1)@); a scalar is 1×1, a 1-D vector 1×n.
asRows :: Tensor -> Matrix Double
asRows (Tensor [] v) = reshape 1 v
asRows (Tensor [n] v) = reshape (max n 1) v
asRows (Tensor (n : _) v)
  | n == 0 = reshape 1 v
  | otherwise = reshape (VS.length v `div` n) v

-- | The same values under another shape of equal size.
reshapeT :: Shape -> Tensor -> Tensor
reshapeT s (Tensor _ v) = Tensor s v

tmap :: (Double -> Double) -> Tensor -> Tensor
tmap f (Tensor s v) = Tensor s (VS.map f v)
{-# INLINE tmap #-}

-- | Elementwise combination; the shape is the first argument's.
tzip :: (Double -> Double -> Double) -> Tensor -> Tensor -> Tensor
tzip f (Tensor s v) (Tensor _ w) = Tensor s (VS.generate (VS.length v) (\k -> f (VS.unsafeIndex v k) (VS.unsafeIndex w k)))
{-# INLINE tzip #-}

-- | Column sums added row after row, in order (numpy's @sum(axis=0)@ order):
-- @db[j] = Σ_i dout[i, j]@.
sumRows :: Matrix Double -> Vector Double
sumRows m = VS.generate c col
  where
    r = rows m
    c = cols m
    v = flatten m
    col j = go 1 (VS.unsafeIndex v j)
      where
        go !i !acc
          | i >= r = acc
          | otherwise = go (i + 1) (acc + VS.unsafeIndex v (i * c + j))

-- | The matrix product @a·b@, row-major. BLAS writes its products column-major, so hmatrix's
-- @a <> b@ would need a transposing copy before every row-wise loop; @(bᵀ·aᵀ)ᵀ@ is the same
-- product, and the column-major @bᵀ·aᵀ@ is @a·b@ row-major in the same memory (the call
-- numpy makes for C-ordered arrays), so no copy follows it.
mmul :: Matrix Double -> Matrix Double -> Matrix Double
mmul a b = tr (tr b <> tr a)
{-# INLINE mmul #-}

-- | Index of the first maximum; a NaN counts as the maximum (numpy's argmax).
argmaxV :: Vector Double -> Int
argmaxV v = go 1 0 (VS.head v)
  where
    n = VS.length v
    go !i !bi !bx
      | i >= n || isNaN bx = bi
      | otherwise =
          let x = VS.unsafeIndex v i
          in if isNaN x || x > bx then go (i + 1) i x else go (i + 1) bi bx

-- | The maximum; NaN if any element is NaN (numpy's max).
maxV :: Vector Double -> Double
maxV v = v VS.! argmaxV v

showShape :: Shape -> String
showShape s = "(" ++ intercalate ", " (map show s) ++ (if length s == 1 then ",)" else ")")
