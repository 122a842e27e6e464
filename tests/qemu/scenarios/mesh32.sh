# suite: wip
# group: kernel
# 32 nodes bootstrapped from one contact find each other: every node's
# lookup of every other node's id returns that node first (32 * 31 lookups).
N=32

mesh "$N"
nodes_up "$N"
bootstrap_all "$N"
i=1
while [ "$i" -le "$N" ]; do
	wait_until 60 table_at_least "$i" 8
	i=$((i + 1))
done
log "every table holds 8 contacts or more"

: >/tmp/ids
i=1
while [ "$i" -le "$N" ]; do
	echo "$i $(node_id "$i")" >>/tmp/ids
	i=$((i + 1))
done

# Each node looks up every other id in one loop; the nodes run in parallel.
i=1
while [ "$i" -le "$N" ]; do
	on "$i" sh -c '
		while read -r j id; do
			[ "$j" = "$1" ] && continue
			got=$(dhtctl -k lookup "$id" --json | jq -r ".nodes[0].id")
			[ "$got" = "$id" ] || echo "node $1: lookup of node $j ($id) returned $got first"
		done </tmp/ids' sh "$i" >"/tmp/lookups.$i" 2>&1 &
	i=$((i + 1))
done
wait
cat /tmp/lookups.* >/tmp/lookups
misses=$(wc -l </tmp/lookups)
[ "$misses" -eq 0 ] || { head -n 20 /tmp/lookups; fail "$misses of $((N * (N - 1))) lookups did not return their target first"; }
log "ok: $((N * (N - 1))) lookups returned their target first"
