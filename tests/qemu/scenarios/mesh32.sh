# suite: default
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

# Each node looks up every other id from one process, eight nodes at a
# time: all 32 at once starve the emulated CPUs until replies outlive the
# request timeout.
i=1
while [ "$i" -le "$N" ]; do
	on "$i" sh -c 'grep -v "^$1 " /tmp/ids | cut -d" " -f2 | kdht-lookups --parallel 2' sh "$i" \
		>"/tmp/lookups.$i" 2>&1 &
	[ $((i % 8)) -eq 0 ] && wait
	i=$((i + 1))
done
wait
cat /tmp/lookups.* >/tmp/lookups
expect_eq "lookup results" $((N * (N - 1))) "$(grep -c ' ok \| fail ' /tmp/lookups)"
awk '$2 != "ok" || $1 != $3' /tmp/lookups >/tmp/misses
misses=$(wc -l </tmp/misses)
[ "$misses" -eq 0 ] || { head -n 20 /tmp/misses; show_drops "$N"; fail "$misses of $((N * (N - 1))) lookups did not return their target first (lines: TARGET ok|fail FIRST ELAPSED_MS)"; }
log "ok: $((N * (N - 1))) lookups returned their target first; slowest $(sort -n -k4 /tmp/lookups | tail -n 1 | cut -d' ' -f4) ms"
