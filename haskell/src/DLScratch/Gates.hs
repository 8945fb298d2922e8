-- | The perceptron gates of chapter 2:
-- @y = 0 if w1·x1 + w2·x2 + b <= 0 else 1@.
module DLScratch.Gates
  ( Perceptron (..)
  , perceptron
  , andGate
  , nandGate
  , orGate
  , xorGate
  ) where

-- region: gates
-- | Two weights and a bias.
data Perceptron = Perceptron { w1 :: !Double, w2 :: !Double, bias :: !Double }

-- | @y = 0 if w1·x1 + w2·x2 + b <= 0 else 1@ (computed as the book's
-- @np.sum(w*x) + b@).
perceptron :: Perceptron -> Double -> Double -> Int
perceptron (Perceptron a b c) x1 x2 = if (a * x1 + b * x2) + c <= 0 then 0 else 1

-- | AND: w = (0.5, 0.5), b = −0.7
andGate :: Double -> Double -> Int
andGate = perceptron (Perceptron 0.5 0.5 (-0.7))

-- | NAND: w = (−0.5, −0.5), b = 0.7
nandGate :: Double -> Double -> Int
nandGate = perceptron (Perceptron (-0.5) (-0.5) 0.7)

-- | OR: w = (0.5, 0.5), b = −0.2
orGate :: Double -> Double -> Int
orGate = perceptron (Perceptron 0.5 0.5 (-0.2))

-- | XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)): the two-layer perceptron.
xorGate :: Double -> Double -> Int
xorGate x1 x2 = andGate (fromIntegral (nandGate x1 x2)) (fromIntegral (orGate x1 x2))
-- endregion
