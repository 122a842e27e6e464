# suite: bench
# group: memcg-node
# Measurement, not a test: the kernel memory a node costs, as charged to the
# memory cgroup (v2) of the process that starts it. Prints memory.stat's
# kernel lines before and after `dhtctl -k node up`, and after `node down`.
CG=/sys/fs/cgroup
mkdir -p "$CG"
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none "$CG" || fail "cannot mount cgroup2"
echo +memory >"$CG/cgroup.subtree_control" || fail "no memory controller"
mkdir -p "$CG/kdht"
mesh 1

# kernel_stat: memory.current and the kernel lines of memory.stat, one line.
kernel_stat() {
	printf 'current %s ' "$(cat "$CG/kdht/memory.current")"
	awk '$1 ~ /^(kernel|slab|percpu|vmalloc|sock)$/ { printf "%s %s ", $1, $2 }' "$CG/kdht/memory.stat"
	echo
}

# in_cgroup CMD...: CMD from a process in the cgroup, so that it is charged.
in_cgroup() {
	sh -c 'echo $$ >'"$CG/kdht/cgroup.procs"' && exec "$@"' sh "$@"
}

stat_field() {
	echo "$1" | awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'
}

before=$(kernel_stat)
in_cgroup "$IP" netns exec n1 dhtctl -k node up --port "$KDHT_PORT" >/dev/null ||
	fail "node up in the cgroup failed"
sleep 1
after=$(kernel_stat)
in_cgroup "$IP" netns exec n1 dhtctl -k node down >/dev/null || fail "node down failed"
sleep 2
down=$(kernel_stat)
log "before:    $before"
log "node up:   $after"
log "node down: $down"
for f in current kernel slab percpu vmalloc; do
	log "per node, $f: $(($(stat_field "$after" "$f") - $(stat_field "$before" "$f"))) bytes"
done
# The core and the rate limiter alone are hundreds of KB; a socket is a few.
expect_ge "kernel memory charged for the node" 65536 \
	"$(($(stat_field "$after" kernel) - $(stat_field "$before" kernel)))"
