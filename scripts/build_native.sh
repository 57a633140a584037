#!/usr/bin/env bash
# Build the C++ runner and its tests for this machine in build/native (CMake from the active
# environment: the pte extra brings CMake >= 3.28 and the ExecuTorch SDK).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j2 >/dev/null
