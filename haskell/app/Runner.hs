-- | dlscratch-runner: answers the conformance harness's JSON Lines requests
-- (shared_tests/README.md) on stdin, one answer line each on stdout.
module Main (main) where

import qualified Data.Text as T
import System.Environment (getArgs)
import System.Exit (exitSuccess)
import qualified Data.Map.Strict as M
import DLScratch.Runner (bindings, runStream)

main :: IO ()
main = do
  args <- getArgs
  if any (`elem` ["--help", "-h"]) args
    then do
      putStr $ unlines
        [ "usage: bin/runner [--help]"
        , ""
        , "Reads one JSON request per line on stdin,"
        , "  {\"id\": \"...\", \"op\": \"layer.affine\", \"args\": {...}}"
        , "and writes one answer per line on stdout, in order:"
        , "  {\"id\": \"...\", \"ok\": {...}} or {\"id\": \"...\", \"error\": {\"type\": ..., \"message\": ...}}"
        , "The ops and error types are those of shared_tests/README.md. Exit status 0 at end of input."
        , ""
        , "Ops: " ++ T.unpack (T.intercalate (T.pack ", ") (M.keys bindings))
        ]
      exitSuccess
    else runStream
