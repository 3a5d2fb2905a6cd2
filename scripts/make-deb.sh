#!/usr/bin/env bash
# make deb: builds BUILD/blockscope_VERSION_ARCH.deb with dpkg-deb, from a
# build made with Debian's hardening flags in BUILD/deb/build, installed by
# `make install` into a staging root. The version is what the binary's
# --version says; Depends is computed by dpkg-shlibdeps from the libraries
# the binary links. lintian checks the package: any error fails the build,
# and its whole output (warnings included) is printed.
# Usage: scripts/make-deb.sh [BUILD]   (DEB_MAINTAINER="Name <address>")
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}
MAINTAINER=${DEB_MAINTAINER:-blockscope developers <blockscope@example.org>}
deb=$BUILD/deb
obj=$deb/build
# The staging root where dpkg-shlibdeps looks for a package's files.
root=$deb/pkg/debian/blockscope

for tool in dpkg-deb dpkg-shlibdeps dpkg-buildflags lintian; do
	command -v "$tool" >/dev/null ||
		{ echo "make-deb: $tool not found (scripts/install-deps.sh dpkg-dev lintian)" >&2; exit 1; }
done

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
flags=(BUILD="$obj" CFLAGS="$(dpkg-buildflags --get CFLAGS)"
       EXTRA_CFLAGS="$(dpkg-buildflags --get CPPFLAGS)"
       EXTRA_LDFLAGS="$(dpkg-buildflags --get LDFLAGS)")
make --no-print-directory "${flags[@]}" "$obj/blockscope"
rm -rf "$root"
make --no-print-directory "${flags[@]}" DESTDIR="$root" PREFIX=/usr install

version=$("$obj/blockscope" --version | sed -n '1s/^blockscope //p')
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "make-deb: no version from $obj/blockscope --version" >&2; exit 1; }

# As dh_strip and dh_installman would: stripped binary, compressed page.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/sbin/blockscope"
gzip -9n "$root/usr/share/man/man8/blockscope.8"

doc=$root/usr/share/doc/blockscope
install -d -m 0755 "$doc"
install -m 0644 packaging/copyright "$doc/copyright"
# A native package's changelog: this version, dated by the last commit.
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
printf 'blockscope (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
	"$version" "$commit" "$MAINTAINER" "$date" | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Depends: the packages of the shared libraries the binary links
# (dpkg-shlibdeps finds the package root by its DEBIAN folder).
install -d -m 0755 "$root/DEBIAN"
printf 'Source: blockscope\n\nPackage: blockscope\nArchitecture: any\n' >"$deb/pkg/debian/control"
depends=$(cd "$deb/pkg" && dpkg-shlibdeps -O debian/blockscope/usr/sbin/blockscope |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "make-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

cat >"$root/DEBIAN/control" <<EOF
Package: blockscope
Version: $version
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Description: eBPF tracer of blocking calls, thread time and pool sizing
 blockscope traces a running process (by PID, name or cgroup v2), or a
 command it starts, with eBPF programs on the scheduler and syscall
 tracepoints. It reports which syscalls block and for how long, where
 each thread's time goes (on a CPU, blocked, or waiting in the run
 queue, from the kernel's own counters), and how many threads each
 thread group should have: N x U x (1 + WT/CT).
 .
 It also records the call sites and wakers of blocking calls, writes
 Perfetto timelines and SVG pictures, and serves Prometheus metrics.
 It needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF) and root.
EOF
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

out=$BUILD/blockscope_${version}_${arch}.deb
rm -f "$BUILD"/blockscope_*.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "  DEB      $out ($(du -k "$out" | cut -f1) KiB; Depends: $depends)"

# lintian, pedantic, every tag shown; an error fails make deb.
# Not as root,
# which it warns against: as nobody, on a copy nobody can read.
as_user=()
check=$out
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null; then
	# From /: lintian goes back to its working directory, which nobody may
	# not enter (a tree cloned under mktemp -d's 0700 directory).
	as_user=(env -C / runuser -u nobody --)
	lintdir=$(mktemp -d /tmp/blockscope-lintian.XXXXXX)
	trap 'rm -rf "$lintdir"' EXIT
	chmod 0755 "$lintdir"
	check=$lintdir/$(basename "$out")
	install -m 0644 "$out" "$check"
fi
"${as_user[@]}" lintian --fail-on error --display-info --display-experimental --pedantic \
	--tag-display-limit 0 "$check" >"$deb/lintian.txt" 2>&1 ||
	{ sed 's/^/  /' "$deb/lintian.txt"; echo "make-deb: lintian found errors in $out" >&2; rm -f "$out"; exit 1; }
if [ -s "$deb/lintian.txt" ]; then
	echo "  LINTIAN  no error; its other tags:"
	sed 's/^/    /' "$deb/lintian.txt"
else
	echo "  LINTIAN  no tag at all"
fi
