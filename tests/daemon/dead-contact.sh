#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Host integration test: a small mesh of kdhtd daemons with the userspace
# backend on loopback. One node dies by SIGKILL; another one's `dhtctl
# routes` must show it first as good, then, once gets have asked it and
# heard nothing, as failed (or bad), never still good; meanwhile every get
# through that node succeeds, each well within the old 4 s a get took
# while a dead contact held it up.
#
# usage: dead-contact.sh KDHTD DHTCTL
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
nodes=5
victim=4	# not node 0, the one all bootstrap from
watcher=1
# The routing core's request timeout when nothing was measured
# (KD_DEFAULT_REQUEST_TIMEOUT_MS); a measured loopback contact times out
# sooner. kdhtd's own value requests: --request-timeout and --retries below.
core_timeout_ms=2000
value_timeout_ms=500
value_retries=1
# A get that asks the dead node waits on it at most one request timeout of
# the core and one round of value requests: under this, scaled.
get_limit_ms=$(((core_timeout_ms + value_timeout_ms * (value_retries + 1)) * KDHT_TIMEOUT_FACTOR))
# The dead node is marked once one get asked it and its request timed out:
# two gets' worth, whole seconds, scaled by wait_for.
failed_limit_s=$(((2 * get_limit_ms / KDHT_TIMEOUT_FACTOR + 999) / 1000))

mesh_scratch dead

start() {
	i=$1
	set -- --request-timeout $value_timeout_ms --retries $value_retries --log-level warn
	[ "$i" -gt 0 ] && set -- "$@" --bootstrap 127.0.0.1:$base
	mesh_daemon "$i" "$@"
}

i=0
while [ $i -lt $nodes ]; do
	start $i
	i=$((i + 1))
done

# id I: node I's id, as dhtctl node prints it.
id() {
	ctl "$1" node --json | jq -r .id
}

# state_of I ID: the STATE column of ID in node I's routes; empty if absent.
state_of() {
	ctl "$1" routes | awk -v id="$2" '$1 == id { print $4 }'
}

# state_is I ID STATE...: node I lists ID in one of the STATEs.
state_is() {
	_n=$1
	_id=$2
	shift 2
	_got=$(state_of "$_n" "$_id")
	for _want in "$@"; do
		[ "$_got" = "$_want" ] && return 0
	done
	return 1
}

# knows_all I: node I answers and lists every other node.
knows_all() {
	[ "$(ctl "$1" routes 2>/dev/null | grep -vc '^ID')" -ge $((nodes - 1)) ]
}

if ! wait_for 20 knows_all $watcher; then
	fail "node $watcher did not learn the whole mesh"
	cat "$dir/n$watcher.log" >&2
	exit 1
fi
dead_id=$(id $victim)
[ -n "$dead_id" ] || { fail "node $victim has no id"; exit 1; }

# Names put from every live node, to get through the watcher afterwards.
owners=""
i=0
while [ $i -lt $((nodes - 1)) ]; do
	out=$(ctl $i put "name-$i" "value $i") || fail "put name-$i: $out"
	owners="$owners $(ctl $i node --json | jq -r .owner)"
	i=$((i + 1))
done

got=$(state_of $watcher "$dead_id")
[ "$got" = good ] || fail "node $victim is '$got' in node $watcher's routes while alive, not good"

victim_pid=$(cat "$dir/n$victim.pid")
kill -9 "$victim_pid"
wait "$victim_pid" 2>/dev/null

# get_all: the watcher gets every name, each in under get_limit_ms.
gets=0
slowest=0
get_all() {
	_i=0
	for _owner in $owners; do
		_t0=$(date +%s%N)
		_got=$(ctl $watcher get "name-$_i" --owner "$_owner" 2>&1)
		_ms=$((($(date +%s%N) - _t0) / 1000000))
		[ "$_got" = "value $_i" ] || fail "get name-$_i after the kill: '$_got'"
		[ $_ms -lt "$get_limit_ms" ] || fail "get name-$_i took $_ms ms (limit $get_limit_ms)"
		[ $_ms -gt $slowest ] && slowest=$_ms
		gets=$((gets + 1))
		_i=$((_i + 1))
	done
}

# gets_until_failed: one round of gets, then whether the dead node is marked.
gets_until_failed() {
	get_all
	state_is $watcher "$dead_id" failed bad
}

if ! wait_for "$failed_limit_s" gets_until_failed; then
	fail "node $victim is '$(state_of $watcher "$dead_id")' in node $watcher's routes" \
		"$(scaled "$failed_limit_s") s after it died, not failed"
fi
# Gets keep succeeding once it is marked.
get_all

echo "dead-contact: node $victim marked '$(state_of $watcher "$dead_id")'," \
	"$gets gets, slowest $slowest ms (limit $get_limit_ms ms)"
[ $failures -eq 0 ] || { echo "dead-contact: $failures failures" >&2; exit 1; }
exit 0
