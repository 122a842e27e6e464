# suite: default
# group: kernel
# A request sent to the subnet's broadcast address draws no reply (one
# datagram must not draw one from every node of a LAN), and a node never
# sends to a broadcast address itself, though udp_tunnel_xmit_skb would.
mesh 3
node_up 1
node_up 2

pongs=$(stat_of 1 tx_pong)
out=$(on 3 kdht-flood --broadcast --type ping --rate 20 --duration 1 --json \
	"10.0.255.255:$KDHT_PORT")
log "broadcast PINGs: $out"
expect_ge "PINGs sent to the broadcast address" 10 "$(echo "$out" | jq .sent)"
wait_until 10 stat_at_least 1 drop_broadcast 10
expect_eq "node 1 PONGs after broadcast PINGs" "$pongs" "$(stat_of 1 tx_pong)"
expect_eq "node 2 PONGs after broadcast PINGs" 0 "$(stat_of 2 tx_pong)"

# Node 1 told to ping the broadcast address sends nothing there.
pings=$(stat_of 1 tx_ping)
on 1 dhtctl -k ping --timeout 2 "10.0.255.255:$KDHT_PORT" &&
	fail "a ping to the broadcast address was answered"
expect_ge "node 1 sends refused as broadcast" 1 "$(stat_of 1 tx_refused_broadcast)"
expect_eq "node 1 PINGs sent" "$pings" "$(stat_of 1 tx_ping)"
expect_eq "node 2 PINGs received" 0 "$(stat_of 2 rx_ping)"

# Unicast still works.
out=$(on 3 kdht-flood --type ping --rate 20 --duration 1 --linger "$(scaled 5)" --json \
	"$(addr4 1):$KDHT_PORT")
expect_all_answered "unicast PINGs" "$out" pong
