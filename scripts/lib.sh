# Shared helpers for scripts/*: sourced, not run.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
VENV="$ROOT/.venv"
export VENV

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# seconds_since NS: the seconds since `date +%s%N` said NS, with one decimal.
seconds_since() {
  local ms=$(( ($(date +%s%N) - $1) / 1000000 ))
  printf '%d.%d' $(( ms / 1000 )) $(( ms % 1000 / 100 ))
}

# strip_no_setup ARGS...: sets NO_SETUP=1 if --no-setup is among ARGS and ARGS_LEFT to the
# others; a script calls run_setup afterwards unless NO_SETUP is 1 (or --help was asked for).
strip_no_setup() {
  NO_SETUP=0
  ARGS_LEFT=()
  local a
  for a in "$@"; do
    case "$a" in
      --no-setup) NO_SETUP=1 ;;
      -h|--help) NO_SETUP=1; ARGS_LEFT+=("$a") ;;
      *) ARGS_LEFT+=("$a") ;;
    esac
  done
}

# run_setup: scripts/setup, quietly (one line a step on stderr), unless NO_SETUP is 1.
run_setup() {
  if [ "${NO_SETUP:-0}" -ne 1 ]; then
    "$ROOT/scripts/setup" >&2
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

_apt_updated=0
# apt_need PKG...: install the Debian packages that are not installed yet.
apt_need() {
  local missing=()
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$_apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root apt-get update -q >/dev/null
    _apt_updated=1
  fi
  say "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
