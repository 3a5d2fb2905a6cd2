#!/usr/bin/env bash
# PID reuse. A traced process exits while blockscope goes on tracing others
# (-p P1,P2, --interval, -f, --children, -n), and an unrelated process takes
# its PID (clone3 with set_tid: tests/progs/at_pid, forked by this shell, not
# by anything traced). The newcomer must contribute nothing: no thread, no
# call, no entry among the targets, and it must not hold the trace open.
# Each case also checks that the PID really was reused during the trace and
# that its first owner was traced, so that no pass is vacuous. The last case
# is the control: a PID reused inside the traced tree (-f) is traced.
source "$(dirname "$0")/../lib.sh"
AT_PID=$PROGS/at_pid

# wait_comm PID NAME: true once PID's comm is NAME (within 2.5 s).
wait_comm() {
	for _ in $(seq 50); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# follow_gated NAME SCRIPT: a bash that runs SCRIPT once "blockscope -f" has
# attached to it (to $TMP/NAME.json), SCRIPT writing its first child's PID to
# $TMP/NAME.pid. Sets parent, bs (blockscope) and c (that child).
follow_gated() {
	mkfifo "$TMP/gate.$1"
	bash -c "read -r _ <'$TMP/gate.$1'; $2" &
	parent=$!
	CHILD_PIDS+=($parent)
	"$BLOCKSCOPE" -d 40 -j -f -o "$TMP/$1.json" -p "$parent" 2>"$TMP/$1.err" &
	bs=$!
	wait_attached $bs
	echo go >"$TMP/gate.$1"
	wait_file "$TMP/$1.pid"
	c=$(cat "$TMP/$1.pid")
}

# reuse PID SECONDS: once PID is free (reaped), an unrelated process takes it
# for SECONDS. It names itself "pidreuse"; 2 threads and a child, all busy.
# Sets REUSED to yes once the PID is taken, no if it never was.
reuse() {
	local pid=$1
	REUSED=no
	for _ in $(seq 100); do
		[ -e "/proc/$pid" ] || break
		sleep 0.05
	done
	"$AT_PID" "$pid" "$2" >"$TMP/at_pid.$pid" 2>&1 &
	CHILD_PIDS+=($!)
	wait_comm "$pid" pidreuse && { REUSED=yes; return 0; }
	echo "  PID $pid was not reused: $(cat "$TMP/at_pid.$pid")"
	return 1
}

# nomix(P): a report knows nothing of the process that reused P: no thread
# or target of that name (it and its threads and child are "pidreuse", or
# "at_pid" before it names itself), none of its getppid calls (nothing else
# traced here makes one), and at most one target entry for P.
# dead1(P): P had one thread, and it is reported dead (the first owner's).
NOMIX='def getppid: [.syscalls[] | select(.name == "getppid") | .calls + .partial_calls] | add // 0;
def nomix($p):
	([.threads[] | select(.comm == "pidreuse" or .comm == "at_pid")] | length) == 0
	and ([.targets[] | select(.comm == "pidreuse" or .comm == "at_pid")] | length) == 0
	and getppid == 0
	and ([.targets[] | select(.pid == $p)] | length) <= 1;
def dead1($p): [.threads[] | select(.pid == $p) | .exited] == [true];'

# jqs_check NAME FILE FILTER: FILTER true on the slurped documents of FILE.
jqs_check() {
	if [ -s "$2" ] && jq -se "$NOMIX $3" "$2" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1" "jq -s '$3' is not true on $2"
	fi
}

# newcomer_state PID: "running" while the newcomer runs at PID (not a zombie).
newcomer_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
	case "$stat" in
	*"(pidreuse) "[ZX]*) echo exited ;;
	*"(pidreuse) "*) echo running ;;
	*) echo "not the newcomer: ${stat%% [0-9]*}" ;;
	esac
}

