# suite: default
# group: daemon
# deep: no (on the debug kernel the ratio holds, 0.33, but 2 of 4 gets after the attack failed in one run with the measured timeouts; to be understood first)
# The routing plane is no reflector. A mesh of N nodes (32), each with
# kdhtd on the kernel backend and some values stored, runs lookups while
# an attacker namespace sends requests to every node in a victim
# namespace's name (forged IPv4 source, kdht-spoof) for 60 s: PING,
# FIND_NODE, FIND_VALUE and STORE with random keys, and padded FIND_NODEs
# and FIND_VALUEs for a key the mesh holds. The victim counts every byte
# addressed to it (kdht-sink on raw sockets on its eth0: replies to the
# spoofed port, requests and pings to any port, ICMP; the sockets' drop
# count must be 0 for the count to be exact), from the attack's start
# until the mesh has gone quiet towards it. Everything the mesh sends to
# the victim because of the attack, divided by what the attacker sent (UDP
# payload bytes on both sides), must be at most 1.0. Then each kind of
# request alone, for a few seconds, shows its own ratio, at most 1.0 too;
# a STORE draws its 56-byte ERROR UNVALIDATED, never nothing.
# The debug kernel (--deep) runs 8 nodes, a 15 s attack and the STORE
# probe alone, for 3 s.
N=32
SECONDS_=60
PROBE_S=5		# seconds of each single-kind probe
if [ -n "$KDHT_DEEP" ]; then
	N=8
	SECONDS_=15
	PROBE_S=3
fi
ATTACKER=$((N + 1))
VICTIM=$((N + 2))
RATE_PER_NODE=10	# datagrams per second to each node, per attack stream
VICTIM_PORT=$KDHT_PORT
mesh "$VICTIM"
nodes_up "$N"
daemons_up "$N"

