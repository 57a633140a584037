#!/usr/bin/env bash
# Build everything the normal build builds (scripts/build_native.sh) in build/asan under
# AddressSanitizer and UndefinedBehaviorSanitizer (gcc; any UB or memory error aborts), with
# libstdc++'s checked operator[] and nlohmann's JSON_ASSERT on, and run its ctest: the parity
# tests, the runner against ExecuTorch (when the environment has the SDK, as build_native.sh:
# CMake from the active environment) and the fuzz regression replays.
#
# Left out: runner_allocates_nothing_per_tile (test_no_alloc). It interposes malloc and friends
# itself to count them, and under ASan operator new is ASan's own allocator and no longer reaches
# that malloc: the count would prove nothing, and memory would cross between the two allocators.
# The ExecuTorch SDK's prebuilt static libraries are linked as they are (not instrumented: ASan
# still checks every access our code makes, and sees their heap through its malloc).
#
#   bash scripts/build_sanitized.sh        # configure, build, test; exit status of ctest
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -D_GLIBCXX_ASSERTIONS"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build/asan -j2 >/dev/null
# halt_on_error: the first report fails its test; detect_leaks: a leak is a failure too.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ctest --test-dir build/asan --output-on-failure -E '^runner_allocates_nothing_per_tile$'