# held NAME RC PID: blockscope exited 0, and the newcomer at PID was still
# running then, so the trace did not wait for it.
held() {
	local state
	state=$(newcomer_state "$3")
	if [ "$2" -eq 0 ] && [ "$state" = running ]; then
		pass "$1"
	else
		fail "$1" "blockscope exit $2; at its end the newcomer at PID $3 was $state, expected still running"
	fi
}

# swap_owner BS P1 P2: with blockscope BS attached, end P1, put an
# unrelated process on its PID, end P2 a second later, and wait for BS;
# sets REUSED (yes if the PID was taken) and RC (BS's exit status).
swap_owner() {
	local bs=$1 p1=$2 p2=$3
	wait_attached "$bs"
	kill "$p1"
	wait "$p1" 2>/dev/null
	reuse "$p1" 8
	sleep 1
	kill "$p2"
	wait "$p2" 2>/dev/null
	wait "$bs"
	RC=$?
}

# 1. -p P1,P2: P1 exits, its PID is reused, P2 lives on, then exits.
spawn sleep 60
p1=${CHILD_PIDS[-1]}
spawn sleep 60
p2=${CHILD_PIDS[-1]}
"$BLOCKSCOPE" -d 40 -j -o "$TMP/pids.json" -p "$p1,$p2" 2>"$TMP/pids.err" &
swap_owner $! "$p1" "$p2"
check pids_reused "at_pid could not take PID $p1" -- [ $REUSED = yes ]
held pids_trace_not_held $RC "$p1"
jqs_check pids_first_owner_traced "$TMP/pids.json" \
	".[0] | .stop_reason == \"every target exited\" and
	 any(.targets[]; .pid == $p1 and .went and .threads == 1 and .comm == \"sleep\") and
	 any(.threads[]; .pid == $p1 and .exited and .blocked_ns > 0)"
jqs_check pids_not_mixed "$TMP/pids.json" ".[0] | dead1($p1) and nomix($p1) and (.targets | length) == 2"

# 2. The same with --interval: each interval forgets the processes that went
#    in the one before, so P1's exit is in the past when its PID is reused.
spawn sleep 60
p1=${CHILD_PIDS[-1]}
spawn sleep 60
p2=${CHILD_PIDS[-1]}
"$BLOCKSCOPE" -d 40 -j -i 0.4 -o "$TMP/interval.jsonl" -p "$p1,$p2" 2>"$TMP/interval.err" &
bs=$!
wait_attached $bs
kill "$p1"
wait "$p1" 2>/dev/null
sleep 1.3
reuse "$p1" 8
sleep 1
kill "$p2"
wait "$p2" 2>/dev/null
wait $bs
RC=$?
check interval_reused "at_pid could not take PID $p1" -- [ $REUSED = yes ]
held interval_trace_not_held $RC "$p1"
jqs_check interval_first_owner_traced "$TMP/interval.jsonl" \
	"length >= 4 and (.[-1].stop_reason == \"every target exited\") and
	 any(.[].targets[]; .pid == $p1 and .went)"
jqs_check interval_not_mixed "$TMP/interval.jsonl" \
	"all(.[]; nomix($p1)) and all(.[].threads[] | select(.pid == $p1); .comm == \"sleep\")"

# 3. -f: a followed child exits and its PID is reused; its parent lives on.
#    Were the PID still in the kernel's traced set, the newcomer's threads
#    and child would be taken in as the traced process's.
follow_gated follow "sleep 60 & echo \$! >'$TMP/follow.pid'; wait; sleep 2"
kill "$c"
reuse "$c" 8
wait $bs
RC=$?
check follow_reused "at_pid could not take PID $c" -- [ $REUSED = yes ]
held follow_trace_not_held $RC "$c"
jqs_check follow_first_owner_traced "$TMP/follow.json" \
	".[0] | .stop_reason == \"every target exited\" and
	 any(.targets[]; .pid == $c and .came and .went and .parent == $parent) and
	 any(.threads[]; .pid == $c and .exited)"
jqs_check follow_not_mixed "$TMP/follow.json" \
	".[0] | dead1($c) and nomix($c) and all(.targets[]; .parent != $c)"

# 4. --children: a child that existed at the start exits, its PID is reused.
bash -c "sleep 60 & echo \$! >'$TMP/children.pid'; wait; sleep 2" &
parent=$!
CHILD_PIDS+=($parent)
wait_file "$TMP/children.pid"
c=$(cat "$TMP/children.pid")
wait_comm "$c" sleep
"$BLOCKSCOPE" -d 40 -j --children -o "$TMP/children.json" -p "$parent" 2>"$TMP/children.err" &
bs=$!
wait_attached $bs
kill "$c"
reuse "$c" 8
wait $bs
RC=$?
check children_reused "at_pid could not take PID $c" -- [ $REUSED = yes ]
held children_trace_not_held $RC "$c"
jqs_check children_first_owner_traced "$TMP/children.json" \
	".[0] | .stop_reason == \"every target exited\" and
	 any(.targets[]; .pid == $c and (.came | not) and .went and .comm == \"sleep\") and
	 any(.threads[]; .pid == $c and .exited)"
jqs_check children_not_mixed "$TMP/children.json" ".[0] | dead1($c) and nomix($c) and (.targets | length) == 2"

# 5. -n NAME: two processes of that name, one exits and its PID is reused.
name=rsleep-$$
cp "$(command -v sleep)" "$TMP/$name"
spawn "$TMP/$name" 60
p1=${CHILD_PIDS[-1]}
spawn "$TMP/$name" 60
p2=${CHILD_PIDS[-1]}
for p in $p1 $p2; do
	wait_comm "$p" "$name"
done
"$BLOCKSCOPE" -d 40 -j -o "$TMP/name.json" -n "$name" 2>"$TMP/name.err" &
swap_owner $! "$p1" "$p2"
check name_reused "at_pid could not take PID $p1" -- [ $REUSED = yes ]
held name_trace_not_held $RC "$p1"
jqs_check name_first_owner_traced "$TMP/name.json" \
	".[0] | .stop_reason == \"every target exited\" and
	 any(.targets[]; .pid == $p1 and .went and .comm == \"$name\")"
jqs_check name_not_mixed "$TMP/name.json" ".[0] | dead1($p1) and nomix($p1) and (.targets | length) == 2"

# 6. The control: with -f, a PID reused by a process that a traced process
#    forked is traced, as a second entry under that PID; and, being the last
#    one left, it keeps the trace going until it exits.
follow_gated related "sleep 60 & c=\$!; echo \$c >'$TMP/related.pid'; wait
	'$AT_PID' \$c 3 detach >'$TMP/related.at_pid' 2>&1"
kill "$c"
wait $bs
RC=$?
check related_reused "the traced tree's at_pid could not take PID $c: $(cat "$TMP/related.at_pid")" -- \
	grep -qx "pid=$c" "$TMP/related.at_pid"
state=$(newcomer_state "$c")
if [ $RC -eq 0 ] && [ "$state" != running ]; then
	pass related_trace_held
else
	fail related_trace_held "blockscope exit $RC; the newcomer at PID $c was $state at its end"
fi
jqs_check related_traced "$TMP/related.json" \
	".[0] | .stop_reason == \"every target exited\" and
	 ([.targets[] | select(.pid == $c and .came and .went)] | length) == 2 and
	 ([.threads[] | select(.pid == $c and .comm == \"pidreuse\" and .calls > 0)] | length) >= 3 and
	 getppid > 1000 and
	 any(.targets[]; .parent == $c and .came and .went)"
# Each of the two processes on PID $c counts its own threads: the one that
# ran sleep one, the reuser at least three (the sums went by PID, and both
# entries showed the sum of the two).
jqs_check related_entries_apart "$TMP/related.json" \
	".[0] | [.targets[] | select(.pid == $c) | .threads] | sort | length == 2 and
	 .[0] == 1 and .[1] >= 3"

finish
