#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, runs every
# test through CTest and ends with CTest's summary.
#   tools/test.sh                 all tests (unit, ASan/UBSan, fuzz, simulator,
#                                 daemon, kernel style, QEMU, QEMU deep mode)
#   tools/test.sh -L unit         only some labels (ctest -L syntax)
#   KDHT_BUILD=dir                build directory (default: build)
# For the whole suite, the debug kernel of QEMU deep mode (the longest
# build) is built in the background at low priority while the host-side
# tests run, which leave a core idle much of the time; qemu-deep, last,
# waits for it (build-debug-kernel.sh takes a lock and reuses the result).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${KDHT_BUILD:-$top/build}

"$top/tools/install-deps.sh"

cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
kernel=
if [ $# -eq 0 ]; then
	nice -n 19 "$top/tests/qemu/build-debug-kernel.sh" >"$build/debug-kernel.log" 2>&1 &
	kernel=$!
fi
cd "$build"
status=0
ctest --output-on-failure "$@" || status=$?
# Done by now unless qemu-deep never asked for it.
[ -z "$kernel" ] || wait "$kernel" || echo "test.sh: the debug kernel build failed ($build/debug-kernel.log)" >&2
exit $status
