#!/usr/bin/env bash
# make bench: what tracing costs the traced program, and what the collector
# carries, side by side with strace, perf trace, bpftrace and syscount, all
# measured in one run on this machine (issue 5), and the same with
# --sched-only, which attaches no syscall hooks, and --serve's duty cycle
# (issue 16).
#
#   scripts/bench.sh [BUILD]          (after `make all progs`)
#
# Prints the tables and the issue's targets as PASS/MISS lines, and writes
# BUILD/bench/results.json (and the logs of every run under BUILD/bench/logs).
# Knobs, for a quicker or a longer run: REPS, CALLS, SLOW_CALLS, ROUNDS, PP_REPS,
# SERVER_S, SERVER_REPS, RAMP_S, RAMP_THREADS, RSS_RATE, RSS_S, BUDGET_S,
# QUIET_WAIT (see below).
#
# How each figure is taken, and why:
# - The loads (tests/progs/storm, pingpong) time their own loop, so process
#   start-up and tracer attach are outside the figure. Each waits for SIGUSR1
#   before its loop; the tracer is attached by PID first and the go is sent
#   only once its hooks are in (its BPF link / perf event fds stop changing,
#   or strace says it attached).
# - Each configuration runs REPS times, interleaved (one of each in turn), so
#   that a burst of other load on the machine falls on every row alike;
#   the tables give the median with min-max.
# - Every tracer's own count of the load's calls is checked against what the
#   load made: a row whose tracer saw fewer is flagged.
# - The run keeps to BUDGET_S: what the issue's targets need runs first (three
#   rounds of each); the events/s ramp and rounds 4..REPS use what is left.
#   Anything skipped is listed at the end of the report.
set -u

BUILD=${1:-build}
REPS=${REPS:-5}                  # runs of each configuration (3 at least, more if time allows)
CALLS=${CALLS:-300000}           # getppid() calls per run, fast tracers
SLOW_CALLS=${SLOW_CALLS:-10000}  # per run under strace and perf trace (~40 us/call)
ROUNDS=${ROUNDS:-50000}          # ping-pong round trips per run
PP_REPS=${PP_REPS:-9}            # ping-pong runs of each (about 7 s a round of three; a run varies by 10% here)
SERVER_S=${SERVER_S:-3}          # seconds of load per server run
SERVER_REPS=${SERVER_REPS:-5}
RAMP_S=${RAMP_S:-2}              # seconds per step of the events/s ramp
RAMP_THREADS=${RAMP_THREADS:-2}  # threads of the paced load (1M/s needs > 1 here)
RSS_THREADS=64
RSS_RATE=${RSS_RATE:-200000}     # syscalls/s over the 64 threads
RSS_S=${RSS_S:-5}
SERVE_S=${SERVE_S:-60}           # seconds of the duty-cycled --serve run (and of its untraced pair)
STACKS_REPS=${STACKS_REPS:-3}    # rounds of pool_server untraced / blockscope / --stacks
BUDGET_S=${BUDGET_S:-600}        # with the build, `make bench` stays under 12 minutes

BS=$BUILD/blockscope
STORM=$BUILD/tests/progs/storm
PINGPONG=$BUILD/tests/progs/pingpong
TARGETS=$BUILD/targets
OUT=$BUILD/bench
LOGS=$OUT/logs
SYSCOUNT=
MOUNTED_TRACEFS=0

# ---------------------------------------------------------------- plumbing

note() { echo "bench: $*" >&2; }

# time_left SECONDS: true if that much of the budget remains.
time_left() { [ $((BUDGET_S - SECONDS)) -ge "$1" ]; }
SKIPPED=""
skip() { SKIPPED+="$1; "; note "skipped $1: not enough time left in the ${BUDGET_S}s budget"; }

# Every process the bench starts is a background job of this shell (the
# loads through `timeout`, which passes a TERM on): the ones still running
# are `jobs -pr`. Asking the shell, not /proc, matters: pid_max may be small
# and a pid reused by someone else's process soon after ours ended.
cleanup() {
	local p
	for p in $(jobs -pr); do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in $(jobs -pr); do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ "$MOUNTED_TRACEFS" = 1 ] && umount /sys/kernel/tracing 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# running PID: true while our background job PID has not ended.
running() {
	local p
	for p in $(jobs -pr); do [ "$p" = "$1" ] && return 0; done
	return 1
}

# wait_bounded PID SECONDS: wait for a child; kill it if it overstays.
wait_bounded() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		running "$pid" || break
		sleep 0.1
	done
	if running "$pid"; then
		note "pid $pid still running after ${limit}s: killed"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

# stop PID SIGNAL: ask a tracer to stop (it prints its summary), bounded.
# Asked twice: on this busy machine a bpftrace has now and then let the
# first SIGINT go by; what it was doing then goes to the notes.
stop() {
	local i
	running "$1" && kill "-$2" "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		running "$1" || break
		sleep 0.1
	done
	if running "$1"; then
		note "pid $1 ($(cat "/proc/$1/comm" 2>/dev/null)) still running 5 s after SIG$2 (in $(cat "/proc/$1/wchan" 2>/dev/null)): asking again"
		kill "-$2" "$1" 2>/dev/null
	fi
	wait_bounded "$1" 10
}

# field FILE KEY: the value of KEY=VALUE on the last line of FILE that has it.
field() {
	grep -o "\b$2=[^ ]*" "$1" 2>/dev/null | tail -1 | cut -d= -f2
}

