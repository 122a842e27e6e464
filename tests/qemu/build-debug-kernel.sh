#!/usr/bin/env bash
# Builds the debug kernel of the QEMU harness's deep mode (KASAN, kmemleak,
# lockdep, UBSAN...) from Debian's linux-source-6.1, configured as
# `make allnoconfig` plus tests/qemu/debug-kernel.config.
#
# The tree is built in a cache outside the checkout, keyed by a hash of the
# config fragment, this script and the linux-source package version, and is
# reused as long as it is complete. Build output goes to a log file in the
# cache entry, progress to stderr. The last two lines on stdout are:
#   BZIMAGE=<path to bzImage>
#   KDIR=<kernel tree to build kdht.ko against (tools/build-kmod.sh KDIR ...)>
#
# Environment: KDHT_CACHE (cache root, default $XDG_CACHE_HOME/kdht or
# ~/.cache/kdht), KDHT_JOBS (parallel jobs, default nproc).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/debug-kernel.config
script=$here/$(basename "$0")
tarball=/usr/src/linux-source-6.1.tar.xz
package=linux-source-6.1

say() { echo "build-debug-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

[ -r "$fragment" ] || die "missing config fragment $fragment"
[ -r "$tarball" ] || die "missing $tarball; run tools/install-deps.sh"
version=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null) ||
	die "package $package is not installed; run tools/install-deps.sh"
for tool in make gcc bc bison flex xz cpio sha256sum flock perl; do
	command -v "$tool" >/dev/null || die "missing $tool; run tools/install-deps.sh"
done

hash=$({ cat "$fragment" "$script"; echo "$version"; } | sha256sum | cut -c1-16)
cache_root=${KDHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdht}
entry=$cache_root/debug-kernel-$hash
tree=$entry/linux
log=$entry/build.log
stamp=$entry/complete
bzimage=$tree/arch/x86/boot/bzImage
jobs=${KDHT_JOBS:-$(nproc)}

report() {
	echo "BZIMAGE=$bzimage"
	echo "KDIR=$tree"
}

mkdir -p "$cache_root"
# Two harness runs starting together must not build into the same tree.
exec 9>"$entry.lock"
flock 9

if [ -f "$stamp" ] && [ -f "$bzimage" ]; then
	say "using cached kernel in $entry"
	report
	exit 0
fi

# Anything here without the stamp is a build that was interrupted.
rm -rf "$entry"
mkdir -p "$tree"
: >"$log"
start=$(date +%s)

# Runs one build step with its output in the log; on failure shows the end
# of the log, since the step's own message is usually in its last lines.
step() {
	local what=$1
	shift
	say "$what"
	echo "=== $what: $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "$what failed; full log in $log"
	fi
}

kmake() {
	nice -n 10 make -C "$tree" ARCH=x86_64 -j"$jobs" "$@"
}

step "extracting $package $version" \
	tar -xJf "$tarball" -C "$tree" --strip-components=1

# allnoconfig plus the fragment: whatever the fragment does not name stays off.
step "configuring (allnoconfig + $(basename "$fragment"))" \
	env -C "$tree" ARCH=x86_64 scripts/kconfig/merge_config.sh -n "$fragment"

# Kconfig drops an option silently when a dependency is missing, so check
# that every line of the fragment made it into .config as written.
missing=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$tree/.config" || missing+=("$line")
		;;
	"# CONFIG_"*" is not set")
		option=${line#\# }
		option=${option%% *}
		! grep -q "^$option=" "$tree/.config" || missing+=("$line")
		;;
	esac
done <"$fragment"
if [ "${#missing[@]}" -gt 0 ]; then
	say "options from $fragment that did not stick in $tree/.config:"
	printf '  %s\n' "${missing[@]}" >&2
	die "fix the fragment (a dependency is probably missing)"
fi

# A full build, not only bzImage: it writes Module.symvers, which external
# module builds (make M=...) need to resolve the kernel's exported symbols.
step "building kernel with $jobs jobs (log: $log)" kmake all
step "preparing tree for external modules" kmake modules_prepare

[ -f "$bzimage" ] || die "build finished without $bzimage"
[ -f "$tree/Module.symvers" ] || die "build finished without $tree/Module.symvers"

echo "$version $(date -u +%FT%TZ) $(($(date +%s) - start))s" >"$stamp"
say "built in $(($(date +%s) - start))s"
report
