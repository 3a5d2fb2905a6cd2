#!/usr/bin/env bash
# Installing blockscope: make install/uninstall into a DESTDIR, and make deb
# checked by lintian and installed with apt on a fresh Debian 12 root made by
# debootstrap (cached in BUILD/debian12-root.tar; a chroot in a private mount
# namespace, no container), where the installed blockscope runs a short
# trace and man shows its page. Also: the packages make demo installs pull
# in no browser there.
source "$(dirname "$0")/../lib.sh"

if ! "$ROOT/scripts/install-deps.sh" dpkg-dev lintian debootstrap man-db >"$TMP/deps.log" 2>&1; then
	fail deps_installed "cannot install dpkg-dev lintian debootstrap man-db: $(tail -1 "$TMP/deps.log")"
	finish
	exit
fi
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUILD=$(cd "$BUILD" && pwd)

# make install / uninstall into a DESTDIR, with the default PREFIX.
dest=$TMP/dest
make -C "$ROOT" --no-print-directory BUILD="$BUILD" DESTDIR="$dest" install >"$TMP/install.log" 2>&1
check make_install "$(tail -3 "$TMP/install.log")" -- \
	[ -x "$dest/usr/local/sbin/blockscope" ] && [ -f "$dest/usr/local/share/man/man8/blockscope.8" ] &&
	[ -f "$dest/usr/local/share/bash-completion/completions/blockscope" ]
check installed_version "$("$dest/usr/local/sbin/blockscope" --version 2>&1)" -- \
	[ "$("$dest/usr/local/sbin/blockscope" --version)" = "$("$BLOCKSCOPE" --version)" ]
MANWIDTH=80 man -M "$dest/usr/local/share/man" blockscope 2>&1 | col -bx >"$TMP/man.txt"
check installed_man_page "man -M DESTDIR/... blockscope: $(head -2 "$TMP/man.txt")" -- \
	grep -q '^BLOCKSCOPE(8) .* BLOCKSCOPE(8)$' "$TMP/man.txt"
check installed_completion "the installed completion does not define _blockscope" -- \
	bash -c "source '$dest/usr/local/share/bash-completion/completions/blockscope' && complete -p blockscope | grep -q _blockscope"
make -C "$ROOT" --no-print-directory BUILD="$BUILD" DESTDIR="$dest" uninstall >>"$TMP/install.log" 2>&1
check make_uninstall "left: $(find "$dest" -type f | head -3 | tr '\n' ' ')" -- \
	[ -z "$(find "$dest" -type f)" ]

