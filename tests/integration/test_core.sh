#!/usr/bin/env bash
# The core tracer against the real kernel: classification, accounting,
# agreement with /proc, PID filtering, errors and stop conditions.
source "$(dirname "$0")/../lib.sh"

# 1. A thread blocked in read() on a pipe fed every 3 ms: >= 90% blocking reads.
"$BLOCKSCOPE" -j -- "$PROGS/pipe_reader" 200 3000 >"$TMP/pipe.json" 2>"$TMP/pipe.err"
jq_check pipe_reader_blocking "$TMP/pipe.json" \
	'.syscalls[] | select(.name=="read") | .calls >= 200 and .blocking / .calls >= 0.9'
jq_check pipe_reader_exited "$TMP/pipe.json" '.stop_reason == "every target exited" and .events.lost == 0'

# 2. Polling an empty O_NONBLOCK pipe: 0 blocking reads, every poll EAGAIN.
#    Attached by PID while it sleeps first, so the loader's own reads of
#    shared libraries (which may really block on I/O) are not in the window.
spawn "$PROGS/nonblock_poll" 200000 1000 2>/dev/null
pid=${CHILD_PIDS[-1]}
"$BLOCKSCOPE" -j -p "$pid" -d 20 >"$TMP/poll.json" 2>"$TMP/poll.err"
jq_check nonblock_no_blocking_reads "$TMP/poll.json" \
	'.syscalls[] | select(.name=="read") | .calls == 200000 and .blocking == 0 and .eagain == 200000'

# 3. A CPU-bound thread, attached by PID: >= 90% of its traced time on CPU.
spawn "$PROGS/cpu_bound" 4000 >/dev/null 2>&1
pid=${CHILD_PIDS[-1]}
sleep 0.3
"$BLOCKSCOPE" -j -p "$pid" -d 1 >"$TMP/cpu.json" 2>"$TMP/cpu.err"
jq_check cpu_bound_oncpu "$TMP/cpu.json" \
	"[.threads[] | select(.tid==$pid)] | length == 1 and (.[0].oncpu_ns / .[0].traced_ns >= 0.9)"
jq_check pid_filter_only_target "$TMP/cpu.json" "[.threads[] | select(.pid != $pid)] | length == 0"
jq_check duration_honoured "$TMP/cpu.json" '.duration_ns >= 0.9e9 and .duration_ns < 2e9 and .stop_reason == "duration reached"'
kill "$pid" 2>/dev/null

# 4. Per-thread switches and on-CPU time agree with what each thread read
#    from /proc/thread-self just before it ended.
"$BLOCKSCOPE" -j -- "$PROGS/agree" "$TMP/self.txt" mixed >"$TMP/self.json" 2>"$TMP/self.err"
ok=1
while read -r tid vol invol oncpu runq; do
	line=$(jq -r ".threads[] | select(.tid==$tid) | \"\(.voluntary_switches) \(.involuntary_switches) \(.oncpu_ns)\"" "$TMP/self.json")
	if [ -z "$line" ]; then
		echo "  thread $tid missing from the report"; ok=0; continue
	fi
	read -r bvol binvol boncpu <<<"$line"
	if ! awk -v a="$vol" -v b="$bvol" -v c="$invol" -v d="$binvol" -v e="$oncpu" -v f="$boncpu" \
		'BEGIN { dv = a - b; di = c - d; if (dv < 0) dv = -dv; if (di < 0) di = -di;
			 de = (f - e) / e; if (de < 0) de = -de; exit !(dv <= 3 && di <= 3 && de <= 0.03) }'; then
		echo "  thread $tid: /proc vol=$vol invol=$invol oncpu=$oncpu; blockscope vol=$bvol invol=$binvol oncpu=$boncpu"
		ok=0
	fi
done <"$TMP/self.txt"
[ "$(wc -l <"$TMP/self.txt")" -eq 5 ] || ok=0
check selfcheck_agrees_with_proc "switch counts or on-CPU time differ from /proc" -- [ $ok -eq 1 ]

