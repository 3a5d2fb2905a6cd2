#!/bin/bash
# Smoke test of the sample workloads in targets/: each server answers
# loadgen without an error, names its threads by role, and exits with
# status 0 and no child left on SIGTERM, SIGINT or when --seconds is over;
# the clients busy_poll and callbacks run in each of their modes.
# Needs the binaries in $BUILD/targets; every wait is bounded.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SERVERS="mp_server mt_server pool_server epoll_server reactor_pool coro_server"

# Thread roles (names without digits) expected under load, process and
# children together: what the tracer will group by.
declare -A ROLES=(
	[mp_server]="acceptor conn-"
	[mt_server]="acceptor conn-"
	[pool_server]="acceptor worker-"
	[epoll_server]="loop"
	[reactor_pool]="loop worker-"
	[coro_server]="loop"
)
declare -A EXTRA=([pool_server]="--threads 4" [reactor_pool]="--threads 4")

# start NAME ARGS...: starts a program with --port 0 and waits up to 5 s
# for its first line; sets PID and PORT.
start() {
	local name=$1 line i
	shift
	spawn "$TARGETS/$name" --port 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	PID=$!
	PORT=
	for i in $(seq 50); do
		line=$(head -n 1 "$TMP/$name.out")
		[ -n "$line" ] && break
		sleep 0.1
	done
	if [[ $line =~ ^$name\ pid=([0-9]+)\ port=([0-9]+)$ ]] &&
	   [ "${BASH_REMATCH[1]}" = "$PID" ]; then
		PORT=${BASH_REMATCH[2]}
		pass "$name-first-line"
	else
		fail "$name-first-line" "expected '$name pid=$PID port=N', got '$line'"
	fi
}

# wait_exit PID SECONDS: waits for a child of this shell, SIGKILLing it
# after SECONDS; returns its exit status.
wait_exit() {
	timeout "$2" tail --pid="$1" -s 0.1 -f /dev/null || kill -KILL "$1" 2>/dev/null
	wait "$1"
}

# summary FILE KEY: the value of KEY in FILE's SUMMARY line.
summary() {
	sed -n "s/^SUMMARY.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n 1
}

# quiet FILE: true if FILE (a stderr) has nothing to say. ASan, when
# built in, always warns once that it cannot fully follow swapcontext.
quiet() {
	! grep -qv "ASan doesn't fully support makecontext/swapcontext" "$1"
}

