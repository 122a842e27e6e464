# suite: wip
# group: lossy
# 10% loss and 20 ms delay on every link: lookups still find the true
# closest node, computed here from the ids the nodes report.
N=16
LOOKUPS=24

mesh "$N" 20 10
nodes_up "$N"
bootstrap_all "$N"
i=1
while [ "$i" -le "$N" ]; do
	wait_until 90 table_at_least "$i" 6
	i=$((i + 1))
done
i=1
while [ "$i" -le "$N" ]; do
	node_id "$i" >"/tmp/id.$i"
	i=$((i + 1))
done

# The lookups run from every node in turn, in parallel batches.
l=1
while [ "$l" -le "$LOOKUPS" ]; do
	from=$(((l - 1) % N + 1))
	target=$(random_id)
	# A lookup returns other nodes: the closest one, not counting itself.
	# shellcheck disable=SC2046 # ids are separate words
	want=$(closest "$target" $(cat $(ls /tmp/id.* | grep -v "/id.$from\$")))
	(
		got=$(on "$from" dhtctl -k lookup "$target" --json | jq -r '.nodes[0].id')
		[ "$got" = "$want" ] || echo "node $from: lookup of $target returned $got first, the closest is $want"
	) >"/tmp/lossy.$l" 2>&1 &
	[ $((l % 8)) -eq 0 ] && wait
	l=$((l + 1))
done
wait
cat /tmp/lossy.* >/tmp/lossy
misses=$(wc -l </tmp/lossy)
[ "$misses" -eq 0 ] || { cat /tmp/lossy; fail "$misses of $LOOKUPS lookups missed the closest node"; }
log "ok: $LOOKUPS lookups over lossy links found the closest node"
