#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Host integration test of the closed mesh, userspace backend on loopback:
# three kdhtd with one mesh key form a mesh and put/get among themselves; a
# daemon with another key and one without a key bootstrap into them and
# never join: their routing tables stay empty, the members' never list
# them, and they receive not one datagram (their rx counter stays 0) while
# the members count their attempts as bad_tag. dhtctl mesh show asks each
# daemon which mesh it runs: a key file's fingerprint, or open. Also:
# dhtctl mesh keygen writes 0600 and never over a file; kdhtd refuses a key
# others may read.
#
# usage: closed-mesh.sh KDHTD DHTCTL
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
scratch closed-mesh
pids=""
failures=0
members="0 1 2"
outsiders="3 4"

trap daemons_cleanup EXIT INT TERM

# start I [KEYFILE]: daemon I on port $port + I, bootstrapped from the members.
start() {
	i=$1
	key=${2:-}
	mkdir -p "$dir/n$i"
	set -- --config /dev/null --backend user --state-dir "$dir/n$i" \
		--socket "$dir/n$i.sock" --port $((port + i)) --bind4 127.0.0.1 \
		--bind6 none --rate-limit 100000 --subnet-limit 1000 \
		--request-timeout 500 --log-level info \
		--bootstrap 127.0.0.1:$port --bootstrap 127.0.0.1:$((port + 1))
	[ -n "$key" ] && set -- "$@" --mesh-key "$key"
	"$kdhtd" "$@" 2>"$dir/n$i.log" &
	pids="$pids $!"
}

# stat_of I NAME: counter NAME of daemon I.
stat_of() {
	ctl "$1" stats --json | tr ',{}' '\n\n\n' | sed -n "s/^\"$2\":\([0-9]*\)$/\1/p"
}

routes_at_least() {
	_routes=$(ctl "$1" routes 2>/dev/null) &&
		[ "$(printf '%s' "$_routes" | grep -c .)" -ge "$2" ]
}

bad_tags_at_least() {
	_n=$(stat_of "$1" bad_tag) && [ "${_n:-0}" -ge "$2" ]
}

# --- Key files.
"$dhtctl" mesh keygen "$dir/a.key" || fail "mesh keygen"
[ "$(stat -c %a "$dir/a.key")" = 600 ] || fail "key file mode $(stat -c %a "$dir/a.key")"
cp "$dir/a.key" "$dir/a.copy"
if "$dhtctl" mesh keygen "$dir/a.key" 2>"$dir/err"; then
	fail "mesh keygen replaced an existing file"
fi
grep -q "exists" "$dir/err" || fail "mesh keygen refusal: $(cat "$dir/err")"
cmp -s "$dir/a.key" "$dir/a.copy" || fail "mesh keygen changed an existing file"
"$dhtctl" mesh keygen >"$dir/b.key" && chmod 600 "$dir/b.key" || fail "mesh keygen to stdout"
[ "$(wc -c <"$dir/b.key")" -eq 65 ] || fail "mesh keygen stdout: $(wc -c <"$dir/b.key") bytes"

cp "$dir/a.key" "$dir/open.key"
chmod 644 "$dir/open.key"
if timeout "$(scaled 10)" "$kdhtd" --config /dev/null --backend user --state-dir "$dir/r" \
	--socket "$dir/r.sock" --port $((port + 9)) --mesh-key "$dir/open.key" 2>"$dir/err"; then
	fail "kdhtd started with a world-readable key"
fi
[ "$(grep -c . "$dir/err")" -eq 1 ] && grep -q "readable by others" "$dir/err" ||
	fail "world-readable key refusal: $(cat "$dir/err")"

# --- The mesh and its outsiders.
for i in $members; do
	start "$i" "$dir/a.key"
done
start 3 "$dir/b.key"
start 4
for i in $members; do
	wait_for 20 routes_at_least "$i" 2 || fail "member $i did not find the other two"
done
grep -q "closed mesh, fingerprint $("$dhtctl" mesh show "$dir/a.key" | sed 's/.*fingerprint //')" \
	"$dir/n0.log" || fail "kdhtd did not log the mesh fingerprint"
# mesh show asks kdhtd by default: a member tells the key file's mesh, the
# daemon with another key another, the one without a key an open mesh.
for i in 0 3; do
	key=$dir/a.key
	[ "$i" = 3 ] && key=$dir/b.key
	want=$("$dhtctl" mesh show "$key")
	[ "$(ctl "$i" mesh show)" = "$want" ] || fail "mesh show on $i: '$(ctl "$i" mesh show)', not '$want'"
done
[ "$(ctl 4 mesh show)" = "mesh: open" ] || fail "mesh show on 4: '$(ctl 4 mesh show)'"
[ "$(ctl 1 --json mesh show | jq -r '"\(.closed) \(.fingerprint)"')" = \
  "true $("$dhtctl" --json mesh show "$dir/a.key" | jq -r .fingerprint)" ] ||
	fail "mesh show --json on 1: $(ctl 1 --json mesh show)"
ctl 0 put greeting "hello mesh" >/dev/null || fail "put in the closed mesh"
for i in $members; do
	[ "$(ctl "$i" get greeting 2>/dev/null)" = "hello mesh" ] || fail "get on member $i"
done
# Signed parts under a mesh name: the largest datagrams, their tag included.
head -c 2500 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 2500 >"$dir/big"
ctl 1 put --file "$dir/big" big >/dev/null || fail "put of a value in parts"
ctl 2 get big >"$dir/big.got" 2>/dev/null && cmp -s "$dir/big" "$dir/big.got" ||
	fail "get of a value in parts"

# Each outsider's bootstraps reach both members it names, retried with backoff.
for i in 0 1; do
	wait_for 20 bad_tags_at_least "$i" 4 || fail "member $i counted $(stat_of "$i" bad_tag) bad tags"
done
for i in $outsiders; do
	[ -z "$(ctl "$i" routes)" ] || fail "outsider $i has routes: $(ctl "$i" routes)"
	rx=$(stat_of "$i" rx)
	[ "$rx" = 0 ] || fail "outsider $i received $rx datagrams from the mesh"
	ctl "$i" get greeting >/dev/null 2>&1 && fail "outsider $i read a member's value"
done
for i in $members; do
	ctl "$i" routes | grep -Eq ":$((port + 3))|:$((port + 4))" &&
		fail "member $i lists an outsider: $(ctl "$i" routes)"
done
echo "bad_tag at members: $(for i in $members; do printf '%s ' "$(stat_of "$i" bad_tag)"; done)"
echo "rx at outsiders: $(for i in $outsiders; do printf '%s ' "$(stat_of "$i" rx)"; done)"

[ $failures -eq 0 ] || { echo "$failures failure(s)"; for i in 0 1 2 3 4; do echo "== n$i"; cat "$dir/n$i.log"; done; exit 1; }
echo "closed mesh: ok"
