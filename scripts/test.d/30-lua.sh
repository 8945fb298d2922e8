#!/usr/bin/env bash
# Lua port: the busted specs under Lua 5.4 and under LuaJIT 2.1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/lua"
for interp in lua5.4 luajit; do
  echo "== lua specs under $interp"
  "$interp" /usr/bin/busted --output=plainTerminal spec
done
