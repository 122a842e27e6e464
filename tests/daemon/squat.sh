#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Nobody takes another owner's names: a kdhtd (userspace backend, loopback,
# one replica) takes a burst of STOREs from kdht-values --squat, each a name
# of the daemon's owner key signed by another key, with a seq far above any
# honest one. Every one is refused (bad_key), none is held; the owner's own
# puts of the same names then succeed from seq 1, and every get returns the
# owner's bytes.
#
# usage: squat.sh KDHTD DHTCTL KDHT_VALUES
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
values=$3
port=$((30000 + $$ % 10000))
dir=$(mktemp -d /tmp/kdhtd-squat.XXXXXX)
pid=
names=20

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -s "$dir/kdhtd.log" ] && cat "$dir/kdhtd.log" >&2
	exit 1
}

ctl() {
	"$dhtctl" -s "$dir/ctl.sock" "$@"
}

"$kdhtd" --config /dev/null --backend user --state-dir "$dir/state" \
	--socket "$dir/ctl.sock" --port "$port" --bind4 127.0.0.1 --bind6 none \
	-r 1 -w 1 --log-level warn 2>>"$dir/kdhtd.log" &
pid=$!
wait_for 10 ctl node || fail "kdhtd did not come up"
owner=$(ctl node --json | jq -r .owner)

"$values" store --squat "$owner" --keys $names --json "127.0.0.1:$port" \
	>"$dir/squat.json" 2>"$dir/squat.log" || fail "kdht-values: $(cat "$dir/squat.log")"
jq -e ".stored == 0 and .refused == $names" "$dir/squat.json" >/dev/null ||
	fail "squats not all refused: $(cat "$dir/squat.json")"
bad_key=$(ctl stats | awk '$1 == "bad_key" { print $2 }')
[ "$bad_key" = "$names" ] || fail "bad_key counts $bad_key, not $names"
held=$(ctl stats | awk '$1 == "values_held" { print $2 }')
[ "$held" = 0 ] || fail "$held squatted records held"
echo "squat: $names squatting STOREs refused as bad_key, none held"

i=0
while [ $i -lt $names ]; do
	out=$(ctl put "name-$i" "owner's $i" --json) || fail "the owner's put of name-$i: $out"
	echo "$out" | jq -e '.seq == 1' >/dev/null || fail "name-$i not written at seq 1: $out"
	got=$(ctl get "name-$i" --owner "$owner")
	[ "$got" = "owner's $i" ] || fail "name-$i reads '$got'"
	i=$((i + 1))
done
echo "squat: the owner then wrote all $names names at seq 1 and reads them back"

kill "$pid"
wait "$pid" || fail "kdhtd did not stop cleanly"
pid=
echo "squat: ok"
