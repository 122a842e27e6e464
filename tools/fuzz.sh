#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time:
#   tools/fuzz.sh [BUILD_DIR] [SECONDS]
# BUILD_DIR defaults to build-fuzz, SECONDS (per target) to 30. Each target
# runs on a copy of its seed corpus (tests/fuzz/corpus/<name>), so the
# committed corpus never changes; any crash, leak or sanitizer report fails
# the run, and the reproducer is left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-fuzz}
secs=${2:-30}

case $secs in
''|*[!0-9]*) echo "fuzz: SECONDS must be a number, not '$secs'" >&2; exit 2 ;;
esac
command -v clang >/dev/null || { echo "fuzz: clang not found; run tools/install-deps.sh" >&2; exit 1; }

CC=clang cmake -S "$top" -B "$build" -G Ninja -DKDHT_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Every tests/fuzz/fuzz_X.c builds the target fuzz_X, seeded from tests/fuzz/corpus/fuzz_X.
targets=$(for src in "$top"/tests/fuzz/fuzz_*.c; do basename "$src" .c; done | sort)
# shellcheck disable=SC2086
nice cmake --build "$build" --target $targets

status=0
for t in $targets; do
	work="$build/fuzz-corpus/$t"
	art="$build/fuzz-artifacts/$t/"
	rm -rf "$work"
	mkdir -p "$work" "$art"
	if [ -d "$top/tests/fuzz/corpus/$t" ]; then
		cp -r "$top/tests/fuzz/corpus/$t/." "$work/"
	fi
	echo "fuzz: $t for ${secs}s"
	if ! nice "$build/bin/$t" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$art" "$work" >"$build/fuzz-$t.log" 2>&1; then
		tail -n 40 "$build/fuzz-$t.log" >&2
		echo "fuzz: $t FAILED; reproducer in $art, log in $build/fuzz-$t.log" >&2
		status=1
	else
		grep -E '^stat::number_of_executed_units' "$build/fuzz-$t.log" || true
	fi
done
exit $status
