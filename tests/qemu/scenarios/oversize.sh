# suite: default
# group: kernel
# A datagram over 1,280 bytes (reassembled from fragments when large) is
# counted and dropped before the kernel copies it into one buffer, and the
# node still answers what follows.
mesh 2
node_up 1
for size in 1300 4000 60000; do
	on 2 kdht-flood --type ping --rate 10 --duration 0.5 --trailing "$size" --json \
		"$(addr4 1):$KDHT_PORT" >/dev/null || fail "kdht-flood --trailing $size failed"
done
wait_until 10 stat_at_least 1 drop_oversize 12
expect_eq "node 1 replies to oversize datagrams" 0 "$(stat_of 1 tx_packets)"
out=$(on 2 kdht-flood --type ping --rate 20 --duration 1 --linger "$(scaled 5)" --json \
	"$(addr4 1):$KDHT_PORT")
expect_all_answered "PINGs after the oversize datagrams" "$out" pong
