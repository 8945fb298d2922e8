-- | The computational graphs of section 5.3: a multiplication node and an
-- addition node, and the shopping examples built from them.
--
-- A node's forward returns its output and what its backward needs (the
-- inputs, for 'mulForward'); nothing is stored in the node.
module DLScratch.Graph
  ( MulTape (..)
  , mulForward
  , mulBackward
  , addForward
  , addBackward
  , BuyApple (..)
  , buyApple
  , BuyAppleOrange (..)
  , buyAppleOrange
  ) where

-- region: mul_layer
-- part: forward
-- | What the multiplication node's backward needs: its two inputs.
data MulTape a = MulTape a a

-- | @out = x·y@
mulForward :: Num a => a -> a -> (a, MulTape a)
mulForward x y = (x * y, MulTape x y)

-- part: backward
-- | @dx = dout·y@, @dy = dout·x@ (the inputs swapped)
mulBackward :: Num a => MulTape a -> a -> (a, a)
mulBackward (MulTape x y) dout = (dout * y, dout * x)
-- endregion

-- region: add_layer
-- part: forward
-- | @out = x + y@
addForward :: Num a => a -> a -> a
addForward = (+)

-- part: backward
-- | @dx = dout@, @dy = dout@
addBackward :: a -> (a, a)
addBackward dout = (dout, dout)
-- endregion

-- region: buy_apple
-- | The answers of 'buyApple': the price and the derivative of the price by
-- each input.
data BuyApple = BuyApple
  { baPrice, baDApple, baDAppleNum, baDTax :: Double }
  deriving (Eq, Show)

-- part: forward
-- | @price = (apple · apple_num) · tax@, backward from @dprice@.
-- Book: 100, 2, 1.1 → 220; dapple 2.2, dapple_num 110, dtax 200.
buyApple :: Double -> Double -> Double -> Double -> BuyApple
buyApple apple appleNum tax dprice =
  let (applePrice, tapeApple) = mulForward apple appleNum
      (price, tapeTax) = mulForward applePrice tax
      -- part: backward
      (dApplePrice, dTax) = mulBackward tapeTax dprice
      (dApple, dAppleNum) = mulBackward tapeApple dApplePrice
  in BuyApple price dApple dAppleNum dTax

-- endregion

-- region: buy_apple
data BuyAppleOrange = BuyAppleOrange
  { baoPrice, baoDApple, baoDAppleNum, baoDOrange, baoDOrangeNum, baoDTax :: Double }
  deriving (Eq, Show)

-- part: forward
-- | @price = (apple·apple_num + orange·orange_num)·tax@, backward from @dprice@.
-- Book: 100, 2, 150, 3, 1.1 → 715; 2.2, 110, 3.3, 165, 650.
buyAppleOrange :: Double -> Double -> Double -> Double -> Double -> Double -> BuyAppleOrange
buyAppleOrange apple appleNum orange orangeNum tax dprice =
  let (applePrice, tapeApple) = mulForward apple appleNum
      (orangePrice, tapeOrange) = mulForward orange orangeNum
      allPrice = addForward applePrice orangePrice
      (price, tapeTax) = mulForward allPrice tax
      -- part: backward
      (dAllPrice, dTax) = mulBackward tapeTax dprice
      (dApplePrice, dOrangePrice) = addBackward dAllPrice
      (dOrange, dOrangeNum) = mulBackward tapeOrange dOrangePrice
      (dApple, dAppleNum) = mulBackward tapeApple dApplePrice
  in BuyAppleOrange price dApple dAppleNum dOrange dOrangeNum dTax
-- endregion
