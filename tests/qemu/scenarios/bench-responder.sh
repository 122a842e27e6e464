# suite: bench
# group: bench
# Benchmark, not a test: replies per second of node 1 to a PING and to a
# FIND_NODE flood from four namespaces at once, answered first by kdht.ko,
# then, on the same port of the same node in the same topology, by kdhtd's
# userspace backend; the VM's CPU time per reply (all CPUs, /proc/stat) and
# the ratio of the two. Under QEMU's software emulation only ratios mean
# much; the flooders share the VM's CPUs, so a ratio is a lower bound.
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

# flood WHO TYPE [kdht-flood options]: prints "replies/s ns-per-reply".
flood() {
	_who=$1
	_type=$2
	shift 2
	_t0=$(busy_ticks)
	for s in 5 6 7 8; do
		on "$s" kdht-flood --type "$_type" --duration "$SECS" --learn-token --seed "$s" \
			--json "$@" "$(addr4 1):$KDHT_PORT" >"/tmp/bench.$_who.$_type.$s" &
	done
	wait
	_t1=$(busy_ticks)
	_replies=0
	for s in 5 6 7 8; do
		_r=$(jq '.pong + .nodes' "/tmp/bench.$_who.$_type.$s")
		_replies=$((_replies + _r))
	done
	[ "$_replies" -gt 0 ] || fail "no replies to the $_who $_type flood"
	echo "$((_replies / SECS)) $(((_t1 - _t0) * 10000000 / _replies))"
}

kping=$(flood kernel ping)
kfind=$(flood kernel find_node --pad 1100)
log "BENCH kernel ping: ${kping% *} replies/s, ${kping#* } ns CPU per reply"
log "BENCH kernel find_node: ${kfind% *} replies/s, ${kfind#* } ns CPU per reply"
show_drops 1

# The same node, the same port: kdhtd routes in userspace instead.
on 1 dhtctl -k node down >/dev/null || fail "node 1: dhtctl -k node down"
daemon_up 1 --backend user --rate-limit 1000000 --bootstrap "$(addr4 2):$KDHT_PORT"
wait_until 60 daemon_routes_at_least 1 5
uping=$(flood user ping)
ufind=$(flood user find_node --pad 1100)
log "BENCH user ping: ${uping% *} replies/s, ${uping#* } ns CPU per reply"
log "BENCH user find_node: ${ufind% *} replies/s, ${ufind#* } ns CPU per reply"
dctl 1 stats | awk '$2 != 0 && ($1 ~ /^drop_|^rx$|^tx/) { printf "%s=%s ", $1, $2 } END { print "" }'
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
log "BENCH ratio ping: kernel $(ratio "${kping% *}" "${uping% *}") x the userspace replies/s," \
	"$(ratio "${uping#* }" "${kping#* }") x less CPU per reply"
log "BENCH ratio find_node: kernel $(ratio "${kfind% *}" "${ufind% *}") x the userspace replies/s," \
	"$(ratio "${ufind#* }" "${kfind#* }") x less CPU per reply"
daemons_down
