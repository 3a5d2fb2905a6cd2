#!/usr/bin/env bash
# --sched-only (issue 16): no syscall hooks attached, and from the scheduler
# alone the same per-thread split, wait classes and sizing as the default
# mode traced side by side on the same load; what it cannot measure left out
# of the report and the JSON, not written as zero; a sleep in a page fault
# told apart from one in a syscall; calls counted one by one and their
# repeats folded in the kernel; --serve's duty cycle of the hooks.
source "$(dirname "$0")/../lib.sh"

# links_of PID TP: how many BPF links process PID holds on tracepoint TP
# (each link's fdinfo names its tracepoint; bpftool here cannot say which
# process holds a link).
links_of() {
	grep -hx "tp_name:	$2" /proc/"$1"/fdinfo/* 2>/dev/null | wc -l
}

# 1. The bundled pool under load, traced by both modes at once.
start_target backend --port 0 --seconds 120 || exit 1
BACKEND=$PORT
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 4 --seconds 60 || exit 1
POOL=$SPID
spawn "$TARGETS/loadgen" --port "$PORT" --cpu-us 1000 --wait-us 3000 --connections 16 --seconds 12
sleep 1
# Both held once attached and released by one signal: one window (--hold).
"$BLOCKSCOPE" -j -c 2 --hold="$TMP/default.hold" -p "$POOL" -d 5 -o "$TMP/default.json" 2>"$TMP/default.err" &
def=$!
"$BLOCKSCOPE" -j -c 2 --sched-only --verify --hold="$TMP/sched.hold" -p "$POOL" -d 5 -o "$TMP/sched.json" 2>"$TMP/sched.err" &
so=$!
wait_file "$TMP/default.hold" 60
wait_file "$TMP/sched.hold" 60
kill -USR1 $def $so
check sched_only_no_syscall_links "sys_enter/sys_exit links held by --sched-only: $(links_of $so sys_enter)/$(links_of $so sys_exit)" -- \
	[ "$(links_of $so sys_enter)" = 0 ] && [ "$(links_of $so sys_exit)" = 0 ]
check sched_only_scheduler_links "no sched_switch link held by --sched-only" -- [ "$(links_of $so sched_switch)" = 1 ]
check default_has_syscall_links "the default mode holds no sys_enter link" -- [ "$(links_of $def sys_enter)" = 1 ]
wait $def
wait $so
check sched_only_exit0 "$(cat "$TMP/sched.err")" -- quiet jq -e . "$TMP/sched.json"

# Per thread: on-CPU, blocked and run-queue as shares of its traced time,
# within 3 points of each other (the two windows open within a ms or so).
jq -s '[.[0].threads, .[1].threads] | map(map(select(.comm | test("^(worker-|acceptor)")) |
	{key: (.tid | tostring), value: {c: .oncpu_ns, b: .blocked_ns, r: .runq_ns,
	 w: .wait_ns, i: .idle_wait_ns, s: .sync_wait_ns}}) | from_entries)' \
	"$TMP/default.json" "$TMP/sched.json" >"$TMP/pair.json"
jq_check same_threads "$TMP/pair.json" '(.[0] | keys) == (.[1] | keys) and (.[0] | length) == 5'
jq_check same_oncpu_blocked_split "$TMP/pair.json" '
	def share(t; k): t[k] / ([t.c, t.b, t.r] | add);
	.[0] as $d | .[1] as $s | [$d | keys[] | . as $k |
	  (share($d[$k]; "c") - share($s[$k]; "c") | fabs) < 0.03 and
	  (share($d[$k]; "b") - share($s[$k]; "b") | fabs) < 0.03] | all'
jq_check same_wait_classes "$TMP/pair.json" '
	def share(t; k): t[k] / ([t.w, t.i, t.s] | add + 1);
	.[0] as $d | .[1] as $s | [$d | keys[] | . as $k |
	  (share($d[$k]; "w") - share($s[$k]; "w") | fabs) < 0.03 and
	  (share($d[$k]; "i") - share($s[$k]; "i") | fabs) < 0.03] | all'
jq -s '[.[] | .sizing.groups[] | select(.group == "worker-") | .recommended_threads]' \
	"$TMP/default.json" "$TMP/sched.json" >"$TMP/rec.json"
jq_check same_recommendation "$TMP/rec.json" 'length == 2 and .[0] > 0 and ((.[0] - .[1]) | fabs) <= 1'
jq_check sched_only_workers_block_in_read "$TMP/sched.json" \
	'[.threads[] | select(.comm | startswith("worker-")) | .syscalls[] | select(.blocking > 0)] | max_by(.blocked_ns) | .name == "read"'
jq_check sched_only_wakers "$TMP/sched.json" \
	'[.wakers[] | select(.group == "worker-") | .waker_comm] | index("backend") != null'
jq_check sched_only_verify "$TMP/sched.json" '[.threads[] | select(.verify.checkable) | .verify.ok] | length >= 5 and all'

# What needs the syscall hooks is absent, and said to be.
jq_check json_says_hooks_off "$TMP/sched.json" '.syscall_hooks == "off" and (.not_measured | length) == 3'
jq_check json_no_unmeasured_fields "$TMP/sched.json" '
	[.syscalls[], .threads[], .threads[].syscalls[], .targets[], .events, .] |
	map(has("calls") or has("nonblocking") or has("eagain") or has("errors") or has("total_ns") or
	    has("max_ns") or has("eagain_calls") or has("kernel_counted_calls") or has("time_sample")) | any | not'
jq_check json_default_says_hooks_on "$TMP/default.json" '.syscall_hooks == "on" and (.syscalls[0] | has("nonblocking"))'

# The text report says so too.
"$BLOCKSCOPE" -t --sched-only -p "$POOL" -d 1 -o "$TMP/sched.txt" 2>"$TMP/sched-text.err"
check text_says_hooks_off "$(head -2 "$TMP/sched.txt")" -- grep -q 'syscall hooks off (--sched-only)' "$TMP/sched.txt"
check text_blocking_table "$(cat "$TMP/sched.txt")" -- grep -q '^BLOCKING SYSCALLS (--sched-only' "$TMP/sched.txt"
check text_no_nonblocking_columns "EAGAIN or non-blk column in the report" -- \
	bash -c "! grep -qE 'non-blk|EAGAIN  ' '$TMP/sched.txt'"

# 2. A sleep in a page fault is not a sleep in a syscall (userfaultfd: 10
# faults of 50 ms), in both modes alike.
for m in default sched; do
	flag=(); [ $m = sched ] && flag=(--sched-only)
	"$BLOCKSCOPE" -j "${flag[@]}" -o "$TMP/fault-$m.json" -- "$PROGS/faulter" 10 50 >/dev/null 2>"$TMP/fault-$m.err"
	jq_check "page_fault_outside_syscalls_$m" "$TMP/fault-$m.json" \
		'.threads[] | select(.comm == "toucher") | .blocked_outside_syscalls_ns > 0.4e9 and
		 ([.syscalls[].blocked_ns] | add // 0) < 0.05e9'
done

# Calls counted one by one, without sys_exit: a ping-pong of pipe reads, one
# of futex waits and one of epoll_waits handed over by send() (no read or
# write between two sleeps, a few µs of CPU apart, with the same arguments:
# the old rule merged 6 in 7 of them), make a blocking call per voluntary
# switch (the kernel's count); and their repeats come folded, far fewer
# records than calls (epoll_wait's are never folded: each is a loop's turn).
for m in pipe futex epoll; do
	flag=(); [ $m != pipe ] && flag=(--$m)
	"$BLOCKSCOPE" -j --sched-only -o "$TMP/pp-$m.json" -- "$PROGS/pingpong" --rounds 20000 "${flag[@]}" \
		>"$TMP/pp-$m.out" 2>"$TMP/pp-$m.err"
	jq_check "pingpong_${m}_calls_one_by_one" "$TMP/pp-$m.json" \
		'([.threads[].voluntary_switches] | add) as $v | ([.syscalls[].blocking] | add) as $b |
		 $v > 20000 and $b >= 0.98 * $v and $b <= $v'
	[ $m = epoll ] || jq_check "pingpong_${m}_repeats_folded" "$TMP/pp-$m.json" \
		'.events.received < 0.1 * ([.syscalls[].blocking] | add)'
done
check sched_only_sees_returns_to_user "$(jq -c .events "$TMP/pp-pipe.json")" -- \
	quiet jq -e '.events.returns_to_user_seen == true' "$TMP/pp-pipe.json"

# One call that sleeps many times is one call: each 8 MB write into a 1 MB
# pipe sleeps about 8 times with a megabyte of copying between its sleeps
# (the old rule, under 5 µs of CPU between sleeps, split each in 8). A call
# is told from the next by whether the thread went back to user space in
# between (x86's TIF_NEED_FPU_LOAD, see docs/definitions.md).
"$BLOCKSCOPE" -j --sched-only -o "$TMP/pp-bulk.json" -- "$PROGS/pingpong" --bulk 8000000 --rounds 20 \
	>"$TMP/pp-bulk.out" 2>"$TMP/pp-bulk.err"
jq_check pingpong_bulk_one_call_per_write "$TMP/pp-bulk.json" \
	'([.threads[].voluntary_switches] | add) > 60 and
	 ([.syscalls[] | select(.name == "write") | .blocking] | add) == 20'

# The snapshot iterator and the thread folding its calls on another CPU: a
# futex ping-pong of 3 M round trips with a snapshot every 0.1 s. Before
# ts->owner, the iterator sent a call the thread sent too (hundreds of
# blocking calls more than voluntary switches in such a run); now a call is
# counted once, never more calls than sleeps, over all the windows.
"$BLOCKSCOPE" -j --sched-only -i 0.1 -o "$TMP/pp-race.json" -- "$PROGS/pingpong" --futex --rounds 3000000 \
	>"$TMP/pp-race.out" 2>"$TMP/pp-race.err"
check sched_only_snapshot_race "$(jq -s -c '{windows: length, voluntary: ([.[].threads[].voluntary_switches] | add), blocking: ([.[].syscalls[].blocking] | add), races: ([.[].events.snapshot_races] | add)}' "$TMP/pp-race.json")" -- \
	quiet jq -s -e 'length >= 10 and ([.[].threads[].voluntary_switches] | add) as $v |
		([.[].syscalls[].blocking] | add) as $b | $v > 2000000 and $b <= $v and $b >= 0.99 * $v' "$TMP/pp-race.json"

# Records put back in time order (user/tracing/reorder.c): relay's waker
# wakes its waiter 2 ms after a 10 ms sleep (WT: a result came) or after a
# 1 ms epoll_wait that timed out (idle: work handed over), by turns, and
# without the hooks sends its record 3 ms after the waiter's. Judged in
# arrival order the waiter's split came out the other way round (WT 0.29,
# idle 0.71); in time order it is ~0.7 WT in both modes, as in the program.
for m in default sched; do
	flag=(); [ $m = sched ] && flag=(--sched-only)
	"$BLOCKSCOPE" -j "${flag[@]}" -o "$TMP/relay-$m.json" -- "$PROGS/relay" --rounds 200 \
		>"$TMP/relay-$m.out" 2>"$TMP/relay-$m.err"
	jq '.threads[] | select(.comm == "relay-waiter") |
		{wt: (.wait_ns / (.wait_ns + .idle_wait_ns + .sync_wait_ns + 1)),
		 idle: (.idle_wait_ns / (.wait_ns + .idle_wait_ns + .sync_wait_ns + 1))}' \
		"$TMP/relay-$m.json" >"$TMP/relay-$m.split" 2>/dev/null
	check "relay_${m}_waiter_waits_for_results" "$(jq -c . "$TMP/relay-$m.split")" -- \
		quiet jq -e '.wt >= 0.55 and .idle <= 0.45' "$TMP/relay-$m.split"
done
check relay_modes_agree "$(jq -s -c . "$TMP/relay-default.split" "$TMP/relay-sched.split")" -- \
	quiet jq -s -e 'length == 2 and ((.[0].wt - .[1].wt) | fabs) < 0.15' \
	"$TMP/relay-default.split" "$TMP/relay-sched.split"
jq_check relay_no_record_out_of_order "$TMP/relay-sched.json" '.events.records_out_of_order == 0'

# Call sites without the hooks: the user stack is taken at the switch-out,
# and a launched command's libraries are named though no mmap is seen.
"$BLOCKSCOPE" --sched-only --stacks -o "$TMP/stacks.txt" -- "$PROGS/faulter" 4 20 >/dev/null 2>"$TMP/stacks.err"
check sched_only_stacks_named "$(grep -A5 'CALL SITES' "$TMP/stacks.txt" | head -6)" -- \
	bash -c "grep -A5 'CALL SITES' '$TMP/stacks.txt' | grep -q '^ *usleep+' && grep -A5 'CALL SITES' '$TMP/stacks.txt' | grep -q '^ *main+'"

# 3. --serve: the hooks on 1 s in every 10 by default, their counts sampled.
start_target epoll_server --port 0 --backend-port "$BACKEND" --seconds 60 || exit 1
EPOLL=$SPID
spawn "$TARGETS/loadgen" --port "$PORT" --cpu-us 0 --wait-us 200 --connections 4 --seconds 30
serve() { # NAME SECONDS SAMPLES ARGS...: serve, keep the last page and the sys_enter links seen every 0.5 s
	local name=$1 secs=$2 samples=$3 url="" seen=""
	shift 3
	"$BLOCKSCOPE" --serve=127.0.0.1:0 -p "$EPOLL" -d "$secs" "$@" 2>"$TMP/$name.err" &
	local bs=$!
	for _ in $(seq 100); do
		url=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$TMP/$name.err")
		[ -n "$url" ] && break
		sleep 0.1
	done
	for _ in $(seq "$samples"); do
		seen+="$(links_of $bs sys_enter) "
		sleep 0.5
	done
	curl -s -m 5 "$url" >"$TMP/$name.metrics"
	wait $bs
	echo "$seen" >"$TMP/$name.links"
}
serve duty 14 24
check serve_duty_ratio "$(grep duty "$TMP/duty.metrics" | tail -1)" -- grep -qx 'blockscope_syscall_hooks_duty_ratio 0.1' "$TMP/duty.metrics"
check serve_duty_sampled "no sampled nonblocking series" -- \
	grep -q '^blockscope_syscalls_total{.*class="nonblocking",sampled="1"} [1-9]' "$TMP/duty.metrics"
check serve_duty_blocking_exact "no blocking epoll_wait count" -- \
	grep -q '^blockscope_syscalls_total{.*syscall="epoll_wait",class="blocking"} [1-9]' "$TMP/duty.metrics"
# Attached in second 0 and again in second 10, detached in between (a
# sample every 0.5 s for 12 s: on in 2 to 6 of them, off in the rest).
check serve_duty_hooks_toggle "sys_enter links seen every 0.5 s or so: $(cat "$TMP/duty.links")" -- \
	bash -c "grep -qE '1 .*0 ' '$TMP/duty.links' && n=\$(grep -o 1 '$TMP/duty.links' | wc -l) && [ \$n -ge 1 ] && [ \$n -le 8 ]"
serve always 5 5 --syscall-hooks=always
check serve_always_ratio "$(grep duty "$TMP/always.metrics" | tail -1)" -- grep -qx 'blockscope_syscall_hooks_duty_ratio 1' "$TMP/always.metrics"
check serve_always_not_sampled "a sampled series with the hooks always on" -- bash -c "! grep -q sampled=\\\"1\\\"} '$TMP/always.metrics'"
check serve_always_hooks_stay "sys_enter links: $(cat "$TMP/always.links")" -- grep -qx '1 1 1 1 1 ' "$TMP/always.links"
serve never 5 5 --sched-only
check serve_never_ratio "$(grep duty "$TMP/never.metrics" | tail -1)" -- grep -qx 'blockscope_syscall_hooks_duty_ratio 0' "$TMP/never.metrics"
check serve_never_no_nonblocking "non-blocking series without hooks" -- \
	bash -c "! grep -qE 'class=\"nonblocking\"|^blockscope_syscall_eagain_total' '$TMP/never.metrics'"
check serve_never_hooks "sys_enter links: $(cat "$TMP/never.links")" -- grep -qx '0 0 0 0 0 ' "$TMP/never.links"

# 4. Usage errors.
expect_error duty_needs_serve 2 'is a duty cycle of --serve' "$BLOCKSCOPE" --syscall-hooks=1/10 -p 1
expect_error bad_duty 2 "invalid --syscall-hooks '10/10'" "$BLOCKSCOPE" --syscall-hooks=10/10 --serve=:0 -p 1
expect_error sched_only_stream_all 2 'does not go with --sched-only' "$BLOCKSCOPE" --sched-only --stream-all -p 1

finish
