#!/usr/bin/env bash
# Benchmark, not a test: kdhtd's resident memory, idle and holding VALUES
# stored values (100 bytes each, STOREd over loopback), and the size of its
# LMDB file. RSS is split into the daemon's own memory (anonymous) and the
# pages of the LMDB map it has touched (file-backed: the page cache,
# reclaimable under pressure).
# Usage: tests/bench/memory.sh [BUILD_DIR] [VALUES]   (default: build, 1000000)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
values=${2:-1000000}
. "$(dirname "$0")/one-daemon.sh"
start_daemon memory --map-size $((4 << 30))

kib() {	# kib FIELD: one line of /proc/PID/status, in KiB
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"
}
report() {
	printf '  %-22s RSS %7d KiB = anonymous %7d KiB + LMDB pages %7d KiB\n' "$1" \
		"$(kib VmRSS)" "$(kib RssAnon)" "$(kib RssFile)"
}

sleep 1
echo "kdhtd resident memory (userspace backend)"
report idle
start=$(date +%s)
out=$("$bin/kdht-values" store --keys "$values" --size 100 --window 1024 --json \
	"127.0.0.1:$port")
[ "$(echo "$out" | jq .stored)" = "$values" ] ||
	{ echo "memory.sh: not every STORE was acknowledged: $out" >&2; exit 1; }
held=$("$bin/dhtctl" -s "$dir/ctl.sock" stats | awk '$1 == "values_held" { print $2 }')
report "$held values"
bytes=$(du -B1 "$dir/state/data.mdb" | cut -f1)
printf '  LMDB file %d MiB on disk: %d bytes per value (stored in %d s)\n' \
	$((bytes >> 20)) $((bytes / held)) $(($(date +%s) - start))
