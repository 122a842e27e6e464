#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Host integration test: N kdhtd daemons with the userspace backend on
# loopback (distinct ports, one state directory each, all bootstrapped from
# the first). Every node puts a name of its own and every node gets every
# one, naming its owner (dhtctl node's public key); a value larger than one
# datagram travels in parts; a value over the limit is refused with a clear
# error; a name updated through one node reads back at its newest version
# everywhere; the same name of another owner, or of the wrong owner, is
# another record; an immutable value is read back by its content key; a
# second daemon holding the same owner key file updates a name the first
# wrote (it learns the seq); compare-and-swap fails with the held seq on a
# mismatch. Then two nodes die and two new ones
# join: the joins make the others hand their records over (a republish pass
# on a new contact; the periodic one is an hour away), so the newcomers hold
# values and every key stays readable everywhere. A node restarted without
# --bootstrap rejoins from its saved routing table. Every daemon must exit
# cleanly on SIGTERM; any left are killed on exit.
#
# usage: mesh.sh KDHTD DHTCTL [NODES]
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
nodes=${3:-10}
mesh_scratch mesh

start() {
	i=$1
	how=${2:-}
	set -- --request-timeout 500 --log-level warn
	if [ "$how" = "--no-bootstrap" ]; then
		set -- "$@" --log-level info
	elif [ "$i" -gt 0 ]; then
		set -- "$@" --bootstrap 127.0.0.1:$base
	fi
	mesh_daemon "$i" "$@"
}

i=0
while [ $i -lt "$nodes" ]; do
	start $i
	i=$((i + 1))
done

# routes_at_least I N: node I answers and knows N contacts or more.
routes_at_least() {
	_routes=$(ctl "$1" routes 2>/dev/null) &&
		[ "$(printf '%s' "$_routes" | grep -c .)" -ge "$2" ]
}

# Every node answers, and the bootstrap lookups have spread the contacts:
# each knows three others (r = 3), or all of them in a smaller mesh.
known=$((nodes - 1 < 3 ? nodes - 1 : 3))
i=0
while [ $i -lt "$nodes" ]; do
	if ! wait_for 20 routes_at_least $i $known; then
		fail "node $i did not join"
		cat "$dir/n$i.log" >&2
		exit 1
	fi
	i=$((i + 1))
done

# owner I: node I's owner public key, which its puts are written under.
owner() {
	[ -s "$dir/n$1.owner" ] || ctl "$1" node --json | jq -r .owner >"$dir/n$1.owner"
	cat "$dir/n$1.owner"
}

# read_everywhere NAME OWNER WANT: every node reads NAME of OWNER as WANT.
read_everywhere() {
	_i=0
	while [ $_i -lt "$nodes" ]; do
		_got=$(ctl $_i get "$1" --owner "$2")
		[ "$_got" = "$3" ] || fail "node $_i read '$1' as '$_got'"
		_i=$((_i + 1))
	done
}

i=0
while [ $i -lt "$nodes" ]; do
	out=$(ctl $i put "key-$i" "value of node $i") || fail "put key-$i through node $i: $out"
	i=$((i + 1))
done
# Forty more keys, so that each node that joins later is among the three
# closest to some of them (to none: a chance of 0.7^40, below one in a million).
i=0
while [ $i -lt 40 ]; do
	out=$(ctl $((i % nodes)) put "extra-$i" "extra $i") || fail "put extra-$i: $out"
	i=$((i + 1))
done

gets=0
i=0
while [ $i -lt "$nodes" ]; do
	j=0
	while [ $j -lt "$nodes" ]; do
		got=$(ctl $i get "key-$j" --owner "$(owner $j)")
		[ "$got" = "value of node $j" ] || fail "node $i got '$got' for key-$j"
		gets=$((gets + 1))
		j=$((j + 1))
	done
	i=$((i + 1))
done
echo "mesh: $nodes nodes, $nodes puts, $gets gets"

# Every key is held by three nodes or more (r = 3): get --local asks each.
i=0
while [ $i -lt "$nodes" ]; do
	n=0
	j=0
	while [ $j -lt "$nodes" ]; do
		ctl $j get --local "key-$i" --owner "$(owner $i)" >/dev/null 2>&1 &&
			n=$((n + 1))
		j=$((j + 1))
	done
	[ $n -ge 3 ] || fail "key-$i is held by $n nodes"
	i=$((i + 1))
done
err=$(ctl 0 get --local no-such-key 2>&1)
[ "$err" = "dhtctl: not held by this node" ] || fail "get --local of a missing key: '$err'"