# 5. A call already in progress when tracing starts is reported as such.
spawn sleep 30
pid=${CHILD_PIDS[-1]}
sleep 0.2
"$BLOCKSCOPE" -j -p "$pid" -d 0.5 >"$TMP/sleep.json" 2>"$TMP/sleep.err"
jq_check in_progress_call_reported "$TMP/sleep.json" \
	'.syscalls[] | select(.name=="clock_nanosleep") | .calls == 0 and .partial_calls == 1 and .partial_blocked_ns > 4e8'
kill "$pid"

# 6. A target that exits mid-trace ends the trace with a full report, exit 0.
spawn "$PROGS/pipe_reader" 300 5000 >/dev/null 2>&1
pid=${CHILD_PIDS[-1]}
start=$(date +%s%N)
"$BLOCKSCOPE" -j -p "$pid" -d 20 >"$TMP/mid.json" 2>"$TMP/mid.err"
rc=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check target_exit_mid_trace "exit status $rc after ${elapsed} ms" -- [ $rc -eq 0 -a $elapsed -lt 5000 ]
jq_check target_exit_report "$TMP/mid.json" '.stop_reason == "every target exited" and (.targets[0].went == true) and ([.syscalls[] | select(.name=="read")] | length == 1)'

# 7. SIGINT and SIGTERM detach and print the report.
for sig in INT TERM HUP; do
	spawn sleep 30
	pid=${CHILD_PIDS[-1]}
	"$BLOCKSCOPE" -j -p "$pid" >"$TMP/sig.json" 2>"$TMP/sig.err" &
	bs=$!
	wait_attached $bs
	kill -$sig $bs
	wait $bs
	rc=$?
	check "sig${sig}_exit_0" "exit status $rc" -- [ $rc -eq 0 ]
	jq_check "sig${sig}_report" "$TMP/sig.json" ".stop_reason == \"stopped by SIG$sig\""
	kill "$pid"
done

# 7b. --hold=FILE: the file appears once blockscope has attached (its links
#     are there), nothing is traced and -d does not run while it is held
#     (a launched command has not started); SIGUSR1 opens the window, which
#     then lasts -d. Two tracers of different modes, started 1 s apart and
#     released by one kill, report windows that end within 100 ms of each
#     other. A stop while held: exit 1, one line, no report.
rm -f "$TMP/hold" "$TMP/hold2"
"$BLOCKSCOPE" -j --hold="$TMP/hold" -d 0.5 -o "$TMP/hold.json" -- "$PROGS/pipe_reader" 300 3000 \
	2>"$TMP/hold.err" &
bs=$!
wait_file "$TMP/hold" 60
check hold_file_says_attached "hold file '$(cat "$TMP/hold" 2>/dev/null)', blockscope $bs, links: $(ls -l /proc/$bs/fd 2>/dev/null | grep -c bpf_link)" -- \
	sh -c "[ \"\$(cat '$TMP/hold')\" = $bs ] && [ \$(ls -l /proc/$bs/fd | grep -c anon_inode:bpf_link) -ge 8 ]"
sleep 1
check hold_holds "blockscope exited, or the command started, while held" -- \
	sh -c "kill -0 $bs && [ ! -s '$TMP/hold.json' ] && ! pgrep -P $bs >/dev/null"
spawn sleep 30
"$BLOCKSCOPE" -j --sched-only --hold="$TMP/hold2" -d 0.5 -p "${CHILD_PIDS[-1]}" -o "$TMP/hold2.json" 2>"$TMP/hold2.err" &
bs2=$!
wait_file "$TMP/hold2" 60
kill -USR1 "$bs" "$bs2"
wait "$bs"
rc=$?
wait "$bs2"
rc2=$?
check hold_released "exit $rc and $rc2: $(head -c 200 "$TMP/hold.err") $(head -c 200 "$TMP/hold2.err")" -- \
	[ "$rc" -eq 0 -a "$rc2" -eq 0 ]
