#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# Where kdht.ko is not loaded, kdhtd --backend auto routes in-process and
# says so, while --backend kernel refuses to start with one clear line.
#
# usage: auto-backend.sh KDHTD DHTCTL
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
if [ -d /sys/module/kdht ]; then
	echo "kdht.ko is loaded here: nothing to check"
	exit 0
fi
scratch auto

err=$("$kdhtd" --config /dev/null --backend kernel --state-dir "$dir/k" \
	--socket "$dir/k.sock" --port $port 2>&1)
rc=$?
if [ $rc -ne 1 ] || ! echo "$err" | grep -q "kdht.ko is not loaded"; then
	echo "FAIL: --backend kernel without the module: rc $rc, '$err'" >&2
	exit 1
fi

"$kdhtd" --config /dev/null --backend auto --state-dir "$dir/a" --socket "$dir/a.sock" \
	--port $port --bind4 127.0.0.1 --bind6 none 2>"$dir/log" &
pid=$!
if ! wait_for 10 "$dhtctl" -s "$dir/a.sock" node; then
	echo "FAIL: kdhtd --backend auto did not start" >&2
	cat "$dir/log" >&2
	exit 1
fi
out=$("$dhtctl" -s "$dir/a.sock" --json node)
echo "$out" | grep -q '"backend":"user"' || {
	echo "FAIL: auto backend: $out" >&2
	exit 1
}
grep -q "routing in-process" "$dir/log" || {
	echo "FAIL: the fallback was not logged" >&2
	exit 1
}
echo "auto-backend: ok: $out"
