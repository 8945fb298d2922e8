-- | The README's GHCi session, run as written: every statement after a
-- @ghci> @ prompt goes to GHCi (with the library just built), and what it
-- prints must be what the README shows under it.
module ReadmeSpec (spec) where

import Control.Monad (forM_, unless)
import Data.Char (isDigit)
import Data.List (isPrefixOf)
import System.Directory (doesDirectoryExist, listDirectory)
import System.Exit (ExitCode (..))
import System.Process (readProcessWithExitCode)
import Test.Hspec
import Text.Read (readMaybe)

-- | One statement of a session and the lines the README shows it printing.
data Statement = Statement { input :: String, shown :: [String] }
  deriving (Eq, Show)

prompt :: String
prompt = "ghci> "

-- | The statements of every GHCi session in a Markdown text: a line
-- starting with the prompt is a statement, the lines after it up to the
-- next prompt or the end of the code block are its output.
session :: String -> [Statement]
session = go . lines
  where
    go ls = case dropWhile (not . (prompt `isPrefixOf`)) ls of
      [] -> []
      l : rest ->
        let (out, rest') = break (\x -> prompt `isPrefixOf` x || "```" `isPrefixOf` x) rest
        in Statement (drop (length prompt) l) out : go rest'

-- | Two outputs agree when they have the same tokens (Haskell's 'lex', so
-- layout is not compared: hmatrix aligns columns by the digits printed),
-- numbers within 1e-12 relative: the printed floats went through libm's exp
-- and BLAS's dgemm, whose last digit may differ between machines.
sameOutput :: String -> String -> Bool
sameOutput a b = length ta == length tb && and (zipWith same ta tb)
  where
    ta = tokens a
    tb = tokens b
    same s t = case (number s, number t) of
      (Just x, Just y) -> x == y || abs (x - y) <= 1e-12 * max (abs x) (abs y)
      _ -> s == t
    number s@(c : _) | isDigit c = readMaybe s :: Maybe Double
    number _ = Nothing

tokens :: String -> [String]
tokens s = case lex s of
  [("", _)] -> []
  [(t, rest)] -> t : tokens rest
  _ -> [s]

-- | A line no statement prints, written after each statement so that the
-- output can be cut statement by statement.
marker :: String
marker = "-- end of statement --"

-- | The package database of the in-place build (dist-newstyle/packagedb/ghc-*).
inplaceDb :: IO (Either String FilePath)
inplaceDb = do
  let dir = "dist-newstyle/packagedb"
  ok <- doesDirectoryExist dir
  dbs <- if ok then filter ("ghc-" `isPrefixOf`) <$> listDirectory dir else pure []
  pure $ case dbs of
    [db] -> Right (dir ++ "/" ++ db)
    _ -> Left ("no single " ++ dir ++ "/ghc-* (build with cabal from haskell/ first)")

-- | What each statement printed, run in one GHCi with the built library.
runSession :: [String] -> IO (Either String [String])
runSession stmts = do
  db <- inplaceDb
  case db of
    Left e -> pure (Left e)
    Right path -> do
      let flags = [ "--interactive", "-v0", "-ignore-dot-ghci", "-package-env", "-"
                  , "-package-db", path, "-package", "dlscratch", "-package", "hmatrix" ]
          stdin' = unlines (concat [ [s, "putStrLn " ++ show marker] | s <- stmts ])
      (code, out, err) <- readProcessWithExitCode "ghc" flags stdin'
      pure $ case (code, err) of
        (ExitSuccess, "") -> Right (map unlines (cut (lines out)))
        _ -> Left ("ghc --interactive: " ++ show code ++ "\n" ++ err)
  where
    cut ls = case break (== marker) ls of
      (chunk, _ : rest) -> chunk : cut rest
      (_, []) -> []

spec :: Spec
spec = describe "README" $
  it "the GHCi session prints what the README shows" $ do
    statements <- session <$> readFile "README.md"
    length statements `shouldSatisfy` (>= 5)
    got <- runSession (map input statements)
    case got of
      Left e -> expectationFailure e
      Right outs -> do
        length outs `shouldBe` length statements
        forM_ (zip statements outs) $ \(Statement stmt want, out) ->
          unless (sameOutput (unlines want) out) $
            expectationFailure ("ghci> " ++ stmt ++ "\nprinted:\n" ++ out ++ "the README shows:\n" ++ unlines want)
