# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Sourced by the daemon's shell tests: they wait on events, never for a
# fixed time, and each wait has a limit in seconds of an idle host.
# KDHT_TIMEOUT_FACTOR (a whole number, default 1) multiplies every limit,
# for a host busy with other work or a sanitizer build; a run whose events
# come early pays nothing for a large factor.
KDHT_TIMEOUT_FACTOR=${KDHT_TIMEOUT_FACTOR:-1}

# scaled S: S seconds times the factor.
scaled() {
	echo $(($1 * KDHT_TIMEOUT_FACTOR))
}

# wait_for LIMIT_S CMD...: polls CMD (its output discarded) until it
# succeeds; returns 1 when LIMIT_S seconds, scaled, pass first.
wait_for() {
	_wait_end=$(($(date +%s) + $(scaled "$1")))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_wait_end" ] || return 1
		sleep 0.1
	done
}

# scratch NAME: a directory $dir and a port $port of this test's own, and
# $pid, a daemon the test may start; all gone when the test exits.
scratch() {
	dir=$(mktemp -d "/tmp/kdhtd-$1.XXXXXX")
	port=$((40000 + $$ % 20000))
	pid=""
	trap scratch_cleanup EXIT INT TERM
}

scratch_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	rm -rf "$dir"
}

# Tests of several daemons in $dir: each started daemon's pid is added to
# $pids, each fail adds to $failures; daemons_cleanup (their EXIT trap)
# stops them all and removes $dir.
daemons_cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# ctl N ARGS...: $dhtctl at daemon N's control socket, $dir/nN.sock.
ctl() {
	n=$1
	shift
	"$dhtctl" -s "$dir/n$n.sock" "$@"
}

# mesh_scratch NAME: for a loopback mesh, $dir, $base (a port range of this
# run's own, so parallel runs do not collide), $pids and $failures, with
# daemons_cleanup on exit.
mesh_scratch() {
	base=$((20000 + $$ % 20000))
	dir=$(mktemp -d "/tmp/kdhtd-$1.XXXXXX")
	pids=""
	failures=0
	trap daemons_cleanup EXIT INT TERM
}

# mesh_daemon I [KDHTD_OPTION...]: starts $kdhtd as node I of a loopback
# mesh in $dir (port $base + I, state dir and control socket $dir/nI,
# limits lifted for one host), with the options given. Its pid is added to
# $pids and written to $dir/nI.pid, its log to $dir/nI.log.
mesh_daemon() {
	_i=$1
	shift
	mkdir -p "$dir/n$_i"
	set -- --config /dev/null --backend user --state-dir "$dir/n$_i" \
		--socket "$dir/n$_i.sock" --port $((base + _i)) --bind4 127.0.0.1 \
		--bind6 none --rate-limit 100000 --subnet-limit 1000 "$@"
	"$kdhtd" "$@" 2>"$dir/n$_i.log" &
	echo $! >"$dir/n$_i.pid"
	pids="$pids $!"
}
