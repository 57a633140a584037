# Cross-compile quakesat-runner for 64-bit ARM Linux (glibc) with Debian's
# g++-aarch64-linux-gnu, and run its tests under qemu-user (binfmt is not assumed).
#
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DQUAKESAT_EXECUTORCH_DIR=<unzipped manylinux_2_28_aarch64 executorch wheel>/executorch
#
# QUAKESAT_QEMU_CPU picks the emulated core (instruction counts differ per core: XNNPACK
# chooses kernels by CPU features). scripts/build_aarch64.sh does all of it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)   # nlohmann-json is header-only, installed once for all
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(QUAKESAT_QEMU_CPU "cortex-a72" CACHE STRING "core qemu-aarch64 emulates for the tests")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-cpu;${QUAKESAT_QEMU_CPU};-L;/usr/aarch64-linux-gnu)
