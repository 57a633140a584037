#!/usr/bin/env bash
# The benchmark's full-resolution preset: QuakeLite (multilook 2) and MobileNetV2 at the
# paper's 512 x 512 on the default benchmark file, three seeds each, trained on a GPU
# (scoring and the time per tile run on the CPU). Writes results.json, results.md and the
# plots into OUT_DIR (docs/results.md explains them).
#
#   bash scripts/full_resolution.sh OUT_DIR
#
# Environment: PYTHON (default: python) with quakesat and a CUDA torch installed;
# DATA (default: a temporary file, simulated as docs/results.md says if missing).
set -euo pipefail
out=${1:?usage: bash scripts/full_resolution.sh OUT_DIR}
python=${PYTHON:-python}
data=${DATA:-${TMPDIR:-/tmp}/quakesat-benchmark-100-2024.h5}
if [ ! -f "$data" ]; then
    "$python" -m quakesat simulate --events 100 --seed 2024 --out "$data" --quiet
fi
"$python" -m quakesat results --data "$data" --out "$out" --preset full-resolution --device cuda --quiet
