# suite: wip
# group: lifecycle
# Namespaces with running nodes created and deleted in a loop while the
# module stays loaded; afterwards nodes still start and answer.
ROUNDS=50

bridge_up
i=1
while [ "$i" -le "$ROUNDS" ]; do
	add_node 1
	node_up 1
	[ "$(proc_of 1 running)" = 1 ] || fail "round $i: node did not start"
	del_node 1
	i=$((i + 1))
done
log "ok: $ROUNDS namespaces with nodes created and deleted"

add_node 1
add_node 2
node_up 1
node_up 2
on 2 dhtctl -k ping "$(addr4 1):$KDHT_PORT" || fail "node 2 cannot ping node 1 after the churn"
log "ok: node 2 pings node 1 after the churn"
