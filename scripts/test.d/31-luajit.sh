#!/usr/bin/env bash
# Lua port: the busted specs under LuaJIT 2.1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/lua"
echo "== lua specs under luajit"
luajit /usr/bin/busted --output=plainTerminal spec
