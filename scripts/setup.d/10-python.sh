# Python: the venv at .venv with the reference package `dlscratch` and the harness package
# `harness` (shared_tests/) in editable mode, the reference's
# development packages (pytest, hypothesis, matplotlib, Pygments) at the versions pinned in
# constraints.txt (all of them, build dependencies included); the Fashion-MNIST data set.
# With DLSCRATCH_UPGRADE=1 (scripts/setup --upgrade): the newest releases, then constraints.txt
# is rewritten with their versions.
apt_need python3 python3-venv gzip dataset-fashion-mnist
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PY" -m venv "$VENV"
fi
_lock="$ROOT/constraints.txt"
_stamp="$VENV/.dlscratch-installed"
if [ "${DLSCRATCH_UPGRADE:-0}" -eq 1 ]; then
  say "pip install --upgrade (the newest releases)"
  "$VENV/bin/python" -m pip install --upgrade -e "$ROOT/python[dev]" -e "$ROOT/shared_tests" setuptools
  {
    sed -n '1,2p' "$_lock"
    echo "setuptools==$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("setuptools"))')"
    "$VENV/bin/python" -m pip freeze --exclude-editable | grep -v '^setuptools=='
  } > "$_lock.new"
  mv "$_lock.new" "$_lock"
  touch "$_stamp"
  say "constraints.txt rewritten"
elif ! "$VENV/bin/python" -c "import numpy, pytest, hypothesis, matplotlib, pygments, dlscratch, harness" 2>/dev/null \
   || [ "$ROOT/python/pyproject.toml" -nt "$_stamp" ] || [ "$ROOT/shared_tests/pyproject.toml" -nt "$_stamp" ] \
   || [ "$_lock" -nt "$_stamp" ]; then
  say "pip install -c constraints.txt -e python[dev] -e shared_tests"
  # PIP_CONSTRAINT holds the pins for the isolated build environment (setuptools) too.
  PIP_CONSTRAINT="$_lock" "$VENV/bin/python" -m pip install -c "$_lock" -e "$ROOT/python[dev]" -e "$ROOT/shared_tests"
  touch "$_stamp"
fi
unset _lock _stamp
