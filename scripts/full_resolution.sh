#!/usr/bin/env bash
# Issue #3's full-resolution comparison: MobileNetV2 at the paper's 512 x 512 against
# QuakeLite (multilooked 4x) on the default benchmark data, three seeds each, trained on a
# GPU (scoring and the time per tile run on the CPU). Writes results.json,
# results_tables.md and accuracy_vs_macs.png into OUT_DIR.
#
#   bash scripts/full_resolution.sh OUT_DIR
#
# Environment: PYTHON (default: python) with quakesat and a CUDA torch installed;
# DATA (default: a temporary file, simulated as docs/results.md says if missing).
set -euo pipefail
out=${1:?usage: bash scripts/full_resolution.sh OUT_DIR}
python=${PYTHON:-python}
data=${DATA:-${TMPDIR:-/tmp}/quakesat-benchmark-150-2024.h5}
if [ ! -f "$data" ]; then
    "$python" -m quakesat simulate --events 150 --seed 2024 --out "$data" --quiet
fi
"$python" -m quakesat results --data "$data" --out "$out" --preset full-resolution --no-shallow \
    --device cuda --quiet
