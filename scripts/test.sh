#!/usr/bin/env bash
# The project's test command (README "Test"): the C++ runner built and tested on x86-64
# (ctest), then cross-built for aarch64 and tested under qemu (when the cross toolchain is
# installed: scripts/system_packages.sh --aarch64), then pytest.
# Uses the active virtual environment, else ./.venv (made by scripts/setup.sh, run here
# if missing). Extra arguments go to pytest (e.g. `-m slow` for the slow suite).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || bash scripts/setup.sh
  . .venv/bin/activate
fi
bash scripts/build_native.sh
ctest --test-dir build/native --output-on-failure 2>&1 | grep -v "^[IE] 00:"
if command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null; then
  bash scripts/build_aarch64.sh 2>&1 | grep -v "^[IE] 00:"
else
  echo "aarch64: skipped (no cross toolchain; bash scripts/system_packages.sh --aarch64 installs it)"
fi
python -m pytest "$@"
