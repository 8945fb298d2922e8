{-# LANGUAGE OverloadedStrings #-}
-- | dlscratch-experiment: one of the book's chapter-6 experiments (DLScratch.Experiments), its
-- result written as JSON for scripts/figures; the command line of shared_tests/README.md §13.
module Main (main) where

import Control.DeepSeq (force)
import Control.Exception (IOException, evaluate, try)
import Control.Monad (when)
import qualified Data.ByteString.Builder as B
import Data.IORef
import Data.List (find, intercalate, isPrefixOf)
import qualified Data.Text as T
import Data.Time.Clock (diffUTCTime, getCurrentTime)
import Numeric (showFFloat)
import Numeric.LinearAlgebra ((><))
import System.Directory (createDirectoryIfMissing)
import System.Environment (getArgs)
import System.FilePath (takeDirectory)
import System.IO
import System.IO.Error (ioeGetErrorString)

import Cli (progress, readInteger, readNumber, refuse)
import DLScratch.Datasets (Mnist (..), defaultDataDir, loadMnist)
import DLScratch.Functions (Labels (..))
import DLScratch.Json
import DLScratch.Experiments
import DLScratch.Rng (mkGen)
import qualified Data.Vector.Storable as VS

data Opts = Opts
  { oName :: Maybe Experiment
  , oScale :: Double
  , oSeed :: Int
  , oDataDir :: FilePath
  , oOut :: Maybe FilePath
  , oQuiet :: Bool
  }

usage :: String
usage = unlines $
  [ "usage: bin/experiment NAME [options]"
  , ""
  , "Run one of the book's chapter-6 experiments and write its result as JSON for scripts/figures."
  , "Every experiment draws from one generator seeded with --seed, in the book's order."
  , ""
  , "NAME is one of:"
  ] ++
  [ "  " ++ n ++ replicate (34 - length n) ' ' ++ experimentSummary e | e <- experiments, let n = experimentName e ] ++
  [ ""
  , "  --scale S              the book's iterations, epochs, trials or samples times S, 0 < S <= 1 (default: 1)"
  , "  --seed K               seeds the one generator of the experiment, 0 <= K < 2^31 (default: 0)"
  , "  --data-dir DIR         directory with the four IDX files (default: " ++ defaultDataDir ++ ")"
  , "  --out FILE             result file (default: experiment-NAME-haskell.json)"
  , "  --quiet                no progress bar (default: off)"
  , "  -h, --help             this text"
  ]

-- | The command line: Nothing for --help, or the options, or what is wrong (one line).
parseArgs :: [String] -> Either String (Maybe Opts)
parseArgs = go (Opts Nothing 1 0 defaultDataDir Nothing False)
  where
    go o args = case args of
      [] -> maybe (Left ("the experiment NAME is missing (one of " ++ names ++ ")")) (const (Right (Just o)))
                  (oName o)
      (a : _) | a `elem` ["--help", "-h"] -> Right Nothing
      ("--quiet" : rest) -> go o { oQuiet = True } rest
      (a : rest) | "--" `isPrefixOf` a, (flag, '=' : val) <- break (== '=') a -> go o (flag : val : rest)
      (flag : rest)
        | Just set <- lookup flag valued -> case rest of
            val : rest' -> set val o >>= \o' -> go o' rest'
            [] -> Left (flag ++ " needs a value")
        | "-" `isPrefixOf` flag -> Left ("unknown option " ++ flag)
        | Just _ <- oName o -> Left ("unexpected argument " ++ show flag)
        | Just e <- find ((== flag) . experimentName) experiments -> go o { oName = Just e } rest
        | otherwise -> Left ("unknown experiment " ++ show flag ++ " (one of " ++ names ++ ")")
    names = intercalate ", " (map experimentName experiments)
    valued :: [(String, String -> Opts -> Either String Opts)]
    valued =
      [ ("--scale", \v o -> case readNumber v of
          Just s | s > 0 && s <= 1 -> Right o { oScale = s }
          _ -> Left ("--scale " ++ show v ++ ": expected a number in 0 < s <= 1"))
      , ("--seed", \v o -> case readInteger v of
          Just k | k >= 0 && k < 2 ^ (31 :: Int) -> Right o { oSeed = fromInteger k }
          _ -> Left ("--seed " ++ show v ++ ": expected a whole number in 0 <= seed < 2^31"))
      , ("--data-dir", \v o -> Right o { oDataDir = v })
      , ("--out", \v o -> Right o { oOut = Just v })
      ]

failWith :: String -> IO a
failWith = refuse "bin/experiment"

main :: IO ()
main = do
  args <- getArgs
  case parseArgs args of
    Left err -> failWith err
    Right Nothing -> putStr usage
    Right (Just o) -> maybe (pure ()) (run o) (oName o)

run :: Opts -> Experiment -> IO ()
run o e = do
  hSetBuffering stdout LineBuffering
  let file = maybe ("experiment-" ++ experimentName e ++ "-haskell.json") id (oOut o)
  -- the result file is opened first, so that a bad --out is refused before any work
  out <- try (createDirectoryIfMissing True (takeDirectory file) >> openBinaryFile file WriteMode)
  hOut <- either (\err -> failWith ("--out " ++ show file ++ ": cannot write it ("
                                    ++ ioeGetErrorString (err :: IOException) ++ ")")) pure out
  images <- if usesImages e
    then loadMnist (oDataDir o) Nothing Nothing >>= either failWith pure
    else pure (Mnist ((0 >< 784) []) (Labels VS.empty) ((0 >< 784) []) (Labels VS.empty))
  _ <- evaluate (xTrain images) >> evaluate (xTest images)
  tty <- hIsTerminalDevice stderr
  start <- getCurrentTime
  drawn <- newIORef start
  let barOn = tty && not (oQuiet o)
      bar done total fields = when barOn $ do
        now <- getCurrentTime
        lastDrawn <- readIORef drawn
        when (diffUTCTime now lastDrawn > 0.1 || done == total) $
          progress start total done fields >> writeIORef drawn now
  results <- runExperiment e (Run (oScale o) images bar) (mkGen (oSeed o))
  -- the whole result computed before the clock stops
  _ <- evaluate (force results)
  end <- getCurrentTime
  when barOn $ hPutStrLn stderr ""
  let seconds = realToFrac (diffUTCTime end start) :: Double
      record = JObj
        [ ("experiment", JStr (T.pack (experimentName e))), ("port", JStr "haskell")
        , ("options", JObj [ ("scale", JNum (oScale o)), ("seed", JInt (oSeed o))
                           , ("data_dir", JStr (T.pack (oDataDir o))) ])
        , ("results", results), ("seconds", JNum seconds) ]
  B.hPutBuilder hOut (encodeJ record <> B.char7 '\n')
  hClose hOut
  putStrLn (experimentName e ++ ": " ++ showFFloat (Just 1) seconds "" ++ " s, written to " ++ file)
