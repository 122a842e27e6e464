# suite: default
# cmdline: ipv6.disable=1
# A kernel booted without IPv6 runs IPv4 nodes: a 4-node mesh bootstraps
# and every node finds every other.
[ ! -d /proc/sys/net/ipv6 ] || fail "IPv6 is on: this scenario needs ipv6.disable=1"
N=4
mesh "$N"
nodes_up "$N"
bootstrap_all "$N"
all_tables_at_least "$N" $((N - 1)) 60
for i in $(seq 2 "$N"); do
	id=$(node_id "$i")
	expect_eq "node 1 finds node $i" "$id" "$(on 1 dhtctl -k lookup "$id" --json | jq -r '.nodes[0].id')"
done
