#!/usr/bin/env bash
# Benchmark, not a test: STORE handling of one kdhtd (userspace backend) on
# this host, over loopback, 100-byte values.
#   store_disk   STOREs/s, state on this disk: every ack after a synced commit
#   store_tmpfs  the same with the state on tmpfs, where a sync costs nothing
#   store_mesh   store_tmpfs in a closed mesh (--mesh-key): every datagram
#                tagged and checked, the tag's cost laid bare
#   find         FIND_VALUE/s of the values stored
#   ping         PING/s answered by the same daemon: the cost of a datagram
#                in and out, no value handling; the ratios to it show what
#                the value path adds
# The load generators (kdht-values, kdht-flood) run on the same 2 cores.
# Usage: tests/bench/store.sh [BUILD_DIR] [KEYS]   (default: build, 200000)
# Exit status: 0 if STORE on disk reaches 50,000/s, 1 otherwise.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
keys=${2:-200000}
[ -x "$build/bin/kdht-flood" ] || { echo "store.sh: no $build/bin/kdht-flood (build first)" >&2; exit 2; }
. "$(dirname "$0")/one-daemon.sh"

json() {	# json FIELD < line
	jq -r ".$1"
}

# store [KDHT_VALUES_OPTION...]: STOREs of $keys fresh keys at the daemon; prints STOREs/s.
store() {
	local out
	out=$("$bin/kdht-values" store --keys "$keys" --size 100 --window 1024 --json "$@" \
		"127.0.0.1:$port")
	# The first window leaves before any reply brought a token: those
	# STOREs are refused as unvalidated (PROTOCOL.md section 5), the rest stored.
	[ $(($(echo "$out" | json stored) + $(echo "$out" | json errors))) = "$keys" ] &&
		[ "$(echo "$out" | json errors)" -le 1024 ] ||
		{ echo "store.sh: not every STORE was acknowledged: $out" >&2; exit 1; }
	echo "$out" | json answered_per_s
}

map=$((4 << 30))
start_daemon store --map-size "$map"
store_disk=$(store)
find=$("$bin/kdht-values" find --keys 50000 --window 1024 --json "127.0.0.1:$port" |
	json answered_per_s)
ping=$("$bin/kdht-flood" --type ping --duration 3 --learn-token --json "127.0.0.1:$port" |
	jq '.pong / .seconds')
stop_daemon
scratch_parent=/dev/shm
start_daemon store --map-size "$map"
store_tmpfs=$(store)
stop_daemon
keys_dir=$(mktemp -d /dev/shm/kdht-bench-mesh.XXXXXX)
scratch_files+=("$keys_dir")
key=$keys_dir/mesh.key
"$bin/dhtctl" mesh keygen "$key" >/dev/null
start_daemon store --map-size "$map" --mesh-key "$key"
store_mesh=$(store --mesh-key "$key")
stop_daemon

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
printf 'STORE over loopback, 100-byte values, %d fresh keys, window 1024\n' "$keys"
printf '  store_disk   %8.0f /s   (acks after a synced LMDB commit)\n' "$store_disk"
printf '  store_tmpfs  %8.0f /s   (%s x store_disk: the cost of syncing)\n' "$store_tmpfs" \
	"$(ratio "$store_tmpfs" "$store_disk")"
printf '  store_mesh   %8.0f /s   (%s x store_tmpfs: the closed mesh tag in and out)\n' \
	"$store_mesh" "$(ratio "$store_mesh" "$store_tmpfs")"
printf '  find         %8.0f /s   (FIND_VALUE of stored keys)\n' "$find"
printf '  ping         %8.0f /s   (store_disk is %s x ping, store_tmpfs %s x ping)\n' \
	"$ping" "$(ratio "$store_disk" "$ping")" "$(ratio "$store_tmpfs" "$ping")"
awk -v s="$store_disk" 'BEGIN { exit !(s >= 50000) }' && echo "  PASS  store_disk >= 50000/s" ||
	{ echo "  FAIL  store_disk >= 50000/s"; exit 1; }
