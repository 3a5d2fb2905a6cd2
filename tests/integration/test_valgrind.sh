#!/usr/bin/env bash
# The unit tests and the collector under valgrind: no leak, no invalid
# access, no uninitialised read (libbpf's own probing is suppressed, see
# tests/valgrind.supp).
source "$(dirname "$0")/../lib.sh"
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 --suppressions=$ROOT/tests/valgrind.supp"

for t in "$BUILD"/tests/unit/test_*; do
	name=$(basename "$t")
	if $VG "$t" >"$TMP/$name.log" 2>&1; then
		pass "valgrind_$name"
	else
		fail "valgrind_$name" "$(grep -m3 '==' "$TMP/$name.log")"
	fi
done

run_collector() {
	local name=$1
	shift
	if $VG "$BLOCKSCOPE" "$@" >"$TMP/$name.log" 2>&1; then
		pass "valgrind_collector_$name"
	else
		fail "valgrind_collector_$name" "$(grep -m5 '==' "$TMP/$name.log")"
	fi
}
run_collector command -j -o "$TMP/c.json" -- "$PROGS/pipe_reader" 100 2000
run_collector threads_text -t -H --verify -o "$TMP/t.txt" -- "$PROGS/agree" "$TMP/self.txt" mixed
run_collector interval -j -i 0.3 -o "$TMP/i.json" -f -- "$PROGS/agree" "$TMP/a.txt" fork 1
spawn sleep 30
run_collector by_pid -j -o "$TMP/p.json" -p "${CHILD_PIDS[-1]}" -d 0.5
jq_check valgrind_reports_valid "$TMP/c.json" '.syscalls | length > 0'

finish
