#!/usr/bin/env bash
# Runs every suite: cmocka unit tests (plain and under ASan+UBSan) and the
# integration scripts against the real kernel (plain, and the core suite
# again with the sanitized collector). Ends with one line that sums them all.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
total_pass=0
total_fail=0

add() { total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); }

run_unit() {
	local bin=$1 out p f
	out=$("$bin" 2>&1)
	echo "$out" | grep -E '^\[  (FAILED|ERROR)|^\[   LINE|ERROR: (Address|Leak)Sanitizer|runtime error' || true
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed.*/\1/p' | tail -1)
	p=${p:-0}
	f=${f:-0}
	# A crash before the summary is a failure even if nothing was counted.
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	echo "unit $(basename "$bin")${2:+ ($2)}: $p passed, $f failed"
	add "$p" "$f"
}

run_suite() {
	local script=$1 label=$2 out last p f
	out=$(timeout 900 bash "$script" 2>&1)
	echo "$out" | grep -v '^PASS ' | grep -v '^[0-9]* passed, [0-9]* failed$'
	last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$last" | awk '{print $1}')
	f=$(echo "$last" | awk '{print $3}')
	p=${p:-0}
	f=${f:-1}
	echo "integration $(basename "$script" .sh)${label:+ ($label)}: $p passed, $f failed"
	add "$p" "$f"
}

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

for t in "$BUILD"/tests/unit/test_*; do run_unit "$t"; done
for t in "$BUILD"/sanitize/tests/unit/test_*; do run_unit "$t" "asan+ubsan"; done

export BUILD
for s in tests/integration/test_*.sh; do
	BLOCKSCOPE=$BUILD/blockscope run_suite "$s" ""
done
BLOCKSCOPE=$BUILD/sanitize/blockscope run_suite tests/integration/test_core.sh "asan+ubsan collector"

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
