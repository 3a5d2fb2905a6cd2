#!/usr/bin/env bash
# What a wait means and which job a thread does (issue 14), on the bundled
# programs: an idle pool is idle, not contention; true contention is still
# warned; threads pinned to one CPU are sized for one CPU.
source "$(dirname "$0")/../lib.sh"

# 1. An idle pool: pool_server with 16 workers at 200 req/s (1 ms CPU + 3 ms
#    backend wait), its workers waiting for jobs on a condition variable.
start_target backend --port 0 --seconds 60 || exit 1
BACKEND=$PORT
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 16 --seconds 60 || exit 1
POOL=$SPID
"$TARGETS/loadgen" --port "$PORT" --cpu-us 1000 --wait-us 3000 --rate 200 --connections 16 \
	--seconds 8 >"$TMP/loadgen.log" 2>&1 &
CHILD_PIDS+=($!)
sleep 1
"$BLOCKSCOPE" -j -o "$TMP/idle.json" -p "$POOL" -d 4 2>"$TMP/idle.err"
check idle_pool_exit_0 "blockscope failed: $(head -3 "$TMP/idle.err")" -- [ -s "$TMP/idle.json" ]
G='.sizing.groups[] | select(.group == "worker-")'
jq_check idle_pool_no_contention_warning "$TMP/idle.json" \
	"([$G | .warnings[] | select(test(\"contention\"))] | length == 0) and
	 ([.sizing.warnings[] | select(test(\"contention\"))] | length == 0)"
jq_check idle_pool_is_idle "$TMP/idle.json" "([$G] | length == 1) and ($G | .idle_wait_ns > 5 * .sync_wait_ns)"
jq_check idle_pool_reason_handed_work "$TMP/idle.json" \
	"$G | .wait_reasons[0].reason == \"handed-work\" and .wait_reasons[0].class == \"idle\""
jq_check idle_pool_backend_is_wt "$TMP/idle.json" \
	"$G | [.wait_reasons[] | select(.reason == \"backend\" and .class == \"wait\")] | length == 1"
jq_check idle_pool_acceptor_event_loop "$TMP/idle.json" \
	'.sizing.groups[] | select(.group == "acceptor") | .wait_reasons[0].reason == "event-loop"'
# Each thread says why, too (JSON and -t).
jq_check thread_reasons "$TMP/idle.json" \
	'[.threads[] | select(.comm | startswith("worker-")) | .wait_reasons | length > 0] | all'

# 2. True contention: six threads taking one mutex to burn 500 us each.
"$BLOCKSCOPE" -j -o "$TMP/lock.json" -- "$PROGS/hotlock" 6 500 200 2 2>"$TMP/lock.err"
check lock_exit_0 "blockscope failed: $(head -3 "$TMP/lock.err")" -- [ -s "$TMP/lock.json" ]
L='.sizing.groups[] | select(.group == "locker-")'
jq_check lock_contention_warned "$TMP/lock.json" \
	"$L | .sync_wait_ns > .wait_ns and ([.warnings[] | select(test(\"lock contention\"))] | length == 1)"
jq_check lock_reason_mutex "$TMP/lock.json" "$L | .wait_reasons[0].reason == \"mutex\""

# 3. Pinned: three threads (load) all pinned to CPU 0, CPU-heavy. N is one
#    CPU, measured busy, and the run queue says saturated.
"$BLOCKSCOPE" -j -o "$TMP/pin.json" -- "$PROGS/agree" "$TMP/pin.txt" pinned 2 2>"$TMP/pin.err"
check pinned_exit_0 "blockscope failed: $(head -3 "$TMP/pin.err")" -- [ -s "$TMP/pin.json" ]
P='.sizing.groups[] | select(.group == "load")'
jq_check pinned_n_is_one "$TMP/pin.json" "$P | .cores == 1"
jq_check pinned_cpu_busy "$TMP/pin.json" "$P | .cpu_busy >= 0.85"
jq_check pinned_saturated "$TMP/pin.json" "$P | [.warnings[] | select(test(\"saturated\"))] | length == 1"
# The main thread only starts and joins: not a pool.
jq_check pinned_main_not_sized "$TMP/pin.json" \
	'.sizing.groups[] | select(.group == "agree") | .role == "main" and .recommended_threads == 0'

# 4. What a blocking read's fd was, told by the kernel side (issue 27, item
#    2): a shell reads a FIFO that another process writes 0.5 s later, then
#    closes it and exits at once, before the collector could ask /proc. The
#    FIFO is a wait for another process ("outside"), in both modes; it was
#    "other" when the kind came from /proc/PID/fd, gone by then.
FIFO=$TMP/late.fifo
mkfifo "$FIFO"
for mode in default sched-only; do
	flags=()
	[ "$mode" = sched-only ] && flags=(--sched-only)
	(exec 4>"$FIFO"; sleep 0.5; echo hi >&4; sleep 0.3) &
	writer=$!
	"$BLOCKSCOPE" "${flags[@]}" -j -o "$TMP/fifo-$mode.json" -- sh -c "exec 3<'$FIFO'; read x <&3; exec 3<&-" \
		2>"$TMP/fifo-$mode.err"
	wait "$writer"
	jq_check "fifo_read_is_a_wait_for_a_writer_$mode" "$TMP/fifo-$mode.json" \
		"[.threads[].wait_reasons[] | select(.reason == \"outside\")] | (length == 1 and .[0].ns > 300000000)"
done

# tests/progs/relay: a waker hands over after a sleep (WT) or a timed-out
# epoll_wait (idle), by turns. Its threads name themselves once they run
# (--name-late), as most runtimes do: born "relay" like the process, they
# were one group while the trace ran, and the waiter's waits read as
# contention between siblings (sibling 1.49 s of 2.1 s); the rename now
# reaches the collector (tp_btf/task_rename).
"$BLOCKSCOPE" -j -o "$TMP/relay-late.json" -- "$PROGS/relay" --rounds 200 --name-late \
	>"$TMP/relay-late.out" 2>"$TMP/relay-late.err"
jq_check relay_renamed_threads_judged_apart "$TMP/relay-late.json" '
	[.threads[] | select(.comm == "relay-waiter")] | length == 1 and
	(.[0] | ([.wait_reasons[] | select(.reason == "sibling") | .ns] | add // 0) < 0.05 * .blocked_ns and
	 .wait_ns >= 0.55 * (.wait_ns + .idle_wait_ns + .sync_wait_ns))'
finish
