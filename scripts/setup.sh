#!/usr/bin/env bash
# Set up quakesat in ./.venv: torch pinned and installed first (a looser spec makes pip
# fetch a multi-GB CUDA build; README "Installing by hand"), then the package with every extra, editable.
# Installs the C++ runner's Debian packages when missing (needs root, as on the project
# machines; scripts/system_packages.sh --aarch64: also the aarch64 cross toolchain, qemu-user
# and valgrind, which the board figures of quakesat bench need), then builds the runner in
# build/native and, cross-compiled, in build/aarch64.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
stage() { echo "setup [$1/6] $2 (${SECONDS}s so far)" >&2; }
stage 1 "Debian packages: compilers, CMake, the aarch64 cross toolchain, qemu-user, valgrind"
bash scripts/system_packages.sh --aarch64
stage 2 "Python virtual environment in .venv"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
stage 3 "torch 2.13.0 (CPU build), pinned and first"
.venv/bin/python -m pip install -q torch==2.13.0
stage 4 "quakesat and every extra (onnx, litert-torch, executorch, dask, ...: the longest step)"
.venv/bin/python -m pip install -q -e ".[all]"
stage 5 "the C++ runner, native (build/native)"
PATH="$PWD/.venv/bin:$PATH" bash scripts/build_native.sh
stage 6 "the C++ runner, cross-compiled for aarch64 (build/aarch64)"
PATH="$PWD/.venv/bin:$PATH" bash scripts/build_aarch64.sh --build-only
echo "quakesat is set up in $(pwd)/.venv ($((SECONDS - started)) s)"
