# suite: default
# group: daemon
# deep: no (on the debug kernel lookups meet the Sybils within seconds and puts from nodes 1 and 5 land on 2 honest replicas each, but the put from node 10 had 1 of the 2 acknowledgements it needs in one run; to be understood)
# 30 honest nodes (kdht.ko routing, kdhtd on the kernel backend) and one
# attacker holding 200 addresses of its own /24 (10.0.200.0/24), where
# kdht-sybil plays 200 nodes with ids next to the key K the scenario puts and
# answers value requests by withholding (STOREs acknowledged, nothing kept).
# Once lookups of K meet Sybils, puts of K from several honest nodes land on
# at least 2 honest replicas, gets from every honest node return the honest
# value, and a lookup of K holds at most 2 Sybils. The daemons run with the
# default r = 3: a put spreads its replicas over subnets, so the Sybils'
# /24 takes one place and honest nodes of other subnets the other two. The
# debug kernel (--deep) runs 10 honest nodes and 60 Sybils.

# How this scenario names, stores and reads K: one place. An immutable
# value, so that several nodes may put the same bytes: K is its content key,
# which kdht-sybil computes and prints, the Sybils' ids next to it.
VALUE="the honest value"
K=
put_k() {
	dctl "$1" put --immutable "$VALUE" >/dev/null
}
get_k() {
	dctl "$1" get --hex "$K"
}
# holders_k: the honest nodes that hold K in their own store.
holders_k() {
	for _h in $(seq "$N"); do
		dctl "$_h" get --local --hex "$K" >/dev/null 2>&1 && printf ' %s' "$_h"
	done
	echo
}

# held_k I...: how many of nodes I... hold K in their own store.
held_k() {
	_held=0
	for _h in "$@"; do
		dctl "$_h" get --local --hex "$K" >/dev/null 2>&1 && _held=$((_held + 1))
	done
	echo "$_held"
}

N=30
SYBILS=200
if [ -n "$KDHT_DEEP" ]; then
	N=10
	SYBILS=60
fi
A=$((N + 1))			# the attacker's namespace
SYBIL_NET=10.0.200

mesh $A
for j in $(seq "$SYBILS"); do
	echo "addr add $SYBIL_NET.$j/16 dev eth0"
done | "$IP" -n "n$A" -batch - || fail "attacker addresses"
nodes_up $N
for d in $(seq "$N"); do
	daemon_up "$d"
done
all_tables_at_least "$N" 3 60

# Not through on(): ip netns exec execs kdht-sybil, so $! is its pid and a
# TERM makes it print its counts and exit 0.
"$IP" netns exec "n$A" kdht-sybil --first "$SYBIL_NET.1" --addresses "$SYBILS" --mode withhold \
	--bootstrap "$(addr4 1)" --bootstrap "$(addr4 2)" --announce 10 --json --content "$VALUE" \
	>/tmp/sybil.out 2>/tmp/sybil.err &
sybil_pid=$!
sybil_target() {
	K=$(sed -n 's/^kdht-sybil: target \([0-9a-f]*\)$/\1/p' /tmp/sybil.err)
	[ -n "$K" ]
}
wait_until 30 sybil_target
log "K = $K"

# sybils_in_lookup I: Sybils among a lookup of K from node I.
sybils_in_lookup() {
	dctl "$1" lookup "$K" | grep -c " $SYBIL_NET\." || true
}

# sybils_met: the Sybils are in honest tables, as a lookup of K meets them.
sybils_met() {
	[ "$(sybils_in_lookup 1)" -ge 1 ]
}
if ! wait_for 120 sybils_met; then
	show_drops "$N"
	log "node 1's table: $(on 1 dhtctl -k routes | grep -c " $SYBIL_NET\." || true) Sybils of $(on 1 dhtctl -k routes | grep -c ":$KDHT_PORT" || true)"
	on 1 cat /proc/net/kdht
	kill "$sybil_pid"
	wait "$sybil_pid" || true
	log "kdht-sybil: $(cat /tmp/sybil.out)"
	fail "no lookup of K from node 1 met a Sybil"
fi

for p in 1 $((N / 2)) $N; do
	expect_ok "put of K from node $p" put_k "$p"
	held=$(held_k $(seq "$N"))
	log "put from node $p: $held honest replicas hold K"
	expect_ge "honest replicas after the put from node $p" 2 "$held"
done
log "honest nodes holding K:$(holders_k)"
i=1
while [ $i -le $N ]; do
	got=$(get_k $i) || true
	if [ "$got" != "$VALUE" ]; then
		log "node $i's lookup of K:"
		dctl "$i" lookup "$K" || true
		log "honest nodes holding K:$(holders_k)"
		for h in $i $(holders_k); do
			log "node $h's counters:"
			dctl "$h" stats || true
			on "$h" dhtctl -k stats || true
		done
		log "node $i's get again: $(get_k $i)"
	fi
	expect_eq "get of K on node $i" "$VALUE" "$got"
	i=$((i + 1))
done
for l in 1 $N; do
	s=$(sybils_in_lookup $l)
	log "lookup of K from node $l: $s Sybils"
	expect_le "Sybils in a lookup of K from node $l" 2 "$s"
done

kill "$sybil_pid"
wait "$sybil_pid" || fail "kdht-sybil exited with $?"
log "kdht-sybil: $(cat /tmp/sybil.out)"
expect_ge "Sybils were stored to (withheld)" 1 "$(jq .stores_acked /tmp/sybil.out)"
daemons_down