jq_check hold_window_is_d "$TMP/hold.json" '.duration_ns >= 4.5e8 and .duration_ns < 9e8 and ([.syscalls[] | select(.name == "read") | .calls] | add) > 50'
starts=$(jq -s -r '"\(.[0].start_ns) \(.[1].start_ns) \(.[1].duration_ns)"' "$TMP/hold.json" "$TMP/hold2.json")
check hold_windows_together "windows (start, start, duration): $starts" -- \
	awk -v s="$starts" 'BEGIN { split(s, v, " "); d = v[1] - v[2]; exit !(d < 1e8 && d > -1e8 && v[3] >= 4.5e8 && v[3] < 9e8) }'
rm -f "$TMP/hold"
"$BLOCKSCOPE" --hold="$TMP/hold" -d 1 -p 1 >"$TMP/hold3.out" 2>"$TMP/hold3.err" &
bs=$!
wait_file "$TMP/hold" 60
kill -TERM "$bs"
wait "$bs"
rc=$?
check hold_stopped "exit $rc, stderr: $(cat "$TMP/hold3.err"), stdout $(wc -c <"$TMP/hold3.out") bytes" -- \
	sh -c "[ $rc -eq 1 ] && grep -q 'while held' '$TMP/hold3.err' && [ ! -s '$TMP/hold3.out' ]"
# A start signal sent before the file appears is kept, not fatal: the window
# opens as soon as blockscope has attached. "Before" is from the moment it
# has blocked SIGUSR1 (SigBlk bit 10, set while it checks its options), not
# before it runs at all: a signal to the shell's fork before its exec would
# kill that fork, which then runs this script's EXIT trap.
"$BLOCKSCOPE" -j --hold="$TMP/hold4" -d 0.3 -p 1 -o "$TMP/hold4.json" 2>"$TMP/hold4.err" &
bs=$!
for _ in $(seq 200); do
	[ "$(cat /proc/$bs/comm 2>/dev/null)" = blockscope ] &&
		(( 0x$(sed -n 's/^SigBlk:\t//p' /proc/$bs/status 2>/dev/null || echo 0) & 0x200 )) && break
	sleep 0.01
done
[ -s "$TMP/hold4" ] && echo "NOTE hold_early_signal_kept: blockscope had attached before the signal"
kill -USR1 "$bs"
wait "$bs"
rc=$?
check hold_early_signal_kept "exit $rc: $(head -c 200 "$TMP/hold4.err")" -- [ "$rc" -eq 0 -a -s "$TMP/hold4.json" ]
expect_error hold_unwritable 1 "cannot write --hold file" "$BLOCKSCOPE" --hold=/nonexistent/dir/f -p 1

# 8. Bad input: one line on stderr, the right exit status, never a crash.
expect_error no_such_pid 1 "no such process: 999999" "$BLOCKSCOPE" -p 999999
expect_error junk_pid 2 "invalid PID '12x'" "$BLOCKSCOPE" -p 12x
expect_error pid_zero 2 "invalid PID '0'" "$BLOCKSCOPE" -p 0
expect_error bad_duration 2 "invalid duration '-1'" "$BLOCKSCOPE" -d -1 -p 1
expect_error bad_utilization 2 "invalid utilization '1.5'" "$BLOCKSCOPE" -u 1.5 -p 1
expect_error bad_class 2 "unknown syscall" "$BLOCKSCOPE" --class=nosuch=idle -p 1
expect_error nothing_to_trace 2 "nothing to trace" "$BLOCKSCOPE"
expect_error no_such_command 1 "cannot run 'no-such-command-here': command not found" \
	"$BLOCKSCOPE" -- no-such-command-here
if command -v setpriv >/dev/null; then
	expect_error not_root 1 "must run as root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BLOCKSCOPE" -- true
fi

