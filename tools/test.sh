#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, runs every
# test through CTest and ends with CTest's summary.
#   tools/test.sh                 all tests (unit, ASan/UBSan, fuzz, simulator,
#                                 daemon, kernel style, QEMU, QEMU deep mode)
#   tools/test.sh -L unit         only some labels (ctest -L syntax)
#   KDHT_BUILD=dir                build directory (default: build)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${KDHT_BUILD:-$top/build}

"$top/tools/install-deps.sh"

cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
cd "$build"
exec ctest --output-on-failure "$@"
