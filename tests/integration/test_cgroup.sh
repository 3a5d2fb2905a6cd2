#!/usr/bin/env bash
# --cgroup: every process of a cgroup v2 made here, including one that joins
# after blockscope starts, and nothing outside it; sized for the cgroup's
# one-CPU quota; bad paths refused. The cgroups are removed even on failure.
source "$(dirname "$0")/../lib.sh"

V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
# Where the cpu controller is bound to a v1 hierarchy (a hybrid host), the
# quota is set there; blockscope then reads it from the cgroup's processes.
V1CPU=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/self/mounts)
CG=""
CPU1=""
ENABLED_CPU=""

# Empties a cgroup (its processes are ours: killed, or moved out) and removes it.
remove_cgroup() {
	local dir=$1 root=$2 pid
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	for _ in $(seq 20); do
		for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || echo "$pid" >"$root/cgroup.procs" 2>/dev/null
		done
		rmdir "$dir" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  could not remove $dir"
}

cgroup_cleanup() {
	cleanup # our processes first, then what is left in the cgroups
	remove_cgroup "$CG" "$V2"
	remove_cgroup "$CPU1" "$V1CPU"
	[ -n "$ENABLED_CPU" ] && echo "-cpu" >"$V2/cgroup.subtree_control" 2>/dev/null
}
trap cgroup_cleanup EXIT

if [ -z "$V2" ]; then
	fail cgroup2_mounted "no cgroup2 file system in /proc/self/mounts"
	finish
	exit
fi
CG=$V2/blockscope-test-$$
mkdir "$CG" || { fail cgroup_made "cannot mkdir $CG"; finish; exit; }

# One CPU: cpu.max in cgroup v2 where the cpu controller is there, else the
# v1 quota of the same processes.
if grep -qw cpu "$V2/cgroup.controllers"; then
	if ! grep -qw cpu "$V2/cgroup.subtree_control"; then
		echo "+cpu" >"$V2/cgroup.subtree_control" && ENABLED_CPU=1
	fi
	echo "100000 100000" >"$CG/cpu.max"
	quota_where="cpu.max in cgroup v2"
elif [ -n "$V1CPU" ]; then
	CPU1=$V1CPU/blockscope-test-$$
	mkdir "$CPU1" && echo 100000 >"$CPU1/cpu.cfs_period_us" && echo 100000 >"$CPU1/cpu.cfs_quota_us"
	quota_where="cpu.cfs_quota_us in the cgroup v1 cpu hierarchy (a hybrid host: no cpu controller in cgroup v2)"
fi
echo "  cgroup $CG; one CPU set with $quota_where"

# in_cgroup CMD...: runs CMD inside the test cgroup (and its v1 cpu cgroup),
# in place of the caller (with &, $! is CMD's PID).
in_cgroup() {
	exec sh -c 'echo $$ >"$1/cgroup.procs" || exit 99
	       [ -z "$2" ] || echo $$ >"$2/cgroup.procs" || exit 99
	       shift 2; exec "$@"' sh "$CG" "$CPU1" "$@"
}

# Inside from the start, and outside.
in_cgroup "$PROGS/agree" "$TMP/inside.txt" live &
INSIDE=$!
CHILD_PIDS+=($INSIDE)
spawn "$PROGS/agree" "$TMP/outside.txt" live
OUTSIDE=${CHILD_PIDS[-1]}
sleep 0.5

"$BLOCKSCOPE" --cgroup="$CG" -j -d 4 -o "$TMP/cg.json" 2>"$TMP/cg.err" &
BS=$!
sleep 1.5
# Joins after blockscope started: a pipe reader and its feeder thread.
in_cgroup "$PROGS/pipe_reader" 200 5000 >/dev/null 2>&1 &
LATE=$!
CHILD_PIDS+=($LATE)
sleep 0.7
# The first process goes: the trace goes on (the cgroup may get new ones).
kill "$INSIDE"
wait "$BS"
status=$?
check cgroup_exit0 "exit status $status: $(head -2 "$TMP/cg.err")" -- [ "$status" -eq 0 ]
jq_check cgroup_first_process_traced "$TMP/cg.json" \
	"[.threads[] | select(.pid == $INSIDE and .calls > 100)] | length >= 2"
