#!/usr/bin/env bash
# The project's test command (README "Tests"). Two sizes:
#
#   bash scripts/test.sh [PYTEST_ARGS...]          the fast command (budget: 10 minutes on 2 cores)
#   bash scripts/test.sh --all [PYTEST_ARGS...]    everything; what CI (.ci/run) runs
#
# The fast command: the C++ runner built and tested on x86-64 (ctest: parity vectors, hostile
# files, the fuzz regression replays, no allocation per tile, the installed package), then
# cross-built for aarch64 and tested under qemu (when the cross toolchain is installed:
# scripts/system_packages.sh --aarch64), then pytest without the tests marked `slow` (the
# pyproject's addopts). Every seam is tested both sides: tile schema, tile contract,
# preprocessing, manifest, downlink message; the Python fuzz replays too.
#
# --all adds, in this order: the C++ tests under ASan/UBSan (scripts/build_sanitized.sh), a
# bounded libFuzzer and atheris run of every parser of outside bytes (scripts/fuzz_cpp.sh,
# scripts/fuzz_python.sh; FUZZ_SECONDS per harness, default 5 here), pytest with the `slow`
# tests (the end-to-end demo, the simulator's stated properties on a 60-event file, the
# TFLite Micro arena bisection), and the 10,000-tile soaks of both runtimes
# (bench/suites/test_soak.py). It needs clang with libFuzzer and atheris
# (scripts/system_packages.sh, the dev extra).
#
# Each run that passes records its phases' seconds in build/test_times/{fast,all}.json;
# `python -m quakesat.readme_figures tests` puts them in the README (block test-times), where
# the latest measured times are. Measured on 2 cores on 2026-12-06, with the C++ builds
# incremental: the fast command 5 min 4 s (pytest 4 min 58 s), --all 13 min 57 s (pytest with
# the slow tests 11 min 34 s, sanitizers 55 s, fuzz 61 s, soaks 21 s). From a clean tree the
# first builds add about 1 min (x86-64) and 1.5 min (aarch64); under a load of 3-4 from other
# work the fast command took 10 min.
#
# Uses the active virtual environment, else ./.venv (made by scripts/setup.sh, run here if
# missing). Extra arguments go to pytest (e.g. `-m slow` for the slow tests alone).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=fast
if [ "${1:-}" = "--all" ]; then mode=all; shift; fi
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || bash scripts/setup.sh
  . .venv/bin/activate
fi
started=$SECONDS
phases=()
phase() {  # phase NAME COMMAND...: run it, note its seconds
  local name="$1" start=$SECONDS
  shift
  echo "== test.sh: $name"
  "$@"
  phases+=("[\"$name\", $((SECONDS - start))]")
}

native() {
  bash scripts/build_native.sh
  ctest --test-dir build/native --output-on-failure 2>&1 | grep -v "^[IE] 00:"
}
aarch64() { bash scripts/build_aarch64.sh 2>&1 | grep -v "^[IE] 00:"; }
sanitizers() { bash scripts/build_sanitized.sh 2>&1 | grep -v "^\[[IE] 00:"; }

phase native native
if command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null; then
  phase aarch64 aarch64
else
  echo "aarch64: skipped (no cross toolchain; bash scripts/system_packages.sh --aarch64 installs it)"
fi
if [ "$mode" = all ]; then
  phase sanitizers sanitizers
  phase fuzz-cpp env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" bash scripts/fuzz_cpp.sh
  phase fuzz-python env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" bash scripts/fuzz_python.sh
  # -m "slow or not slow" overrides the addopts' -m 'not slow'; a -m in the arguments wins over both.
  phase pytest python -m pytest -m "slow or not slow" "$@"
  phase soak python -m pytest -q -p no:cacheprovider bench/suites/test_soak.py --benchmark-only
else
  phase pytest python -m pytest "$@"
fi

mkdir -p build/test_times
joined=$(IFS=,; echo "${phases[*]}")
# The load average of the last 5 minutes: how much else the cores were doing meanwhile.
load=$(cut -d' ' -f2 /proc/loadavg 2>/dev/null || echo null)
cat > "build/test_times/$mode.json" <<JSON
{"mode": "$mode", "date": "$(date -u +%F)", "cpus": $(nproc), "load": $load, "seconds": $((SECONDS - started)),
 "pytest_args": $(python -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"), "phases": [$joined]}
JSON
echo "== test.sh $mode: $((SECONDS - started)) s (build/test_times/$mode.json)"
