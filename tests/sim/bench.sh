#!/usr/bin/env bash
# The simulator's benchmark figures, checked against their targets. One
# `kdht-sim --report` run (lognormal 10-200 ms links) gives every scenario,
# so the ratios to the quiet median come from one run and one seed:
#   1. quiet: 100% find the closest node, median rounds <= 4, median time
#      <= 1.0 s, messages per lookup at most 10% above today's
#   2. 20% of the nodes vanished: 100% success, median time <= 1.3x quiet,
#      p99 <= 3 s
#   3. 10% hostile, unreachable: >= 99% success, median <= 1.5x quiet
#   4. continuous churn, 10% of the nodes per minute: >= 99% success,
#      p99 <= 3 s
#   5. 100,000 nodes, 1,000 lookups: under 10 minutes of wall time, < 6 GiB
# (the collude scenario is printed, not judged).
#
# Usage: tests/sim/bench.sh [path/to/kdht-sim]   (default: build/bin/kdht-sim)
# Sizes and thresholds come from the environment, defaults in brackets:
#   SEED [7], NODES [10000], LOOKUPS [1000], LARGE_NODES [100000; 0 skips 5.]
#   QUIET_MS_MAX [1000]  QUIET_MSGS_BASE [28.4]  MSGS_GROWTH_MAX [1.1]
#   VANISHED_SUCCESS_MIN [100]  VANISHED_RATIO_MAX [1.3]  VANISHED_P99_MAX [3000]
#   UNREACHABLE_SUCCESS_MIN [99]  UNREACHABLE_RATIO_MAX [1.5]
#   CHURN_RATE [0.1]  CHURN_SUCCESS_MIN [99]  CHURN_P99_MAX [3000]
#   LARGE_WALL_MAX [600]  LARGE_RSS_KB_MAX [6291456]
# A threshold set to "-" is not checked (SKIP).
# Exit status: 0 if every checked target is met, 1 otherwise, 2 if the
# simulator could not run.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
sim=${1:-$top/build/bin/kdht-sim}
seed=${SEED:-7}
nodes=${NODES:-10000}
lookups=${LOOKUPS:-1000}
large=${LARGE_NODES:-100000}
churn_rate=${CHURN_RATE:-0.1}
[[ -x $sim ]] || { echo "bench.sh: no simulator at $sim (build target kdht-sim)" >&2; exit 2; }

# holds A OP B: 1 if the comparison of two decimals holds, else 0.
holds() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		r = (op == ">=") ? a >= b : (op == "<=") ? a <= b : a < b
		print r ? 1 : 0 }'
}

# calc EXPR: evaluates an awk expression, two decimals.
calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# json FIELD: reads one number out of a --json line on stdin.
json() {
	sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}

# row SCENARIO: that scenario's --json line of the report.
row() {
	grep "\"scenario\":\"$1\"" <<<"$report" || true
}

failed=0
# check NAME FIGURE OP THRESHOLD [UNIT]: PASS/FAIL, or SKIP if THRESHOLD is "-".
check() {
	local name=$1 figure=$2 op=$3 limit=$4 unit=${5:-}

	if [[ $limit == - ]]; then
		echo "  SKIP  $name: $figure$unit"
	elif [[ -n $figure && $(holds "$figure" "$op" "$limit") == 1 ]]; then
		echo "  PASS  $name: $figure$unit (target $op $limit$unit)"
	else
		echo "  FAIL  $name: ${figure:-none}$unit (target $op $limit$unit)"
		failed=1
	fi
}

# timed ARGS...: runs the simulator niced, its stdout into $out, its wall
# time in seconds into $wall. Its own verdict (exit 1, e.g. a result crowded
# with one /24) fails the benchmark; any other failure stops it.
timed() {
	local start end rc=0
	start=$(date +%s.%N)
	out=$(nice "$sim" --seed "$seed" "$@") || rc=$?
	end=$(date +%s.%N)
	if [[ $rc == 1 ]]; then
		echo "  FAIL  kdht-sim's own verdict (on its stderr)"
		failed=1
	elif [[ $rc != 0 ]]; then
		return 2
	fi
	wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
}

