#!/usr/bin/env bash
# Faults and bad input: nothing left in the kernel after SIGKILL, two
# tracers side by side, loss counted and said, every bad option refused.
source "$(dirname "$0")/../lib.sh"

# 1. SIGKILL of blockscope leaves no BPF program or map behind.
spawn sleep 60
target=${CHILD_PIDS[-1]}
"$BLOCKSCOPE" -p "$target" >/dev/null 2>&1 &
bs=$!
# Its own programs, by the fds it holds: other tracers may come and go meanwhile.
mine=""
for _ in $(seq 50); do
	mine=$(grep -h '^prog_id:' /proc/$bs/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u |
		comm -12 - <(our_prog_ids))
	[ "$(echo "$mine" | grep -c .)" -ge 8 ] && break
	sleep 0.1
done
check sigkill_programs_loaded "blockscope's 8 programs never showed up in bpftool" -- \
	[ "$(echo "$mine" | grep -c .)" -ge 8 ]
kill -KILL $bs
wait $bs 2>/dev/null
sleep 0.5
left=$(comm -12 <(echo "$mine") <(our_prog_ids))
check sigkill_leaves_nothing "programs still loaded after SIGKILL: $left" -- [ -z "$left" ]
kill "$target"

# 2. Two instances tracing different processes do not interfere.
# Long enough (2 s) that a slow attach on a busy machine still sees 200 reads.
spawn "$PROGS/pipe_reader" 500 4000 2>/dev/null
a=${CHILD_PIDS[-1]}
spawn "$PROGS/nonblock_poll" 300000 1000 2>/dev/null
b=${CHILD_PIDS[-1]}
"$BLOCKSCOPE" -j -p "$a" -d 20 >"$TMP/a.json" 2>/dev/null &
bsa=$!
"$BLOCKSCOPE" -j -p "$b" -d 20 >"$TMP/b.json" 2>/dev/null &
bsb=$!
wait $bsa $bsb
jq_check two_instances_a "$TMP/a.json" \
	"all(.threads[]; .pid == $a) and ([.syscalls[] | select(.name==\"read\") | .blocking] | add) >= 200 and .events.lost == 0"
jq_check two_instances_b "$TMP/b.json" \
	"all(.threads[]; .pid == $b) and (.syscalls[] | select(.name==\"read\") | .eagain == 300000 and .blocking == 0)"

# 3. A ring buffer too small: loss is counted and said, in text and JSON.
#    Every call sent one by one (--stream-all) overflows it when the
#    collector falls behind. A collector with a CPU of its own can keep up
#    with one poller, so it is made to fall behind: stopped for 200 ms while
#    the poller runs. With the non-blocking calls counted in the kernel,
#    ping-pong's blocking calls overflow it too.
losing_run() { # OUT-PREFIX BLOCKSCOPE-FLAGS...: nonblock_poll under a collector that stalls
	local out=$1 bs i
	shift
	"$BLOCKSCOPE" --stream-all --ring-size 4 "$@" -- "$PROGS/nonblock_poll" 1000000 \
		>"$out.stdout" 2>"$out.err" &
	bs=$!
	for ((i = 0; i < 200; i++)); do
		pgrep -P "$bs" -x nonblock_poll >/dev/null && break
		sleep 0.02
	done
	sleep 0.05
	kill -STOP "$bs"
	sleep 0.2
	kill -CONT "$bs"
	wait "$bs"
}
losing_run "$TMP/loss" -j -o "$TMP/loss.json"
jq_check loss_counted_json "$TMP/loss.json" '.events.lost > 0'
check loss_warned_stderr "no warning on stderr" -- grep -q "records were lost" "$TMP/loss.err"
losing_run "$TMP/loss-text" -o "$TMP/loss.txt"
check loss_warned_text "no WARNING in the text report" -- grep -q "WARNING: incomplete data: [1-9]" "$TMP/loss.txt"
"$BLOCKSCOPE" --ring-size 4 -j -o "$TMP/loss-pp.json" -- "$PROGS/pingpong" --rounds 100000 >/dev/null 2>"$TMP/loss-pp.err"
jq_check loss_counted_blocking_calls "$TMP/loss-pp.json" '.events.lost > 0'
check loss_warned_blocking_calls "no warning on stderr" -- grep -q "records were lost" "$TMP/loss-pp.err"

# 4. --top in a real terminal (tmux): a live table with the current
#    syscall, and q quits with status 0, leaving the terminal as it was.
spawn "$PROGS/agree" "$TMP/top.txt" live
pid=${CHILD_PIDS[-1]}
session=blockscope-test-$$
tmux new-session -d -s "$session" -x 140 -y 30 \
	"'$BLOCKSCOPE' --top -p $pid; echo EXIT=\$?; sleep 10"
sleep 2.5
tmux capture-pane -t "$session" -p >"$TMP/top.screen"
tmux send-keys -t "$session" q
sleep 1
tmux capture-pane -t "$session" -p >"$TMP/top.after"
tmux kill-session -t "$session" 2>/dev/null
check top_shows_threads "no live table: $(head -3 "$TMP/top.screen")" -- \
	grep -Eq "^ +$pid +agree +S .*futex" "$TMP/top.screen"
check top_sizing_line "no sizing line" -- grep -q "^sizing: load 2 threads" "$TMP/top.screen"
check top_q_quits "q did not quit with 0: $(grep -v '^$' "$TMP/top.after" | tail -2)" -- \
	grep -q "^EXIT=0" "$TMP/top.after"
kill "$pid"
expect_top_needs_tty() {
	"$BLOCKSCOPE" --top -p 1 </dev/null >/dev/null 2>"$TMP/top.err"
	[ $? -eq 1 ] && grep -q "needs a terminal" "$TMP/top.err"
}
check top_needs_terminal "--top without a terminal should fail with a clear line" -- expect_top_needs_tty

# 5. Bad input: one line, the right status, nothing on stdout.
expect_error huge_duration 2 "invalid duration '1e30'" "$BLOCKSCOPE" -d 1e30 -p 1
expect_error nan_duration 2 "invalid duration 'nan'" "$BLOCKSCOPE" -d nan -p 1
expect_error empty_pid_in_list 2 "invalid PID" "$BLOCKSCOPE" -p 1,,2
expect_error trailing_comma 2 "trailing comma" "$BLOCKSCOPE" -p 1,
expect_error negative_pid 2 "invalid PID '-5'" "$BLOCKSCOPE" -p -5
expect_error zero_cores 2 "invalid core count '0'" "$BLOCKSCOPE" -c 0 -p 1
expect_error tiny_interval 2 "invalid interval '0.01'" "$BLOCKSCOPE" -i 0.01 -p 1
expect_error bad_ring 2 "invalid ring size '5'" "$BLOCKSCOPE" --ring-size 5 -p 1
expect_error bad_time_sample 2 "invalid --time-sample '3'" "$BLOCKSCOPE" --time-sample 3 -p 1
expect_error pid_and_command 2 "not both" "$BLOCKSCOPE" -p 1 -- true
expect_error unknown_name 1 "no process named 'no-such-proc'" "$BLOCKSCOPE" -n no-such-proc
expect_error bad_output 1 "cannot write '/nonexistent/x.json'" "$BLOCKSCOPE" -o /nonexistent/x.json -p 1
expect_error no_btf 1 "kernel BTF not found at /nonexistent" env BLOCKSCOPE_BTF_PATH=/nonexistent "$BLOCKSCOPE" -p 1

finish
