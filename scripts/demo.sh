#!/usr/bin/env bash
# The main job on a fresh machine: set up, then `quakesat demo` (options pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/quakesat demo "$@"
