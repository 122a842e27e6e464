# suite: default
# group: lifecycle
# Namespaces with running nodes created and deleted in a loop while the
# module stays loaded, ten at a time, their destruction left to overlap
# with the next batch; afterwards nodes still start and answer. Three
# batches of ten (two of five on the debug kernel).
BATCHES=3
PER_BATCH=10
if [ -n "$KDHT_DEEP" ]; then
	BATCHES=2
	PER_BATCH=5
fi

b=1
while [ "$b" -le "$BATCHES" ]; do
	k=1
	while [ "$k" -le "$PER_BATCH" ]; do
		"$IP" netns add "c$b.$k"
		"$IP" -n "c$b.$k" link set lo up
		"$IP" netns exec "c$b.$k" dhtctl -k node up --port "$KDHT_PORT" >/dev/null ||
			fail "namespace c$b.$k: dhtctl -k node up failed"
		k=$((k + 1))
	done
	expect_all_answered "batch $b: PINGs to the node of c$b.1 on loopback" \
		"$("$IP" netns exec "c$b.1" kdht-flood --rate 10 --duration 0.3 \
			--linger "$(scaled 5)" --json "127.0.0.1:$KDHT_PORT")" pong
	k=1
	while [ "$k" -le "$PER_BATCH" ]; do
		"$IP" netns del "c$b.$k"
		k=$((k + 1))
	done
	b=$((b + 1))
done
log "ok: $((BATCHES * PER_BATCH)) namespaces with nodes created and deleted"

mesh 2
node_up 1
node_up 2
expect_ok "node 2 pings node 1 after the churn" on 2 dhtctl -k ping "$(addr4 1):$KDHT_PORT"
