#!/usr/bin/env bash
# Lua port: the busted specs under Lua 5.4 (LuaJIT's run is 31-luajit.sh, beside it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/lua"
echo "== lua specs under lua5.4"
lua5.4 /usr/bin/busted --output=plainTerminal spec