# roles PID: the sorted thread names of PID and its children, digits stripped.
roles() {
	local p
	for p in "$1" $(pgrep -P "$1"); do
		cat /proc/"$p"/task/*/comm 2>/dev/null
	done | tr -d '0-9' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

for name in "${!ROLES[@]}" backend loadgen busy_poll callbacks; do
	check "$name-help" "--help does not exit 0 with a usage" -- \
		bash -c "'$TARGETS/$name' --help | grep -q '^Usage: $name'"
	"$TARGETS/$name" --no-such-option >/dev/null 2>&1
	check "$name-bad-option" "an unknown option does not exit 2" -- test $? -eq 2
done

start backend --seconds 120
BACKEND_PID=$PID
BP=$PORT
[ -n "$BP" ] || { finish; exit; }

sig=TERM
for name in $SERVERS; do
	# shellcheck disable=SC2086
	start "$name" --backend-port "$BP" --seconds 60 ${EXTRA[$name]:-}
	pid=$PID
	[ -n "$PORT" ] || continue

	timeout 20 "$TARGETS/loadgen" --port "$PORT" --seconds 2 --connections 4 \
		--cpu-us 500 --wait-us 1000 >"$TMP/$name.load" 2>&1
	rc=$?
	echo "  $name: $(tail -n 1 "$TMP/$name.load")"
	requests=$(summary "$TMP/$name.load" requests)
	errors=$(summary "$TMP/$name.load" errors)
	check "$name-load" "loadgen exit $rc, requests=$requests errors=$errors" -- \
		test "$rc" -eq 0 -a "${requests:-0}" -gt 0 -a "${errors:-1}" -eq 0

	# Stop it while clients are connected: mp_server then has children.
	spawn timeout 20 "$TARGETS/loadgen" --port "$PORT" --seconds 1.5 \
		--connections 2 --cpu-us 100 --wait-us 1000 >/dev/null 2>&1
	bg=$!
	sleep 0.5
	got=$(roles "$pid")
	check "$name-thread-names" "threads are '$got', expected '${ROLES[$name]}'" -- \
		test "$got" = "${ROLES[$name]}"
	children=$(pgrep -P "$pid" | tr '\n' ' ')
	kill -"$sig" "$pid"
	wait_exit "$pid" 5
	rc=$?
	check "$name-sig$sig" "exit status $rc on SIG$sig" -- test "$rc" -eq 0
	left=
	for c in $children; do
		kill -0 "$c" 2>/dev/null && left="$left $c"
	done
	check "$name-no-children" "children left behind:$left" -- test -z "$left"
	check "$name-stderr" "wrote to stderr: $(head -c 300 "$TMP/$name.err")" -- \
		quiet "$TMP/$name.err"
	wait_exit "$bg" 25
	# Take turns: each server must handle both SIGTERM and SIGINT.
	[ "$sig" = TERM ] && sig=INT || sig=TERM
done

# loadgen against a port nobody listens on any more.
out=$(timeout 10 "$TARGETS/loadgen" --port "$PORT" --seconds 0.5 --connections 1 2>&1 >/dev/null)
rc=$?
check "loadgen-refused" "exit $rc, stderr '$out'" -- \
	test "$rc" -ne 0 -a "$(echo "$out" | wc -l)" -eq 1

timeout 10 "$TARGETS/busy_poll" --backend-port "$BP" --wait-us 1000 --seconds 1 \
	>"$TMP/busy_poll.out" 2>&1
rc=$?
echo "  busy_poll: $(tail -n 1 "$TMP/busy_poll.out")"
replies=$(summary "$TMP/busy_poll.out" replies)
calls=$(summary "$TMP/busy_poll.out" recv_calls)
eagain=$(summary "$TMP/busy_poll.out" eagain)
# Nearly every recv() is an EAGAIN: at least 9 out of 10.
check busy_poll "exit $rc, replies=$replies recv_calls=$calls eagain=$eagain" -- \
	test "$rc" -eq 0 -a "${replies:-0}" -gt 0 -a "$((${eagain:-0} * 10))" -ge "$((${calls:-1} * 9))"

for mode in sync async; do
	timeout 10 "$TARGETS/callbacks" --mode "$mode" --backend-port "$BP" \
		--wait-us 1000 --cpu-us 200 --seconds 1 >"$TMP/callbacks.out" 2>&1
	rc=$?
	echo "  callbacks $mode: $(tail -n 1 "$TMP/callbacks.out")"
	jobs=$(summary "$TMP/callbacks.out" jobs)
	failed=$(summary "$TMP/callbacks.out" failed)
	slices=$(summary "$TMP/callbacks.out" work_slices)
	check "callbacks-$mode" "exit $rc, jobs=$jobs failed=$failed" -- \
		test "$rc" -eq 0 -a "${jobs:-0}" -gt 0 -a "${failed:-1}" -eq 0
done
# Async, the caller works while it waits: several slices per job.
check callbacks-async-overlap "work_slices=$slices is not above jobs=$jobs" -- \
	test "${slices:-0}" -gt "${jobs:-0}"

# --seconds: every server ends by itself, all at once to save time.
pids=()
for name in $SERVERS; do
	spawn "$TARGETS/$name" --port 0 --backend-port "$BP" --seconds 1 >/dev/null
	pids+=($!)
done
i=0
for name in $SERVERS; do
	wait_exit "${pids[$i]}" 10
	rc=$?
	check "$name-seconds" "exit status $rc after --seconds 1" -- test "$rc" -eq 0
	i=$((i + 1))
done

kill -TERM "$BACKEND_PID"
wait_exit "$BACKEND_PID" 5
rc=$?
check backend-sigTERM "exit status $rc on SIGTERM" -- test "$rc" -eq 0
check backend-stderr "wrote to stderr: $(head -c 300 "$TMP/backend.err")" -- \
	quiet "$TMP/backend.err"

finish
