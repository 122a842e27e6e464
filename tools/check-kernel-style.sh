#!/usr/bin/env bash
# Kernel style gate for kdht.ko: check-kernel-style.sh [--kdir KDIR]
#
# 1. checkpatch.pl --strict on every kmod/**/*.[ch] and the two UAPI/wire
#    headers in proto/ (checkpatch and its data files are taken from Debian's
#    linux-source-6.1 once and cached).
# 2. The module built with sparse on every file (C=2) and W=1, against KDIR
#    (default: the newest Debian 6.1 headers, as tools/build-kmod.sh picks).
#
# Exits 1 if checkpatch reports any ERROR, WARNING or CHECK, if sparse or the
# compiler prints any warning, or if the module does not build.
set -euo pipefail

usage() { echo "usage: check-kernel-style.sh [--kdir KDIR]" >&2; exit 2; }

kdir=
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) [ $# -ge 2 ] || usage; kdir=$2; shift 2 ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
package=linux-source-6.1

say() { echo "check-kernel-style: $*" >&2; }
die() { say "$*"; exit 1; }

command -v sparse >/dev/null || die "missing sparse; run tools/install-deps.sh"
[ -r "$tarball" ] || die "missing $tarball; run tools/install-deps.sh"
version=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null) ||
	die "package $package is not installed; run tools/install-deps.sh"

# checkpatch.pl reads spelling.txt and const_structs.checkpatch from its own
# directory, so the three files are kept together.
cache_root=${KDHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdht}
checkpatch_dir=$cache_root/checkpatch-$version
checkpatch=$checkpatch_dir/checkpatch.pl
if [ ! -x "$checkpatch" ]; then
	say "extracting checkpatch.pl from $package $version"
	mkdir -p "$cache_root"
	unpack=$(mktemp -d "$cache_root/checkpatch.XXXXXX")
	tar -xJf "$tarball" -C "$unpack" --strip-components=2 \
		"$package/scripts/checkpatch.pl" \
		"$package/scripts/spelling.txt" \
		"$package/scripts/const_structs.checkpatch" ||
		{ rm -rf "$unpack"; die "cannot extract checkpatch.pl from $tarball"; }
	rm -rf "$checkpatch_dir"
	mv "$unpack" "$checkpatch_dir"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kdht-style.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0

mapfile -t files < <(cd "$top" && { find kmod -type f \( -name '*.c' -o -name '*.h' \); \
	printf '%s\n' proto/kdht_genl.h proto/kdht_wire.h; } | sort)

say "checkpatch --strict on ${#files[@]} files"
issues=0
for f in "${files[@]}"; do
	[ -f "$top/$f" ] || die "missing $f"
	# checkpatch's exit status only says "not clean"; the count comes from
	# its report lines, so a crash of the script itself is not taken for
	# a clean file.
	out=$(cd "$top" && perl "$checkpatch" --strict --no-tree --no-summary --quiet \
		--show-types --color=never -f "$f" 2>&1) || true
	n=$(grep -cE '^(ERROR|WARNING|CHECK):' <<<"$out" || true)
	if [ "$n" -gt 0 ]; then
		printf '%s\n' "$out"
		issues=$((issues + n))
	elif [ -n "$(grep -v '^$' <<<"$out")" ]; then
		printf '%s\n' "$out" >&2
		die "checkpatch.pl gave output it does not give for a clean file on $f"
	fi
done
if [ "$issues" -gt 0 ]; then
	say "checkpatch: $issues issues"
	failed=1
else
	say "checkpatch: clean"
fi

# -k: keep compiling the other files after one fails, so every file present
# gets its sparse and compiler warnings reported in one run.
say "building kdht.ko with sparse (C=2) and W=1${kdir:+ against $kdir}"
log=$work/build.log
build_ok=1
"$top/tools/build-kmod.sh" "$kdir" "$work/kmod" C=2 -k >"$log" 2>&1 || build_ok=0
# Sparse and the compiler both report "file:line:col: warning|error: ...";
# modpost reports "WARNING: modpost: ...".
warnings=$(grep -cE '(^|: )(warning|error):|^WARNING: ' "$log" || true)
if [ "$build_ok" -eq 0 ] || [ "$warnings" -gt 0 ]; then
	grep -E '(^|: )(warning|error|note):|^WARNING: |^ERROR: |\*\*\*|^[^ ]+:[0-9]+:[0-9]+: ' "$log" |
		sed "s|$work/kmod/||g" || true
	[ "$build_ok" -eq 1 ] || say "module build failed"
	say "sparse/compiler: $warnings warnings or errors"
	failed=1
else
	say "sparse/compiler: clean"
fi

exit "$failed"
