# suite: default
# group: lifecycle
# Namespaces deleted while their nodes are flooded and looking up: clean,
# and the module unloads afterwards with every object destroyed. Eight
# nodes (four on the debug kernel).
N=8
if [ -n "$KDHT_DEEP" ]; then
	N=4
fi
F=$((N + 1))

mesh "$N"
add_node $F
nodes_up "$N"
bootstrap_all "$N"
wait_until 30 table_at_least 1 $((N - 3))

on $F kdht-flood --type find_node --duration 30 --sockets 4 "$(addr4 1):$KDHT_PORT" >/dev/null 2>&1 &
on $F kdht-flood --type ping --duration 30 "$(addr4 2):$KDHT_PORT" >/dev/null 2>&1 &
i=1
while [ "$i" -le "$N" ]; do
	on "$i" sh -c 'for t in 1 2 3 4; do dhtctl -k lookup "$1" >/dev/null 2>&1; done' sh "$(random_id)" &
	i=$((i + 1))
done
# Busy means seen busy: both floods and the lookups have reached the nodes.
wait_until 30 stat_at_least 1 rx_find_node 1
wait_until 30 stat_at_least 2 rx_ping 1
wait_until 30 stat_at_least "$N" lookups_started 1
# A deleted namespace dies when its last lookup ends: four in a row, each
# up to the 30 s lookup timeout once its peers are gone.
i=1
while [ "$i" -le "$N" ]; do
	del_node "$i" 150
	i=$((i + 1))
done
log "ok: $N busy namespaces deleted"
expect_eq "namespaces left" "n$F" "$("$IP" netns list | cut -d' ' -f1)"
kdht_unload
log "ok: rmmod after the deletions"
