#!/usr/bin/env bash
# Set up quakesat in ./.venv: torch pinned and installed first (a looser spec makes pip
# fetch a multi-GB CUDA build; README "Installing by hand"), then the package with every extra, editable.
# Installs the C++ runner's Debian packages when missing (needs root, as on the project
# machines; scripts/system_packages.sh --aarch64: also the aarch64 cross toolchain, qemu-user
# and valgrind, which the board figures of quakesat bench need), then builds the runner in
# build/native and, cross-compiled, in build/aarch64.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system_packages.sh --aarch64
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[all]"
PATH="$PWD/.venv/bin:$PATH" bash scripts/build_native.sh
PATH="$PWD/.venv/bin:$PATH" bash scripts/build_aarch64.sh --build-only
echo "quakesat is set up in $(pwd)/.venv"