# stats VALUES...: "median min max" (empty when there are no values).
stats() {
	[ $# -eq 0 ] && return
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		      printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

# calc EXPR: floating-point arithmetic.
calc() { awk "BEGIN { printf \"%.1f\", $* }"; }
# cmp_le A B: A <= B.
cmp_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# start_load LOG COMMAND...: start a load that waits for SIGUSR1, bounded by
# `timeout`; sets LOAD_WRAP (the pid to wait for) and LOAD_PID (the load's
# own pid, from its READY line, the one to trace and signal).
start_load() {
	local log=$1 i
	shift
	timeout -k 2 300 "$@" >"$log" 2>&1 &
	LOAD_WRAP=$!
	LOAD_PID=
	for ((i = 0; i < 100; i++)); do
		LOAD_PID=$(field "$log" pid)
		[ -n "$LOAD_PID" ] && return 0
		sleep 0.05
	done
	note "load did not start: $(head -c 300 "$log")"
	return 1
}

# go: start the waiting load's timed loop. timeout ends with its child, so
# while the wrapper runs LOAD_PID is still the load's.
go() {
	running "$LOAD_WRAP" && kill -USR1 "$LOAD_PID"
}

# abandon: end a load whose tracer could not attach.
abandon() {
	running "$LOAD_WRAP" && kill -TERM "$LOAD_WRAP"
	wait_bounded "$LOAD_WRAP" 5
}

# hooks_in PID: wait until a BPF/perf tracer's attachments stop changing
# (its bpf_link and perf_event fds), then a little more. Fails on a timeout
# or if the tracer died.
hooks_in() {
	local pid=$1 n last=-1 same=0 i
	for ((i = 0; i < 300; i++)); do
		running "$pid" || return 1
		n=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c -e 'anon_inode:bpf_link' -e 'anon_inode:\[perf_event\]')
		if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && { sleep 0.2; return 0; }
		else
			same=0
		fi
		last=$n
		sleep 0.1
	done
	return 1
}

# strace_in LOG PID: wait until strace says it attached.
strace_in() {
	local i
	for ((i = 0; i < 100; i++)); do
		running "$2" || return 1
		grep -q 'attached' "$1" 2>/dev/null && { sleep 0.1; return 0; }
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- tracers
#
# attach HOW TARGET_PID PREFIX: start the tracer HOW on the target, wait for
# its hooks; sets TRACER (its pid, empty for none) and TRACER_SIG (how to
# stop it). Fails if it could not attach; PREFIX.err then says why.
# seen HOW PREFIX: how many getppid() calls of the target that tracer saw.

OTHER_PID=   # an idle process that the "other pid" rows trace instead

attach() {
	local how=$1 pid=$2 pfx=$3
	TRACER=
	TRACER_SIG=INT
	case $how in
	untraced)
		return 0 ;;
	blockscope)
		"$BS" -j -p "$pid" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_time_all)
		"$BS" -j --time-sample 1 -p "$pid" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_stream_all)
		"$BS" -j --stream-all -p "$pid" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_other_pid)
		"$BS" -j -p "$OTHER_PID" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_sched_only)
		"$BS" -j --sched-only -p "$pid" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_sched_only_other_pid)
		"$BS" -j --sched-only -p "$OTHER_PID" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_stacks)
		"$BS" -j --stacks -p "$pid" -o "$pfx.json" >"$pfx.stdout" 2>"$pfx.err" & ;;
	blockscope_serve)
		# --serve's default: sched-only, the syscall hooks on 1 s in every 10.
		"$BS" --serve=127.0.0.1:0 -p "$pid" >"$pfx.stdout" 2>"$pfx.err" & ;;
	strace)
		TRACER_SIG=TERM # SIGINT is ignored by a background job of a script
		strace -f -c -o "$pfx.txt" -p "$pid" >"$pfx.stdout" 2>"$pfx.err" & ;;
	perf_trace)
		perf trace -s -o "$pfx.txt" -p "$pid" >"$pfx.stdout" 2>"$pfx.err" & ;;
	bpftrace)
		# Latency histogram of every syscall of the pid, as a person would.
		bpftrace -o "$pfx.txt" -e "
			tracepoint:raw_syscalls:sys_enter /pid == $pid/ { @start[tid] = nsecs; }
			tracepoint:raw_syscalls:sys_exit /pid == $pid && @start[tid]/ {
				@lat_ns = hist(nsecs - @start[tid]); @calls = count(); delete(@start[tid]); }
			END { clear(@start); }" >"$pfx.stdout" 2>"$pfx.err" & ;;
	bpftrace_other_pid)
		# The same two hooks, doing nothing for any caller but another pid:
		# what a minimal BPF filter on sys_enter/sys_exit costs everyone
		# else (classic tracepoints, which cost a little more than tp_btf).
		bpftrace -o "$pfx.txt" -e "
			tracepoint:raw_syscalls:sys_enter /pid == $OTHER_PID/ { @start[tid] = nsecs; }
			tracepoint:raw_syscalls:sys_exit /pid == $OTHER_PID/ { @calls = count(); }" \
			>"$pfx.stdout" 2>"$pfx.err" & ;;
	syscount)
		"$SYSCOUNT" -L -p "$pid" >"$pfx.txt" 2>"$pfx.err" & ;;
	*)
		echo "unknown tracer $how" >"$pfx.err"; return 1 ;;
	esac
	TRACER=$!
	if [ "$how" = strace ]; then
		strace_in "$pfx.err" "$TRACER" && return 0
	else
		hooks_in "$TRACER" && return 0
	fi
	stop "$TRACER" KILL
	[ -s "$pfx.err" ] || echo "did not attach within 30 s" >"$pfx.err"
	return 1
}

seen() {
	local how=$1 pfx=$2
	case $how in
	blockscope | blockscope_time_all | blockscope_stream_all)
		jq -r '[.syscalls[] | select(.name == "getppid") | .calls] | add // 0' "$pfx.json" 2>/dev/null ;;
	strace)
		awk '$NF == "getppid" { print $4 }' "$pfx.txt" 2>/dev/null ;;
	perf_trace | syscount)
		awk '$1 == "getppid" { print $2; exit }' "$pfx.txt" 2>/dev/null ;;
	bpftrace)
		sed -n 's/^@calls: \([0-9]*\)/\1/p' "$pfx.txt" 2>/dev/null ;;
	esac
}

# One short line saying why a tool could not run.
why_failed() {
	local pfx=$1
	grep -v -e '^$' -e 'RLIMIT_MEMLOCK' "$pfx.err" 2>/dev/null | head -1 | cut -c1-150
}

# ------------------------------------------------------------ environment

