#!/usr/bin/env bash
# Installs, from Debian's packages, whatever blockscope needs that is missing.
# Run by make before the first build; safe to run again (it installs nothing
# when everything is there).
set -euo pipefail

packages=(clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libcmocka-dev
	  libjson-c-dev libdw-dev iproute2 pkg-config jq gcc make linux-libc-dev procps tmux util-linux valgrind libxml2-utils chromium
	  libmicrohttpd-dev libgnutls28-dev libyaml-dev libcrypt-dev curl)
packages+=("$@")

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
