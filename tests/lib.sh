# Shared helpers for the integration suites. Source it; each check prints
# "PASS name" or "FAIL name: why", and the suite's last line is
# "N passed, N failed" so that run-all can add every suite up.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BLOCKSCOPE=${BLOCKSCOPE:-$BUILD/blockscope}
TARGETS=$BUILD/targets
PROGS=$BUILD/tests/progs
TMP=$(mktemp -d /tmp/blockscope-test.XXXXXX)
PASSED=0
FAILED=0
CHILD_PIDS=()

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }

# check NAME DESCRIPTION -- COMMAND...: pass if COMMAND succeeds.
check() {
	local name=$1 why=$2
	shift 3
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

# jq_check NAME FILE FILTER: pass if the jq FILTER is true on FILE.
jq_check() {
	local name=$1 file=$2 filter=$3
	if jq -e "$filter" "$file" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "jq '$filter' is not true on $file"
	fi
}

# spawn CMD...: start a background process that cleanup will kill.
spawn() {
	"$@" &
	CHILD_PIDS+=($!)
}

cleanup() {
	local pid
	for pid in "${CHILD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${CHILD_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
