# shellcheck shell=bash
# Haskell port: GHC, cabal and the Debian-packaged libraries (Hackage is not
# used: cabal runs with CABAL_CONFIG=/dev/null and resolves against the global
# package database), then the cabal build into haskell/dist-newstyle, with the
# executables linked into haskell/.bin/. (text, bytestring, containers,
# deepseq, directory, filepath, process and time come with ghc itself.)
apt_need ghc cabal-install \
  libghc-hmatrix-dev libghc-vector-dev libghc-aeson-dev libghc-scientific-dev \
  libghc-zlib-dev libghc-hspec-dev libghc-quickcheck2-dev hspec-discover \
  libopenblas0-pthread dataset-fashion-mnist

_hs_dir="$ROOT/haskell"
_hs_stamp="$_hs_dir/.bin/.stamp"
_hs_newest="$(find "$_hs_dir/src" "$_hs_dir/app" "$_hs_dir/test" "$_hs_dir/dlscratch.cabal" \
  -type f -newer "$_hs_stamp" 2>/dev/null | head -n 1 || true)"
if [ -f "$_hs_stamp" ] && [ -z "$_hs_newest" ] \
   && [ -x "$_hs_dir/.bin/dlscratch-runner" ] && [ -x "$_hs_dir/.bin/dlscratch-train" ] \
   && [ -x "$_hs_dir/.bin/dlscratch-bench" ] && [ -x "$_hs_dir/.bin/dlscratch-test" ] \
   && [ -x "$_hs_dir/.bin/dlscratch-experiment" ]; then
  say "haskell: build up to date"
else
  say "haskell: cabal build (offline, Debian packages only)"
  (
    cd "$_hs_dir"
    export CABAL_CONFIG=/dev/null
    cabal build --offline -j2 --enable-tests all
    mkdir -p .bin
    for _exe in dlscratch-runner dlscratch-train dlscratch-bench dlscratch-experiment dlscratch-test; do
      ln -sf "$(cabal list-bin --offline --enable-tests "$_exe")" ".bin/$_exe"
    done
    touch .bin/.stamp
  )
fi
unset _hs_dir _hs_stamp _hs_newest _exe
