#!/usr/bin/env bash
# Event loops (issue 25, docs/loops.md): the seeds' lesson on coro_server,
# and the same on CPython's asyncio (Debian's python3). The coroutines
# either yield on their backend call (coro_server --mode yield, asyncio
# awaiting a stream: a healthy loop) or make it as a blocking client would
# (--mode block: the thread, and every coroutine on it, waits in
# recvfrom). Traced with the real BPF programs, in the default mode and
# with --sched-only: the loop is found, never sized, its share of time
# blocked within 10 points of the designed share and its blocking call
# named. Heavy: run under flock /tmp/blockscope-heavy.lock.
source "$(dirname "$0")/../lib.sh"

CPU_US=1000
WAIT_US=3000

# summary FILE KEY: the value of KEY in loadgen's SUMMARY line.
summary() {
	sed -n "s/^SUMMARY.* $2=\([^ ]*\).*/\1/p" "$1" | tail -n 1
}

PY=/usr/bin/python3 # Debian's CPython 3.11
if ! "$ROOT/scripts/install-deps.sh" python3 >"$TMP/deps.log" 2>&1; then
	fail deps "cannot install python3: $(tail -3 "$TMP/deps.log")"
	finish
	exit
fi

start_target backend --port 0 --seconds 240 || { finish; exit; }
BACKEND=$PORT

