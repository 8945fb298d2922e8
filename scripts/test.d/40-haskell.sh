# Haskell port: the hspec/QuickCheck suite (built by scripts/setup.d/40-haskell.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exe="$ROOT/haskell/.bin/dlscratch-test"
if [ ! -x "$exe" ]; then
  echo "haskell: $exe is not built; run scripts/setup" >&2
  exit 1
fi
cd "$ROOT/haskell"
OPENBLAS_NUM_THREADS=1 "$exe" --no-color
