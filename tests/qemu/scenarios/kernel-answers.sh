# suite: default
# group: kernel
# With no daemon anywhere, the kernel alone answers PING and FIND_NODE, over
# IPv4 and IPv6, and counts them.
mesh 3
node_up 1
node_up 2
on 2 dhtctl -k bootstrap "$(addr4 1):$KDHT_PORT"
wait_until 20 table_at_least 1 1
expect_eq "node 1: daemon registered" false "$(on 1 dhtctl -k node --json | jq -r .daemon)"

# Node 3 runs no kdht node: only the kernel of node 1 can answer it.
out=$(on 3 kdht-flood --type ping --rate 20 --duration 1 --linger "$(scaled 5)" --json \
	"$(addr4 1):$KDHT_PORT")
expect_all_answered "PINGs over IPv4" "$out" pong
out=$(on 3 kdht-flood --type ping --rate 20 --duration 1 --linger "$(scaled 5)" --json \
	"[$(addr6 1)]:$KDHT_PORT")
expect_all_answered "PINGs over IPv6" "$out" pong
out=$(on 3 kdht-flood --type find_node --rate 20 --duration 1 --pad 400 --linger "$(scaled 5)" \
	--json "$(addr4 1):$KDHT_PORT")
expect_all_answered "padded FIND_NODEs" "$out" nodes
expect_ge "node 1 rx_ping" 30 "$(stat_of 1 rx_ping)"
expect_ge "node 1 tx_nodes" 15 "$(stat_of 1 tx_nodes)"

# dhtctl's own ping and lookup go through the same kernel path.
expect_ok "dhtctl ping node 1 -> node 2" on 1 dhtctl -k ping "$(addr4 2):$KDHT_PORT"
id2=$(node_id 2)
expect_eq "node 1 finds node 2" "$id2" "$(on 1 dhtctl -k lookup "$id2" --json | jq -r '.nodes[0].id')"
