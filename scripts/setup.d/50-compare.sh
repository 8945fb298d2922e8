# shellcheck shell=bash
# scripts/compare: Chromium (its tests load the --html site in headless Chromium). Pygments,
# for the site's highlighting, comes with the Python dev packages (10-python.sh).
apt_need chromium
