#!/usr/bin/env bash
# The benchmarks, kept apart from the tests: each prints its figures, most
# of them as ratios of two things measured in one run.
#   tools/bench.sh [NAME...]     default: store memory responder latency
#     store      STOREs/s of one kdhtd on this host (tests/bench/store.sh)
#     memory     kdhtd's RSS idle and with 1,000,000 values (tests/bench/memory.sh)
#     responder  kdht.ko vs kdhtd's userspace backend answering floods, in QEMU
#     latency    put/get latency in round trips on a 16-node mesh with 10 ms links
#     sim        the simulator's 10,000- and 100,000-node figures (slow)
#   KDHT_BUILD=dir   build directory (default: build)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${KDHT_BUILD:-$top/build}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(store memory responder latency)
for n in "${names[@]}"; do
	case $n in
	store | memory | responder | latency | sim) ;;
	*) echo "bench.sh: unknown benchmark '$n'" >&2; exit 2 ;;
	esac
done

"$top/tools/install-deps.sh"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" >/dev/null

# vm SCENARIO: a bench scenario in QEMU (module without debug accounting);
# prints its BENCH lines.
vm() {
	local group
	group=$(sed -n 's/^# group: *//p' "$top/tests/qemu/scenarios/$1.sh")
	"$top/tests/qemu/run" --release --build "$build" "$1" >/dev/null ||
		{ echo "bench.sh: the $1 scenario failed (see $build/qemu/$group.console)" >&2; return 1; }
	tr -d '\r' <"$build/qemu/$group.console" | sed -n 's/^\[[0-9.]*\] BENCH /  /p'
}

status=0
for n in "${names[@]}"; do
	echo "== $n"
	case $n in
	store) "$top/tests/bench/store.sh" "$build" || status=1 ;;
	memory) "$top/tests/bench/memory.sh" "$build" || status=1 ;;
	responder) vm bench-responder || status=1 ;;
	latency) vm bench-latency || status=1 ;;
	sim) "$top/tests/sim/bench.sh" "$build/bin/kdht-sim" || status=1 ;;
	esac
done
exit $status
