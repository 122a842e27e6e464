#!/usr/bin/env bash
# The simulator's benchmark figures, checked against their targets:
#   1. 10,000 nodes, no churn, 1,000 lookups: 100% find the closest node,
#      median rounds <= 4
#   2. 10,000 nodes, 20% vanish without notice: >= 99% find the closest live node
#   3. 100,000 nodes, 1,000 lookups: under 10 minutes of wall time
# Usage: tests/sim/bench.sh [path/to/kdht-sim]   (default: build/bin/kdht-sim)
# Exit status: 0 if every target is met, 1 otherwise.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
sim=${1:-$top/build/bin/kdht-sim}
seed=${SEED:-1}
[[ -x $sim ]] || { echo "bench.sh: no simulator at $sim (build target kdht-sim)" >&2; exit 2; }

# holds A OP B: 1 if the comparison of two decimals holds, else 0.
holds() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		r = (op == ">=") ? a >= b : (op == "<=") ? a <= b : a < b
		print r ? 1 : 0 }'
}

# json FIELD: reads one number out of the simulator's --json line on stdin.
json() {
	sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}

failed=0
check() {	# check NAME OK(0/1) TEXT
	if [[ $2 == 1 ]]; then
		echo "  PASS  $1: $3"
	else
		echo "  FAIL  $1: $3"
		failed=1
	fi
}

run() {	# run NAME ARGS...: prints the report, leaves the JSON line in $out
	local name=$1 start end
	shift
	echo "== $name: kdht-sim $*"
	start=$(date +%s.%N)
	out=$(nice "$sim" --seed "$seed" --json "$@")
	end=$(date +%s.%N)
	wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	echo "$out"
	echo "  wall time ${wall} s"
}

run "1. stable" --nodes 10000 --lookups 1000
succ=$(json success_pct <<<"$out"); rounds=$(json rounds_median <<<"$out")
check "closest found" "$(holds "$succ" ">=" 100)" "$succ% (target 100%)"
check "median rounds" "$(holds "$rounds" "<=" 4)" "$rounds (target <= 4)"

run "2. churn" --nodes 10000 --lookups 1000 --churn 0.2
succ=$(json success_pct <<<"$out")
check "closest live found" "$(holds "$succ" ">=" 99)" "$succ% (target >= 99%)"

run "3. large" --nodes 100000 --lookups 1000
succ=$(json success_pct <<<"$out"); rss=$(json peak_rss_kb <<<"$out")
check "wall time" "$(holds "$wall" "<" 600)" "${wall} s (target < 600 s)"
check "memory" "$(holds "$rss" "<" 6291456)" "peak RSS $((rss / 1024)) MiB (target < 6 GiB)"
echo "  (informational) closest found: $succ%"

exit $failed
