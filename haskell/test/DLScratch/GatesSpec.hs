{-# LANGUAGE OverloadedStrings #-}
-- | Chapter 2: the perceptron gates.
module DLScratch.GatesSpec (spec) where

import Test.Hspec
import DLScratch.Gates

spec :: Spec
spec = do
  describe "Gates (chapter 2)" $ do
    let table g = [g 0 0, g 1 0, g 0 1, g 1 1]
    it "AND" $ table andGate `shouldBe` [0, 0, 0, 1]
    it "NAND" $ table nandGate `shouldBe` [1, 1, 1, 0]
    it "OR" $ table orGate `shouldBe` [0, 1, 1, 1]
    it "XOR is AND(NAND, OR)" $ table xorGate `shouldBe` [0, 1, 1, 0]

