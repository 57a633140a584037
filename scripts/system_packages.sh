#!/usr/bin/env bash
# Debian packages the C++ runner and the tests need, installed when missing (root, as on the project
# machines): the host toolchain, nlohmann-json and OpenSSL headers, clang-14 with libFuzzer
# and its sanitizer runtimes (scripts/fuzz_cpp.sh), chromium (the browser and screenshot
# tests of quakesat report, tests/report/test_report_browser.py and test_report_screenshot.py),
# GNU time (the peak memory of bench/suites/test_hostile_memory.py), and for the aarch64
# build the cross compiler, qemu-user and OpenSSL for arm64 (multiarch) and valgrind (the
# x86-64 instruction counts of quakesat bench).
#   bash scripts/system_packages.sh [--aarch64]
set -euo pipefail
want=(cmake g++ nlohmann-json3-dev libssl-dev clang-14 libclang-rt-14-dev time chromium)
if [ "${1:-}" = "--aarch64" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  want+=(g++-aarch64-linux-gnu qemu-user libssl-dev:arm64 valgrind)
fi
missing=()
for package in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
