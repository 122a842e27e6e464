# suite: default
# group: kernel
# deep: no (lookups at scale; the debug kernel runs the same paths in daemon-mesh)
# 32 nodes bootstrapped from one contact find each other: every node looks
# up the ids of the next LOOKUPS nodes (in node order, wrapping), and each
# lookup returns its target first (32 * 8 lookups, every id looked up 8
# times, from 8 different nodes).
N=32
LOOKUPS=8

mesh "$N"
nodes_up "$N"
bootstrap_all "$N"
all_tables_at_least "$N" 8 60
log "every table holds 8 contacts or more"

: >/tmp/ids
i=1
while [ "$i" -le "$N" ]; do
	echo "$i $(node_id "$i")" >>/tmp/ids
	i=$((i + 1))
done

# Each node looks up its targets from one process, eight nodes at a time:
# all 32 at once starve the emulated CPUs until replies outlive the request
# timeout.
i=1
while [ "$i" -le "$N" ]; do
	awk -v i="$i" -v n="$N" -v k="$LOOKUPS" '($1 - i + n) % n >= 1 && ($1 - i + n) % n <= k { print $2 }' \
		/tmp/ids >"/tmp/targets.$i"
	on "$i" kdht-lookups --parallel 2 <"/tmp/targets.$i" >"/tmp/lookups.$i" 2>&1 &
	[ $((i % 8)) -eq 0 ] && wait
	i=$((i + 1))
done
wait
cat /tmp/lookups.* >/tmp/lookups
expect_eq "lookup results" $((N * LOOKUPS)) "$(grep -c ' ok \| fail ' /tmp/lookups)"
awk '$2 != "ok" || $1 != $3' /tmp/lookups >/tmp/misses
misses=$(wc -l </tmp/misses)
[ "$misses" -eq 0 ] || { head -n 20 /tmp/misses; show_drops "$N"; fail "$misses of $((N * LOOKUPS)) lookups did not return their target first (lines: TARGET ok|fail FIRST ELAPSED_MS)"; }
log "ok: $((N * LOOKUPS)) lookups returned their target first; slowest $(sort -n -k4 /tmp/lookups | tail -n 1 | cut -d' ' -f4) ms"