# serve KIND MODE: starts the server (coro: coro_server --mode MODE;
# asyncio: tests/integration/asyncio_server.py --mode MODE), sets SPID,
# PORT and COMM (its loop thread's name).
serve() {
	if [ "$1" = coro ]; then
		COMM=loop
		start_target coro_server --port 0 --backend-port "$BACKEND" --mode "$2" --seconds 40
		return
	fi
	COMM=python3
	local log=$TMP/asyncio.$2.$RANDOM.log
	"$PY" "$ROOT/tests/integration/asyncio_server.py" --backend-port "$BACKEND" --mode "$2" \
		--seconds 40 >"$log" 2>&1 &
	SPID=$!
	CHILD_PIDS+=($SPID)
	PORT=""
	for _ in $(seq 100); do
		PORT=$(sed -n '1s/.*port=\([0-9]*\).*/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	echo "  asyncio_server did not start: $(head -3 "$log")"
	return 1
}

# calibrate KIND: what its blocking loop serves when it always has work
# (one request at a time: CPU_US + WAIT_US each on an idle machine, less
# when the CPUs are shared), on this machine as loaded as it is. Sets RATE
# to half of it, open loop: the loop then sleeps in its wait between
# requests, so that --sched-only, which sees only sleeps, sees the wait.
calibrate() {
	local cap
	serve "$1" block || return 1
	"$TARGETS/loadgen" --port "$PORT" --cpu-us $CPU_US --wait-us $WAIT_US --connections 2 \
		--seconds 2 >"$TMP/calibrate.$1.log" 2>&1
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	cap=$(summary "$TMP/calibrate.$1.log" rps)
	check "${1}_calibrated" "no SUMMARY from the calibration run: $(tail -2 "$TMP/calibrate.$1.log")" -- \
		awk -v c="${cap:-0}" 'BEGIN { exit !(c > 20) }'
	RATE=$(awk -v c="${cap:-100}" 'BEGIN { printf "%d", c / 2 }')
	[ "$1" = coro ] && CORO_RATE=$RATE
	echo "  $1: the blocking loop served $cap req/s when always busy; tracing at $RATE req/s"
}

# run NAME KIND MODE LOADGEN-ARGS... -- BLOCKSCOPE-ARGS...: the server under
# that load for 5 s, traced 3 s into $TMP/NAME.json.
run() {
	local name=$1 kind=$2 mode=$3 lg=() bs=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do lg+=("$1"); shift; done
	shift
	bs=("$@")
	serve "$kind" "$mode" || return 1
	"$TARGETS/loadgen" --port "$PORT" --cpu-us $CPU_US --wait-us $WAIT_US --seconds 5 \
		"${lg[@]}" >"$TMP/$name.load" 2>&1 &
	local lgpid=$!
	CHILD_PIDS+=($lgpid)
	sleep 0.7
	"$BLOCKSCOPE" -j -o "$TMP/$name.json" -p "$SPID" -d 3 "${bs[@]}" 2>"$TMP/$name.err"
	wait "$lgpid"
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
}

# The loop's group: role "loop", no recommended_threads; nothing sized in all.
one_loop() { echo "([.loops[] | select(.comm == \"$COMM\")] | length == 1)"; }
the_loop() { echo "[.loops[] | select(.comm == \"$COMM\")][0]"; }
NEVER_SIZED='([.sizing.groups[] | select(.role == "loop")] | length >= 1 and all(has("recommended_threads") | not))
	 and .sizing.recommended_threads == 0'

for kind in coro asyncio; do
	calibrate $kind || continue
	good=yield
	[ $kind = asyncio ] && good=await
	for variant in default sched; do
		flags=()
		[ $variant = sched ] && flags=(--sched-only)
		n=${kind}_block_$variant
		run "$n" $kind block --rate "$RATE" --connections 8 -- "${flags[@]}"
		J=$TMP/$n.json
		LOOP=$(the_loop)
		jq_check "${n}_loop_found" "$J" "$(one_loop) and ($LOOP.group as \$g | [.sizing.groups[] | select(.group == \$g)][0].role == \"loop\")"
		jq_check "${n}_never_sized" "$J" "$NEVER_SIZED"
		# Designed: each request holds the loop in recvfrom for WAIT_US (a
		# few hundred us more on a VM's timers), RATE times a second.
		DESIGNED=$(awk -v r="$RATE" -v w=$WAIT_US 'BEGIN { print r * w / 1e6 }')
		jq_check "${n}_blocked_share" "$J" \
			"$LOOP | .blocked_on_loop_share >= $DESIGNED - 0.1 and .blocked_on_loop_share <= $DESIGNED + 0.1"
		jq_check "${n}_top_call_recvfrom_backend" "$J" \
			"$LOOP | .blocking_calls[0].syscall == \"recvfrom\" and .blocking_calls[0].reason == \"backend\" and .blocking_calls[0].calls >= 0.5 * $RATE * 3"
		jq_check "${n}_finding" "$J" \
			"$LOOP | .finding | startswith(\"blocked \") and contains(\"in recvfrom (backend\")"
		jq_check "${n}_turns" "$J" "$LOOP | .turns > 0 and .turn_max_ns >= .turn_p99_ns and .turn_p99_ns >= .turn_p50_ns and .wait_syscall == \"epoll_wait\""
		echo "  $n: $(jq -c "$LOOP | {turns, turn_p50_ns, turn_p99_ns, busy, blocked_on_loop_share, stalls, top: .blocking_calls[0]}" "$J" 2>/dev/null) (designed share $DESIGNED)"

		n=${kind}_${good}_$variant
		run "$n" $kind $good --rate "$RATE" --connections 8 -- "${flags[@]}"
		J=$TMP/$n.json
		LOOP=$(the_loop)
		jq_check "${n}_loop_found" "$J" "$(one_loop) and ($LOOP.group as \$g | [.sizing.groups[] | select(.group == \$g)][0].role == \"loop\")"
		jq_check "${n}_never_sized" "$J" "$NEVER_SIZED"
		jq_check "${n}_not_blocked" "$J" \
			"$LOOP | .blocked_on_loop_share < 0.02 and ([.blocking_calls[] | select(.syscall != \"none\")] | length) == 0"
		jq_check "${n}_healthy" "$J" "$LOOP | .finding | endswith(\"healthy\")"
		jq_check "${n}_no_stalls" "$J" "$LOOP | .stalls == 0"
		echo "  $n: $(jq -c "$LOOP | {turns, turn_p50_ns, turn_p99_ns, busy, blocked_on_loop_share, stalls, finding}" "$J" 2>/dev/null)"
	done
done

COMM=loop
LOOP=$(the_loop)
RATE=${CORO_RATE:-100}
# Always busy (closed loop): the blocking loop never sleeps in its wait, so
# its turns come from the epoll_wait calls that returned at once, which only
# the syscall hooks see (--sched-only sees sleeps: docs/loops.md). Still a
# loop, blocked most of its time in recvfrom, and still not sized.
# Traced from before the load: a coroutine that never yields may hold the
# loop in one turn for seconds, and the loop's waits as the connections come
# are then the only ones in the window.
serve coro block
"$BLOCKSCOPE" -j -o "$TMP/block-busy.json" -p "$SPID" -d 4 2>"$TMP/block-busy.err" &
BS=$!
CHILD_PIDS+=($BS)
wait_attached "$BS"
"$TARGETS/loadgen" --port "$PORT" --cpu-us $CPU_US --wait-us $WAIT_US --seconds 5 \
	--connections 8 >"$TMP/block-busy.load" 2>&1
wait "$BS"
kill -TERM "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
J=$TMP/block-busy.json
jq_check block_busy_loop_found "$J" "$(one_loop)"
jq_check block_busy_never_sized "$J" "$NEVER_SIZED"
jq_check block_busy_mostly_blocked "$J" \
	"$LOOP | .blocked_on_loop_share >= 0.5 and .blocking_calls[0].syscall == \"recvfrom\""
jq_check block_busy_stalls "$J" "$LOOP | .stalls > 0 and .stalled_ns > 0"
# Its stalls are mostly time blocked in those calls, the rest on a CPU.
jq_check block_busy_stalls_split "$J" \
	"$LOOP | .stall_blocked_ns >= 0.5 * .stalled_ns and .stall_blocked_ns + .stall_runq_ns + .stall_oncpu_ns == .stalled_ns"
echo "  block busy: $(jq -c "$LOOP | {turns, turn_p50_ns, turn_p99_ns, busy, blocked_on_loop_share, stalls, waits, open_turn_ns, stalled_ns, stall_blocked_ns, stall_runq_ns, stall_oncpu_ns}" "$J" 2>/dev/null)"

# The text report leads each loop with its finding.
serve coro block
"$TARGETS/loadgen" --port "$PORT" --cpu-us $CPU_US --wait-us $WAIT_US --seconds 26 --rate "$RATE" \
	--connections 8 >"$TMP/text.load" 2>&1 &
CHILD_PIDS+=($!)
sleep 0.5
"$BLOCKSCOPE" -p "$SPID" -d 2 --stall 1 >"$TMP/text.out" 2>"$TMP/text.err"
check text_loops_section "no EVENT LOOPS section led by the finding: $(grep -A2 'EVENT LOOPS' "$TMP/text.out")" -- \
	grep -qE '^loop\[[0-9]+\] .*waits in epoll_wait\): blocked [0-9]+% of its time in recvfrom \(backend' "$TMP/text.out"
check text_stall_threshold "--stall 1 is not the threshold shown" -- \
	grep -q 'a stall is a turn over 1.00 ms' "$TMP/text.out"
check text_loop_not_sized "the loop group is sized: $(grep -E '^loop ' "$TMP/text.out")" -- \
	grep -qE '^loop +1 .* loop$' "$TMP/text.out"
# --stacks: where the loop makes its blocking call (issue 25, point 2):
# asyncio's loop in libc's recv, called from the interpreter's frames
# (Debian's python3.11 names only its exported functions, the evaluation
# loop among them; with CPython's debug symbols the socket module's
# sock_recv and asyncio's task_step are named too. coro_server's coroutine
# stacks, switched by swapcontext, are not unwound past libc's recv).
SAVED=($SPID $PORT $COMM)
serve asyncio block
"$TARGETS/loadgen" --port "$PORT" --cpu-us $CPU_US --wait-us $WAIT_US --seconds 6 --rate "$RATE" \
	--connections 8 >"$TMP/stacks.load" 2>&1 &
CHILD_PIDS+=($!)
sleep 0.5
"$BLOCKSCOPE" -j --stacks -o "$TMP/stacks.json" -p "$SPID" -d 2 2>"$TMP/stacks.err"
jq_check loop_call_site_json "$TMP/stacks.json" \
	"$(the_loop) | .blocking_calls[0] | .syscall == \"recvfrom\" and (.stack[0] | test(\"^__recv\")) and (.stack | any(.[]; test(\"^_PyEval_EvalFrameDefault\")))"
"$BLOCKSCOPE" --stacks -p "$SPID" -d 1.5 >"$TMP/stacks.txt" 2>>"$TMP/stacks.err"
check loop_call_site_text "no call site under the loop's blocking call: $(grep -A1 'blocking on the loop: recvfrom' "$TMP/stacks.txt" | head -2)" -- \
	grep -qE '^    at __recv[^<]* < ' "$TMP/stacks.txt"
kill -TERM "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
SPID=${SAVED[0]} PORT=${SAVED[1]} COMM=${SAVED[2]}
LOOP=$(the_loop)
# --top (in a pseudo-terminal made by script(1)): a line for the loops.
sleep 4 | script -qec "'$BLOCKSCOPE' --top -i 1 -d 2.5 -p $SPID" "$TMP/top.typescript" >/dev/null 2>&1
check top_loops_line "no loops line in --top: $(grep -a '^loops' "$TMP/top.typescript" | tail -1)" -- \
	grep -aqE '^loops: loop\[[0-9]+\] busy [0-9]+% blocked [0-9]+% \(recvfrom\) stalls [0-9]+' "$TMP/top.typescript"
# --serve (its default: --sched-only, syscall hooks 1 s in 10): the loop's
# series, its blocked time growing, no size; a page promtool accepts.
"$BLOCKSCOPE" --serve=127.0.0.1:0 -p "$SPID" -d 4 2>"$TMP/serve.err" &
BS=$!
CHILD_PIDS+=($BS)
URL=""
for _ in $(seq 100); do
	URL=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$TMP/serve.err")
	[ -n "$URL" ] && break
	sleep 0.1
done
sleep 3
curl -s "$URL" >"$TMP/metrics.txt"
wait "$BS"
check serve_loop_blocked "no blocked time for the loop: $(grep '^blockscope_loop' "$TMP/metrics.txt" | head -4)" -- \
	awk '/^blockscope_loop_blocked_seconds_total\{group="loop"\} / { ok = $2 > 0.1 } END { exit !ok }' "$TMP/metrics.txt"
check serve_loop_turns "no turns for the loop" -- \
	grep -qE '^blockscope_loop_turns_total\{group="loop"\} [1-9]' "$TMP/metrics.txt"
check serve_loop_turn_histogram "the turn histogram does not count the turns: $(grep '^blockscope_loop_turn' "$TMP/metrics.txt" | tr '\n' ' ')" -- \
	awk '/^blockscope_loop_turns_total\{group="loop"\} / { t = $2 } /^blockscope_loop_turn_seconds_bucket\{group="loop",le="\+Inf"\} / { inf = $2 }
		/^blockscope_loop_turn_seconds_count\{group="loop"\} / { c = $2 } /^blockscope_loop_turn_seconds_bucket\{group="loop",le="0.0001"\} / { low = $2 }
		END { exit !(t > 0 && inf == t && c == t && low <= t) }' "$TMP/metrics.txt"
check serve_loop_busy "no busy ratio for the loop" -- \
	grep -qE '^blockscope_loop_busy_ratio\{group="loop"\} 0\.[0-9]' "$TMP/metrics.txt"
check serve_loop_not_sized "the loop has a recommended size" -- \
	bash -c "! grep -q 'blockscope_recommended_threads{group=\"loop\"}' '$TMP/metrics.txt'"
if command -v promtool >/dev/null; then
	check serve_promtool "promtool: $(promtool check metrics <"$TMP/metrics.txt" 2>&1 | head -3)" -- \
		promtool check metrics <"$TMP/metrics.txt"
fi
expect_error stall_bad 2 "invalid --stall" "$BLOCKSCOPE" --stall 0 -p 1

finish
