#!/usr/bin/env bash
# Installs every build and test dependency of kdht on a Debian 12 machine.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
	# userspace build
	build-essential cmake ninja-build pkg-config git
	libuv1-dev liblmdb-dev lmdb-utils libsodium-dev
	libprotobuf-c-dev protobuf-c-compiler libmnl-dev libcmocka-dev
	# fuzzing and sanitizers (libFuzzer ships with clang's runtime)
	clang libclang-rt-14-dev
	# kernel module: Debian's 6.1 kernel, its headers, checks
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 sparse kmod
	# debug kernel build
	bc bison flex libelf-dev libssl-dev dwarves xz-utils rsync cpio
	# QEMU harness
	qemu-system-x86 busybox-static iproute2
	jq
)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -q
	as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
