# Python: the venv at .venv with numpy, pytest, hypothesis, matplotlib and the reference
# package `dlscratch` installed in editable mode; the Fashion-MNIST data set.
apt_need python3 python3-venv gzip dataset-fashion-mnist
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import numpy, pytest, hypothesis, matplotlib, dlscratch" 2>/dev/null \
   || [ "$ROOT/python/pyproject.toml" -nt "$VENV/.dlscratch-installed" ]; then
  say "pip install (numpy, pytest, hypothesis, matplotlib, dlscratch)"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e "$ROOT/python[dev]"
  touch "$VENV/.dlscratch-installed"
fi
