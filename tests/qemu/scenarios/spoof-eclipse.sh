# suite: default
# group: kernel
# deep: no (the debug kernel's VM receives about 200 datagrams a second: of 38,000 forgeries sent in 52 s, 10,623 reached node 1)
# An attacker tries to cut node 1 off its peers with forged sources: PINGs
# and FIND_NODEs in each peer's name (its address and id) at ten times node
# 1's per-source rate limit, and a spray of 100,000 random source addresses.
# Node 1 keeps every peer in its table and its lookups of them succeed (99%
# or more). Beside the mesh, a pair: node P has a second address, which its
# only peer Q knows it by, and is sprayed too. P's datagrams to Q leave from
# that address throughout, since a forged source never takes a proven
# peer's entry in P's cache of local addresses (from the primary address,
# Q would drop P's replies to Q's requests that P answers late). The pair
# stands apart so that no other proven peer shares Q's slot in P's cache.
# The attacker sends fixed counts: a slow VM takes longer over them, and the
# limiter's drops are checked against the time they took. Under --deep the
# spray is 10,000 sources.
N=8
P=$((N + 1))
Q=$((N + 2))
ATTACKER=$((N + 3))
RATE=10			# node 1's requests per second per source
SPRAY=100000		# random sources
SPRAY_RATE=2000
SPOOF_SECONDS=40	# of each peer's name at 10x RATE, on a VM that keeps up
[ -z "$KDHT_DEEP" ] || SPRAY=10000
LOOKUP_ROUNDS=13	# lookups of each peer's id: 13 * 7, about 100

P_SECOND=10.0.$P.2

mesh "$ATTACKER"
"$IP" -n "n$P" addr add "$P_SECOND/16" dev eth0
nodes_up "$Q"
bootstrap_all "$N"
on "$Q" dhtctl -k bootstrap "$P_SECOND:$KDHT_PORT" || fail "node $Q: bootstrap failed"
wait_until 60 table_at_least 1 $((N - 1))
wait_until 60 table_at_least "$P" 1
on 1 dhtctl -k node set --rate "$RATE" --burst $((2 * RATE)) || fail "dhtctl -k node set --rate failed"
for i in $(seq 2 "$N"); do
	expect_ok "node 1 pings node $i" on 1 dhtctl -k ping "$(addr4 "$i"):$KDHT_PORT"
done
on 1 dhtctl -k routes >/tmp/routes.before
rx_before=$(stat_of 1 rx_packets)
limited_before=$(stat_of 1 drop_rate_limited)

expect_ok "node $P pings node $Q" on "$P" dhtctl -k ping "$(addr4 "$Q"):$KDHT_PORT"

# Q counts what P sends it from its primary address.
sink_start "$Q" /tmp/sink --only "$(addr4 "$P")"
spoofers=
for i in $(seq 2 "$N"); do
	on "$ATTACKER" kdht-spoof --to "$(addr4 1):$KDHT_PORT" --from "$(addr4 "$i"):$KDHT_PORT" \
		--id "$(node_id "$i")" --type ping,find_node --rate $((10 * RATE)) \
		--count $((10 * RATE * SPOOF_SECONDS)) \
		--seed "$i" --json >"/tmp/spoof.$i" &
	spoofers="$spoofers $!"
done
on "$ATTACKER" kdht-spoof --to "$(addr4 1):$KDHT_PORT" --random-sources "$SPRAY" \
	--type ping,find_node --rate "$SPRAY_RATE" --count "$SPRAY" \
	--json >/tmp/spray &
spoofers="$spoofers $!"
on "$ATTACKER" kdht-spoof --to "$(addr4 "$P"):$KDHT_PORT" --random-sources "$SPRAY" \
	--type ping,find_node --rate $((SPRAY_RATE / 4)) --count $((SPRAY / 5)) --seed 2 \
	--json >/tmp/spray.pair &
spoofers="$spoofers $!"

# Node 1's lookups of its peers, and P's pings to Q, under attack.
: >/tmp/targets
for _r in $(seq "$LOOKUP_ROUNDS"); do
	for i in $(seq 2 "$N"); do
		node_id "$i" >>/tmp/targets
	done
done
on 1 kdht-lookups --parallel 2 </tmp/targets >/tmp/lookups 2>&1 &
lookups=$!
pings=0
for _p in $(seq 10); do
	on "$P" dhtctl -k ping "$(addr4 "$Q"):$KDHT_PORT" >/dev/null && pings=$((pings + 1))
done
wait "$lookups" || fail "kdht-lookups failed"
for p in $spoofers; do
	wait "$p" || fail "kdht-spoof failed"
done
sink_end

spray=$(cat /tmp/spray)
log "spray: $spray"
log "in node 2's name: $(cat /tmp/spoof.2)"
log "spray of node $P: $(cat /tmp/spray.pair)"
log "node $Q from node $P's primary address: $(cat /tmp/sink)"
show_drops 1
sent=$(echo "$spray" | jq .sent)
for i in $(seq 2 "$N"); do
	sent=$((sent + $(jq .sent "/tmp/spoof.$i")))
done
expect_ge "random sources sprayed" "$SPRAY" "$(echo "$spray" | jq .sent)"
expect_ge "node 1 rx_packets (the forgeries arrived)" "$sent" $(($(stat_of 1 rx_packets) - rx_before))
# Each name may pass RATE a second over the time its datagrams took, and a
# burst of 2 * RATE; half the rest at least must be dropped (a margin: the
# limiter's arithmetic is unit-tested, this checks that it holds under the
# spray, which must not free the names' buckets).
allowed=0
for i in $(seq 2 "$N"); do
	allowed=$((allowed + $(jq ".seconds | ceil | . * $RATE + 2 * $RATE" "/tmp/spoof.$i")))
done
named=$((sent - $(echo "$spray" | jq .sent)))
log "datagrams in the peers' names: $named, of which the limit allows $allowed"
expect_ge "node 1 drop_rate_limited (peers' names at 10x the limit)" \
	$(((named - allowed) / 2)) $(($(stat_of 1 drop_rate_limited) - limited_before))

total=$(wc -l </tmp/targets)
found=$(awk '$2 == "ok" && $1 == $3' /tmp/lookups | wc -l)
log "lookup success under attack: $found of $total"
expect_ge "lookups that found their peer (99%)" $(((total * 99 + 99) / 100)) "$found"
for i in $(seq 2 "$N"); do
	grep -q "$(node_id "$i")" /tmp/routes.before || fail "node $i not in node 1's table before"
	on 1 dhtctl -k routes | grep -q "$(node_id "$i")" ||
		fail "node 1 lost node $i from its table"
done
log "ok: node 1 kept its $((N - 1)) peers"
expect_ge "node $P rx_packets (its spray arrived)" "$(jq .sent /tmp/spray.pair)" \
	"$(stat_of "$P" rx_packets)"
expect_eq "node $P's pings to node $Q under attack answered" 10 "$pings"
expect_eq "bytes node $Q got from node $P's primary address" 0 "$(jq .bytes /tmp/sink)"
