# Helpers for the scenarios, sourced by the VM's init and by each scenario
# (busybox sh). Node i lives in network namespace n$i, its eth0 a veth whose
# other end sits on the bridge kbr0 in the initial namespace. Each node gets
# its own /24 and /48 so that the routing table's per-subnet limits do not
# hide part of a test mesh: 10.0.i.1/16 and fd00:i::1/16.

# Busybox runs its own ip and tc applets before PATH: name iproute2's fully.
IP=/usr/sbin/ip.iproute2
TC=/usr/sbin/tc.iproute2
KDHT_KO=/lib/kdht/kdht.ko
KDHT_PORT=4650
MESH_MAX=64
BRIDGE=kbr0

log() {
	echo "[$(cut -d' ' -f1 /proc/uptime)] $*"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

addr4() {
	echo "10.0.$1.1"
}

addr6() {
	echo "fd00:$1::1"
}

# on I CMD...: runs CMD in node I's namespace.
on() {
	_n=$1
	shift
	"$IP" netns exec "n$_n" "$@"
}

# Every time limit of the scenarios and helpers is in seconds of Debian's
# kernel; the debug kernel (--deep) is several times slower, and the harness
# passes by how much in KDHT_TIMEOUT_FACTOR (kdht.tfactor=). A limit bounds
# a wait on an event, never a sleep: it is set for a host busy with other
# work, since a run that meets its event early pays nothing for it.
KDHT_TIMEOUT_FACTOR=${KDHT_TIMEOUT_FACTOR:-1}

# scaled S: S seconds of Debian's kernel on the kernel that runs.
scaled() {
	echo $(($1 * KDHT_TIMEOUT_FACTOR))
}

# wait_until TIMEOUT_S CMD...: polls CMD until it succeeds; fails the
# scenario, naming the condition, when TIMEOUT_S seconds (scaled) pass first.
wait_until() {
	wait_for "$@" || fail "condition not met within $(scaled "$1")s: $(shift; echo "$*")"
}

# wait_for TIMEOUT_S CMD...: as wait_until, but returns 1 when the time is
# up, for a scenario that has something to show before it fails.
wait_for() {
	_limit=$(scaled "$1")
	shift
	_start=$(cut -d. -f1 /proc/uptime)
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(cut -d. -f1 /proc/uptime) - _start)) -lt "$_limit" ] || return 1
		sleep 0.2
	done
}

# expect_eq WHAT EXPECTED SEEN
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', saw '$3'"
	log "ok: $1 = $3"
}

# expect_le WHAT LIMIT SEEN: SEEN <= LIMIT (integers)
expect_le() {
	[ "$3" -le "$2" ] || fail "$1: expected at most $2, saw $3"
	log "ok: $1 = $3 (<= $2)"
}

# expect_ge WHAT MIN SEEN: SEEN >= MIN (integers)
expect_ge() {
	[ "$3" -ge "$2" ] || fail "$1: expected at least $2, saw $3"
	log "ok: $1 = $3 (>= $2)"
}

# expect_all_answered WHAT FLOOD_JSON FIELD: kdht-flood got one FIELD reply
# (pong, nodes) for each of its requests, and sent some.
expect_all_answered() {
	_sent=$(echo "$2" | jq .sent)
	_got=$(echo "$2" | jq ".$3")
	[ "$_sent" -gt 0 ] || fail "$1: kdht-flood sent nothing: $2"
	[ "$_got" = "$_sent" ] || fail "$1: expected $_sent $3 replies, saw $_got: $2"
	log "ok: $1: $_got of $_sent answered"
}

# expect_ok WHAT CMD...: CMD must succeed.
expect_ok() {
	_what=$1
	shift
	"$@" || fail "$_what: command failed (exit $?): $*"
	log "ok: $_what"
}

kdht_load() {
	insmod "$KDHT_KO" "$@" || fail "insmod $KDHT_KO failed"
}

kdht_unload() {
	rmmod kdht || fail "rmmod kdht failed"
	! grep -q '^kdht ' /proc/modules || fail "kdht still listed in /proc/modules after rmmod"
}

kdht_loaded() {
	grep -q '^kdht ' /proc/modules
}

