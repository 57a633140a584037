#!/usr/bin/env bash
# Cross-build quakesat-runner for aarch64 and run its ctest suite under qemu-aarch64.
#   bash scripts/build_aarch64.sh [QEMU_CPU]      (default cortex-a72)
#   bash scripts/build_aarch64.sh --build-only    (scripts/setup.sh: the binary for quakesat bench)
# Needs: g++-aarch64-linux-gnu, qemu-user, libssl-dev:arm64, nlohmann-json3-dev (Debian; .ci/run
# installs them), CMake >= 3.28 (the pte extra), and pip to fetch the executorch wheel for
# manylinux_2_28_aarch64, whose lib/, include/ and share/ are the SDK (nothing is built from source).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_ONLY=0
if [ "${1:-}" = "--build-only" ]; then BUILD_ONLY=1; shift; fi
CPU="${1:-cortex-a72}"
SDK=build/third_party/executorch-aarch64
if [ ! -f "$SDK/executorch/lib/libexecutorch.so" ]; then
  VERSION=$(python -c "import importlib.metadata as m; print(m.version('executorch'))")
  mkdir -p build/third_party/wheels "$SDK"
  python -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_aarch64 \
    --python-version 3.11 -d build/third_party/wheels "executorch==$VERSION"
  python - "$SDK" build/third_party/wheels/executorch-"$VERSION"-*aarch64.whl <<'PY'
import sys, zipfile
target, wheel = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    z.extractall(target, [n for n in z.namelist() if n.startswith(("executorch/lib/", "executorch/include/", "executorch/share/"))])
PY
fi
cmake -S . -B build/aarch64 -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DQUAKESAT_EXECUTORCH_DIR="$PWD/$SDK/executorch" -DQUAKESAT_QEMU_CPU="$CPU" >/dev/null
cmake --build build/aarch64 -j2 >/dev/null
[ "$BUILD_ONLY" = 1 ] || ctest --test-dir build/aarch64 --output-on-failure
