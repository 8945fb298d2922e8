# shellcheck shell=bash
# scripts/compare and scripts/site: Chromium (the site's tests load every page in headless
# Chromium, driven by Playwright from the Python dev packages of 10-python.sh), and Node.js
# with the npm packages of scripts/js/package-lock.json: KaTeX (formulas typeset when the
# site is built) and axe-core (the accessibility check). Pygments comes with 10-python.sh.
apt_need chromium nodejs
_js="$ROOT/scripts/js"
if [ ! -f "$_js/node_modules/.package-lock.json" ] || [ "$_js/package-lock.json" -nt "$_js/node_modules/.package-lock.json" ]; then
  say "npm ci (scripts/js: katex, axe-core)"
  npm ci --prefix "$_js" --no-audit --no-fund --loglevel=error
fi
unset _js
