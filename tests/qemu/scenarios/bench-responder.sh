# suite: bench
# group: bench
# Benchmark, not a test: replies per second of node 1 to a PING and to a
# FIND_NODE flood from four namespaces at once, answered first by kdht.ko,
# then, on the same port of the same node in the same topology, by kdhtd's
# userspace backend, and the ratios. Under QEMU's software emulation only
# ratios mean much.
# The responder has CPU 1 to itself: node 1's receive processing is steered
# there (RPS on its eth0), the userspace backend's kdhtd is pinned there, and
# the flooders (pinned to CPU 0, their replies steered to CPU 0) never run
# there. CPU 1's busy time per reply is the responder's cost: kdht.ko's
# softirq work, or kdhtd's and the socket layer's, each with the reply's way
# out to the bridge. The whole VM's CPU per reply is printed beside it.
SECS=5
mesh 8
nodes_up 8
bootstrap_all 8
wait_until 60 table_at_least 1 5
# No per-source cap: the figure is the responder's, not the rate limiter's.
on 1 dhtctl -k node set --rate 1000000 --burst 1000000 >/dev/null || fail "node set --rate"

# busy_ticks [CPU]: busy jiffies of one CPU, or of all of them.
busy_ticks() {
	awk -v cpu="cpu${1:-}" '$1 == cpu { print $2 + $3 + $4 + $6 + $7 + $8 }' /proc/stat
}

[ "$(grep -c '^cpu[0-9]' /proc/stat)" -ge 2 ] || fail "the responder bench needs two CPUs"
on 1 sh -c 'echo 2 >/sys/class/net/eth0/queues/rx-0/rps_cpus' || fail "RPS on node 1"
for s in 5 6 7 8; do
	on "$s" sh -c 'echo 1 >/sys/class/net/eth0/queues/rx-0/rps_cpus' || fail "RPS on node $s"
done

# flood WHO TYPE [kdht-flood options]: prints "replies/s ns-of-CPU-1-per-reply
# ns-of-all-CPUs-per-reply".
flood() {
	_who=$1
	_type=$2
	shift 2
	_r0=$(busy_ticks 1)
	_t0=$(busy_ticks)
	for s in 5 6 7 8; do
		on "$s" taskset 1 kdht-flood --type "$_type" --duration "$SECS" --learn-token \
			--seed "$s" --json "$@" "$(addr4 1):$KDHT_PORT" >"/tmp/bench.$_who.$_type.$s" &
	done
	wait
	_r1=$(busy_ticks 1)
	_t1=$(busy_ticks)
	_replies=0
	for s in 5 6 7 8; do
		_r=$(jq '.pong + .nodes' "/tmp/bench.$_who.$_type.$s")
		_replies=$((_replies + _r))
	done
	[ "$_replies" -gt 0 ] || fail "no replies to the $_who $_type flood"
	echo "$((_replies / SECS)) $(((_r1 - _r0) * 10000000 / _replies))" \
		"$(((_t1 - _t0) * 10000000 / _replies))"
}

# show WHO TYPE "replies ns1 nsall"
show() {
	set -- "$1" "$2" $3
	log "BENCH $1 $2: $3 replies/s; responder CPU $4 ns per reply; whole VM $5 ns per reply"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# compare TYPE "kernel figures" "user figures"
compare() {
	set -- "$1" $2 $3
	log "BENCH ratio $1: kernel $(ratio "$2" "$5") x the userspace replies/s," \
		"$(ratio "$6" "$3") x less responder CPU per reply" \
		"($(ratio "$7" "$4") x less for the whole VM)"
}

kping=$(flood kernel ping)
kfind=$(flood kernel find_node --pad 1100)
show kernel ping "$kping"
show kernel find_node "$kfind"
show_drops 1

# The same node, the same port: kdhtd routes in userspace instead, on CPU 1.
on 1 dhtctl -k node down >/dev/null || fail "node 1: dhtctl -k node down"
daemon_up 1 --backend user --rate-limit 1000000 --bootstrap "$(addr4 2):$KDHT_PORT"
taskset -p 2 "$(cat /tmp/kdhtd/n1.pid)" >/dev/null || fail "pinning kdhtd to CPU 1"
wait_until 60 daemon_routes_at_least 1 5
uping=$(flood user ping)
ufind=$(flood user find_node --pad 1100)
show user ping "$uping"
show user find_node "$ufind"
dctl 1 stats | awk '$2 != 0 && ($1 ~ /^drop_|^rx$|^tx/) { printf "%s=%s ", $1, $2 } END { print "" }'
compare ping "$kping" "$uping"
compare find_node "$kfind" "$ufind"
daemons_down
