# suite: default
# group: kernel
# Nodes with two IPv4 and two IPv6 addresses each, bootstrapped through the
# secondary ones: a reply leaves from the address its request came to (the
# route would pick the primary, and the requester would drop the reply as
# unsolicited), so every lookup succeeds.
N=4
mesh "$N"
for i in $(seq "$N"); do
	"$IP" -n "n$i" -batch - <<-EOF
	addr add 10.0.$i.2/16 dev eth0
	addr add fd00:$i::2/16 dev eth0 nodad
	EOF
	node_up "$i"
done
# Node i knows node i-1 only, by its secondary addresses.
for i in $(seq 2 "$N"); do
	on "$i" dhtctl -k bootstrap "10.0.$((i - 1)).2:$KDHT_PORT" ||
		fail "node $i: bootstrap over IPv4 failed"
	on "$i" dhtctl -k bootstrap "[fd00:$((i - 1))::2]:$KDHT_PORT" ||
		fail "node $i: bootstrap over IPv6 failed"
done
all_tables_at_least "$N" 1 60
expect_ok "node 1 pings node 2's secondary IPv4" on 1 dhtctl -k ping "10.0.2.2:$KDHT_PORT"
expect_ok "node 1 pings node 2's secondary IPv6" on 1 dhtctl -k ping "[fd00:2::2]:$KDHT_PORT"

ids=
for i in $(seq "$N"); do
	ids="$ids $(node_id "$i")"
done
found=0
asked=0
for i in $(seq "$N"); do
	for id in $ids; do
		[ "$id" = "$(node_id "$i")" ] && continue
		asked=$((asked + 1))
		got=$(on "$i" dhtctl -k lookup "$id" --json | jq -r '.nodes[0].id') || true
		[ "$got" = "$id" ] && found=$((found + 1))
	done
done
show_drops "$N"
expect_eq "lookups that found their node" "$asked" "$found"