held=$(dctl 1 put --immutable "held by the mesh" --json | jq -r .key)
[ ${#held} -eq 64 ] || fail "put of the value the attacker asks for: no content key ($held)"
for i in 2 3 4 5; do
	dctl "$i" put "value $i" "$(head -c 600 /dev/zero | tr '\0' v)" ||
		fail "put on node $i failed"
done

# victim_ip_in: IPv4 packets the victim's stack took in. Not the link's
# byte count: the mesh's ARP and IPv6 neighbour chatter on the bridge never
# stops, and it is not IPv4.
# shellcheck disable=SC2016 # awk fields, not shell
victim_ip_in() {
	on "$VICTIM" awk '$1 == "Ip:" && $4 ~ /^[0-9]+$/ { print $4 }' /proc/net/snmp
}

# victim_quiet: no IPv4 packet reached the victim over two seconds (scaled
# waits poll this: the mesh may still ping the address it was told of).
victim_quiet() {
	_in=$(victim_ip_in)
	sleep 2
	[ "$_in" = "$(victim_ip_in)" ]
}

# sink_stop: once the mesh has gone quiet towards the victim.
sink_stop() {
	wait_until 120 victim_quiet
	sink_end
}

# ratio A B: A / B to four decimals.
ratio() {
	echo "$1 $2" | awk '{ printf "%.4f", $1 / $2 }'
}

# probe WHAT SPOOF_OPTION...: one kind of request alone for PROBE_S seconds;
# logs its amplification (bytes at the victim per byte the attacker sent)
# and checks it is at most 1.
probe() {
	_what=$1
	shift
	sink_start "$VICTIM" /tmp/probe.sink --exclude "$(addr4 "$ATTACKER")"
	# shellcheck disable=SC2086 # one --to option per node
	on "$ATTACKER" kdht-spoof $targets --from "$(addr4 "$VICTIM"):$VICTIM_PORT" \
		--rate $((RATE_PER_NODE * N)) --duration "$PROBE_S" --json "$@" >/tmp/probe.spoof ||
		fail "kdht-spoof ($_what) failed"
	sink_stop
	_out=$(jq .bytes /tmp/probe.spoof)
	_in=$(jq .bytes /tmp/probe.sink)
	log "amplification, $_what: $_in / $_out = $(ratio "$_in" "$_out")" \
		"(attacker: $(cat /tmp/probe.spoof); victim: $(cat /tmp/probe.sink))"
	expect_le "bytes at the victim, $_what" "$_out" "$_in"
}

# spoofers_done: both attack streams have printed their counts, on exit
# (kill -0 would see an exited child until the shell reaps it).
spoofers_done() {
	[ -s /tmp/spoof.mixed ] && [ -s /tmp/spoof.padded ]
}

# mesh_sum NAME: a counter summed over nodes 1..N.
mesh_sum() {
	_sum=0
	for _m in $(seq "$N"); do
		_sum=$((_sum + $(stat_of "$_m" "$1")))
	done
	echo "$_sum"
}

wait_until 60 victim_quiet
log "victim quiet, values stored"
targets=
for i in $(seq "$N"); do
	targets="$targets --to $(addr4 "$i"):$KDHT_PORT"
done
rx_before=$(mesh_sum rx_bytes)
sink_start "$VICTIM" /tmp/sink --exclude "$(addr4 "$ATTACKER")"

# shellcheck disable=SC2086 # one --to option per node
on "$ATTACKER" kdht-spoof $targets --from "$(addr4 "$VICTIM"):$VICTIM_PORT" \
	--type ping,find_node,find_value,store --rate $((RATE_PER_NODE * N)) \
	--duration "$SECONDS_" --seed 1 --json >/tmp/spoof.mixed &
mixed=$!
# shellcheck disable=SC2086
on "$ATTACKER" kdht-spoof $targets --from "$(addr4 "$VICTIM"):$VICTIM_PORT" \
	--type find_node,find_value --key "$held" --pad 1280 --rate $((RATE_PER_NODE * N)) \
	--duration "$SECONDS_" --seed 2 --json >/tmp/spoof.padded &
padded=$!

log "attack started"
# The mesh's own work meanwhile: lookups of random ids.
lookups=
for i in 6 7; do
	for _l in $(seq 16); do echo "$(random_id)"; done >"/tmp/targets.$i"
	on "$i" kdht-lookups --parallel 2 <"/tmp/targets.$i" >"/tmp/lookups.$i" 2>&1 &
	lookups="$lookups $!"
done
wait_until $((SECONDS_ + 60)) spoofers_done
wait "$mixed" || fail "kdht-spoof (mixed requests) failed"
wait "$padded" || fail "kdht-spoof (padded requests) failed"
log "attack over"
sink_stop
# Not a bare wait: the daemons are this shell's children too.
for p in $lookups; do
	wait "$p" || fail "kdht-lookups failed: $(cat /tmp/lookups.6 /tmp/lookups.7 | tail -n 4)"
done
gets=0
for i in 2 3 4 5; do
	dctl "$((N + 1 - i))" get "value $i" --owner "$(owner_of "$i")" >/dev/null &&
		gets=$((gets + 1))
done

mixed=$(cat /tmp/spoof.mixed)
padded=$(cat /tmp/spoof.padded)
sink=$(cat /tmp/sink)
log "attacker, mixed requests: $mixed"
log "attacker, padded requests for a held key: $padded"
log "victim: $sink"
log "mesh lookups during the attack: $(cat /tmp/lookups.6 /tmp/lookups.7 | grep -c ' ok ') of 32 ok"
show_drops "$N"

sent_bytes=$(($(echo "$mixed" | jq .bytes) + $(echo "$padded" | jq .bytes)))
victim_bytes=$(echo "$sink" | jq .bytes)
expect_ge "datagrams the attacker sent" $((RATE_PER_NODE * N * SECONDS_)) \
	"$(($(echo "$mixed" | jq .sent) + $(echo "$padded" | jq .sent)))"
# The attack reached the nodes: a ratio of 0 must not mean "nothing arrived".
expect_ge "bytes the nodes received" "$sent_bytes" $(($(mesh_sum rx_bytes) - rx_before))
expect_ge "value requests the daemons took" 1 "$(mesh_sum upcalls)"
log "reflection ratio: victim bytes / attacker bytes = $victim_bytes / $sent_bytes =" \
	"$(ratio "$victim_bytes" "$sent_bytes")"
expect_le "bytes at the victim (attacker sent $sent_bytes)" "$sent_bytes" "$victim_bytes"
expect_eq "gets after the attack" 4 "$gets"

# Each kind of request alone: which one reflects the most. The debug
# kernel, slow at every step, runs the STORE probe only: the mixed attack
# sent it every kind already.
if [ -z "$KDHT_DEEP" ]; then
	probe "PING" --type ping
	probe "FIND_NODE" --type find_node
	probe "FIND_NODE padded to 1280" --type find_node --pad 1280
	probe "FIND_VALUE of a held value" --type find_value --key "$held"
	probe "FIND_VALUE of a held value, padded to 1280" --type find_value --key "$held" \
		--pad 1280
	probe "FIND_VALUE of random keys" --type find_value
fi
probe "STORE of a full 864-byte part" --type store --store-size 864
# Refused, yet answered: ERROR UNVALIDATED carries the token to resend with.
expect_ge "bytes at the victim, STORE (its ERRORs)" 1 "$(jq .bytes /tmp/probe.sink)"
