# suite: default
# group: kernel
# A hostile responder (kdht-hostile, node 2) is node 1's only contact and
# answers every FIND_NODE with loopback, link-local, broadcast and
# v4-mapped entries. Node 1 refuses them by scope and sends nothing towards
# them, counted on the interfaces: its loopback device transmits nothing,
# and node 3, which holds 169.254.1.1 (node 1 has a route to it) and hears
# the bridge's broadcasts, receives nothing from node 1 (kdht-sink with
# --any-destination). The subnet's broadcast address is no scope the core
# can tell (it knows no netmask): the module refuses to send there. A NODES
# naming 255.255.255.255 is refused whole by the codec (unit-tested). That a
# PING to the broadcast address draws no PONG is broadcast.sh's.
mesh 3
"$IP" -n n3 addr add 169.254.1.1/16 dev eth0
"$IP" -n n1 route add 169.254.0.0/16 dev eth0
node_up 1

entries="127.0.0.1 127.0.0.2 169.254.1.1 10.0.255.255 [::ffff:127.0.0.1] [::ffff:10.0.3.1] [::ffff:169.254.1.1]"
have_ipv6 && entries="$entries [::1] [fe80::1]"
args=
for e in $entries; do
	args="$args --entry $e:$KDHT_PORT"
done
# shellcheck disable=SC2086 # one --entry option per address
"$IP" netns exec n2 kdht-hostile $args --duration "$(scaled 60)" --json \
	"$(addr4 2):$KDHT_PORT" >/dev/null &
hostile=$!
sink_start 3 /tmp/sink --any-destination --only "$(addr4 1)"

lo_before=$(on 1 cat /sys/class/net/lo/statistics/tx_packets)
on 1 dhtctl -k bootstrap "$(addr4 2):$KDHT_PORT" || fail "node 1: bootstrap failed"
wait_until 30 table_at_least 1 1
# Each lookup asks the responder and is over (with whatever it sent
# towards the entries it heard of) when dhtctl returns.
for _l in $(seq 5); do
	on 1 dhtctl -k lookup "$(random_id)" >/dev/null 2>&1 || :
done
wait_until 30 stat_at_least 1 drop_scope_loopback 5
wait_until 30 stat_at_least 1 drop_scope_link_local 5
wait_until 30 stat_at_least 1 drop_scope_v4_mapped 5
sink_end
kill "$hostile"

log "node 3 from node 1: $(cat /tmp/sink)"
show_drops 1
expect_eq "packets node 1 sent on its loopback device" "$lo_before" \
	"$(on 1 cat /sys/class/net/lo/statistics/tx_packets)"
expect_eq "packets node 3 got from node 1 (link-local, broadcast)" 0 "$(jq .packets /tmp/sink)"
expect_eq "node 1 contacts besides the responder" 1 "$(table_size 1)"
