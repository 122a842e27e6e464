# suite: default
# group: kernel
# deep: no (the receive path of kernel-answers and junk-storm; the budget arithmetic is the core's, unit-tested)
# To an unvalidated source, bytes out never exceed bytes in: FIND_NODE
# without token and without padding, measured on the flooder's side of the
# wire; the node's own unvalidated counters agree.
mesh 10
nodes_up 9
bootstrap_all 9
wait_until 60 table_at_least 1 8
on 1 dhtctl -k node set --rate 100000 --burst 100000 || fail "dhtctl -k node set --rate failed"

out=$(on 10 kdht-flood --type find_node --duration 3 --json "$(addr4 1):$KDHT_PORT")
log "flooder: $out"
expect_eq "receive-queue drops on the flooder" 0 "$(echo "$out" | jq .rcvbuf_drops)"
expect_ge "requests sent" 100 "$(echo "$out" | jq .sent)"
expect_le "reply bytes to the flooder (request bytes: $(echo "$out" | jq .bytes_out))" \
	"$(echo "$out" | jq .bytes_out)" "$(echo "$out" | jq .bytes_in)"
expect_le "node 1 tx_unvalidated_bytes (rx_unvalidated_bytes: $(stat_of 1 rx_unvalidated_bytes))" \
	"$(stat_of 1 rx_unvalidated_bytes)" "$(stat_of 1 tx_unvalidated_bytes)"

# A padded request earns a reply up to its own size: the bound is not
# met by answering nothing.
out=$(on 10 kdht-flood --type find_node --rate 50 --duration 1 --pad 1280 \
	--linger "$(scaled 5)" --json "$(addr4 1):$KDHT_PORT")
log "padded: $out"
expect_all_answered "padded FIND_NODEs" "$out" nodes
expect_le "reply bytes to padded requests" "$(echo "$out" | jq .bytes_out)" "$(echo "$out" | jq .bytes_in)"
# A NODES reply with 8 entries: header, count, 8 node entries.
expect_ge "reply bytes to padded requests (8 or more nodes each)" \
	$(($(echo "$out" | jq .sent) * (52 + 4 + 8 * 52))) "$(echo "$out" | jq .bytes_in)"