# 9. --interval: one JSON document per line, each with that interval's calls.
"$BLOCKSCOPE" -j -i 0.5 -o "$TMP/int.json" -- "$PROGS/pipe_reader" 300 5000 2>/dev/null
check interval_lines "expected >= 3 JSON lines, got $(wc -l <"$TMP/int.json")" -- \
	[ "$(jq -c . "$TMP/int.json" | wc -l)" -ge 3 ]
jq -s 'map(select(.interval == 1))[0]' "$TMP/int.json" >"$TMP/int1.json"
jq_check interval_numbered "$TMP/int1.json" '.stop_reason == "interval" and .duration_ns >= 0.45e9 and .duration_ns < 1.0e9'
check interval_reads_add_up "reads over all intervals should be 301 or more" -- \
	[ "$(jq -s '[.[] | .syscalls[] | select(.name=="read") | .calls] | add' "$TMP/int.json")" -ge 301 ]

# 9b. --follow with --interval: a child forked after attach keeps the trace
#     going after its parent exits, interval after interval.
spawn bash -c 'sleep 1; (sleep 3 &); exit 0'
pid=${CHILD_PIDS[-1]}
start=$(date +%s%N)
"$BLOCKSCOPE" -j -f -i 0.5 -d 20 -p "$pid" -o "$TMP/fi.json" 2>/dev/null
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check follow_interval_waits_for_children "stopped after ${elapsed} ms (the followed sleep lives ~4 s)" -- \
	[ $elapsed -ge 3500 -a $elapsed -lt 15000 ]
jq_check follow_interval_stop_reason "$(tail -1 "$TMP/fi.json" >"$TMP/fi-last.json"; echo "$TMP/fi-last.json")" \
	'.stop_reason == "every target exited"'

# 10. Run against a program not written for the tests: dd reading /dev/zero.
"$BLOCKSCOPE" -j -- dd if=/dev/zero of=/dev/null bs=4k count=20000 >"$TMP/dd.json" 2>/dev/null
jq_check dd_reads_nonblocking "$TMP/dd.json" \
	'.syscalls[] | select(.name=="read") | .calls >= 20000 and .blocking < 10'

# 11. Non-blocking calls are counted in the kernel, not sent one by one:
#     the report is the one --stream-all gives, from a fraction of the
#     records. storm is attached by PID before its loop starts, so the
#     window holds its 100000 1-byte reads of /dev/zero and nothing of its
#     start-up (whose library reads vary from run to run).
storm_traced() { # OUT "STORM ARGS" FLAGS...: a storm under blockscope with FLAGS, from its go
	local out=$1 spid bs
	local -a args
	read -r -a args <<<"$2"
	shift 2
	"$PROGS/storm" "${args[@]}" --wait-signal >"$out.storm" 2>/dev/null &
	spid=$!
	CHILD_PIDS+=("$spid")
	wait_ready "$out.storm"
	"$BLOCKSCOPE" -j "$@" -p "$spid" -o "$out" 2>/dev/null &
	bs=$!
	wait_attached "$bs"
	kill -USR1 "$spid"
	wait "$bs"
}
storm_traced "$TMP/rd-agg.json" "--mode read --calls 100000"
storm_traced "$TMP/rd-stream.json" "--mode read --calls 100000" --stream-all
same=$(jq -n --slurpfile a "$TMP/rd-agg.json" --slurpfile s "$TMP/rd-stream.json" '
	def pick: [.syscalls[] | select(.name=="read") | {calls, blocking, nonblocking, eagain, errors}];
	($a[0] | pick) == ($s[0] | pick) and ($a[0] | pick) == [{calls: 100000, blocking: 0,
		nonblocking: 100000, eagain: 0, errors: 0}]')
check kernel_counts_equal_streamed "aggregated and streamed reports differ: $(jq -c '[.syscalls[] | select(.name=="read")]' "$TMP/rd-agg.json") vs $(jq -c '[.syscalls[] | select(.name=="read")]' "$TMP/rd-stream.json")" -- \
	[ "$same" = true ]
jq_check kernel_counts_fewer_records "$TMP/rd-agg.json" '.events.received < 100 and .events.kernel_counted_calls >= 100000'
jq_check stream_all_sends_each_call "$TMP/rd-stream.json" '.events.received >= 100000 and .events.kernel_counted_calls == 0'
# --time-sample 1: every call counted in the kernel is timed too.
storm_traced "$TMP/rd-timed.json" "--mode read --calls 100000" --time-sample 1
jq_check kernel_counts_histogram "$TMP/rd-timed.json" \
	'.time_sample == 1 and (.syscalls[] | select(.name=="read") | .calls == 100000 and
	 .timed_calls == 100000 and .total_ns == .timed_ns and (.hist_log2_us | add) == 100000 and
	 .total_ns > 0 and .max_ns > 0)'