prepare() {
	mkdir -p "$LOGS"
	rm -f "$LOGS"/*
	for f in "$BS" "$STORM" "$PINGPONG" "$TARGETS/epoll_server" "$TARGETS/backend" "$TARGETS/loadgen"; do
		[ -x "$f" ] || { echo "bench: $f is missing: run make all progs" >&2; exit 1; }
	done
	command -v jq >/dev/null || { echo "bench: jq is needed" >&2; exit 1; }
	[ "$(id -u)" -eq 0 ] || { echo "bench: must run as root (BPF, ptrace, tracefs)" >&2; exit 1; }
	# Classic tracepoints (perf trace, bpftrace, syscount) need tracefs.
	if [ ! -e /sys/kernel/tracing/events ]; then
		if mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
			MOUNTED_TRACEFS=1
		else
			note "cannot mount tracefs: classic-tracepoint peers will fail"
		fi
	fi
	# libbpf-tools' binaries are in /usr/sbin, by their plain name or prefixed.
	for SYSCOUNT in /usr/sbin/syscount /usr/sbin/bpf-syscount /usr/bin/syscount ""; do
		[ -z "$SYSCOUNT" ] || [ -x "$SYSCOUNT" ] && break
	done
	if [ -z "$SYSCOUNT" ] && command -v dpkg >/dev/null; then
		SYSCOUNT=$(dpkg -L libbpf-tools 2>/dev/null | grep -m1 '/syscount$')
	fi
	sleep 900 &
	OTHER_PID=$!
}

# Tools that are not installed are reported as such, not run.
missing_tool() {
	case $1 in
	strace) command -v strace >/dev/null || echo "strace is not installed" ;;
	perf_trace) command -v perf >/dev/null || echo "perf is not installed (linux-perf)" ;;
	bpftrace | bpftrace_other_pid) command -v bpftrace >/dev/null || echo "bpftrace is not installed" ;;
	syscount) [ -n "$SYSCOUNT" ] || echo "syscount is not installed (libbpf-tools)" ;;
	esac
}

# Other tracers on the machine add to every row (their hooks tax every
# process): count the tracing BPF programs loaded while none of ours runs.
foreign_tracing_progs() {
	command -v bpftool >/dev/null || { echo 0; return; }
	bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracing|raw_tracepoint|tracepoint|kprobe)'
}

# Before each round, waits for other tools' tracers to go away, drawing on
# a pool of QUIET_WAIT seconds for the whole run; a round that starts with
# them still loaded is counted, and the report says so.
FOREIGN=0 FOREIGN_ROUNDS=0
QUIET_WAIT=${QUIET_WAIT:-90}
check_foreign() {
	local n
	n=$(foreign_tracing_progs)
	[ "$n" -gt 0 ] && note "$n tracing BPF programs of another tool are loaded: waiting (up to ${QUIET_WAIT}s left) for them to go"
	while [ "$n" -gt 0 ] && [ "$QUIET_WAIT" -gt 0 ]; do
		sleep 1
		QUIET_WAIT=$((QUIET_WAIT - 1))
		n=$(foreign_tracing_progs)
	done
	[ "$n" -eq 0 ] && return
	[ "$n" -gt "$FOREIGN" ] && FOREIGN=$n
	FOREIGN_ROUNDS=$((FOREIGN_ROUNDS + 1))
}

# ------------------------------------------------------- 1. cost per call

declare -A NS CPU SEEN WHY CALLS_OF
HOWS=(untraced blockscope blockscope_time_all blockscope_stream_all blockscope_other_pid
	blockscope_sched_only blockscope_sched_only_other_pid bpftrace_other_pid strace perf_trace bpftrace syscount)
declare -A LABEL=(
	[untraced]="untraced"
	[blockscope]="blockscope -p (traced)"
	[blockscope_time_all]="blockscope -p --time-sample 1 (all timed)"
	[blockscope_stream_all]="blockscope -p --stream-all (each call sent)"
	[blockscope_other_pid]="blockscope tracing another pid"
	[blockscope_sched_only]="blockscope --sched-only -p (traced)"
	[blockscope_sched_only_other_pid]="blockscope --sched-only, another pid"
	[bpftrace_other_pid]="bpftrace hooks for another pid (floor ref.)"
	[strace]="strace -f -c"
	[perf_trace]="perf trace -s"
	[bpftrace]="bpftrace sys_enter/exit latency hist"
	[syscount]="syscount -L -p"
)

# storm_once HOW REP: one timed getppid() loop under HOW.
storm_once() {
	local how=$1 rep=$2 pfx=$LOGS/storm-$1-$2 n=$CALLS v s
	case $how in strace | perf_trace) n=$SLOW_CALLS ;; esac
	CALLS_OF[$how]=$n
	start_load "$pfx.out" "$STORM" --mode getppid --calls "$n" --wait-signal || return
	if ! attach "$how" "$LOAD_PID" "$pfx"; then
		WHY[$how]="could not attach: $(why_failed "$pfx")"
		abandon
		return
	fi
	go
	wait_bounded "$LOAD_WRAP" 120
	[ -n "$TRACER" ] && stop "$TRACER" "$TRACER_SIG"
	v=$(field "$pfx.out" ns_per_call)
	if [ -z "$v" ]; then
		WHY[$how]="the load failed: $(head -c 150 "$pfx.out")"
		return
	fi
	NS[$how]+="$v "
	v=$(field "$pfx.out" cpu_ns_per_call)
	[ -n "$v" ] && CPU[$how]+="$v "
	s=$(seen "$how" "$pfx")
	if [ -n "$s" ] && [ "$s" -lt "$n" ] 2>/dev/null; then
		SEEN[$how]+="run $rep saw $s of $n calls; "
	fi
}

# bench_ns_per_call FROM TO: rounds FROM..TO, each one run of every row.
NS_ROUNDS=0
bench_ns_per_call() {
	local rep how why
	for how in "${HOWS[@]}"; do
		why=$(missing_tool "$how")
		[ -n "$why" ] && WHY[$how]=$why
	done
	for ((rep = $1; rep <= $2; rep++)); do
		note "cost per call: round $rep of $REPS"
		check_foreign
		for how in "${HOWS[@]}"; do
			# A tool that failed once is not tried again.
			[ -n "${WHY[$how]:-}" ] && continue
			storm_once "$how" "$rep"
		done
		NS_ROUNDS=$rep
	done
}

# ------------------------------------------------------- 2. context switches

# bench_pingpong FROM TO: rounds FROM..TO, untraced and traced in turn.
declare -A PP PP_CPU
PP_ROUNDS=0
bench_pingpong() {
	local rep how pfx v
	for ((rep = $1; rep <= $2; rep++)); do
		note "ping-pong: round $rep of $PP_REPS"
		check_foreign
		for how in untraced blockscope blockscope_sched_only; do
			pfx=$LOGS/pingpong-$how-$rep
			start_load "$pfx.out" "$PINGPONG" --rounds "$ROUNDS" --wait-signal || continue
			attach "$how" "$LOAD_PID" "$pfx" || { abandon; continue; }
			go
			wait_bounded "$LOAD_WRAP" 120
			[ -n "$TRACER" ] && stop "$TRACER" "$TRACER_SIG"
			v=$(field "$pfx.out" ns_per_round_trip)
			[ -n "$v" ] && PP[$how]+="$v "
			v=$(field "$pfx.out" cpu_ns_per_round_trip)
			[ -n "$v" ] && PP_CPU[$how]+="$v "
		done
		PP_ROUNDS=$rep
	done
}

# ------------------------------------------------------- 3. server requests/s

declare -A RPS RPS_LOST RPS_RATIO
SERVER_LAYOUT="all on every CPU (one CPU here)"
SERVER_PID=

# start_server LOG COMMAND...: sets PORT (and SERVER_PID) from its first line.
start_server() {
	local log=$1 i
	shift
	"$@" >"$log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 50; i++)); do
		PORT=$(sed -n '1s/.*port=\([0-9]*\).*/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	note "$1 did not start: $(head -c 200 "$log")"
	return 1
}

bench_server() {
	local backend_port backend_pid port rep how pfx v budget base cpus on=()
	time_left $((SERVER_REPS * 8 * (SERVER_S + 3) + 60)) || { skip "server requests/s"; return; }
	# Long enough for every run (and --serve's), and they end by themselves regardless.
	budget=$((SERVER_REPS * 8 * (SERVER_S + 8) + 3 * SERVE_S + 60))
	# The server alone on CPU 1, everything else (loadgen, backend, the
	# tracer) on CPU 0 through this shell's affinity: as a server runs
	# beside its clients, and with far less drift between runs than when
	# the loop shares both CPUs with loadgen's threads.
	cpus=$(taskset -pc $$ | sed 's/.*: //')
	if [ "$(nproc)" -ge 2 ]; then
		taskset -pc 0 $$ >/dev/null
		on=(taskset -c 1)
		SERVER_LAYOUT="epoll_server alone on CPU 1; loadgen, backend and the tracer on CPU 0"
	fi
	start_server "$LOGS/backend.log" "$TARGETS/backend" --port 0 --seconds "$budget" || return
	backend_port=$PORT
	backend_pid=$SERVER_PID
	start_server "$LOGS/epoll_server.log" "${on[@]}" "$TARGETS/epoll_server" --port 0 \
		--backend-port "$backend_port" --seconds "$budget" || return
	port=$PORT
	# A warm-up, not counted: connections, caches, the backend's first timers.
	timeout -k 2 $((SERVER_S + 10)) "$TARGETS/loadgen" --port "$port" --connections 4 \
		--cpu-us 0 --wait-us 0 --seconds 1 >"$LOGS/server-warmup.out" 2>&1
	for ((rep = 1; rep <= SERVER_REPS; rep++)); do
		note "server requests/s: round $rep of $SERVER_REPS"
		check_foreign
		for how in untraced blockscope blockscope_sched_only blockscope_time_all blockscope_other_pid \
			blockscope_sched_only_other_pid bpftrace_other_pid strace; do
			case $how in strace | bpftrace_other_pid) [ -n "${WHY[$how]:-}" ] && continue ;; esac
			pfx=$LOGS/server-$how-$rep
			attach "$how" "$SERVER_PID" "$pfx" || continue
			# No CPU or backend wait per request: the server is all syscalls.
			timeout -k 2 $((SERVER_S + 10)) "$TARGETS/loadgen" --port "$port" --connections 4 \
				--cpu-us 0 --wait-us 0 --seconds "$SERVER_S" >"$pfx.out" 2>&1
			[ -n "$TRACER" ] && stop "$TRACER" "$TRACER_SIG"
			v=$(field "$pfx.out" rps)
			[ -n "$v" ] && RPS[$how]+="$v "
			# Each traced run against the untraced run just before it: the
			# machine's own drift (other VMs on the host) cancels out.
			[ "$how" = untraced ] && base=$v
			if [ "$how" != untraced ] && [ -n "$v" ] && [ -n "${base:-}" ]; then
				RPS_RATIO[$how]+="$(calc "100 * $v / $base") "
			fi
			if [ "$how" = blockscope ]; then
				RPS_LOST[$rep]=$(jq -r '.events.lost' "$pfx.json" 2>/dev/null)
			fi
		done
	done
	bench_serve "$port"
	running "$SERVER_PID" && kill -TERM "$SERVER_PID"
	running "$backend_pid" && kill -TERM "$backend_pid"
	wait_bounded "$SERVER_PID" 5
	wait_bounded "$backend_pid" 5
	taskset -pc "$cpus" $$ >/dev/null
}

