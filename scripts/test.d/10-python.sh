# The Python reference's own tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/python"
"$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider tests
