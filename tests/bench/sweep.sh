#!/usr/bin/env bash
# Benchmark, not a test: does the sweeper keep pace with expiry? One kdhtd
# (userspace backend, state on disk) takes 10,000 fresh records a minute,
# every record living LIFETIME seconds (--max-ttl clamps the putters'
# expiry), for MINUTES minutes. values_held is sampled every 5 s; without a
# sweeper it would grow by 10,000 a minute, with one keeping pace it stays
# near 10,000 x LIFETIME / 60 plus one sweep pass behind.
# Prints the samples and the largest; exit status 0 if the largest stays
# within 10,000 x (LIFETIME / 60 + 1), 1 otherwise.
# Usage: tests/bench/sweep.sh [BUILD_DIR] [MINUTES] [LIFETIME]   (build, 4, 60)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
minutes=${2:-4}
lifetime=${3:-60}
per_minute=10000
. "$(dirname "$0")/one-daemon.sh"
start_daemon sweep --max-ttl "$lifetime" --ttl "$lifetime"

held() {
	"$bin/dhtctl" -s "$dir/ctl.sock" stats --json | jq '.values_held'
}

largest=0
start=$(date +%s)
for m in $(seq 0 $((minutes - 1))); do
	out=$("$bin/kdht-values" store --keys $per_minute --first $((m * per_minute)) \
		--seed "$$" --window 256 --json "127.0.0.1:$port")
	echo "minute $m: $out"
	while [ $(($(date +%s) - start)) -lt $(((m + 1) * 60)) ]; do
		n=$(held)
		echo "t=$(($(date +%s) - start))s values_held=$n"
		[ "$n" -gt "$largest" ] && largest=$n
		sleep 5
	done
done
bound=$((per_minute * (lifetime / 60 + 1)))
echo "largest values_held: $largest (bound $bound, $((minutes * per_minute)) stored)"
[ "$largest" -le "$bound" ]