# The duty-cycled --serve (its default: sched-only, the syscall hooks on 1 s
# in every 10) on the same server for SERVE_S seconds, against an untraced
# run of SERVE_S seconds just before it; and what --serve said the while.
SERVE_RPS= SERVE_BASE= SERVE_RATIO= SERVE_SCRAPED=
bench_serve() {
	local port=$1 pfx=$LOGS/serve url i
	time_left $((2 * SERVE_S + 30)) || { skip "--serve for ${SERVE_S}s"; return; }
	note "server requests/s: untraced for ${SERVE_S}s, then under --serve (duty-cycled) for ${SERVE_S}s"
	timeout -k 2 $((SERVE_S + 10)) "$TARGETS/loadgen" --port "$port" --connections 4 \
		--cpu-us 0 --wait-us 0 --seconds "$SERVE_S" >"$pfx-untraced.out" 2>&1
	SERVE_BASE=$(field "$pfx-untraced.out" rps)
	attach blockscope_serve "$SERVER_PID" "$pfx" || return
	timeout -k 2 $((SERVE_S + 10)) "$TARGETS/loadgen" --port "$port" --connections 4 \
		--cpu-us 0 --wait-us 0 --seconds "$SERVE_S" >"$pfx.out" 2>&1
	url=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$pfx.err")
	[ -n "$url" ] && curl -s -m 5 "$url" >"$pfx.metrics" 2>/dev/null
	stop "$TRACER" INT
	SERVE_RPS=$(field "$pfx.out" rps)
	SERVE_SCRAPED=$(grep -c '^blockscope_' "$pfx.metrics" 2>/dev/null)
	[ -n "$SERVE_RPS" ] && [ -n "$SERVE_BASE" ] && SERVE_RATIO=$(calc "100 * $SERVE_RPS / $SERVE_BASE")
	i=$(grep -o 'served .*' "$pfx.err" 2>/dev/null)
	note "--serve: ${i:-no summary}"
}

# ------------------------------------------------------- 4. events/s without loss

MAX_EPS=0 MAX_EPS_RATE=0 RAMP_LOG="" RAMP_LOST_AT=""
ONE_M_RATE= ONE_M_LOST= ONE_M_RECEIVED= ONE_M_EPS=

# paced_run RATE SECONDS THREADS PREFIX: a paced storm under blockscope;
# sets RUN_RATE (syscalls/s achieved), RUN_EPS (records received per second
# of the loop), RUN_LOST (records lost, plus calls the report is short of
# what the load made: a loss however it happened), RUN_RECEIVED. Fails if
# a figure is missing.
paced_run() {
	local rate=$1 secs=$2 threads=$3 pfx=$4 ns made seen
	RUN_RATE= RUN_EPS= RUN_LOST= RUN_RECEIVED=
	start_load "$pfx.out" "$STORM" --mode rate --rate "$rate" --seconds "$secs" \
		--threads "$threads" --wait-signal || return 1
	attach blockscope "$LOAD_PID" "$pfx" || { abandon; return 1; }
	go
	wait_bounded "$LOAD_WRAP" $((${secs%.*} + 60))
	stop "$TRACER" INT
	RUN_RATE=$(field "$pfx.out" rate)
	ns=$(field "$pfx.out" elapsed_ns)
	RUN_LOST=$(jq -r '.events.lost' "$pfx.json" 2>/dev/null)
	RUN_RECEIVED=$(jq -r '.events.received' "$pfx.json" 2>/dev/null)
	made=$(field "$pfx.out" calls)
	seen=$(seen blockscope "$pfx")
	[ -n "$RUN_RATE" ] && [ -n "$ns" ] && [ -n "$RUN_LOST" ] && [ -n "$RUN_RECEIVED" ] &&
		[ -n "$made" ] && [ -n "$seen" ] || return 1
	[ "$seen" -lt "$made" ] && RUN_LOST=$((RUN_LOST + made - seen))
	RUN_EPS=$(calc "$RUN_RECEIVED * 1e9 / $ns")
}

# Raise the paced rate step by step until records are lost; the figure is
# the most records per second received with none lost (the 10 s run at
# 1M/s asked counts too). What the load achieves is reported beside what
# was asked: on a slow machine it falls short of the higher steps.
# The issue's own check: 1,000,000 syscalls/s asked for 10 s.
bench_one_million() {
	time_left 25 || { skip "1M syscalls/s for 10 s"; return; }
	note "events/s: 1,000,000 syscalls/s asked for 10 s"
	paced_run 1000000 10 "$RAMP_THREADS" "$LOGS/onem" || return
	ONE_M_RATE=$RUN_RATE ONE_M_LOST=$RUN_LOST ONE_M_RECEIVED=$RUN_RECEIVED ONE_M_EPS=$RUN_EPS
	if [ "$RUN_LOST" -gt 0 ]; then
		RAMP_LOST_AT=1000000
	elif awk -v a="$RUN_RATE" -v b="$MAX_EPS" 'BEGIN { exit !(a > b) }'; then
		MAX_EPS=$RUN_RATE
		MAX_EPS_RATE=$RUN_EPS
	fi
}

# Raise the paced rate step by step until records are lost; the figure is
# the most records per second received with none lost (the 10 s run at
# 1M/s asked counts too). What the load achieves is reported beside what
# was asked: on a slow or busy machine it falls short of the higher steps.
bench_ramp() {
	local rate
	for rate in 50000 100000 200000 400000 600000 800000; do
		time_left 15 || { skip "events/s ramp from $rate/s"; break; }
		note "events/s ramp: $rate syscalls/s asked for ${RAMP_S}s"
		paced_run "$rate" "$RAMP_S" "$RAMP_THREADS" "$LOGS/ramp-$rate" || { RAMP_LOG+="$rate: failed; "; break; }
		RAMP_LOG+="asked $rate -> $RUN_RATE/s, $RUN_EPS records/s, lost $RUN_LOST; "
		[ "$RUN_LOST" -gt 0 ] && { RAMP_LOST_AT=$rate; break; }
		if awk -v a="$RUN_RATE" -v b="$MAX_EPS" 'BEGIN { exit !(a > b) }'; then
			MAX_EPS=$RUN_RATE
			MAX_EPS_RATE=$RUN_EPS
		fi
	done
}

# ------------------------------------------------------- 5. collector memory

RSS_HWM= RSS_MAX= RSS_LOST= RSS_THREADS_SEEN= RSS_IDLE_HWM=

# sample_rss PID SECONDS: sample a collector's memory from /proc until it
# exits (bounded); sets PEAK_HWM (VmHWM: the peak the kernel kept, which
# includes the report built at the end) and PEAK_RSS (highest VmRSS seen).
sample_rss() {
	local pid=$1 limit=$2 i rss hwm
	PEAK_HWM= PEAK_RSS=0
	for ((i = 0; i < limit * 10; i++)); do
		running "$pid" || break
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		[ -n "$rss" ] && [ "$rss" -gt "$PEAK_RSS" ] && PEAK_RSS=$rss
		[ -n "$hwm" ] && PEAK_HWM=$hwm
		sleep 0.1
	done
}

bench_rss() {
	local pfx=$LOGS/rss
	time_left 20 || { skip "collector memory"; return; }
	# First the fixed cost: the collector tracing one idle process.
	note "collector memory: tracing an idle process for 2 s"
	"$BS" -j -p "$OTHER_PID" -d 2 -o "$pfx-idle.json" >/dev/null 2>"$pfx-idle.err" &
	TRACER=$!
	sample_rss "$TRACER" 20
	RSS_IDLE_HWM=$PEAK_HWM
	stop "$TRACER" INT
	note "collector memory: $RSS_THREADS threads, $RSS_RATE syscalls/s for ${RSS_S}s"
	start_load "$pfx.out" "$STORM" --mode rate --rate "$RSS_RATE" --seconds "$RSS_S" \
		--threads "$RSS_THREADS" --wait-signal || return
	attach blockscope "$LOAD_PID" "$pfx" || { abandon; return; }
	go
	# The collector exits by itself once the target has.
	sample_rss "$TRACER" $((RSS_S + 30))
	RSS_HWM=$PEAK_HWM RSS_MAX=$PEAK_RSS
	wait_bounded "$LOAD_WRAP" 30
	stop "$TRACER" INT
	RSS_LOST=$(jq -r '.events.lost' "$pfx.json" 2>/dev/null)
	RSS_THREADS_SEEN=$(jq -r '[.threads[]?] | length' "$pfx.json" 2>/dev/null)
}

