# scripts/compare: Pygments in the venv (syntax highlighting of the --html site) and Chromium
# (its tests load the site in headless Chromium). Sourced by scripts/setup after 10-python.sh.
apt_need chromium
if ! "$VENV/bin/python" -c "import pygments" 2>/dev/null; then
  say "pip install pygments"
  "$VENV/bin/python" -m pip install -q pygments
fi
