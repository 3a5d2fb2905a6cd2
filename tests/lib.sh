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

# quiet COMMAND...: COMMAND with its output dropped, for check (which prints
# the verdict: a redirect after check would drop that too).
quiet() { "$@" >/dev/null; }

# jq_check NAME FILE FILTER: pass if the jq FILTER is true on FILE. An empty
# FILE fails (jq -e exits 0 when it reads nothing at all).
jq_check() {
	local name=$1 file=$2 filter=$3
	if [ -s "$file" ] && jq -e "$filter" "$file" >/dev/null 2>&1; then
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

# start_target NAME ARGS...: starts build/targets/NAME in the background and
# sets SPID and PORT (from its first line, "NAME pid=PID port=PORT").
start_target() {
	local log=$TMP/$1.log
	"$TARGETS/$@" >"$log" 2>&1 &
	SPID=$!
	CHILD_PIDS+=($SPID)
	PORT=""
	for _ in $(seq 50); do
		PORT=$(sed -n '1s/.*port=\([0-9]*\).*/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	echo "  $1 did not start: $(head -3 "$log")"
	return 1
}

# wait_attached PID: wait (at most 30 s) until the blockscope PID has its
# tracepoints attached (8 BPF links among its fds), then a little more for
# its signal handlers; a fixed sleep is too short on a busy machine.
wait_attached() {
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		tracer_attached "$1" && { sleep 0.3; return 0; }
		sleep 0.1
	done
	return 1
}

# tracer_attached PID: blockscope PID holds its 8 tracepoint links (its
# window opens right after, with the baseline).
tracer_attached() {
	[ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:bpf_link')" -ge 8 ]
}

# wait_ready FILE: wait (at most 30 s) for a "READY" line in FILE.
wait_ready() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q READY "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_file FILE [SECONDS]: until FILE is not empty (5 s at most, or SECONDS).
wait_file() {
	local i
	for ((i = 0; i < ${2:-5} * 20; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# expect_error NAME STATUS PATTERN CMD...: CMD fails with STATUS, one line on
# stderr matching PATTERN, nothing on stdout.
expect_error() {
	local name=$1 status=$2 pattern=$3
	shift 3
	"$@" >"$TMP/err.out" 2>"$TMP/err.txt"
	local rc=$?
	if [ $rc -eq "$status" ] && grep -q -- "$pattern" "$TMP/err.txt" && [ ! -s "$TMP/err.out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr: $(head -c 300 "$TMP/err.txt")"
	fi
}

our_prog_ids() {
	bpftool prog show 2>/dev/null | awk '/name (on_sys_enter|on_sys_exit|on_switch|on_waking|on_wakeup|on_wakeup_new|on_fork|on_exit|on_hrtimer|on_irq|on_softirq|on_local_timer|on_reschedule|on_call_functio)/ { sub(":", "", $1); print $1 }' | sort
}

# Programs of ours that no process holds (by a program or link fd): left
# behind. Other tracers may run meanwhile; theirs are held. Two looks, so a
# program being loaded or freed between the listings is not taken for one.
orphan_progs() {
	local a b
	a=$(comm -23 <(our_prog_ids) <(grep -h '^prog_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u))
	sleep 0.3
	b=$(comm -23 <(our_prog_ids) <(grep -h '^prog_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u))
	comm -12 <(echo "$a") <(echo "$b") | grep .
}

# A TCP port nobody listens on.
free_port() {
	local p
	# Below the ephemeral range (32768+), so no client socket holds it, and
	# in no state at all in ss, listening or connected.
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % 22000))
		if [ -z "$(ss -Htan "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
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
