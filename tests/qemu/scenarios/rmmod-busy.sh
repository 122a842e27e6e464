# suite: default
# group: busy
# rmmod while nodes are flooded and lookups are pending: clean (no oops, no
# WARN, every object destroyed), and the module loads again afterwards.
N=8

mesh "$N"
# Nodes 7 and 8 lose everything they send: lookups that ask them wait on
# timeouts, so some are still pending when the module goes.
add_node 9
add_node 10
i=1
while [ "$i" -le "$N" ]; do
	node_up "$i"
	i=$((i + 1))
done
on 7 "$TC" qdisc add dev eth0 root netem loss 100%
on 8 "$TC" qdisc add dev eth0 root netem loss 100%
bootstrap_all 6
on 7 dhtctl -k bootstrap "$(addr4 1):$KDHT_PORT"
on 8 dhtctl -k bootstrap "$(addr4 1):$KDHT_PORT"
wait_until 30 table_at_least 1 5

on 9 kdht-flood --type find_node --duration 30 --sockets 8 "$(addr4 1):$KDHT_PORT" >/dev/null 2>&1 &
on 10 kdht-flood --type ping --duration 30 "[$(addr6 2)]:$KDHT_PORT" >/dev/null 2>&1 &
i=1
while [ "$i" -le 6 ]; do
	for t in 1 2 3; do
		on "$i" dhtctl -k lookup "$(random_id)" >/dev/null 2>&1 &
	done
	i=$((i + 1))
done
wait_until 10 sh -c "[ \$($IP netns exec n1 cat /proc/net/kdht | awk '\$1 == \"lookups_started\" { print \$2 }') -gt 0 ]"
sleep 1
lookups=$(on 1 dhtctl -k node --json | jq -r .lookups)
log "lookups running on node 1 at rmmod: $lookups"
kdht_unload
log "ok: rmmod during the flood and the lookups"
kdht_load
node_up 1
node_up 2
expect_ok "node 2 pings node 1 after reload" on 2 dhtctl -k ping "$(addr4 1):$KDHT_PORT"
