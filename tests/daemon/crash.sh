#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# No acknowledged STORE is lost when the daemon dies: kdhtd (userspace
# backend, loopback) takes a storm of STOREs from kdht-values, which writes
# down every key acknowledged as stored, and is killed with SIGKILL in the
# middle of it. Restarted on the same state directory it must open its
# store cleanly (mdb_stat too), hold every acknowledged key with its value
# intact, and stop cleanly on SIGTERM. The state lives under the build tree,
# on a real disk, so that commits are synced for real.
#
# usage: crash.sh KDHTD DHTCTL KDHT_VALUES STATE_PARENT
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
values=$3
parent=$4
port=$((40000 + $$ % 10000))
mkdir -p "$parent"
dir=$(mktemp -d "$parent/kdhtd-crash.XXXXXX")
pid=

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in "$dir"/*.log; do
		[ -s "$f" ] && { echo "== $f"; cat "$f"; } >&2
	done
	exit 1
}

start() {
	"$kdhtd" --config /dev/null --backend user --state-dir "$dir/state" \
		--socket "$dir/ctl.sock" --port "$port" --bind4 127.0.0.1 --bind6 none \
		--rate-limit 1000000 --log-level warn 2>>"$dir/kdhtd.log" &
	pid=$!
	wait_for 10 "$dhtctl" -s "$dir/ctl.sock" node || fail "kdhtd did not come up"
}

# acked_over N: more than N STOREs acknowledged so far.
acked_over() {
	[ "$(wc -l <"$dir/acked")" -gt "$1" ] 2>/dev/null
}

start
# Keys are sent for 4 s (scaled); the daemon dies once more than 1000 were
# acknowledged, with STOREs in flight.
"$values" store --keys 10000000 --window 512 --duration "$(scaled 4)" --timeout 0.5 \
	--acked "$dir/acked" --json "127.0.0.1:$port" >"$dir/storm.json" 2>"$dir/storm.log" &
storm=$!
wait_for 3 acked_over 1000 || fail "1000 STOREs not acknowledged within $(scaled 3)s"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
wait "$storm" || fail "kdht-values store failed: $(cat "$dir/storm.log")"
acked=$(wc -l <"$dir/acked")
[ "$acked" -gt 1000 ] || fail "only $acked STOREs were acknowledged before the kill"
lost=$(jq .lost "$dir/storm.json")
[ "$lost" -gt 0 ] || fail "no STORE was left unanswered: the kill came after the storm"
echo "crash: $acked STOREs acknowledged, then SIGKILL with $lost unanswered"

if command -v mdb_stat >/dev/null; then
	mdb_stat "$dir/state" >/dev/null 2>"$dir/mdb_stat.log" ||
		fail "mdb_stat cannot open the store after the kill: $(cat "$dir/mdb_stat.log")"
fi
: >"$dir/kdhtd.log"
start
"$values" find --indices "$dir/acked" --window 256 --json "127.0.0.1:$port" \
	>"$dir/find.json" 2>"$dir/find.log" || fail "kdht-values find failed: $(cat "$dir/find.log")"
found=$(jq .found "$dir/find.json")
[ "$found" -eq "$acked" ] ||
	fail "of $acked acknowledged keys $found read back: $(cat "$dir/find.json")"
held=$("$dhtctl" -s "$dir/ctl.sock" stats | awk '$1 == "values_held" { print $2 }')
[ "$held" -ge "$acked" ] || fail "the store holds $held records, $acked were acknowledged"
kill "$pid"
wait "$pid" || fail "the restarted kdhtd did not stop cleanly"
pid=
[ ! -s "$dir/kdhtd.log" ] || fail "the restarted kdhtd complained: $(cat "$dir/kdhtd.log")"
echo "crash: after the restart all $acked acknowledged keys read back intact ($held held)"