# make deb: one package, lintian finds no error.
rm -f "$BUILD"/blockscope_*.deb
make -C "$ROOT" --no-print-directory BUILD="$BUILD" deb >"$TMP/deb.log" 2>&1
debs=("$BUILD"/blockscope_*.deb)
check make_deb "$(tail -5 "$TMP/deb.log")" -- [ ${#debs[@]} -eq 1 ] && [ -s "${debs[0]}" ]
deb=${debs[0]}
sed -n '/LINTIAN/,$p' "$TMP/deb.log"
# lintian as nobody (not as root, which it warns against), on a copy that
# nobody can read wherever the tree is, from / (lintian goes back to its
# working directory: a clone under mktemp -d's 0700 directory is not
# nobody's to enter).
mkdir -p "$TMP/lintian"
chmod 0755 "$TMP" "$TMP/lintian"
lintian_run() {
	install -m 0644 "$1" "$TMP/lintian/"
	env -C / runuser -u nobody -- lintian --pedantic -I -E --tag-display-limit 0 "$TMP/lintian/$(basename "$1")" 2>&1
}
lintian_run "$deb" >"$TMP/lintian.txt"
check lintian_no_error "$(grep '^E:' "$TMP/lintian.txt" | head -3)" -- \
	[ -s "$deb" ] && ! grep -q '^E:' "$TMP/lintian.txt"
fields=$(dpkg-deb -f "$deb" Version Depends)
check deb_version "control says '$fields', blockscope --version '$("$BLOCKSCOPE" --version)'" -- \
	[ "blockscope $(dpkg-deb -f "$deb" Version)" = "$("$BLOCKSCOPE" --version)" ]
check deb_depends_libraries "Depends: $(dpkg-deb -f "$deb" Depends)" -- \
	bash -c "dpkg-deb -f '$deb' Depends | grep -q libbpf1 && dpkg-deb -f '$deb' Depends | grep -q libc6"
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$TMP/contents.txt"
check deb_contents "$(tr '\n' ' ' <"$TMP/contents.txt")" -- bash -c "
	grep -qx ./usr/sbin/blockscope '$TMP/contents.txt' &&
	grep -qx ./usr/share/man/man8/blockscope.8.gz '$TMP/contents.txt' &&
	grep -qx ./usr/share/bash-completion/completions/blockscope '$TMP/contents.txt' &&
	grep -qx ./usr/share/doc/blockscope/copyright '$TMP/contents.txt'"

# lintian's check can fail: the same package without its copyright file.
mkdir -p "$TMP/broken"
dpkg-deb -R "$deb" "$TMP/broken/root"
rm "$TMP/broken/root/usr/share/doc/blockscope/copyright"
sed -i '/usr\/share\/doc\/blockscope\/copyright/d' "$TMP/broken/root/DEBIAN/md5sums"
dpkg-deb --root-owner-group --build "$TMP/broken/root" "$TMP/broken/blockscope_broken.deb" >/dev/null
lintian_run "$TMP/broken/blockscope_broken.deb" >"$TMP/lintian-broken.txt"
check lintian_sees_error "lintian said of a package without copyright: $(head -2 "$TMP/lintian-broken.txt")" -- \
	grep -q '^E: blockscope: no-copyright-file' "$TMP/lintian-broken.txt"

# A fresh Debian 12 root, made once and kept as a tarball.
base=$BUILD/debian12-root.tar
if [ ! -s "$base" ]; then
	echo "  debootstrap: making a fresh Debian 12 root (once, about a minute)"
	if debootstrap --variant=minbase bookworm "$TMP/boot" "$MIRROR" >"$TMP/debootstrap.log" 2>&1 &&
		tar -C "$TMP/boot" -cf "$base.tmp" . && mv "$base.tmp" "$base"; then
		rm -rf --one-file-system "$TMP/boot"
	else
		rm -f "$base.tmp"
		fail debootstrap "$(tail -2 "$TMP/debootstrap.log")"
		finish
		exit
	fi
fi
root=$TMP/root
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
demo_packages=$("$ROOT/scripts/install-deps.sh" --list | tr '\n' ' ')

# In a mount namespace of its own: /proc, /sys and /dev exist only there and
# go with it, so nothing of the host is ever mounted under $TMP.
cat >"$TMP/in-root.sh" <<EOF
set -u
root=$root
mount -t proc proc "\$root/proc" && mount --rbind /sys "\$root/sys" && mount --rbind /dev "\$root/dev" || exit 99
inroot() { chroot "\$root" env -i DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "\$@"; }
inroot apt-get update -q >/dev/null 2>&1 || { echo "STEP update failed"; exit 0; }
inroot apt-get install -s --no-install-recommends $demo_packages >/work.demo-sim 2>&1
echo "STEP demo-sim \$?"
# As a user would: apt install ./blockscope_VERSION_ARCH.deb.
inroot sh -c 'cd /tmp && apt install -y -q --no-install-recommends ./$(basename "$deb") man-db' >/work.apt 2>&1
echo "STEP apt \$?"
inroot blockscope --version >/work.version 2>&1
echo "STEP version \$?"
inroot blockscope -j -o /tmp/trace.json -d 1 -- sleep 0.5 >/work.trace 2>&1
echo "STEP trace \$?"
inroot blockscope -d 1 -- sleep 0.5 >/work.trace.txt 2>&1
echo "STEP trace-text \$?"
inroot sh -c 'MANWIDTH=80 man -P cat blockscope' >/work.man 2>&1
echo "STEP man \$?"
inroot apt-get purge -y -q blockscope >/work.purge 2>&1
echo "STEP purge \$?"
EOF
sed -i "s#>/work\.#>$TMP/root-#g" "$TMP/in-root.sh"
timeout 600 unshare --mount --propagation private bash "$TMP/in-root.sh" >"$TMP/steps.txt" 2>&1
step() { sed -n "s/^STEP $1 //p" "$TMP/steps.txt"; }
if [ -z "$(step apt)" ]; then
	fail chroot "$(tail -3 "$TMP/steps.txt")"
	finish
	exit
fi

check demo_packages_install_on_debian12 "apt-get -s: $(tail -2 "$TMP/root-demo-sim")" -- [ "$(step demo-sim)" = 0 ]
check demo_installs_no_browser "$(grep -E '^Inst (chromium|firefox)' "$TMP/root-demo-sim" | head -2)" -- \
	bash -c "grep -q '^Inst clang' '$TMP/root-demo-sim' && ! grep -qE '^Inst (chromium|firefox)' '$TMP/root-demo-sim'"
check apt_installs_deb "apt install ./$(basename "$deb"): $(tail -3 "$TMP/root-apt")" -- [ "$(step apt)" = 0 ]
check apt_pulled_libraries "$(grep -c '^Setting up' "$TMP/root-apt") packages set up" -- \
	grep -q '^Setting up libbpf1' "$TMP/root-apt"
check installed_deb_version "$(cat "$TMP/root-version")" -- \
	bash -c "[ '$(step version)' = 0 ] && [ \"\$(cat '$TMP/root-version')\" = '$("$BLOCKSCOPE" --version)' ]"
check installed_deb_traces "exit $(step trace): $(tail -2 "$TMP/root-trace")" -- [ "$(step trace)" = 0 ]
jq_check installed_deb_trace_sees_sleep "$root/tmp/trace.json" \
	'.events.lost == 0 and ([.syscalls[] | select(.name == "clock_nanosleep" or .name == "nanosleep") | .blocking] | add) >= 1'
check installed_deb_text_report "exit $(step trace-text): $(head -2 "$TMP/root-trace.txt")" -- \
	bash -c "[ '$(step trace-text)' = 0 ] && grep -q '^blockscope: traced sleep' '$TMP/root-trace.txt' && grep -q '^SYSCALLS' '$TMP/root-trace.txt'"
check installed_deb_man "man blockscope in the root: $(head -2 "$TMP/root-man")" -- \
	bash -c "[ '$(step man)' = 0 ] && grep -q 'BLOCKSCOPE(8)' '$TMP/root-man' && grep -q -- '--time-sample' '$TMP/root-man'"
check deb_purges "$(tail -2 "$TMP/root-purge")" -- \
	bash -c "[ '$(step purge)' = 0 ] && [ ! -e '$root/usr/sbin/blockscope' ] && [ ! -e '$root/usr/share/man/man8/blockscope.8.gz' ]"
rm -rf --one-file-system "$root"
finish
