#!/usr/bin/env bash
# Installs, from Debian's packages, whatever blockscope needs that is missing.
# Run by make before the first build; safe to run again (it installs nothing
# when everything is there).
# Usage: install-deps.sh [--list] [--tests] [PACKAGE...]
#   no argument: what building blockscope and its sample workloads needs (make,
#   make demo); --tests: also what the test suites share (make test); further
#   names: packages of one target or suite (Chromium for test_why, the real
#   servers for tests/real, lintian for make deb). --list prints the names
#   instead, one a line, and installs nothing.
set -euo pipefail
list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi

packages=(clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libjson-c-dev libdw-dev libstdc++-12-dev
	  libmicrohttpd-dev libgnutls28-dev libyaml-dev libcrypt-dev pkg-config gcc make linux-libc-dev)
if [ "${1:-}" = --tests ]; then
	shift
	packages+=(libcmocka-dev jq iproute2 procps tmux util-linux valgrind libxml2-utils curl)
fi
packages+=("$@")
if [ $list -eq 1 ]; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An update is needed on a fresh machine, whose package lists are empty.
apt-get update -q >/dev/null || apt-get update
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