echo "== report: kdht-sim --seed $seed --nodes $nodes --lookups $lookups" \
	"--churn-rate $churn_rate --report --json"
timed --nodes "$nodes" --lookups "$lookups" --churn-rate "$churn_rate" --report --json ||
	exit 2
report=$out
printf '  %-12s %8s %7s %24s %7s %8s\n' scenario success rounds \
	"time ms med/p90/p99/max" msgs timeouts
for sc in quiet vanished unreachable collude churn; do
	r=$(row $sc)
	printf '  %-12s %7s%% %7s %24s %7s %8s\n' $sc "$(json success_pct <<<"$r")" \
		"$(json rounds_median <<<"$r")/$(json rounds_p99 <<<"$r")" \
		"$(json ms_median <<<"$r")/$(json ms_p90 <<<"$r")/$(json ms_p99 <<<"$r")/$(json ms_max <<<"$r")" \
		"$(json sent_per_lookup <<<"$r")" "$(json timeouts_per_lookup <<<"$r")"
done
echo "  wall time ${wall} s"

quiet_ms=$(row quiet | json ms_median)
ratio() {	# ratio SCENARIO: its median time over the quiet median
	local ms
	ms=$(row "$1" | json ms_median)
	[[ -n $ms && -n $quiet_ms && $quiet_ms != 0 ]] || return 0
	calc "$ms / $quiet_ms"
}

echo "1. quiet"
check "closest found" "$(row quiet | json success_pct)" ">=" 100 "%"
check "median rounds" "$(row quiet | json rounds_median)" "<=" 4
check "median time" "$quiet_ms" "<=" "${QUIET_MS_MAX:-1000}" " ms"
msgs_max=$(calc "${QUIET_MSGS_BASE:-28.4} * ${MSGS_GROWTH_MAX:-1.1}")
check "messages per lookup" "$(row quiet | json sent_per_lookup)" "<=" "$msgs_max"

echo "2. 20% vanished"
check "closest live found" "$(row vanished | json success_pct)" ">=" \
	"${VANISHED_SUCCESS_MIN:-100}" "%"
check "median vs quiet" "$(ratio vanished)" "<=" "${VANISHED_RATIO_MAX:-1.3}" "x"
check "p99 time" "$(row vanished | json ms_p99)" "<=" "${VANISHED_P99_MAX:-3000}" " ms"

echo "3. 10% hostile, unreachable"
check "closest found" "$(row unreachable | json success_pct)" ">=" \
	"${UNREACHABLE_SUCCESS_MIN:-99}" "%"
check "median vs quiet" "$(ratio unreachable)" "<=" "${UNREACHABLE_RATIO_MAX:-1.5}" "x"

echo "4. continuous churn, $churn_rate of the nodes per minute"
check "closest live found" "$(row churn | json success_pct)" ">=" \
	"${CHURN_SUCCESS_MIN:-99}" "%"
check "p99 time" "$(row churn | json ms_p99)" "<=" "${CHURN_P99_MAX:-3000}" " ms"
# The churn really ran: at least 90% of the leaves its rate and four minutes
# of virtual time (warm-up and span, kdht-sim's defaults) call for.
check "nodes that left" "$(row churn | json churn_left)" ">=" \
	"$(calc "0.9 * $churn_rate * $nodes * 4")"

if [[ $large == 0 ]]; then
	echo "5. large: skipped (LARGE_NODES=0)"
	exit $failed
fi
echo "== 5. large: kdht-sim --seed $seed --nodes $large --lookups $lookups --json"
timed --nodes "$large" --lookups "$lookups" --json || exit 2
echo "$out"
check "wall time" "$wall" "<" "${LARGE_WALL_MAX:-600}" " s"
check "peak RSS" "$(json peak_rss_kb <<<"$out")" "<" "${LARGE_RSS_KB_MAX:-6291456}" " kB"
echo "  (informational) closest found: $(json success_pct <<<"$out")%"

exit $failed
