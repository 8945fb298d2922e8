# shellcheck shell=bash
# Lua port (lua/): Lua 5.4 and LuaJIT 2.1 run one code base; lua-cjson decodes JSON,
# busted runs the specs, gzip decompresses the .gz IDX files (Fashion-MNIST); the C module
# dlscratch.signals (bin/train's Ctrl-C and SIGTERM) is compiled for both interpreters.
apt_need lua5.4 luajit lua-cjson lua-busted gzip dataset-fashion-mnist liblua5.4-dev libluajit-5.1-dev gcc
"$ROOT/lua/build-signals.sh"
