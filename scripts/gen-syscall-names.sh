#!/usr/bin/env bash
# Writes a C table of syscall names from the system's own asm/unistd_64.h,
# so the names always match the headers the build used.
set -euo pipefail
header=${1:-}
if [ -z "$header" ]; then
	header=$(echo '#include <asm/unistd_64.h>' | cc -E -H -x c - 2>&1 >/dev/null |
		 awk '/unistd_64.h/ {print $2; exit}')
fi
[ -r "$header" ] || { echo "gen-syscall-names: cannot find asm/unistd_64.h" >&2; exit 1; }
echo "/* Generated from $header by scripts/gen-syscall-names.sh. */"
echo "static const struct syscall_name syscall_names_table[] = {"
awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ {
	name = substr($2, 6); printf "\t{ %d, \"%s\" },\n", $3, name }' "$header"
echo "};"
