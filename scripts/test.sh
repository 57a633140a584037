#!/usr/bin/env bash
# The project's test command (README "Test"): the C++ build + ctest, then pytest.
# Uses the active virtual environment, else ./.venv (made by scripts/setup.sh, run here
# if missing). Extra arguments go to pytest (e.g. `-m slow` for the slow suite).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || bash scripts/setup.sh
  . .venv/bin/activate
fi
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j2 >/dev/null
ctest --test-dir build/native --output-on-failure
python -m pytest "$@"
