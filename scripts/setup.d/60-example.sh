# shellcheck shell=bash
# The example port of shared_tests/examples/javascript (PORTING.md): Node.js.
apt_need nodejs
