{-# LANGUAGE OverloadedStrings #-}
-- | The checkpoint of README §8: the optimizer's state and the generator written and read back
-- continue exactly as the run would have; bad checkpoints are named.
module DLScratch.CheckpointSpec (spec) where

import Control.Monad (forM_)
import qualified Data.Aeson as A
import qualified Data.Aeson.Key as K
import qualified Data.Aeson.KeyMap as KM
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.List (isInfixOf)
import Numeric.LinearAlgebra (flatten, (><))
import qualified Data.Vector.Storable as VS
import Test.Hspec
import DLScratch.Checkpoint
import DLScratch.Json (J (..), decodeLine, encodeJ)
import DLScratch.Layers (Dense (..))
import DLScratch.Networks
import DLScratch.Optimizers
import DLScratch.Rng
import DLScratch.Train (Model (..), modelParams)

-- | TwoLayerNet(2, 3, 2)'s shapes: W1 2 × 3, b1 3, W2 3 × 2, b2 2.
paramsAt :: Double -> Params
paramsAt c = [ Dense ((2 >< 3) [c, -0.5, 0.25, 1, 2, -3]) (VS.fromList [0.1, 0.2, c])
             , Dense ((3 >< 2) [0.5, c, -1, 0.75, 0.125, 4]) (VS.fromList [c, -2]) ]

-- | Every number of the parameters, in order.
flat :: Params -> [Double]
flat ps = concat [VS.toList (flatten w) ++ VS.toList b | Dense w b <- ps]

-- | The network "kind" entry and the options of a tiny run, as the trainer writes them.
networkJ, optionsJ :: J
networkJ = JObj [("kind", JStr "two_layer_net"), ("input_size", JInt 2), ("hidden_size", JInt 3), ("output_size", JInt 2)]
optionsJ = JObj [("optimizer", JStr "adam")]

expected :: Optimizer -> Expected
expected opt = Expected networkJ (TwoLayerModel (twoLayerNet (head p) (p !! 1))) optionsJ opt 10 (\i -> [k | k <- [0, 4, 8], k < i])
  where p = paramsAt 0

-- | The checkpoint after three iterations written as the file's text, then read back.
roundTrip :: Checkpoint -> Optimizer -> Either String Checkpoint
roundTrip ck opt = do
  v <- decodeLine (BL.toStrict (B.toLazyByteString (encodeJ (checkpointJ ck))))
  case v of
    A.Object o -> restoreCheckpoint (expected opt) o
    _ -> Left "not an object"

-- | A checkpoint's object with one member replaced.
editedWith :: Checkpoint -> (A.Object -> A.Object) -> Optimizer -> Either String Checkpoint
editedWith ck f opt = case decodeLine (BL.toStrict (B.toLazyByteString (encodeJ (checkpointJ ck)))) of
  Right (A.Object o) -> restoreCheckpoint (expected opt) (f o)
  _ -> Left "not an object"

-- | The object with its member k (an object) changed by f.
inside :: K.Key -> (A.Object -> A.Object) -> A.Object -> A.Object
inside k f o = case KM.lookup k o of
  Just (A.Object v) -> KM.insert k (A.Object (f v)) o
  _ -> o

spec :: Spec
spec = describe "Checkpoint (README §8)" $ do
  let grads = [paramsAt 0.3, paramsAt (-1.5), paramsAt 2.0]
      g0 = snd (nextUniform (mkGen 7))
      optimizers = [SGD 0.1, Momentum 0.1 0.9, Nesterov 0.1 0.9, AdaGrad 0.1, RMSprop 0.1 0.99, Adam 0.01 0.9 0.999]
      -- the state after two updates, then a checkpoint of it
      stateAfterTwo opt = foldl (\(p, st) g -> update opt st p g) (paramsAt 1, initState opt (paramsAt 1)) (take 2 grads)
      checkpointOf opt = let (p, st) = stateAfterTwo opt
                             net = twoLayerNet (head p) (p !! 1)
                         in Checkpoint networkJ optionsJ 3 g0 (saveOptimizer opt p st) (TwoLayerModel net)
                                       (SavedHistory [2.5, 0.1, 1 / 3] [(0, 0.5, 0.25)] 1.5)
  forM_ optimizers $ \opt ->
    it ("the " ++ optimizerName opt ++ " state written and read back gives the same next update") $ do
      let (p, st) = stateAfterTwo opt
          ck = checkpointOf opt
      case roundTrip ck opt of
        Left e -> expectationFailure e
        Right back -> do
          let p' = modelParams (ckModel back)
              st' = restoreOptimizer (ckOptimizer back)
          flat p' `shouldBe` flat p
          flat (fst (update opt st' p' (grads !! 2))) `shouldBe` flat (fst (update opt st p (grads !! 2)))
          ckGen back `shouldBe` g0
          ckIteration back `shouldBe` 3
          ckHistory back `shouldBe` SavedHistory [2.5, 0.1, 1 / 3] [(0, 0.5, 0.25)] 1.5
  it "Adam's iteration count is written: two updates, iter 2" $
    case checkpointJ (checkpointOf (Adam 0.01 0.9 0.999)) of
      JObj kvs | Just (JObj o) <- lookup "optimizer" kvs, Just (JObj st) <- lookup "state" o ->
        (lookup "name" o, lookup "iter" st) `shouldBe` (Just (JStr "adam"), Just (JInt 2))
      _ -> expectationFailure "no optimizer state"
  it "the generator's six words read back; words out of range or all zero are refused" $ do
    genFromWords (genWords g0) `shouldBe` Right g0
    genFromWords ([1, 2, 3], [4, 5, 6]) `shouldSatisfy` either (const False) (const True)
    -- m1 = 4294967087, m2 = 4294944443 (section 12)
    genFromWords ([4294967087, 2, 3], [4, 5, 6]) `shouldSatisfy` either ("rng.s1" `isInfixOf`) (const False)
    genFromWords ([1, 2, 3], [4294944443, 5, 6]) `shouldSatisfy` either ("rng.s2" `isInfixOf`) (const False)
    genFromWords ([0, 0, 0], [4, 5, 6]) `shouldSatisfy` either ("all zeros" `isInfixOf`) (const False)
    genFromWords ([1, 2], [4, 5, 6]) `shouldSatisfy` either ("three integers" `isInfixOf`) (const False)
  describe "a bad checkpoint is named" $ do
    let opt = Adam 0.01 0.9 0.999
        ck = checkpointOf opt
        refused what f = either id (const "accepted") (editedWith ck f opt) `shouldSatisfy` (what `isInfixOf`)
        num = A.Number
    it "an iteration not in 0 < I < the run's iterations (10)" $ do
      refused "iteration 0 is not in 1 .. 9" (KM.insert "iteration" (num 0))
      refused "iteration 10 is not in 1 .. 9" (KM.insert "iteration" (num 10))
      refused "not an integer" (KM.insert "iteration" (num 2.5))
    it "a history whose lengths disagree with I" $
      refused "history.loss_history has 3 losses for iteration 2" (KM.insert "iteration" (num 2))
    it "params of another shape, or other keys" $ do
      refused "params.W1 has the shape [3,2], not [2,3]" (inside "params" (inside "W1" (KM.insert "shape" (A.toJSON [3, 2 :: Int]))))
      refused "params has the keys" (inside "params" (KM.delete "b2"))
    it "another network, another optimizer name, a non-number" $ do
      refused "network" (KM.insert "network" (A.object [("kind", "two_layer_net")]))
      refused "optimizer.name is \"sgd\", not the options' \"adam\""
        (inside "optimizer" (KM.insert "name" "sgd"))
      refused "history.seconds is \"soon\", not a number"
        (inside "history" (KM.insert "seconds" "soon"))
