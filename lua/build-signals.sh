#!/bin/sh
# Builds the C module dlscratch.signals (csrc/signals.c) for both interpreters:
#   .build/lua5.4/dlscratch/signals.so   (headers of liblua5.4-dev)
#   .build/luajit/dlscratch/signals.so   (headers of libluajit-5.1-dev)
# bin/train finds the one of its interpreter through package.cpath. Each file is rebuilt only when
# csrc/signals.c is newer than it (or it is missing).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$HERE/csrc/signals.c"
CC="${CC:-gcc}"

build() { # build NAME INCLUDE_DIR
  out="$HERE/.build/$1/dlscratch/signals.so"
  if [ -f "$out" ] && [ ! "$SRC" -nt "$out" ]; then
    return 0
  fi
  if [ ! -f "$2/lua.h" ]; then
    echo "build-signals.sh: $2/lua.h is missing (install the $1 development headers)" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$out")"
  "$CC" -std=c99 -O2 -Wall -Wextra -fPIC -shared -I"$2" -o "$out.tmp" "$SRC"
  mv "$out.tmp" "$out"
  echo "built $out"
}

build lua5.4 /usr/include/lua5.4
build luajit /usr/include/luajit-2.1