# By default one read in 16 is timed, at random (6250 expected; 6 sigma is
# 460), and the report's time adds the others at the mean of the timed ones.
jq_check time_sample_one_in_16 "$TMP/rd-agg.json" \
	'.time_sample == 16 and (.syscalls[] | select(.name=="read") | .timed_calls >= 5790 and
	 .timed_calls <= 6710 and (.hist_log2_us | add) == .timed_calls and .timed_ns > 0 and
	 (.total_ns - .timed_ns * 100000 / .timed_calls | fabs) < 1000)'
# The first call of each syscall in a thread is timed: no syscall is left without a time.
jq_check time_sample_first_call_timed "$TMP/rd-agg.json" \
	'[.syscalls[] | select(.calls > 0 and .timed_calls == 0)] | length == 0'
# A syscall that has slept in a thread is timed at every call from then on.
storm_traced "$TMP/pipe-timed.json" "--mode pipe --calls 20000"
jq_check time_sample_slept_syscall_always_timed "$TMP/pipe-timed.json" \
	'[.syscalls[] | select(.name=="read" or .name=="write") | {name, calls, blocking, timed_calls}] |
	 (.[] | select(.name=="read") | .calls == 20001 and .blocking == 1 and .timed_calls == 20001) and
	 (.[] | select(.name=="write") | .calls >= 20001 and .timed_calls >= 900 and .timed_calls <= 1600)'
jq_check stream_all_times_each_call "$TMP/rd-stream.json" \
	'.time_sample == 1 and (.syscalls[] | select(.name=="read") | .timed_calls == 100000)'
# read (0) and lseek (8) share a set of slots: in turn, they must not evict each other.
storm_traced "$TMP/rs-agg.json" "--mode readseek --calls 100000"
jq_check kernel_slots_two_way "$TMP/rs-agg.json" \
	'([.syscalls[] | select(.name=="read" or .name=="lseek") | .calls] == [100000, 100000]) and .events.received < 100'

# 12. Calls counted in the kernel reach every interval while the thread lives
#     (the snapshot reads its running totals) and add up exactly to what the
#     program made: storm paces getppid() with sleeps, so the thread never
#     dies or changes syscall mid-run.
storm_traced "$TMP/agg-int.json" "--mode rate --rate 4000 --seconds 2" -i 0.5
made=$(sed -n 's/.* calls=\([0-9]*\) .*/\1/p' "$TMP/agg-int.json.storm")
seen=$(jq -s '[.[] | .syscalls[] | select(.name=="getppid") | .calls] | add' "$TMP/agg-int.json")
busy=$(jq -s '[.[] | .syscalls[] | select(.name=="getppid") | .calls] | map(select(. > 0)) | length' "$TMP/agg-int.json")
check kernel_counts_add_up_over_intervals "storm made $made getppid calls, intervals saw $seen" -- \
	[ -n "$made" ] && [ "$made" -gt 0 ] && [ "$made" = "$seen" ]
check kernel_counts_reach_each_interval "only $busy intervals had getppid calls" -- [ "$busy" -ge 3 ]

finish