# netem_args DELAY_MS LOSS_PCT: the netem options for one link, or nothing.
netem_args() {
	_a=
	[ "${1:-0}" -gt 0 ] && _a="delay ${1}ms"
	[ "${2:-0}" -gt 0 ] && _a="$_a loss ${2}%"
	echo "$_a"
}

# have_ipv6: the kernel runs IPv6 (not booted with ipv6.disable=1).
have_ipv6() {
	[ -d /proc/sys/net/ipv6 ]
}

# add_node I [DELAY_MS] [LOSS_PCT]: namespace n$I on the bridge. netem sits
# on the node's egress, so every packet between two nodes crosses exactly
# one netem queue: the sender's.
add_node() {
	_i=$1
	[ "$_i" -ge 1 ] && [ "$_i" -le "$MESH_MAX" ] || fail "node index $_i not in 1..$MESH_MAX"
	"$IP" netns add "n$_i"
	# A namespace of an earlier scenario may still be dying with a name
	# this one needs; retry for a while before calling it a failure.
	wait_until 60 "$IP" link add "v$_i" type veth peer name eth0 netns "n$_i"
	"$IP" link set "v$_i" master "$BRIDGE" up
	# One ip process for the namespace's setup: each costs dearly under TCG.
	# A kernel booted with ipv6.disable=1 gets IPv4 only.
	_v6=
	have_ipv6 && _v6="addr add $(addr6 "$_i")/16 dev eth0 nodad"
	"$IP" -n "n$_i" -batch - <<-EOF
	link set lo up
	addr add $(addr4 "$_i")/16 dev eth0
	$_v6
	link set eth0 up
	EOF
	_netem=$(netem_args "${2:-0}" "${3:-0}")
	if [ -n "$_netem" ]; then
		# shellcheck disable=SC2086 # netem options are separate words
		"$TC" -n "n$_i" qdisc add dev eth0 root netem $_netem
	fi
}

bridge_up() {
	[ -d "/sys/class/net/$BRIDGE" ] && return 0
	"$IP" link add "$BRIDGE" type bridge mcast_snooping 0
	"$IP" link set "$BRIDGE" up
}

# mesh N [DELAY_MS] [LOSS_PCT]: nodes 1..N on one bridge.
mesh() {
	_count=$1
	[ "$_count" -le "$MESH_MAX" ] || fail "mesh of $_count nodes: at most $MESH_MAX"
	bridge_up
	for _i in $(seq "$_count"); do
		add_node "$_i" "${2:-0}" "${3:-0}"
	done
}

# del_node I [LIMIT_S]: the namespace goes; its veth goes with it,
# asynchronously: wait for that (at most LIMIT_S seconds, scaled; default
# 60), so that node I can be added again at once. A namespace dies only
# once the last process in it has exited: a caller that left commands
# running there gives the time they may still take.
del_node() {
	"$IP" netns del "n$1"
	wait_until "${2:-60}" no_link "v$1"
}

# no_link NAME: no network device NAME in the initial namespace.
no_link() {
	[ ! -e "/sys/class/net/$1" ]
}

# no_veths: no node's veth is left in the initial namespace.
no_veths() {
	! ls -d /sys/class/net/v[0-9]* >/dev/null 2>&1
}

# teardown: every namespace and the bridge go; the next scenario starts clean.
teardown() {
	killall -KILL kdhtd 2>/dev/null
	for _ns in $("$IP" netns list | cut -d' ' -f1); do
		"$IP" netns del "$_ns"
	done
	# Namespaces die asynchronously, their veths with them: wait, so that
	# the next scenario can create v1.. again (add_node retries if not).
	wait_for 60 no_veths || log "teardown: veths still there: $(ls /sys/class/net)"
	[ -d "/sys/class/net/$BRIDGE" ] && "$IP" link del "$BRIDGE"
	# Daemons' identities and stores are the scenario's own.
	rm -rf /tmp/kdhtd /run/kdht
	return 0
}

# node_up I [dhtctl node up options...]
node_up() {
	_i=$1
	shift
	on "$_i" dhtctl -k node up --port "$KDHT_PORT" "$@" >/dev/null ||
		fail "node $_i: dhtctl -k node up failed"
}

nodes_up() {
	for _i in $(seq "$1"); do
		node_up "$_i"
	done
}

