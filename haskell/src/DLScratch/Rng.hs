{-# LANGUAGE BangPatterns #-}
-- | The one random-number generator shared by every dlscratch port:
-- MRG32k3a (L'Ecuyer 1999), so that the same seed gives the same weights and
-- the same batches in Python, Ruby, Lua and Haskell.
--
-- The generator is a pure value: every draw takes a 'Gen' and returns the
-- draws together with the advanced 'Gen'.
module DLScratch.Rng
  ( Gen
  , mkGen
  , nextUniform
  , uniforms
  , normals
  , permutation
  , choice
  , rand
  , randn
  , maxSeed
  , genWords
  , genFromWords
  ) where

import Data.Int (Int64)
import qualified Data.Vector.Storable as VS
import qualified Data.Vector.Storable.Mutable as MVS
import Control.Monad (forM_)
import Control.Monad.ST (runST)
import Data.STRef

-- region: rng
-- | The six state words: s1 = (s10, s11, s12), s2 = (s20, s21, s22).
data Gen = Gen !Int64 !Int64 !Int64 !Int64 !Int64 !Int64
  deriving (Eq, Show)

m1, m2, a12, a13n, a21, a23n :: Int64
m1 = 4294967087
m2 = 4294944443
a12 = 1403580
a13n = 810728
a21 = 527612
a23n = 1370589

-- | 1 / (m1 + 1), the classic constant (multiplied, never divided).
norm :: Double
norm = 2.328306549295727688e-10

-- | The six state words as the checkpoint of README §8 holds them: (s1, s2), oldest word first.
genWords :: Gen -> ([Integer], [Integer])
genWords (Gen a b c d e f) = (map toInteger [a, b, c], map toInteger [d, e, f])

-- | The generator of six state words, or what is wrong with them: each s1 word in 0 .. m1 − 1 and
-- each s2 word in 0 .. m2 − 1, neither triple all zero (a state the recurrence never reaches).
genFromWords :: ([Integer], [Integer]) -> Either String Gen
genFromWords (s1, s2) = do
  (a, b, c) <- triple "s1" m1 s1
  (d, e, f) <- triple "s2" m2 s2
  pure (Gen a b c d e f)
  where
    triple what m ws
      | length ws /= 3 || any (\w -> w < 0 || w >= toInteger m) ws =
          Left ("rng." ++ what ++ " must be three integers in 0 .. " ++ show (m - 1))
      | all (== 0) ws = Left ("rng." ++ what ++ " is all zeros, which the generator never reaches")
      | [a, b, c] <- map fromInteger ws = Right (a, b, c)
      | otherwise = Left ("rng." ++ what ++ ": three words")

-- | Seeds are 0 <= k < maxSeed (2^31).
maxSeed :: Int
maxSeed = 2 ^ (31 :: Int)

-- | Seed k: all six state words are 12345 + k, then the first 8 outputs are
-- discarded.
mkGen :: Int -> Gen
mkGen k = go (8 :: Int) (Gen s s s s s s)
  where
    s = 12345 + fromIntegral k
    go 0 g = g
    go n g = go (n - 1) (snd (nextUniform g))

-- | One step:
--
-- > p1 = (a12·s1[1] − a13n·s1[0]) mod m1;  s1 <- (s1[1], s1[2], p1)
-- > p2 = (a21·s2[2] − a23n·s2[0]) mod m2;  s2 <- (s2[1], s2[2], p2)
-- > u  = (p1 − p2 + (p1 <= p2 ? m1 : 0)) · 2.328306549295727688e-10
--
-- Every intermediate is below 2^53 in magnitude, so Int64 is exact.
nextUniform :: Gen -> (Double, Gen)
nextUniform (Gen s10 s11 s12 s20 s21 s22) = (u, Gen s11 s12 p1 s21 s22 p2)
  where
    p1 = (a12 * s11 - a13n * s10) `mod` m1
    p2 = (a21 * s22 - a23n * s20) `mod` m2
    d = p1 - p2 + (if p1 <= p2 then m1 else 0)
    u = fromIntegral d * norm
{-# INLINE nextUniform #-}

-- | n successive uniforms in (0, 1).
uniforms :: Int -> Gen -> (VS.Vector Double, Gen)
uniforms n g0 = runST $ do
  mv <- MVS.new (max n 0)
  ref <- newSTRef g0
  forM_ [0 .. n - 1] $ \i -> do
    g <- readSTRef ref
    let (!u, !g') = nextUniform g
    MVS.unsafeWrite mv i u
    writeSTRef ref g'
  v <- VS.unsafeFreeze mv
  g <- readSTRef ref
  pure (v, g)

-- | n standard normals by Box–Muller on successive pairs (u1, u2):
-- @r = sqrt(−2 ln u1)@, emit @r·cos(2π u2)@ then @r·sin(2π u2)@; an odd n
-- drops the last one (its pair is still drawn).
normals :: Int -> Gen -> (VS.Vector Double, Gen)
normals n g0 = (VS.take n zs, g1)
  where
    pairs = (n + 1) `div` 2
    (us, g1) = uniforms (2 * pairs) g0
    zs = VS.generate (2 * pairs) $ \i ->
      let k = i `div` 2
          u1 = us VS.! (2 * k)
          u2 = us VS.! (2 * k + 1)
          r = sqrt (-2 * log u1)
          t = 2 * pi * u2
      in if even i then r * cos t else r * sin t

-- | A random permutation of 0..n−1: start from the identity; for i = n−1
-- down to 1, @j = floor(u·(i+1))@, swap i and j.
permutation :: Int -> Gen -> (VS.Vector Int, Gen)
permutation n g0 = runST $ do
  mv <- VS.thaw (VS.enumFromN 0 (max n 0))
  ref <- newSTRef g0
  forM_ [n - 1, n - 2 .. 1] $ \i -> do
    g <- readSTRef ref
    let (!u, !g') = nextUniform g
        j = floor (u * fromIntegral (i + 1))
    MVS.unsafeSwap mv i j
    writeSTRef ref g'
  v <- VS.unsafeFreeze mv
  g <- readSTRef ref
  pure (v, g)

-- | @size@ indices in 0..n−1, drawn with replacement: @floor(u·n)@ each.
choice :: Int -> Int -> Gen -> (VS.Vector Int, Gen)
choice n size g0 = (VS.map (\u -> floor (u * fromIntegral n)) us, g1)
  where (us, g1) = uniforms size g0

-- | Uniforms filling a shape row-major.
rand :: [Int] -> Gen -> (VS.Vector Double, Gen)
rand shape = uniforms (product shape)

-- | Standard normals filling a shape row-major.
randn :: [Int] -> Gen -> (VS.Vector Double, Gen)
randn shape = normals (product shape)
-- endregion
