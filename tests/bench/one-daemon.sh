# SPDX-License-Identifier: (GPL-2.0 OR MIT)
# Sourced by a bench script: one kdhtd (userspace backend, loopback, IPv4) in
# a scratch directory under the build, killed and removed on exit.
# Before: $build set. Call start_daemon NAME [KDHTD OPTIONS...]; after it,
# $bin, $port, $dir (state in $dir/state, control socket $dir/ctl.sock) and
# $pid are set.
bin=$build/bin
pid=
dir=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$dir" ] && rm -rf "$dir"
	return 0
}
trap cleanup EXIT

start_daemon() {
	local name=$1 t
	shift
	for t in kdhtd dhtctl kdht-values; do
		[ -x "$bin/$t" ] || { echo "$name: no $bin/$t (build first)" >&2; exit 2; }
	done
	port=$((48000 + $$ % 1000))
	dir=$(mktemp -d "$build/bench-$name.XXXXXX")
	"$bin/kdhtd" --config /dev/null --backend user --state-dir "$dir/state" \
		--socket "$dir/ctl.sock" --port "$port" --bind4 127.0.0.1 --bind6 none \
		--rate-limit 1000000 --log-level warn "$@" &
	pid=$!
	for _ in $(seq 100); do
		"$bin/dhtctl" -s "$dir/ctl.sock" node >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "$name: kdhtd did not start" >&2
	exit 1
}
