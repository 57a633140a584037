#!/usr/bin/env bash
# Set up quakesat in ./.venv: torch pinned and installed first (a looser spec makes pip
# fetch a multi-GB CUDA build, DESIGN §4), then the package with every extra, editable.
# Installs cmake and g++ from Debian when missing (needs root, as on the project machines).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[all]"
echo "quakesat is set up in $(pwd)/.venv"
