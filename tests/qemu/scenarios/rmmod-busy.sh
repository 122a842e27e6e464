# suite: default
# group: lifecycle
# rmmod while nodes are flooded and lookups are pending: clean (no oops, no
# WARN, every object destroyed), and the module loads again afterwards.
# Eight nodes (five on the debug kernel).
N=8
if [ -n "$KDHT_DEEP" ]; then
	N=5
fi
LIVE=$((N - 2))

mesh "$N"
# The last two nodes lose everything they send: lookups that ask them wait
# on timeouts, so some are still pending when the module goes.
add_node $((N + 1))
add_node $((N + 2))
i=1
while [ "$i" -le "$N" ]; do
	node_up "$i"
	i=$((i + 1))
done
for i in $((N - 1)) $N; do
	on $i "$TC" qdisc add dev eth0 root netem loss 100%
done
bootstrap_all $LIVE
for i in $((N - 1)) $N; do
	on $i dhtctl -k bootstrap "$(addr4 1):$KDHT_PORT"
done
wait_until 30 table_at_least 1 $((N - 3))

on $((N + 1)) kdht-flood --type find_node --duration 30 --sockets 8 "$(addr4 1):$KDHT_PORT" \
	>/dev/null 2>&1 &
on $((N + 2)) kdht-flood --type ping --duration 30 "[$(addr6 2)]:$KDHT_PORT" >/dev/null 2>&1 &
i=1
while [ "$i" -le $LIVE ]; do
	for t in 1 2 3; do
		on "$i" dhtctl -k lookup "$(random_id)" >/dev/null 2>&1 &
	done
	i=$((i + 1))
done
# Busy means seen busy: the lookups and both floods have reached the nodes.
wait_until 30 stat_at_least 1 lookups_started 1
wait_until 30 stat_at_least 1 rx_find_node 1
wait_until 30 stat_at_least 2 rx_ping 1
lookups=$(on 1 dhtctl -k node --json | jq -r .lookups)
log "lookups running on node 1 at rmmod: $lookups"
kdht_unload
log "ok: rmmod during the flood and the lookups"
kdht_load
node_up 1
node_up 2
expect_ok "node 2 pings node 1 after reload" on 2 dhtctl -k ping "$(addr4 1):$KDHT_PORT"
