#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# One kdhtd per state directory and per control socket: a second daemon on
# either refuses to start with one line naming it, and the first one goes
# on answering on its socket.
#
# usage: local-safety.sh KDHTD DHTCTL
# Time limits scale with KDHT_TIMEOUT_FACTOR (wait.sh).
set -u
. "$(dirname "$0")/wait.sh"

kdhtd=$1
dhtctl=$2
scratch local

# kdhtd_on STATE SOCKET PORT: a user-backend daemon on loopback, for 30 s at most.
kdhtd_on() {
	timeout "$(scaled 30)" "$kdhtd" --config /dev/null --backend user --state-dir "$1" \
		--socket "$2" --port "$3" --bind4 127.0.0.1 --bind6 none
}

# refused WANT STATE SOCKET PORT: the daemon exits 1 with one line holding WANT.
refused() {
	_want=$1
	shift
	_err=$(kdhtd_on "$@" 2>&1 >/dev/null)
	_rc=$?
	if [ $_rc -ne 1 ] || [ "$(echo "$_err" | wc -l)" -ne 1 ] ||
	   ! echo "$_err" | grep -qF -- "$_want"; then
		echo "FAIL: wanted exit 1 and one line '$_want': rc $_rc, '$_err'" >&2
		exit 1
	fi
	echo "refused: $_err"
}

kdhtd_on "$dir/a" "$dir/a.sock" $port 2>"$dir/log" &
pid=$!
if ! wait_for 10 "$dhtctl" -s "$dir/a.sock" node; then
	echo "FAIL: the first kdhtd did not start" >&2
	cat "$dir/log" >&2
	exit 1
fi
refused "state directory $dir/a is in use by another kdhtd" "$dir/a" "$dir/b.sock" $((port + 1))
refused "control socket $dir/a.sock: another daemon answers there" \
	"$dir/c" "$dir/a.sock" $((port + 2))
"$dhtctl" -s "$dir/a.sock" node >/dev/null || {
	echo "FAIL: the first kdhtd no longer answers on its socket" >&2
	exit 1
}
echo "local-safety: ok"