# ----------------------------------------------------- --stacks (issue 15)

# pool_server (4 workers, 1 ms of CPU and a 3 ms backend wait per request:
# two blocking calls a request, each a user-stack copy under --stacks),
# loadgen 16 connections, SERVER_S a run: untraced, blockscope and
# blockscope --stacks in turn, STACKS_REPS rounds, each traced run against
# the untraced one just before it; and the collector's memory with stacks.
declare -A STK STK_RATIO
STK_HWM= STK_UNWOUND=
bench_stacks() {
	local backend_port backend_pid port rep how pfx v base budget cpus on=()
	time_left $((STACKS_REPS * 3 * (SERVER_S + 4) + 30)) || { skip "--stacks requests/s"; return; }
	budget=$((STACKS_REPS * 3 * (SERVER_S + 10) + 60))
	cpus=$(taskset -pc $$ | sed 's/.*: //')
	if [ "$(nproc)" -ge 2 ]; then
		taskset -pc 0 $$ >/dev/null
		on=(taskset -c 1)
	fi
	start_server "$LOGS/stk-backend.log" "$TARGETS/backend" --port 0 --seconds "$budget" || return
	backend_port=$PORT
	backend_pid=$SERVER_PID
	start_server "$LOGS/pool_server.log" "${on[@]}" "$TARGETS/pool_server" --port 0 \
		--backend-port "$backend_port" --threads 4 --seconds "$budget" || return
	port=$PORT
	for ((rep = 1; rep <= STACKS_REPS; rep++)); do
		note "--stacks requests/s: round $rep of $STACKS_REPS"
		for how in untraced blockscope blockscope_stacks; do
			pfx=$LOGS/stk-$how-$rep
			attach "$how" "$SERVER_PID" "$pfx" || continue
			timeout -k 2 $((SERVER_S + 10)) "$TARGETS/loadgen" --port "$port" --connections 16 \
				--cpu-us 1000 --wait-us 3000 --seconds "$SERVER_S" >"$pfx.out" 2>&1 &
			[ "$how" = blockscope_stacks ] && sample_rss "$TRACER" "$SERVER_S" &&
				STK_HWM=$PEAK_HWM
			wait $!
			[ -n "$TRACER" ] && stop "$TRACER" "$TRACER_SIG"
			v=$(field "$pfx.out" rps)
			[ -n "$v" ] && STK[$how]+="$v "
			[ "$how" = untraced ] && base=$v
			if [ "$how" != untraced ] && [ -n "$v" ] && [ -n "${base:-}" ]; then
				STK_RATIO[$how]+="$(calc "100 * $v / $base") "
			fi
			[ "$how" = blockscope_stacks ] &&
				STK_UNWOUND=$(jq -r '"\(.call_sites | length) call sites, the deepest \([.call_sites[].user_stack | length] | max) user frames"' "$pfx.json" 2>/dev/null)
		done
	done
	running "$SERVER_PID" && kill -TERM "$SERVER_PID"
	running "$backend_pid" && kill -TERM "$backend_pid"
	wait_bounded "$SERVER_PID" 5
	wait_bounded "$backend_pid" 5
	taskset -pc "$cpus" $$ >/dev/null
}

# ------------------------------------------------------------- reporting

# Median of a space-separated list, or "null".
med() { local s; s=$(stats $1); echo "${s%% *}" | sed 's/^$/null/'; }

print_ns_table() {
	local how s m lo hi base add ratio c
	local row='| %-44s | %16s | %-19s | %17s | %6s | %11s |\n'
	base=$(med "${NS[untraced]:-}")
	echo
	echo "Cost per getppid() call, wall time of the loop: each row the median of $NS_ROUNDS runs"
	echo "($CALLS calls a run; strace and perf trace $SLOW_CALLS). CPU ns/call: the caller's own"
	echo "CPU time (median), which leaves out waiting for a busy CPU or for a ptrace stop."
	echo
	# Every min–max cell holds one en dash, 3 bytes for 1 column: hence 19.
	printf "$row" "how traced" "ns/call (median)" "min–max" "added vs untraced" "ratio" "CPU ns/call"
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..18})" \
		"$(printf -- '-%.0s' {1..19})" "$(printf -- '-%.0s' {1..19})" "$(printf -- '-%.0s' {1..8})" \
		"$(printf -- '-%.0s' {1..13})"
	for how in "${HOWS[@]}"; do
		s=$(stats ${NS[$how]:-})
		if [ -z "$s" ]; then
			printf "${row/-19s/-17s}" "${LABEL[$how]}" n/a "" "" "" ""
			continue
		fi
		read -r m lo hi <<<"$s"
		add="" ratio=""
		if [ "$base" != null ] && [ "$how" != untraced ]; then
			add=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%+.1f", a - b }')
			ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')
		fi
		c=$(med "${CPU[$how]:-}")
		printf "$row" "${LABEL[$how]}" "$m" "$lo–$hi" "$add" "$ratio" "${c/null/n\/a}"
	done
	for how in "${HOWS[@]}"; do
		if [ -n "${WHY[$how]:-}" ]; then
			if [ -n "${NS[$how]:-}" ]; then
				echo "  note ${LABEL[$how]}: its later runs were dropped: ${WHY[$how]}"
			else
				echo "  n/a ${LABEL[$how]}: ${WHY[$how]}"
			fi
		fi
		[ -n "${SEEN[$how]:-}" ] && echo "  note ${LABEL[$how]}: the tracer missed calls: ${SEEN[$how]}"
	done
	echo "  (issue's reference, another machine: 167 ns untraced, 310–320 ns with the hooks on and the caller filtered out)"
}

# server_row LABEL HOW [SUFFIX]: a traced server row, its requests/s and
# its share of the untraced run before each.
server_row() {
	local s
	s=$(stats ${RPS[$2]:-}); echo "  $1: ${s:-n/a} requests/s (median min max)${3:-}"
	s=$(stats ${RPS_RATIO[$2]:-}); echo "              ${s:-n/a} % of the untraced run just before (median min max)"
}

