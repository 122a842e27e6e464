# SPDX-License-Identifier: (GPL-2.0 OR MIT)
# Sourced by a bench script: one kdhtd at a time (userspace backend,
# loopback, IPv4) in a scratch directory, killed and removed on exit.
# Before: $build set; $scratch_parent may name where scratch directories
# go (default $build; /dev/shm for state on tmpfs). Call
#   start_daemon NAME [KDHTD OPTIONS...]  after it $bin, $port, $dir (state
#                                         in $dir/state, control socket
#                                         $dir/ctl.sock) and $pid are set
#   stop_daemon                           kills it and removes $dir
# Files and directories listed in scratch_files are removed on exit too.
bin=$build/bin
pid=
dir=
scratch_files=()
stop_daemon() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$dir" ] && rm -rf "$dir"
	pid= dir=
	return 0
}
cleanup() {
	stop_daemon
	rm -rf "${scratch_files[@]}"
}
trap cleanup EXIT

start_daemon() {
	local name=$1 t
	shift
	for t in kdhtd dhtctl kdht-values; do
		[ -x "$bin/$t" ] || { echo "$name: no $bin/$t (build first)" >&2; exit 2; }
	done
	port=$((48000 + $$ % 1000))
	dir=$(mktemp -d "${scratch_parent:-$build}/kdht-bench-$name.XXXXXX")
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