# A missing key is "not found", exit 1.
err=$(ctl 3 get no-such-key 2>&1)
rc=$?
[ $rc -eq 1 ] && [ "$err" = "dhtctl: not found" ] || fail "missing key: rc $rc, '$err'"

# 40000 random bytes: 47 parts of 864.
head -c 40000 /dev/urandom >"$dir/big"
ctl 1 put --file "$dir/big" big >/dev/null || fail "put of a 40000-byte value"
ctl $((nodes - 1)) get big --owner "$(owner 1)" >"$dir/big.out" ||
	fail "get of the 40000-byte value"
cmp -s "$dir/big" "$dir/big.out" || fail "the 40000-byte value came back different"
echo "mesh: 40000-byte value in $(( (40000 + 863) / 864 )) parts round-tripped"

# One byte over 64 KiB: refused before anything is sent.
head -c 65537 /dev/zero >"$dir/huge"
err=$(ctl 2 put --file "$dir/huge" huge 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "value too large" ||
	fail "an oversized value: rc $rc, '$err'"
echo "mesh: 65537-byte value refused: $err"
err=$(ctl 2 get huge 2>&1)
[ "$err" = "dhtctl: not found" ] || fail "the oversized value was stored: '$err'"

# A name is its owner's: node 5's key-0 is another record, node 0's is unchanged.
ctl 5 put "key-0" "another value" >/dev/null || fail "node 5's own key-0"
got=$(ctl 7 get key-0 --owner "$(owner 0)")
[ "$got" = "value of node 0" ] || fail "node 5's put changed node 0's key-0 to '$got'"
got=$(ctl 7 get key-0 --owner "$(owner 5)")
[ "$got" = "another value" ] || fail "node 5's key-0 reads '$got'"
# The wrong owner finds nothing.
err=$(ctl 3 get key-1 --owner "$(owner 2)" 2>&1)
[ "$err" = "dhtctl: not found" ] || fail "key-1 of the wrong owner: '$err'"
echo "mesh: a name is its owner's; another owner's name is another record"

# An immutable value lives under its content key, printed by the put.
ckey=$(ctl 5 put --immutable "fixed text" | head -n 1)
got=$(ctl 8 get --hex "$ckey")
[ "$got" = "fixed text" ] || fail "immutable value under $ckey reads '$got'"
want=$(printf 'fixed text' | b2sum -l 256 | cut -d' ' -f1)
[ "$ckey" = "$want" ] || fail "content key $ckey is not BLAKE2b-256 of the value ($want)"

# A name: the newest version wins wherever it is read.
ctl 4 put status v1 >/dev/null || fail "put status v1"
ctl 4 put status v2 >/dev/null || fail "put status v2"
read_everywhere status "$(owner 4)" v2
# Compare-and-swap: refused with the held seq on a mismatch, taken on a match.
err=$(ctl 4 put status v3 --cas 1 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "held seq is 2, not 1" ||
	fail "put --cas 1 over seq 2: rc $rc, '$err'"
ctl 4 put status v3 --cas 2 >/dev/null || fail "put --cas 2 over seq 2"
got=$(ctl 6 get status --owner "$(owner 4)" --json | jq -r '"\(.value) \(.seq)"')
[ "$got" = "v3 3" ] || fail "after --cas 2 'status' reads '$got'"
echo "mesh: --cas refused on a mismatch ($err), taken on a match"

# An owner key file: a second daemon holding it updates what the first wrote.
pk=$("$dhtctl" keygen "$dir/shared.key") || fail "keygen"
ctl 2 put --key "$dir/shared.key" shared v1 >/dev/null || fail "put shared v1 on node 2"
ctl 2 put --key "$dir/shared.key" shared v2 >/dev/null || fail "put shared v2 on node 2"
# The second daemon is no replica of the name: only the replicas know seq 2.
other=0
while ctl $other get --local shared --owner "$pk" >/dev/null 2>&1; do
	other=$((other + 1))
done
out=$(ctl $other put --key "$dir/shared.key" shared v3 --json) ||
	fail "put shared v3 on node $other: $out"
echo "$out" | jq -e '.seq == 3' >/dev/null || fail "node $other did not learn the seq: $out"
read_everywhere shared "$pk" v3
echo "mesh: a second daemon with the owner key went past seq 2: $out"

# What dhtctl shows of values in JSON: bytes that are not UTF-8 in base64
# with their encoding, so that the output stays JSON; UTF-8 text as is.
printf '\377\376\000\001' >"$dir/bin"
ctl 1 put --file "$dir/bin" binary >/dev/null || fail "put of binary bytes"
out=$(ctl 2 get binary --owner "$(owner 1)" --json)
echo "$out" | jq -e '.encoding == "base64" and .value == "//4AAQ==" and .bytes == 4' \
	>/dev/null || fail "binary value in JSON: $out"
ctl 1 put text "héllo" >/dev/null || fail "put of UTF-8 text"
out=$(ctl 3 get text --owner "$(owner 1)" --json)
echo "$out" | jq -e '.encoding == "utf-8" and .value == "héllo"' >/dev/null ||
	fail "UTF-8 value in JSON: $out"
# routes: one object with its contacts, as dhtctl -k prints it.
out=$(ctl 4 routes --json) || fail "routes --json"
echo "$out" | jq -e '.contacts | length > 0' >/dev/null || fail "routes --json: $out"
# ping takes --json, as every verb does (the man page says so).
out=$(ctl 1 ping "127.0.0.1:$((base + 2))" --json) || fail "ping --json"
echo "$out" | jq -e '.id | length == 64' >/dev/null || fail "ping --json: $out"
# A TTL over the maximum is stored clamped, and dhtctl says so.
err=$(ctl 1 put ttl-key v --ttl 999999999 2>&1 >/dev/null)
rc=$?
[ $rc -eq 0 ] && echo "$err" | grep -q "clamped to the maximum" ||
	fail "--ttl 999999999: rc $rc, '$err'"
# With --json, an error is also an object on stdout.
out=$(ctl 3 get no-such-key --json 2>/dev/null)
rc=$?
[ $rc -eq 1 ] && echo "$out" | jq -e '.error == "not found" and .status == 1' >/dev/null ||
	fail "a JSON error: rc $rc, '$out'"
echo "mesh: dhtctl's JSON: base64 values, errors as objects; the ttl clamp said"

for p in $pids; do
	kill -0 "$p" 2>/dev/null || fail "a daemon died (pid $p)"
done

# Churn: the last two nodes go away, two new ones join.
kill "$(cat "$dir/n$((nodes - 1)).pid")" "$(cat "$dir/n$((nodes - 2)).pid")"
start "$nodes"
start $((nodes + 1))
alive=""
i=0
while [ $i -lt $((nodes - 2)) ]; do
	alive="$alive $i"
	i=$((i + 1))
done
alive="$alive $nodes $((nodes + 1))"
held() {
	ctl "$1" stats 2>/dev/null | awk '$1 == "values_held" { print $2 }'
}
newcomers_hold_records() {
	[ "$(held "$nodes")" -gt 0 ] 2>/dev/null && [ "$(held $((nodes + 1)))" -gt 0 ] 2>/dev/null
}
wait_for 30 newcomers_hold_records || fail "the new nodes received no records"
republished=0
for i in $alive; do
	n=$(ctl $i stats | awk '$1 == "republished" { print $2 }')
	republished=$((republished + ${n:-0}))
	j=0
	while [ $j -lt "$nodes" ]; do
		got=$(ctl $i get "key-$j" --owner "$(owner $j)")
		[ "$got" = "value of node $j" ] || fail "after churn node $i got '$got' for key-$j"
		j=$((j + 1))
	done
done
[ $republished -gt 0 ] || fail "no record was handed over"
echo "mesh: 2 nodes stopped, 2 joined and hold $(held "$nodes") and $(held $((nodes + 1))) records; $republished records handed over; every key readable"

# A restarted node rejoins from its saved routing table, with no bootstrap.
p3=$(cat "$dir/n3.pid")
kill "$p3"
wait "$p3" || fail "node 3 did not stop cleanly"
pids=$(echo $pids | tr ' ' '\n' | grep -vx "$p3" | tr '\n' ' ')
start 3 --no-bootstrap
wait_for 15 routes_at_least 3 1 || fail "node 3 did not rejoin from its snapshot"
grep -q "rejoining through [1-9][0-9]* saved contacts" "$dir/n3.log" ||
	fail "node 3 did not reload its routing snapshot"
got=$(ctl 3 get key-0 --owner "$(owner 0)")
[ "$got" = "value of node 0" ] || fail "restarted node 3 got '$got' for key-0"
echo "mesh: node 3 restarted without bootstrap and rejoined from its snapshot"

# Every daemon stops cleanly on SIGTERM (under the sanitizers: no error, no leak).
for p in $pids; do
	kill "$p" 2>/dev/null
	wait "$p"
	rc=$?
	[ $rc -eq 0 ] || fail "daemon $p exited with status $rc"
done
pids=""

if [ $failures -ne 0 ]; then
	for f in "$dir"/n*.log; do
		[ -s "$f" ] && { echo "== $f"; cat "$f"; } >&2
	done
	echo "mesh: $failures failures" >&2
	exit 1
fi
echo "mesh: ok"
