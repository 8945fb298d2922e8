#!/usr/bin/env bash
# scripts/compare: region markers, terminal layouts, --list, status, and the --html site
# (loaded in headless Chromium when it is installed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
"$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider scripts/py/tests