print_others() {
	local s
	echo
	echo "Context switches (pingpong, 2 threads on one CPU, $ROUNDS round trips a run, $PP_ROUNDS runs):"
	local how label
	for how in untraced blockscope blockscope_sched_only; do
		case $how in
		untraced) label="untraced:  " ;;
		blockscope) label="blockscope:" ;;
		*) label="blockscope --sched-only:" ;;
		esac
		s=$(stats ${PP[$how]:-})
		echo "  $label ${s:-n/a} ns/round trip (median min max)"
		s=$(stats ${PP_CPU[$how]:-})
		echo "  $(printf '%*s' ${#label} '') ${s:-n/a} ns of the process's CPU time a round trip (median min max)"
	done
	echo
	echo "epoll_server + backend, loadgen 4 connections, --cpu-us 0 --wait-us 0, ${SERVER_S}s a run, $SERVER_REPS runs,"
	echo "$SERVER_LAYOUT:"
	s=$(stats ${RPS[untraced]:-}); echo "  untraced:   ${s:-n/a} requests/s (median min max)"
	server_row "blockscope" blockscope "; records lost: ${RPS_LOST[*]:-n/a}"
	server_row "blockscope --time-sample 1" blockscope_time_all
	server_row "blockscope tracing another pid (the hooks' floor)" blockscope_other_pid
	server_row "bpftrace hooks for another pid (floor ref.)" bpftrace_other_pid
	server_row "blockscope --sched-only" blockscope_sched_only
	server_row "blockscope --sched-only tracing another pid" blockscope_sched_only_other_pid
	s=$(stats ${RPS[strace]:-}); echo "  strace -f:  ${s:-n/a} requests/s (median min max)"
	echo "  --serve (duty-cycled: sched-only, the syscall hooks 1 s in 10) for ${SERVE_S}s: ${SERVE_RPS:-n/a} requests/s,"
	echo "              ${SERVE_RATIO:-n/a} % of the untraced ${SERVE_S}s run just before (${SERVE_BASE:-n/a}); ${SERVE_SCRAPED:-0} series on its page"
	echo
	echo "Syscalls/s traced without loss (storm paced in $RAMP_THREADS threads, ${RAMP_S}s a step, under blockscope;"
	echo "a step loses if a record is lost or the report has fewer getppid calls than the load made):"
	if [ -z "$RAMP_LOG" ]; then
		echo "  n/a: not run (see Skipped below, or the logs)"
	else
		echo "  ramp: $RAMP_LOG"
		echo "  highest rate with 0 lost: $MAX_EPS syscalls/s ($MAX_EPS_RATE records/s reached the collector)"
		[ -n "$RAMP_LOST_AT" ] || echo "  (no step lost anything: the limit is above what the load could make here, so this is a lower bound)"
	fi
	echo "  1,000,000 syscalls/s asked for 10 s: achieved ${ONE_M_RATE:-n/a}/s, ${ONE_M_RECEIVED:-n/a} records received, ${ONE_M_LOST:-n/a} lost"
	echo
	echo "pool_server (4 workers, 1 ms CPU + 3 ms backend wait a request), loadgen 16 connections, ${SERVER_S}s a run, $STACKS_REPS runs:"
	s=$(stats ${STK[untraced]:-}); echo "  untraced:   ${s:-n/a} requests/s (median min max)"
	s=$(stats ${STK[blockscope]:-}); echo "  blockscope: ${s:-n/a} requests/s (median min max)"
	s=$(stats ${STK_RATIO[blockscope]:-}); echo "              ${s:-n/a} % of the untraced run just before (median min max)"
	s=$(stats ${STK[blockscope_stacks]:-}); echo "  blockscope --stacks: ${s:-n/a} requests/s (median min max)"
	s=$(stats ${STK_RATIO[blockscope_stacks]:-}); echo "              ${s:-n/a} % of the untraced run just before (median min max)"
	echo "  collector with --stacks: VmHWM ${STK_HWM:-n/a} kB; ${STK_UNWOUND:-n/a}"
	echo
	echo "Collector memory tracing $RSS_THREADS threads ($RSS_RATE syscalls/s in all, ${RSS_S}s):"
	echo "  VmHWM ${RSS_HWM:-n/a} kB, highest VmRSS sampled ${RSS_MAX:-n/a} kB, threads in the report ${RSS_THREADS_SEEN:-n/a}, lost ${RSS_LOST:-n/a}"
	echo "  for comparison, tracing one idle process: VmHWM ${RSS_IDLE_HWM:-n/a} kB"
	[ -n "$SKIPPED" ] && echo "
Skipped to stay within the ${BUDGET_S}s budget: $SKIPPED"
}

# The issue's targets, from this run's figures; n/a where a figure is missing.
declare -A VERDICT
verdict() { # NAME PASS|MISS|n/a TEXT
	VERDICT[$1]=$2
	echo "$2 $1: $3"
}

print_targets() {
	local u t o f fsrc r ru rt cu ct co cf cs
	u=$(med "${NS[untraced]:-}")
	t=$(med "${NS[blockscope]:-}")
	o=$(med "${NS[blockscope_other_pid]:-}")
	cu=$(med "${CPU[untraced]:-}")
	ct=$(med "${CPU[blockscope]:-}")
	co=$(med "${CPU[blockscope_other_pid]:-}")
	cf=$(med "${CPU[bpftrace_other_pid]:-}")
	echo
	echo "Targets of issue 5:"
	# Judged on the caller's CPU time: what the hooks add is work done in
	# its context, and wall time also counts waiting for a CPU that other
	# work on the machine holds.
	cs=$(med "${CPU[syscount]:-}")
	if [ "$cu" != null ] && [ "$ct" != null ]; then
		cmp_le "$ct" "$(calc "$cu + 300")" && r=PASS || r=MISS
		verdict traced_added_le_300ns $r "traced $ct ns vs untraced $cu ns of CPU per getppid: $(awk -v a="$ct" -v b="$cu" 'BEGIN { printf "%+.1f", a - b }') ns (target <= +300; syscount -L $([ "$cs" != null ] && awk -v a="$cs" -v b="$cu" 'BEGIN { printf "%+.1f", a - b }' || echo n/a) ns; wall time $(awk -v a="$t" -v b="$u" 'BEGIN { printf "%+.1f", a - b }') ns)"
	else
		verdict traced_added_le_300ns n/a "no figure (untraced $cu, traced $ct)"
	fi
	# The bare hook floor: two sys_enter/sys_exit BPF hooks that filter the
	# caller out and do nothing else, measured with bpftrace; if bpftrace did
	# not run, the issue's reference ratio (315/167) applied to untraced here.
	f=$(med "${NS[bpftrace_other_pid]:-}")
	fsrc="bpftrace hooks filtering another pid, measured"
	if [ "$cf" = null ] && [ "$cu" != null ]; then
		cf=$(calc "$cu * 315 / 167")
		fsrc="issue's reference ratio 315/167 x untraced here"
	fi
	if [ "$co" != null ] && [ "$cf" != null ]; then
		cmp_le "$co" "$(calc "1.15 * $cf")" && r=PASS || r=MISS
		verdict other_pid_le_1.15x_floor $r "blockscope tracing another pid $co ns vs hook floor $cf ns of CPU ($fsrc): $(awk -v a="$co" -v b="$cf" 'BEGIN { printf "%.2f", a / b }')x (target <= 1.15x; wall time $o vs $f ns)"
	else
		verdict other_pid_le_1.15x_floor n/a "no figure (other pid $o, floor $f)"
	fi
	ru=$(med "${RPS[untraced]:-}")
	rt=$(med "${RPS[blockscope]:-}")
	# Judged on the median of the paired ratios (each traced run against
	# the untraced one just before it), which the host's drift disturbs less
	# than a ratio of medians; both are shown.
	rp=$(med "${RPS_RATIO[blockscope]:-}")
	if [ "$ru" != null ] && [ "$rt" != null ] && [ "$rp" != null ]; then
		cmp_le 95 "$rp" && r=PASS || r=MISS
		verdict server_rps_ge_95pct $r "traced runs kept $rp% of the untraced run before each (median of $SERVER_REPS pairs; medians: traced $rt vs untraced $ru requests/s, $(awk -v a="$rt" -v b="$ru" 'BEGIN { printf "%.1f", 100 * a / b }')%) (target >= 95%; the floor, hooks on for another pid: blockscope's $(med "${RPS_RATIO[blockscope_other_pid]:-}")%, bpftrace's $(med "${RPS_RATIO[bpftrace_other_pid]:-}")%)"
	else
		verdict server_rps_ge_95pct n/a "no figure (untraced $ru, traced $rt)"
	fi
	print_targets_15
	print_targets_16
	if [ -z "$ONE_M_RATE" ]; then
		verdict zero_lost_1M_per_s_10s n/a "no figure: the run was skipped or failed"
	elif [ "$ONE_M_LOST" -ne 0 ]; then
		verdict zero_lost_1M_per_s_10s MISS "$ONE_M_LOST records lost at $ONE_M_RATE syscalls/s"
	elif awk -v a="$ONE_M_RATE" 'BEGIN { exit !(a < 950000) }'; then
		verdict zero_lost_1M_per_s_10s MISS "0 lost, but the load reached only $ONE_M_RATE syscalls/s on this machine ($RAMP_THREADS threads, $(nproc) CPUs shared with the collector): 1M/s not tested"
	else
		verdict zero_lost_1M_per_s_10s PASS "0 lost at $ONE_M_RATE syscalls/s for 10 s"
	fi
	if [ -n "$RSS_HWM" ]; then
		cmp_le "$RSS_HWM" 30720 && r=PASS || r=MISS
		verdict collector_rss_le_30MB_64_threads $r "collector VmHWM $RSS_HWM kB with $RSS_THREADS threads (target <= 30720 kB)"
	else
		verdict collector_rss_le_30MB_64_threads n/a "no figure"
	fi
}

