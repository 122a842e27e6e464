# suite: bench
# group: bench
# Benchmark, not a test: replies per second of the kernel responder to a
# PING and to a FIND_NODE flood from four namespaces at once, and CPU time
# per reply (all of the VM's CPUs, from /proc/stat). Under QEMU's software
# emulation only ratios against another responder in the same run mean much.
SECS=5
mesh 8
nodes_up 8
bootstrap_all 8
wait_until 60 table_at_least 1 5
# No per-source cap: the figure is the responder's, not the rate limiter's.
on 1 dhtctl -k node set --rate 1000000 --burst 1000000 >/dev/null || fail "node set --rate"

busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 }' /proc/stat
}

flood() {
	_type=$1
	shift
	_t0=$(busy_ticks)
	for s in 5 6 7 8; do
		on "$s" kdht-flood --type "$_type" --duration "$SECS" --learn-token --seed "$s" \
			--json "$@" "$(addr4 1):$KDHT_PORT" >"/tmp/bench.$_type.$s" &
	done
	wait
	_t1=$(busy_ticks)
	_replies=0
	for s in 5 6 7 8; do
		_r=$(jq '.pong + .nodes' "/tmp/bench.$_type.$s")
		_replies=$((_replies + _r))
	done
	[ "$_replies" -gt 0 ] || fail "no replies to the $_type flood"
	log "BENCH kernel $_type: $((_replies / SECS)) replies/s," \
		"$(((_t1 - _t0) * 10000000 / _replies)) ns CPU per reply (4 sources, ${SECS}s)"
}

flood ping
flood find_node --pad 1100
show_drops 1