jq_check cgroup_late_process_traced "$TMP/cg.json" \
	"[.threads[] | select(.pid == $LATE)] | length >= 1 and (map(.calls) | add) > 50"
jq_check cgroup_late_process_listed "$TMP/cg.json" "[.targets[] | select(.pid == $LATE)] | length == 1"
jq_check cgroup_outside_absent "$TMP/cg.json" \
	"all(.threads[]; .pid == $INSIDE or .pid == $LATE) and all(.targets[]; .pid != $OUTSIDE)"
jq_check cgroup_one_core "$TMP/cg.json" '.sizing.cores == 1'
jq_check cgroup_runs_to_duration "$TMP/cg.json" \
	'.stop_reason == "duration reached" and .duration_ns >= 3.9e9'
echo "  cores from: $(jq -r .sizing.cores_source "$TMP/cg.json")"

# The same cgroup with --serve: the gauge says the one CPU too.
in_cgroup "$PROGS/agree" "$TMP/inside2.txt" live &
CHILD_PIDS+=($!)
"$BLOCKSCOPE" --cgroup="$CG" --serve=127.0.0.1:0 -d 3 2>"$TMP/cgs.err" &
BS=$!
url=""
for _ in $(seq 50); do
	url=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$TMP/cgs.err")
	[ -n "$url" ] && break
	sleep 0.1
done
sleep 1.5
curl -s --max-time 3 "$url" >"$TMP/cg.metrics"
wait "$BS"
check cgroup_serve_cores "no 'blockscope_cores 1' on the page" -- grep -qx 'blockscope_cores 1' "$TMP/cg.metrics"
check cgroup_serve_load "no load group on the page" -- grep -q '^blockscope_oncpu_seconds_total{group="load"}' "$TMP/cg.metrics"

# blockscope inside the cgroup it traces would trace itself: refused.
(in_cgroup "$BLOCKSCOPE" --cgroup="$CG" -d 1) >/dev/null 2>"$TMP/self.err"
status=$?
check cgroup_not_itself "status $status: $(cat "$TMP/self.err")" -- \
	[ "$status" -eq 1 -a "$(grep -c . "$TMP/self.err")" -eq 1 ] && grep -q "is itself in cgroup" "$TMP/self.err"

# Bad paths: one line, status 1, nothing on stdout, no program left.
expect_cgroup_error() {
	local name=$1 pattern=$2 path=$3 status
	"$BLOCKSCOPE" --cgroup="$path" -d 2 >"$TMP/$name.out" 2>"$TMP/$name.err"
	status=$?
	if [ "$status" -ne 1 ] && [ "$status" -ne 2 ]; then
		fail "$name" "status $status"
	elif [ "$(grep -c . "$TMP/$name.err")" -ne 1 ] || ! grep -q "$pattern" "$TMP/$name.err"; then
		fail "$name" "stderr: $(head -3 "$TMP/$name.err")"
	elif [ -s "$TMP/$name.out" ]; then
		fail "$name" "something on stdout"
	elif [ -n "$(orphan_progs)" ]; then
		fail "$name" "a BPF program was left loaded: $(orphan_progs)"
	else
		pass "$name"
	fi
}
expect_cgroup_error cgroup_missing "^blockscope: no such cgroup: $V2/no-such-cgroup-$$\$" "$V2/no-such-cgroup-$$"
expect_cgroup_error cgroup_not_cgroupfs "^blockscope: not a cgroup v2 directory: $TMP (not on a cgroup2 file system)\$" "$TMP"
expect_cgroup_error cgroup_a_file "^blockscope: not a cgroup v2 directory: $CG/cgroup.procs (not a directory)\$" "$CG/cgroup.procs"
if [ -n "$V1CPU" ]; then
	expect_cgroup_error cgroup_v1 "^blockscope: not a cgroup v2 directory: $V1CPU (a cgroup v1 hierarchy" "$V1CPU"
fi

finish