# bootstrap_all N: nodes 2..N each know node 1 only.
bootstrap_all() {
	for _i in $(seq 2 "$1"); do
		on "$_i" dhtctl -k bootstrap "$(addr4 1):$KDHT_PORT" ||
			fail "node $_i: dhtctl -k bootstrap failed"
	done
}

# as_nobody I CMD...: CMD (one shell line) in node I's namespace as user
# nobody, without any capability.
as_nobody() {
	_n=$1
	shift
	grep -q '^nobody:' /etc/passwd 2>/dev/null ||
		{ mkdir -p /etc && echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd &&
		  echo 'nogroup:x:65534:' >>/etc/group; }
	on "$_n" su -s /bin/sh -c "$*" nobody
}

# proc_of I NAME: one line of node I's /proc/net/kdht ("name value").
proc_of() {
	on "$1" cat /proc/net/kdht | awk -v n="$2" '$1 == n { print $2; f = 1 } END { if (!f) exit 1 }' ||
		fail "node $1: no $2 in /proc/net/kdht"
}

node_id() {
	proc_of "$1" id
}

table_size() {
	proc_of "$1" table_size
}

# table_at_least I N: node I's routing table holds N contacts or more.
table_at_least() {
	[ "$(table_size "$1")" -ge "$2" ]
}

# stat_of I NAME: one counter of node I (names from KDHT_STATS).
stat_of() {
	proc_of "$@"
}

# stat_at_least I NAME MIN: node I's counter NAME has reached MIN.
stat_at_least() {
	[ "$(stat_of "$1" "$2")" -ge "$3" ]
}

# all_tables_at_least N MIN LIMIT_S: waits until the routing tables of nodes
# 1..N each hold MIN contacts or more.
all_tables_at_least() {
	for _t in $(seq "$1"); do
		wait_until "$3" table_at_least "$_t" "$2"
	done
}

# show_drops N: the non-zero drop and lookup counters of nodes 1..N, to
# tell a lost reply from a refused one when a scenario fails.
show_drops() {
	_i=1
	while [ "$_i" -le "$1" ]; do
		echo "node $_i: $(on "$_i" cat /proc/net/kdht | awk '($1 ~ /^drop_|^lookups_|^tx_failed/) && $2 != 0 { printf "%s=%s ", $1, $2 }')"
		_i=$((_i + 1))
	done
}

# sink_start I FILE [kdht-sink options...]: node I counts what its eth0
# receives (kdht-sink, on raw sockets) from the moment this returns, until
# sink_end; the counts go to FILE as JSON. One sink at a time. Not through
# on(): ip netns exec execs kdht-sink, so $! is the sink's pid.
sink_start() {
	_node=$1
	SINK_OUT=$2
	shift 2
	"$IP" netns exec "n$_node" kdht-sink --duration 3600 --json "$@" eth0 \
		>"$SINK_OUT" 2>"$SINK_OUT.err" &
	SINK_PID=$!
	wait_until 30 sink_counting
}

# sink_counting: the sink has opened its sockets (it says so on stderr).
sink_counting() {
	grep -q '^kdht-sink: counting' "$SINK_OUT.err"
}

# sink_end: the sink stops and writes its counts; its socket drops must be
# 0, or the counts are not exact.
sink_end() {
	kill -TERM "$SINK_PID"
	wait "$SINK_PID" || fail "kdht-sink failed: $(cat "$SINK_OUT.err")"
	expect_eq "kdht-sink's socket drops (the count is exact)" 0 "$(jq .dropped "$SINK_OUT")"
}

# nearest K TARGET ID...: the K ids among ID... nearest to TARGET by XOR
# distance, nearest first (all lowercase hex of equal length).
nearest() {
	_k=$1
	_target=$2
	shift 2
	for _id in "$@"; do
		echo "$_id"
	done | awk -v t="$_target" '
	function hexval(c) { return index("0123456789abcdef", c) - 1 }
	{
		d = ""
		for (i = 1; i <= length(t); i++)
			d = d sprintf("%x", xor(hexval(substr(t, i, 1)), hexval(substr($1, i, 1))))
		print d, $1
	}' | sort | head -n "$_k" | cut -d' ' -f2
}

# closest TARGET ID...: the id among ID... nearest to TARGET.
closest() {
	nearest 1 "$@"
}

