#!/usr/bin/env bash
# The main job: installs what is missing, builds kdht.ko and the userspace,
# boots Debian's 6.1 kernel in QEMU with an N-node mesh (default 8), each
# node a network namespace running kdht.ko's node and kdhtd on the kernel
# backend; puts a value on node 1, gets it on node N, prints both, and
# leaves a shell in the VM. Leave it with `reboot -f`.
#   tools/demo.sh [N]         N from 2 to 64
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
nodes=${1:-8}
case $nodes in
''|*[!0-9]*) echo "demo: N must be a number of nodes, not '$nodes'" >&2; exit 2 ;;
esac
if [ "$nodes" -lt 2 ] || [ "$nodes" -gt 64 ]; then
	echo "demo: N must be from 2 to 64" >&2
	exit 2
fi

"$top/tools/install-deps.sh"
exec "$top/tests/qemu/run" --build "${KDHT_BUILD:-$top/build}" --demo "$nodes"