# Issue 16: what --sched-only costs the processes it does not trace, and the
# ones it does.
# Issue 15: --stacks keeps 95% of the default's requests/s on a pool that blocks.
print_targets_15() {
	local d k
	d=$(med "${STK[blockscope]:-}")
	k=$(med "${STK[blockscope_stacks]:-}")
	if [ "$d" != null ] && [ "$k" != null ]; then
		cmp_le "$(calc "0.95 * $d")" "$k" && r=PASS || r=MISS
		verdict stacks_rps_ge_95pct_of_default $r "pool_server with --stacks: $k requests/s against $d with the default mode, $(calc "100 * $k / $d")% (target >= 95%); collector VmHWM with --stacks ${STK_HWM:-n/a} kB"
	else
		verdict stacks_rps_ge_95pct_of_default n/a "no figure (default $d, --stacks $k)"
	fi
}

print_targets_16() {
	local cu cs so pu ps pp
	cu=$(med "${CPU[untraced]:-}")
	cs=$(med "${CPU[blockscope_sched_only_other_pid]:-}")
	if [ "$cu" != null ] && [ "$cs" != null ]; then
		cmp_le "$cs" "$(calc "1.02 * $cu")" && r=PASS || r=MISS
		verdict sched_only_other_pid_le_1.02x $r "--sched-only tracing another pid: $cs ns vs untraced $cu ns of CPU per getppid, $(awk -v a="$cs" -v b="$cu" 'BEGIN { printf "%.3f", a / b }')x (target <= 1.02x; the default mode: $(med "${CPU[blockscope_other_pid]:-}") ns)"
	else
		verdict sched_only_other_pid_le_1.02x n/a "no figure (untraced $cu, sched-only other pid $cs)"
	fi
	so=$(med "${RPS_RATIO[blockscope_sched_only]:-}")
	if [ "$so" != null ]; then
		cmp_le 97 "$so" && r=PASS || r=MISS
		verdict sched_only_server_rps_ge_97pct $r "--sched-only tracing epoll_server kept $so% of the untraced run before each (median of $SERVER_REPS pairs; the default mode $(med "${RPS_RATIO[blockscope]:-}")%) (target >= 97%)"
	else
		verdict sched_only_server_rps_ge_97pct n/a "no figure"
	fi
	pu=$(med "${PP[untraced]:-}")
	ps=$(med "${PP[blockscope_sched_only]:-}")
	if [ "$pu" != null ] && [ "$ps" != null ]; then
		pp=$(calc "100 * ($ps - $pu) / $pu")
		cmp_le "$pp" 15 && r=PASS || r=MISS
		verdict sched_only_pingpong_added_le_15pct $r "--sched-only: $ps vs untraced $pu ns per ping-pong round trip, +$pp% (target <= 15%; the default mode $(med "${PP[blockscope]:-}") ns; in the process's CPU time $(med "${PP_CPU[blockscope_sched_only]:-}") vs $(med "${PP_CPU[untraced]:-}") ns)"
	else
		verdict sched_only_pingpong_added_le_15pct n/a "no figure (untraced $pu, sched-only $ps)"
	fi
	if [ -n "$SERVE_RATIO" ]; then
		verdict serve_duty_cycle_info info "--serve (sched-only, syscall hooks 1 s in 10) for ${SERVE_S}s: epoll_server kept $SERVE_RATIO% of the untraced ${SERVE_S}s run before ($SERVE_RPS vs $SERVE_BASE requests/s)"
	else
		verdict serve_duty_cycle_info n/a "no figure"
	fi
}

# Numbers or null, for jq --argjson.
num() { [ -n "${1:-}" ] && [ "$1" != null ] && echo "$1" || echo null; }
# A JSON array of the space-separated values.
arr() { printf '%s\n' $1 | jq -cs 'map(select(. != null))' 2>/dev/null || echo '[]'; }

detail() { # VALUES -> {median,min,max,runs}
	local s m lo hi
	s=$(stats $1)
	[ -z "$s" ] && { echo null; return; }
	read -r m lo hi <<<"$s"
	jq -cn --argjson m "$m" --argjson lo "$lo" --argjson hi "$hi" --argjson r "$(arr "$1")" \
		'{median: $m, min: $lo, max: $hi, runs: $r}'
}