# random_id: 64 hex digits.
random_id() {
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# daemon_up I [kdhtd options...]: starts kdhtd in node I's namespace on the
# kernel backend (--backend user in the options: routing in the daemon, no
# kernel node), state in /tmp/kdhtd/nI, control socket /run/kdht/nI.sock,
# log appended to /tmp/kdhtd/nI.log; waits until it answers. The daemon
# gives the node its own identity, which restarts a kernel node with an
# empty table: nodes other than node 1 bootstrap from node 1 again. A
# daemon restarted on its state directory comes back with its identity and
# its store.
daemon_up() {
	_i=$1
	shift
	mkdir -p "/tmp/kdhtd/n$_i" /run/kdht
	rm -f "/run/kdht/n$_i.sock"
	[ "$_i" -eq 1 ] || set -- --bootstrap "$(addr4 1):$KDHT_PORT" "$@"
	# Not through on(): ip netns exec execs kdhtd, so $! is the daemon's pid.
	"$IP" netns exec "n$_i" kdhtd --backend kernel --state-dir "/tmp/kdhtd/n$_i" \
		--socket "/run/kdht/n$_i.sock" --port "$KDHT_PORT" --log-level warn "$@" \
		>>"/tmp/kdhtd/n$_i.log" 2>&1 &
	echo $! >"/tmp/kdhtd/n$_i.pid"
	wait_until 60 dctl "$_i" node
}

# daemon_kill I [SIGNAL]: signals node I's daemon (default KILL) and reaps
# it; its exit status is left in DAEMON_STATUS.
daemon_kill() {
	_pid=$(cat "/tmp/kdhtd/n$1.pid")
	kill "-${2:-KILL}" "$_pid" || fail "node $1: no daemon to kill"
	DAEMON_STATUS=0
	wait "$_pid" || DAEMON_STATUS=$?
}

# daemon_routes_at_least I N: node I's daemon knows N contacts or more
# (either backend).
daemon_routes_at_least() {
	[ "$(dctl "$1" routes | wc -l)" -ge "$2" ]
}

# holders KEYHEX I...: how many of nodes I... hold the record under KEYHEX
# (a put --json's .key) in their own store.
# (Helpers share one namespace of variables: these names are its own.)
holders() {
	_hold_key=$1
	shift
	_hold_n=0
	for _hold_i in "$@"; do
		dctl "$_hold_i" get --local --hex "$_hold_key" >/dev/null 2>&1 &&
			_hold_n=$((_hold_n + 1))
	done
	echo "$_hold_n"
}

# daemon_log_clean I: node I's daemon logged no warning or error.
daemon_log_clean() {
	! grep -E "kdhtd: (warn|err)" "/tmp/kdhtd/n$1.log"
}

# daemons_up N: a daemon on nodes 1..N, then waits until every table holds
# at least 3 contacts again.
daemons_up() {
	for _d in $(seq "$1"); do
		daemon_up "$_d"
	done
	all_tables_at_least "$1" 3 60
}

# dctl I ARGS...: dhtctl against node I's daemon.
dctl() {
	_n=$1
	shift
	on "$_n" dhtctl -s "/run/kdht/n$_n.sock" "$@"
}

# owner_of I: the owner public key node I's daemon writes its puts under,
# which a get on another node names with --owner.
owner_of() {
	dctl "$1" node --json | jq -r .owner
}

daemons_down() {
	killall kdhtd 2>/dev/null
	wait_until 60 sh -c '! pidof kdhtd'
}

# demo N: the README's main job, inside the VM: kdhtd on every node, a put
# on node 1 and a get on node N, each shown with its command.
demo() {
	echo "kdht: starting kdhtd (kernel backend) on nodes 1..$1"
	daemons_up "$1"
	echo "kdht: node 1\$ dhtctl put greeting 'hello from node 1'"
	dctl 1 put greeting "hello from node 1" || return 1
	_owner=$(owner_of 1) || return 1
	echo "kdht: node $1\$ dhtctl get greeting --owner $_owner (node 1's: dhtctl node)"
	_v=$(dctl "$1" get greeting --owner "$_owner") || return 1
	echo "$_v"
	echo "kdht: try: dctl 2 get greeting --owner $_owner; dctl 2 stats; on 2 dhtctl -k routes"
}
