#!/usr/bin/env bash
# Builds kdht.ko out of tree: build-kmod.sh [KDIR] OUTDIR [make args...]
# KDIR defaults to the newest installed Debian 6.1 headers. The sources are
# copied to OUTDIR so builds for several kernels never share objects.
set -euo pipefail

kdir=${1:-}
out=${2:?usage: build-kmod.sh [KDIR] OUTDIR [make args...]}
shift 2

if [ -z "$kdir" ]; then
	kdir=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kdir" ] || { echo "build-kmod: no /usr/src/linux-headers-6.1.0-*-amd64; run tools/install-deps.sh" >&2; exit 1; }
fi
top=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$out"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '*.cmd' --exclude '*.mod*' \
	--exclude 'modules.order' --exclude 'Module.symvers' \
	"$top/Kbuild" "$top/kmod" "$top/proto" "$out/"
make -C "$kdir" M="$out" W=1 "$@" modules
echo "build-kmod: $out/kdht.ko"
