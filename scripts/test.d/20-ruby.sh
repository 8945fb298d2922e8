# shellcheck shell=bash
# Ruby port: the RSpec specs (rake spec); exits non-zero when one fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../ruby"
rake spec