write_json() {
	local how ns_med="{}" ns_det="{}" cpu_med="{}" whys="{}" verdicts="{}" k
	for how in "${HOWS[@]}"; do
		ns_med=$(jq -c --arg k "$how" --argjson v "$(med "${NS[$how]:-}")" '. + {($k): $v}' <<<"$ns_med")
		cpu_med=$(jq -c --arg k "$how" --argjson v "$(med "${CPU[$how]:-}")" '. + {($k): $v}' <<<"$cpu_med")
		ns_det=$(jq -c --arg k "$how" --argjson v "$(detail "${NS[$how]:-}")" --argjson n "$(num "${CALLS_OF[$how]:-}")" \
			'. + {($k): (if $v == null then null else $v + {calls_per_run: $n} end)}' <<<"$ns_det")
		[ -n "${WHY[$how]:-}" ] && whys=$(jq -c --arg k "$how" --arg v "${WHY[$how]}" '. + {($k): $v}' <<<"$whys")
	done
	for k in "${!VERDICT[@]}"; do
		verdicts=$(jq -c --arg k "$k" --arg v "${VERDICT[$k]}" '. + {($k): $v}' <<<"$verdicts")
	done
	jq -n \
		--argjson ns "$ns_med" --argjson nsd "$ns_det" --argjson cpu "$cpu_med" --argjson why "$whys" \
		--argjson rps_u "$(med "${RPS[untraced]:-}")" --argjson rps_b "$(med "${RPS[blockscope]:-}")" \
		--argjson rps_s "$(med "${RPS[strace]:-}")" --argjson rps_ta "$(med "${RPS[blockscope_time_all]:-}")" \
		--argjson rps_ratio "$(detail "${RPS_RATIO[blockscope]:-}")" --argjson rps_ratio_ta "$(detail "${RPS_RATIO[blockscope_time_all]:-}")" \
		--argjson rps_o "$(med "${RPS[blockscope_other_pid]:-}")" --argjson rps_ratio_o "$(detail "${RPS_RATIO[blockscope_other_pid]:-}")" --arg layout "$SERVER_LAYOUT" \
		--argjson rps_bo "$(med "${RPS[bpftrace_other_pid]:-}")" --argjson rps_ratio_bo "$(detail "${RPS_RATIO[bpftrace_other_pid]:-}")" \
		--argjson rps_so "$(med "${RPS[blockscope_sched_only]:-}")" --argjson rps_ratio_so "$(detail "${RPS_RATIO[blockscope_sched_only]:-}")" \
		--argjson rps_soo "$(med "${RPS[blockscope_sched_only_other_pid]:-}")" --argjson rps_ratio_soo "$(detail "${RPS_RATIO[blockscope_sched_only_other_pid]:-}")" \
		--argjson pp_so "$(detail "${PP[blockscope_sched_only]:-}")" \
		--argjson ppc_u "$(detail "${PP_CPU[untraced]:-}")" --argjson ppc_b "$(detail "${PP_CPU[blockscope]:-}")" \
		--argjson ppc_so "$(detail "${PP_CPU[blockscope_sched_only]:-}")" \
		--argjson serve_rps "$(num "$SERVE_RPS")" --argjson serve_base "$(num "$SERVE_BASE")" --argjson serve_pct "$(num "$SERVE_RATIO")" --argjson serve_s "$SERVE_S" \
		--argjson rpsd_u "$(detail "${RPS[untraced]:-}")" --argjson rpsd_b "$(detail "${RPS[blockscope]:-}")" \
		--argjson rpsd_s "$(detail "${RPS[strace]:-}")" \
		--argjson pp_u "$(detail "${PP[untraced]:-}")" --argjson pp_b "$(detail "${PP[blockscope]:-}")" \
		--argjson eps "$( [ -n "$RAMP_LOG" ] && num "$MAX_EPS" || echo null)" --argjson eps_rate "$(num "$MAX_EPS_RATE")" --arg ramp "$RAMP_LOG" \
		--argjson m_rate "$(num "$ONE_M_RATE")" --argjson m_lost "$(num "$ONE_M_LOST")" \
		--argjson m_recv "$(num "$ONE_M_RECEIVED")" --argjson m_eps "$(num "$ONE_M_EPS")" \
		--argjson hwm "$(num "$RSS_HWM")" --argjson rss_max "$(num "$RSS_MAX")" \
		--argjson rss_lost "$(num "$RSS_LOST")" --argjson rss_thr "$(num "$RSS_THREADS_SEEN")" \
		--argjson rss_idle "$(num "$RSS_IDLE_HWM")" --arg skipped "$SKIPPED" --arg lost_at "$RAMP_LOST_AT" \
		--argjson verdicts "$verdicts" \
		--arg kernel "$(uname -r)" --arg cpu_model "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
		--argjson ncpu "$(nproc)" --arg load0 "$LOAD_START" --arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" \
		--argjson foreign "$(num "$FOREIGN")" --argjson foreign_rounds "$FOREIGN_ROUNDS" --arg pti "$PTI" \
		--argjson reps "$NS_ROUNDS" --argjson calls "$CALLS" --argjson slow "$SLOW_CALLS" \
		'{
		  ns_per_call: $ns,
		  ns_per_call_detail: $nsd,
		  cpu_ns_per_call: $cpu,
		  server_rps: {untraced: $rps_u, blockscope: $rps_b, strace: $rps_s, blockscope_time_sample_1: $rps_ta,
			       blockscope_other_pid: $rps_o, bpftrace_other_pid: $rps_bo,
			       blockscope_sched_only: $rps_so, blockscope_sched_only_other_pid: $rps_soo},
		  server_rps_pct_of_untraced_paired: {blockscope: $rps_ratio, blockscope_time_sample_1: $rps_ratio_ta,
						      blockscope_other_pid: $rps_ratio_o, bpftrace_other_pid: $rps_ratio_bo,
						      blockscope_sched_only: $rps_ratio_so, blockscope_sched_only_other_pid: $rps_ratio_soo},
		  serve_duty_cycle: {seconds: $serve_s, rps: $serve_rps, untraced_rps_before: $serve_base, pct: $serve_pct},
		  server_layout: $layout,
		  server_rps_detail: {untraced: $rpsd_u, blockscope: $rpsd_b, strace: $rpsd_s},
		  pingpong_ns_per_round_trip: {untraced: $pp_u, blockscope: $pp_b, blockscope_sched_only: $pp_so},
		  pingpong_cpu_ns_per_round_trip: {untraced: $ppc_u, blockscope: $ppc_b, blockscope_sched_only: $ppc_so},
		  max_events_per_s_without_loss: $eps,
		  max_events_detail: {unit: "syscalls/s of the target, every one counted", records_per_s: $eps_rate, ramp: $ramp,
				     first_rate_asked_with_loss: (if $lost_at == "" then null else ($lost_at | tonumber) end)},
		  one_million_per_s_10s: {syscalls_per_s_achieved: $m_rate, received: $m_recv, lost: $m_lost, events_per_s: $m_eps},
		  collector_rss_kb: $hwm,
		  collector_rss_detail: {vmhwm_kb: $hwm, vmrss_max_sampled_kb: $rss_max, threads: 64, threads_in_report: $rss_thr, lost: $rss_lost,
					 idle_process_vmhwm_kb: $rss_idle},
		  targets: $verdicts,
		  not_run: $why,
		  skipped: $skipped,
		  machine: {kernel: $kernel, cpu: $cpu_model, cpus: $ncpu, meltdown: $pti, loadavg_start: $load0, loadavg_end: $load1,
			    other_tools_tracing_bpf_programs: {most: $foreign, rounds: $foreign_rounds}},
		  settings: {reps: $reps, calls: $calls, slow_calls: $slow}
		}' >"$OUT/results.json"
}

# ------------------------------------------------------------------- main

main() {
	local t0=$SECONDS
	prepare
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	# Kernel page-table isolation makes every syscall dearer (two address
	# space switches, and full TLB flushes without PCID): it sets the floor.
	PTI=$(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null)
	grep -qw pcid /proc/cpuinfo && PTI+=", PCID" || PTI+=", no PCID"
	note "machine: $(nproc) CPUs, kernel $(uname -r), load average $LOAD_START, meltdown: $PTI"
	# What the targets need comes first, three rounds each; the ramp and
	# the rounds past the third use what is left of the budget.
	local s=$SECONDS rep first=$((REPS < 3 ? REPS : 3))
	bench_ns_per_call 1 "$first"
	note "cost per call took $((SECONDS - s)) s"; s=$SECONDS
	bench_pingpong 1 "$first"
	note "ping-pong took $((SECONDS - s)) s"; s=$SECONDS
	bench_server
	note "server took $((SECONDS - s)) s"; s=$SECONDS
	bench_rss
	note "collector memory took $((SECONDS - s)) s"; s=$SECONDS
	bench_stacks
	note "--stacks took $((SECONDS - s)) s"; s=$SECONDS
	bench_one_million
	bench_ramp
	note "events/s took $((SECONDS - s)) s"; s=$SECONDS
	for ((rep = 4; rep <= REPS; rep++)); do
		time_left 100 || { skip "cost-per-call rounds $rep-$REPS"; break; }
		bench_ns_per_call "$rep" "$rep"
	done
	for ((rep = 4; rep <= PP_REPS; rep++)); do
		time_left 30 || { skip "ping-pong rounds $rep-$PP_REPS"; break; }
		bench_pingpong "$rep" "$rep"
	done
	note "extra rounds took $((SECONDS - s)) s"
	{
		echo "blockscope benchmark (issues 5 and 16): $(nproc) CPUs, kernel $(uname -r), load average at start $LOAD_START, now $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "syscall entry: meltdown $PTI"
		[ "$FOREIGN_ROUNDS" -gt 0 ] &&
			echo "warning: in $FOREIGN_ROUNDS rounds up to $FOREIGN tracing BPF programs of another tool were loaded: every row paid for their hooks"
		awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' &&
			echo "warning: the machine was busy with other work (load average ${LOAD_START%% *} on $(nproc) CPUs): wall-time figures are noisy; the CPU ns/call column is the steadier one"
		print_ns_table
		print_others
		print_targets
	} | tee "$OUT/report.txt"
	# print_targets ran in a pipe: take its verdicts back from the report.
	while read -r r name _; do
		VERDICT[${name%:}]=$r
	done < <(grep -E '^(PASS|MISS|n/a|info) ' "$OUT/report.txt")
	write_json
	echo
	echo "results: $OUT/results.json, report: $OUT/report.txt, logs: $LOGS ($((SECONDS - t0)) s)"
}

main
