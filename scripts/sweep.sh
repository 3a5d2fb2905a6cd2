#!/usr/bin/env bash
# make sweep (issue 4): does blockscope's pool size N x U x (1 + WT/CT) land
# on the knee of the real throughput curve?
#
# For each mix of backend wait and CPU per request (wait/cpu = 0, 1, 3, 9
# with cpu = 1000 us by default), on a pool behind the backend (pool_server,
# or with SWEEP_SERVER=jvm the JVM's fixed pool, below):
#   1. trace the pool with blockscope by PID under steady, saturating load
#      (the traced size is chosen as explained at trace_size below) and take
#      the recommendation for the pool's group ("worker-"): the prediction P;
#   2. run the pool at every size 1..2P, each from a fresh process, under a
#      closed-loop loadgen with 2 x 2P connections (every size saturated):
#      WARM_S of warm-up, then POINT_S measured;
#   3. knee = the smallest size that reaches 95% of the peak throughput.
# PASS when |P - knee| <= max(1, 15% of knee). A last trace at 2P shows what
# a saturated pool reports; it is not used. docs/sweep.md has the results.
#
# Out: build/sweep/summary.csv (wait_us,cpu_us,predicted,knee,peak_rps),
# points.csv (wait_us,cpu_us,threads,rps,p99_us), points-detail.csv (the
# same with each process's CPU), traces.csv (every blockscope run),
# sweep.svg (+ sweep.png), the JSON of each trace, and a PASS/MISS table
# with the total time on stdout.
#
# Other processes on the machine take CPU from the experiment too. The
# sweep runs at a high priority (SWEEP_NICE), and during every measured
# point and trace it computes the CPU used by the pool, the backend,
# loadgen, and by everything else ("foreign": /proc/stat minus our own
# processes' times); points-detail.csv and traces.csv record it. Disturbance
# only ever lowers throughput, so a point that dips more than 3% below a
# smaller pool of the same mix, or lies more than 5% below the chord of its
# neighbours, is run again and the best attempt kept; a pilot or prediction
# trace with more than FOREIGN_MAX CPUs of foreign load
# is run again and the quietest attempt kept. Re-runs are bounded (RETRIES
# each, RETRY_BUDGET in all, none after SOFT_LIMIT_S), so is the waiting
# for a quiet machine before each run (QUIET_BUDGET).
#
# Environment (defaults in brackets):
#   SWEEP_RATIOS [0 1 3 9]  wait/cpu ratios     SWEEP_CPU_US [1000]
#   SWEEP_POINT_S [2]       measured s/point     SWEEP_WARM_S [0.5]
#   SWEEP_TRACE_S [3]       blockscope -d
#   SWEEP_FOREIGN_MAX [0.15] CPUs of foreign load that make a machine quiet
#   SWEEP_RETRIES [2]       re-runs of one disturbed point or trace
#   SWEEP_RETRY_BUDGET [30] re-runs in all
#   SWEEP_SOFT_LIMIT_S [450] no re-runs or waits after this many seconds,
#                           so that the whole sweep stays within 10 minutes
#   SWEEP_QUIET_BUDGET [30] seconds spent in all waiting for a quiet machine
#                           before a point (at most 10 s before each)
#   SWEEP_PIN [1]           1: pool_server alone on CPUs 1..n-1; backend,
#                           loadgen and blockscope on CPU 0 (blockscope then
#                           sizes for the pool's CPUs, from its affinity), as
#                           a pool runs beside its clients and its database.
#                           0: everything shares all CPUs, the case where
#                           the formula misses (docs/sweep.md)
#   SWEEP_NICE [-19]        priority of the sweep and all it starts, and of
#                           its session's autogroup (restored at exit), so
#                           that other sessions' work steals little from the
#                           experiment; 0 leaves priorities alone
#   SWEEP_OUT [BUILD/sweep]
#   SWEEP_SERVER [pool]     the pool measured (server_kind below):
#                           pool: targets/pool_server, group "worker-";
#                           jvm: tests/runtimes/PoolServer.java, a JVM
#                           Executors.newFixedThreadPool, group
#                           "pool--thread-" (pool-1-thread-N without digits),
#                           compiled into SWEEP_JVM_CLASSES [BUILD/java]
#                           (make sweep-jvm does it); its defaults differ:
#                           SWEEP_WARM_S 15, SWEEP_SOFT_LIMIT_S 1200,
#                           SWEEP_OUT BUILD/sweep-jvm
#   SWEEP_JVM_OPTS []       extra java options (jvm only), e.g. -Xlog:gc
set -u
export LC_ALL=C

BUILD=${1:-build}
T=$BUILD/targets
SERVER=${SWEEP_SERVER:-pool}
JVM_CLASSES=${SWEEP_JVM_CLASSES:-$BUILD/java}
JVM_OPTS=${SWEEP_JVM_OPTS:-}

# server_kind: what differs between the pools measured; everything else
# (traces, points, retries, the knee, the verdict) is the same code.
#   SERVER_NAME  for the messages and the plot
#   GROUP        blockscope's group of the pool threads (digits removed)
#   warm, soft, out   defaults of WARM_S, SOFT_LIMIT_S and OUT
#   WARM_APART   1: a point's warm-up is a loadgen run of its own, and the
#                measured run opens new connections; 0: one loadgen run
#                warms up and then measures, on the same connections
# pool_server is native code, steady after its connections are up: 0.5 s.
# The JVM starts interpreted and compiles its hot methods as they are
# counted (C1, then C2). Measured on the pool alone on one CPU at ~800
# req/s (1 worker with no wait, and 10 workers at wait/cpu 9): the
# compiler threads took 0.1-0.2 CPU in the first 5 s and throughput was
# 60-90% of its level at 25-40 s; from about 15 s on they took under 0.05
# CPU and throughput was within ~5% of that level. So 15 s of warm-up per
# point and per trace, and a time budget of 20 minutes, not 450 s: the
# sweep runs about 40 fresh JVMs. And the JVM is measured on the
# connections it warmed up on: after 15 s of warm-up, a new loadgen's
# first 2 s gave 690-710 req/s (4 workers, wait/cpu 1), against 875-880
# on the warm connections; it took three rounds of new connections
# (their reader threads, the accept path) to reach ~870 too. A real
# server's connections are mostly long-lived ones, warm.
case $SERVER in
pool)
	SERVER_NAME=pool_server GROUP=worker- WARM_APART=1 warm=0.5 soft=450 out=$BUILD/sweep ;;
jvm)
	SERVER_NAME="the JVM's fixed pool" GROUP=pool--thread- WARM_APART=0 warm=15 soft=1200 \
		out=$BUILD/sweep-jvm ;;
*)
	echo "sweep: SWEEP_SERVER is pool or jvm, not $SERVER" >&2; exit 1 ;;
esac

RATIOS=${SWEEP_RATIOS:-0 1 3 9}
CPU_US=${SWEEP_CPU_US:-1000}
POINT_S=${SWEEP_POINT_S:-2}
WARM_S=${SWEEP_WARM_S:-$warm}
TRACE_S=${SWEEP_TRACE_S:-3}
RETRIES=${SWEEP_RETRIES:-2}
RETRY_BUDGET=${SWEEP_RETRY_BUDGET:-30}
QUIET_BUDGET=${SWEEP_QUIET_BUDGET:-30}
SOFT_LIMIT_S=${SWEEP_SOFT_LIMIT_S:-$soft}
FOREIGN_MAX=${SWEEP_FOREIGN_MAX:-0.15}
PIN=${SWEEP_PIN:-1}
NICE=${SWEEP_NICE:--19}
OUT=${SWEEP_OUT:-$out}
MAX_THREADS=64		# a bound on any pool size the sweep will run
WARM_WHOLE=$(awk -v w="$WARM_S" 'BEGIN { printf "%d", w + 0.999 }')	# for --seconds

HZ=$(getconf CLK_TCK)
BLOCKSCOPE=$BUILD/blockscope
for f in "$BLOCKSCOPE" "$T/backend" "$T/pool_server" "$T/loadgen"; do
	[ -x "$f" ] || { echo "sweep: $f missing: run make first" >&2; exit 1; }
done
if [ "$SERVER" = jvm ]; then
	command -v java >/dev/null ||
		{ echo "sweep: java not found (scripts/install-deps.sh openjdk-17-jdk-headless)" >&2; exit 1; }
	[ -f "$JVM_CLASSES/PoolServer.class" ] ||
		{ echo "sweep: $JVM_CLASSES/PoolServer.class missing: make sweep-jvm compiles it" >&2; exit 1; }
fi
for c in jq gnuplot awk taskset; do
	command -v "$c" >/dev/null ||
		{ echo "sweep: $c not found (scripts/install-deps.sh gnuplot-nox)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "sweep: blockscope needs root" >&2; exit 1; }
if [ "$PIN" = 1 ]; then
	[ "$(nproc)" -ge 2 ] || { echo "sweep: SWEEP_PIN=1 needs 2 CPUs (SWEEP_PIN=0 runs without)" >&2; exit 1; }
	POOL_CPUS=1-$(($(nproc) - 1))
	[ "$(nproc)" -eq 2 ] && POOL_CPUS=1
	POOL_CPU=(taskset -c "$POOL_CPUS")
	REST_CPU=(taskset -c 0)
else
	POOL_CPU=()
	REST_CPU=()
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.csv "$OUT"/*.json "$OUT"/*.loadgen "$OUT"/*.ss "$OUT"/*.dat "$OUT"/sweep.svg "$OUT"/sweep.png \
	"$OUT"/sweep.gp "$OUT"/run.txt
tmp=$(mktemp -d /tmp/blockscope-sweep.XXXXXX)
pids=()			# every background process we started and not yet reaped
start_time=$SECONDS

autogroup_nice=""	# the session's autogroup nice before we changed it

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -z "$autogroup_nice" ] || echo "$autogroup_nice" >"/proc/$$/autogroup" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Priority. With autogroup scheduling (the default on Debian) CPU time is
# shared between sessions first, so a busy session next to us takes a CPU
# share whatever our nice; the autogroup's own nice is what counts. Every
# process we start inherits the script's nice, so the pool, backend,
# loadgen and blockscope keep the same weights among themselves.
if [ "$NICE" != 0 ]; then
	if [ -w "/proc/$$/autogroup" ]; then
		autogroup_nice=$(sed -n 's/.* nice \(-\{0,1\}[0-9]*\)$/\1/p' "/proc/$$/autogroup")
		echo "$NICE" >"/proc/$$/autogroup" 2>/dev/null || autogroup_nice=""
	fi
	renice -n "$NICE" -p $$ >/dev/null ||
		{ echo "sweep: cannot renice to $NICE" >&2; exit 1; }
fi

forget() {		# drops $1 from pids
	local p keep=()
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}

stop() {		# stops and reaps one process we started
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget "$1"
}

# start_server LOG CMD...: starts a server in the background and waits
# (at most 5 s) for its "NAME pid=PID port=PORT" line; sets PORT and SRV_PID.
start_server() {
	local log=$1 i
	shift
	: >"$log"	# truncated here, not in the child: no stale port line
	"$@" >"$log" 2>&1 &
	SRV_PID=$!
	pids+=("$SRV_PID")
	for i in $(seq 50); do
		PORT=$(sed -n '1s/.*port=\([0-9]*\).*/\1/p' "$log")
		if [ -n "$PORT" ]; then
			# The line must come from the process just started.
			grep -q "^[a-z_]* pid=$SRV_PID port=" "$log" && return 0
			echo "sweep: $* announced $(head -1 "$log"), not pid $SRV_PID" >&2
			exit 1
		fi
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "sweep: $* did not start: $(cat "$log")" >&2
	exit 1
}

# start_pool LOG THREADS BACKEND_PORT SECONDS: starts the pool measured
# (SERVER) with THREADS workers on the pool's CPUs, for the warm-up and
# SECONDS more; sets PORT and SRV_PID. taskset execs java, so SRV_PID is
# the JVM's PID, the one that prints the port line and that blockscope
# traces; the JVM sees one CPU (availableProcessors), as blockscope does.
start_pool() {
	local secs=$((WARM_WHOLE + $4))
	case $SERVER in
	pool) start_server "$1" "${POOL_CPU[@]}" "$T/pool_server" --port 0 \
		--backend-port "$3" --threads "$2" --seconds "$secs" ;;
	# JVM_OPTS unquoted: a list of options, or none.
	jvm) start_server "$1" "${POOL_CPU[@]}" java $JVM_OPTS -cp "$JVM_CLASSES" PoolServer --port 0 \
		--backend-port "$3" --threads "$2" --seconds "$secs" ;;
	esac
}

# Busy clock ticks of the whole machine (everything but idle and iowait).
machine_busy() {
	awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# utime + stime of processes (whole thread groups), in clock ticks.
proc_ticks() {
	local p t=0 s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }	# fields from the 3rd on; comm may hold spaces
		t=$((t + $(echo "$s" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# foreign_begin PID...: starts measuring the CPU that processes other than
# PID... (and what foreign_end is told of) use. foreign_end OTHER_CPU_S sets
# FOREIGN: those CPUs, averaged over the wall time since foreign_begin.
# The clock is read next to the command measured, the counters around it.
foreign_begin() {
	F_PIDS=("$@")
	F_B0=$(machine_busy)
	F_O0=$(proc_ticks "${F_PIDS[@]}")
	F_T0=$EPOCHREALTIME
}
foreign_end() {
	local b1 o1 t1=$EPOCHREALTIME
	b1=$(machine_busy)
	o1=$(proc_ticks "${F_PIDS[@]}")
	F_SECS=$(awk -v a="$F_T0" -v b="$t1" 'BEGIN { print b - a }')
	FOREIGN=$(awk -v b=$((b1 - F_B0)) -v o=$((o1 - F_O0)) -v l="$1" -v hz="$HZ" -v s="$F_SECS" \
		'BEGIN { f = ((b - o) / hz - l) / s; printf "%.2f", f < 0 ? 0 : f }')
}

# cpus TICKS: clock ticks over the last foreign_begin..foreign_end, in CPUs.
cpus() {
	awk -v t="$1" -v hz="$HZ" -v s="$F_SECS" 'BEGIN { printf "%.2f", t / hz / s }'
}

# quiet: waits until the machine is idle enough (foreign load below
# FOREIGN_MAX over 0.25 s), at most 10 s per call and QUIET_BUDGET s in all.
quiet_left=$((QUIET_BUDGET * 4))	# in 0.25 s samples
quiet() {
	local i
	for i in $(seq 40); do
		[ "$quiet_left" -gt 0 ] && [ $((SECONDS - start_time)) -lt "$SOFT_LIMIT_S" ] || return 0
		foreign_begin "${pids[@]}"
		sleep 0.25
		foreign_end 0
		calm && return 0
		quiet_left=$((quiet_left - 1))
	done
}

calm() {		# is FOREIGN within FOREIGN_MAX?
	awk -v f="$FOREIGN" -v m="$FOREIGN_MAX" 'BEGIN { exit !(f <= m) }'
}

# retry: may a noisy point or trace be run again? At most RETRIES times
# each, and RETRY_BUDGET times in all, which bounds the sweep's time.
retries_left=$RETRY_BUDGET
retry() {
	[ "$1" -lt "$RETRIES" ] && [ "$retries_left" -gt 0 ] &&
		[ $((SECONDS - start_time)) -lt "$SOFT_LIMIT_S" ] || return 1
	retries_left=$((retries_left - 1))
}

# The last SUMMARY line of a loadgen log, as "rps p99_us errors".
summary_of() {
	sed -n 's/^SUMMARY .*errors=\([0-9]*\) .*rps=\([0-9.]*\) .*p99_us=\([0-9.]*\) .*/\2 \3 \1/p' "$1" | tail -1
}

# run_loadgen PORT CONNS SECONDS WAIT_US LOG [WARM_UP]: closed loop, in the
# foreground, WARM_UP uncounted seconds first if given. Its user+sys CPU
# seconds go to $tmp/lg.time (bash's time keyword).
run_loadgen() {
	local TIMEFORMAT='%3U %3S'
	{ time "${REST_CPU[@]}" "$T/loadgen" --port "$1" --connections "$2" ${6:+--warm-up "$6"} \
		--seconds "$3" --cpu-us "$CPU_US" --wait-us "$4" >"$5" 2>&1; } 2>"$tmp/lg.time"
}

# point WAIT_US THREADS CONNS BACKEND_PORT: one measured point, from a fresh
# pool. Sets RES to "rps p99_us foreign_cpus errors pool_cpus
# backend_cpus loadgen_cpus"; with WARM_APART=0 the CPUs are averaged over
# the warm-up and the measured seconds, which one loadgen run spans.
# (Not run in a subshell, so that the trap knows every process it starts.)
point() {
	local wait_us=$1 n=$2 conns=$3 bport=$4 pool res p0 k0 p1 k1 lg_s lg_warm=""
	quiet
	start_pool "$tmp/pool.log" "$n" "$bport" $((POINT_S + 30))
	pool=$SRV_PID
	if [ "$WARM_APART" = 1 ]; then
		run_loadgen "$PORT" "$conns" "$WARM_S" "$wait_us" "$tmp/warm.log"
	else
		lg_warm=$WARM_S
	fi
	p0=$(proc_ticks "$pool")
	k0=$(proc_ticks "$backend_pid")
	foreign_begin "$pool" "$backend_pid"
	run_loadgen "$PORT" "$conns" "$POINT_S" "$wait_us" "$tmp/lg.log" "$lg_warm"
	lg_s=$(awk '{ print $1 + $2 }' "$tmp/lg.time")
	foreign_end "$lg_s"
	p1=$(proc_ticks "$pool")
	k1=$(proc_ticks "$backend_pid")
	stop "$pool"
	res=$(summary_of "$tmp/lg.log")
	[ -n "$res" ] || res="0 0 -1"
	set -- $res
	RES="$1 $2 $FOREIGN $3 $(cpus $((p1 - p0))) $(cpus $((k1 - k0))) \
$(awk -v l="$lg_s" -v s="$F_SECS" 'BEGIN { printf "%.2f", l / s }')"
}

# trace_once WAIT_US THREADS CONNS BACKEND_PORT JSON: blockscope -j on one
# pool under steady load; sets FOREIGN for the traced seconds, and LOADED
# to 1 if the load lasted for the whole trace.
#
# The load runs until the trace is over, however long blockscope takes to
# start: with 40 busy workers and 80 loadgen threads at the same priority,
# loading and attaching its BPF programs can take seconds, and a load of
# fixed length had ended before the window did (a "saturated" trace that
# saw idle workers).
trace_once() {
	local wait_us=$1 n=$2 conns=$3 bport=$4 json=$5 pool lg rc
	local TIMEFORMAT='%3U %3S'
	quiet
	start_pool "$tmp/pool.log" "$n" "$bport" $((TRACE_S + 60))
	pool=$SRV_PID
	"${REST_CPU[@]}" "$T/loadgen" --port "$PORT" --connections "$conns" \
		--seconds $((WARM_WHOLE + TRACE_S + 50)) --cpu-us "$CPU_US" --wait-us "$wait_us" \
		>"$json.loadgen" 2>&1 &
	lg=$!
	pids+=("$lg")
	sleep "$WARM_S"		# steady load: every connection is up (the JVM: compiled)
	# Who serves the port, for the record.
	ss -Htnp "( sport = :$PORT )" >"$json.ss" 2>&1
	ss -Hltnp "( sport = :$PORT )" >>"$json.ss" 2>&1
	foreign_begin "$pool" "$backend_pid" "$lg"
	{ time "${REST_CPU[@]}" "$BLOCKSCOPE" -j -p "$pool" -d "$TRACE_S" \
		>"$json" 2>"$tmp/bs.err"; } 2>"$tmp/bs.time"
	rc=$?
	foreign_end "$(awk '{ print $1 + $2 }' "$tmp/bs.time")"
	LOADED=0
	kill -0 "$lg" 2>/dev/null && LOADED=1
	stop "$lg"		# loadgen prints its summary on SIGTERM
	stop "$pool"
	if [ "$rc" -ne 0 ]; then
		echo "sweep: blockscope failed: $(cat "$tmp/bs.err")" >&2
		exit 1
	fi
}

# trace WAIT_US THREADS CONNS BACKEND_PORT ROLE: traces the pool at THREADS
# (again, at most RETRIES times, while other processes take more than
# FOREIGN_MAX of a CPU; the quietest attempt is kept); appends a row to
# traces.csv and sets REC, RATIO and RUNQ for the pool's GROUP.
trace() {
	local wait_us=$1 n=$2 conns=$3 bport=$4 role=$5 json row attempt best="" rps
	json="$OUT/trace-w${wait_us}-t${n}.json"
	for attempt in $(seq 0 "$RETRIES"); do
		trace_once "$wait_us" "$n" "$conns" "$bport" "$tmp/trace.json"
		# The workers must have worked all through the window.
		if [ "$LOADED" != 1 ] || [ "$(jq '[.sizing.groups[] |
			select(.group == $g) | .compute_ns][0] // 0' --arg g "$GROUP" "$tmp/trace.json")" -lt 10000000 ]; then
			echo "sweep: the $role trace at $n threads was not under load all along" >&2
			[ "$attempt" -lt "$RETRIES" ] && continue
		fi
		if [ -z "$best" ] || awk -v a="$FOREIGN" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$FOREIGN
			cp "$tmp/trace.json" "$json"
			cp "$tmp/trace.json.loadgen" "$json.loadgen"
			cp "$tmp/trace.json.ss" "$json.ss"
		fi
		[ "$role" != saturated ] && ! calm && retry "$attempt" || break
	done
	row=$(jq -r --arg w "$wait_us" --arg c "$CPU_US" --arg n "$n" --arg role "$role" \
		--arg conns "$conns" --arg f "$best" --arg group "$GROUP" '
		.sizing as $s | ($s.groups[] | select(.group == $group)) as $g |
		[($w | tonumber), ($c | tonumber), ($n | tonumber), ($conns | tonumber), $role, $g.cores,
		 ($g.compute_ns / 1e6 | floor), ($g.wait_ns / 1e6 | floor),
		 ($g.sync_wait_ns / 1e6 | floor), ($g.runq_ns / 1e6 | floor),
		 ($g.wait_compute_ratio * 1000 | round / 1000),
		 (if $g.compute_ns > 0 then ($g.runq_ns / $g.compute_ns * 100 | round) else 0 end),
		 $g.recommended_threads, ($f | tonumber), ($g.warnings | join(" | "))] | @csv' "$json")
	[ -n "$row" ] || { echo "sweep: no $GROUP group in $json" >&2; exit 1; }
	echo "$row" >>"$OUT/traces.csv"
	IFS=, read -r _ _ _ _ _ _ _ _ _ _ RATIO RUNQ REC _ <<<"$(echo "$row" | tr -d '"')"
	rps=$(summary_of "$json.loadgen")
	printf '  trace %-9s %2d threads: WT/CT %6s (nominal %s), run-queue %3s%% of CT, %s req/s, foreign %s CPU -> recommends %s\n' \
		"$role" "$n" "$RATIO" "$((wait_us / CPU_US))" "$RUNQ" "${rps%% *}" "$best" "$REC"
	[ "$REC" -ge 1 ] && [ "$REC" -le "$MAX_THREADS" ] && return 0
	echo "sweep: the $role trace recommends $REC threads: $(jq -r --arg g "$GROUP" \
		'.sizing.groups[] | select(.group == $g) | .warnings | join("; ")' "$json")" >&2
	[ "$role" = saturated ] || exit 1	# that one is for show only
	return 0
}

# keep_best ATTEMPTS_BEFORE: keeps in best the better of best and RES
# (disturbance only ever takes throughput away), counting the attempt.
keep_best() {
	local n=$(($1 + 1))
	set -- $RES
	if [ -z "$best" ] || awk -v a="$1" -v b="${best%% *}" 'BEGIN { exit !(a > b) }'; then
		best="$* $n"
	else
		best="${best% *} $n"
	fi
}

show_point() {		# THREADS rps p99 foreign errors pool backend loadgen attempts
	printf '  %2d threads: %7.1f req/s  p99 %8.0f us  CPUs: pool %s backend %s loadgen %s foreign %s%s\n' \
		"$1" "$2" "$3" "$6" "$7" "$8" "$4" "$([ "$9" -gt 1 ] && echo " ($9 attempts)")"
}

echo "wait_us,cpu_us,predicted,knee,peak_rps" >"$OUT/summary.csv"
echo "wait_us,cpu_us,threads,rps,p99_us" >"$OUT/points.csv"
echo "wait_us,cpu_us,threads,connections,rps,p99_us,pool_cpus,backend_cpus,loadgen_cpus,foreign_cpus,attempts,errors" >"$OUT/points-detail.csv"
echo "wait_us,cpu_us,threads,connections,role,cores,ct_ms,wt_ms,sync_ms,runq_ms,wt_ct,runq_pct,recommended,foreign_cpus,warnings" >"$OUT/traces.csv"
: >"$OUT/table.txt"

echo "sweep: $SERVER_NAME behind backend, cpu ${CPU_US} us/request, wait/cpu = ${RATIOS// /, };"
echo "sweep: ${WARM_S} s warm-up + ${POINT_S} s per point; blockscope -d ${TRACE_S}; pinned: $PIN; nice: $NICE"

for ratio in $RATIOS; do
	wait_us=$((ratio * CPU_US))
	echo "== wait ${wait_us} us, cpu ${CPU_US} us (wait/cpu ${ratio})"
	start_server "$tmp/backend.log" "${REST_CPU[@]}" "$T/backend" --port 0 --seconds 600
	backend_pid=$SRV_PID
	bport=$PORT

	# trace_size: WT must be the wait a request has, not queueing. Once the
	# CPUs are saturated every thread also waits for the backend, the
	# acceptor and loadgen to get a CPU, so WT (and WT/CT) grows with the
	# pool size past the knee. So: a pilot trace at 1 worker, which cannot
	# saturate the CPUs, gives a first estimate R1; the prediction comes
	# from a trace at ceil(R1/2), where the pool keeps about half the CPUs
	# busy: many workers and backend calls in flight, as in production,
	# but headroom left. A third trace at the top of the sweep shows what
	# a saturated pool reports.
	trace "$wait_us" 1 8 "$bport" pilot
	r1=$REC
	size=$(((r1 + 1) / 2))
	conns=$((4 * r1 > 8 ? 4 * r1 : 8))
	trace "$wait_us" "$size" "$conns" "$bport" predict
	predicted=$REC
	predict_ratio=$RATIO
	predict_runq=$RUNQ
	top=$((2 * predicted))
	[ "$top" -ge 2 ] || top=2
	conns=$((2 * top > 8 ? 2 * top : 8))

	below=0		# the best throughput of the smaller pools of this mix
	best_of=()	# per size: "rps p99 foreign errors pool backend loadgen attempts"
	for n in $(seq 1 "$top"); do
		best=""
		for attempt in $(seq 0 "$RETRIES"); do
			point "$wait_us" "$n" "$conns" "$bport"
			keep_best "$attempt"
			# A closed-loop pool with more workers is not slower unless
			# something disturbed it (or it contends): a dip of more
			# than 3% below a smaller pool is measured again.
			awk -v a="${best%% *}" -v b="$below" 'BEGIN { exit !(a >= 0.97 * b) }' ||
				! retry "$attempt" && break
		done
		best_of[n]=$best
		below=$(awk -v a="${best%% *}" -v b="$below" 'BEGIN { print (a > b ? a : b) }')
		show_point "$n" $best
	done
	# A second look: throughput against pool size is concave (each worker
	# adds at most what the previous one did), so a point more than 5%
	# below the chord of its neighbours was disturbed; it is measured once
	# more and the better result kept.
	for n in $(seq 2 $((top - 1))); do
		awk -v a="${best_of[n]%% *}" -v l="${best_of[n - 1]%% *}" -v r="${best_of[n + 1]%% *}" \
			'BEGIN { exit !(a < 0.95 * (l + r) / 2) }' || continue
		retry 0 || break
		best=${best_of[n]}
		point "$wait_us" "$n" "$conns" "$bport"
		keep_best "$(echo "$best" | awk '{ print $8 }')"
		best_of[n]=$best
		printf '  again:'
		show_point "$n" $best
	done
	for n in $(seq 1 "$top"); do
		set -- ${best_of[n]}
		echo "$wait_us,$CPU_US,$n,$1,$2" >>"$OUT/points.csv"
		echo "$wait_us,$CPU_US,$n,$conns,$1,$2,$5,$6,$7,$3,$8,$4" >>"$OUT/points-detail.csv"
	done
	trace "$wait_us" "$top" "$conns" "$bport" saturated
	stop "$backend_pid"

	# at_p: the throughput of the predicted size, in % of the peak
	read -r peak knee at_p < <(awk -F, -v w="$wait_us" -v p="$predicted" '
		NR > 1 && $1 == w { rps[$3] = $4; if ($4 > peak) peak = $4; if ($3 > n) n = $3 }
		END { for (i = 1; i <= n; i++) if (rps[i] >= 0.95 * peak) break
		      printf "%s %d %.0f\n", peak, i, 100 * rps[p] / peak }' \
		"$OUT/points.csv")
	echo "$wait_us,$CPU_US,$predicted,$knee,$peak" >>"$OUT/summary.csv"
	verdict=$(awk -v p="$predicted" -v k="$knee" 'BEGIN {
		tol = 0.15 * k; if (tol < 1) tol = 1; d = p - k; if (d < 0) d = -d
		print (d <= tol ? "PASS" : "MISS") }')
	echo "$wait_us $CPU_US $ratio $predict_ratio $predict_runq $predicted $knee $peak $at_p $verdict" >>"$OUT/table.txt"
	echo "  predicted $predicted (${at_p}% of the peak), knee $knee (peak $peak req/s): $verdict"
done

# ---- the plot: throughput against pool size, one curve per mix, the
# prediction as a dashed vertical line and the knee as a circle ----
i=0
: >"$OUT/plot.dat"
: >"$OUT/marks.dat"
while read -r w c ratio mratio runq pred knee peak at_p verdict; do
	awk -F, -v w="$w" 'NR > 1 && $1 == w { print $3, $4 }' "$OUT/points.csv" >>"$OUT/plot.dat"
	printf '\n\n' >>"$OUT/plot.dat"
	echo "$pred $knee $peak $ratio $verdict $(awk -F, -v w="$w" -v k="$knee" \
		'NR > 1 && $1 == w && $3 == k { print $4 }' "$OUT/points.csv")" >>"$OUT/marks.dat"
	i=$((i + 1))
done <"$OUT/table.txt"
cat >"$OUT/sweep.gp" <<EOF
set datafile separator whitespace
set xlabel 'pool size (worker threads)'
set ylabel 'throughput (requests/s)'
set title "$([ "$PIN" = 1 ] && echo "$SERVER_NAME alone on CPU $POOL_CPUS, backend and loadgen on CPU 0" || echo "$SERVER_NAME, backend and loadgen on the same $(nproc) CPUs"), cpu ${CPU_US} us/request\ndashed: blockscope's prediction; circle: the knee (first size at 95% of the peak)" noenhanced font ',10'
set key bottom right title 'wait/cpu'
set grid
set yrange [0:*]
set xrange [0:*]
set xtics out nomirror
n = $i
plot for [k=0:n-1] '$OUT/plot.dat' index k using 1:2 with linespoints lc k+1 pt 7 ps 0.5 \
		title sprintf('%s', word('$(awk '{ printf "%s ", $4 }' "$OUT/marks.dat")', k+1)), \
	for [k=0:n-1] '$OUT/marks.dat' every ::k::k using 1:3 with impulses lc k+1 dt 2 lw 2 notitle, \
	for [k=0:n-1] '$OUT/marks.dat' every ::k::k using 2:6 with points lc k+1 pt 6 ps 2 notitle
EOF
{
	echo "set terminal svg size 900,560 dynamic background rgb 'white'"
	echo "set output '$OUT/sweep.svg'"
	cat "$OUT/sweep.gp"
	echo "set terminal pngcairo size 900,560"
	echo "set output '$OUT/sweep.png'"
	echo "replot"
} | gnuplot 2>"$tmp/gnuplot.err" || { echo "sweep: gnuplot: $(cat "$tmp/gnuplot.err")" >&2; exit 1; }
[ -s "$OUT/sweep.png" ] || rm -f "$OUT/sweep.png"	# gnuplot-nox may lack pngcairo

elapsed=$((SECONDS - start_time))
echo
echo "wait_us cpu_us  wait/cpu  WT/CT measured  run-queue  predicted  knee  peak_rps  rps(predicted)  target"
fails=0
while read -r w c ratio mratio runq pred knee peak at_p verdict; do
	printf '%7s %6s %9s %15s %9s%% %10s %5s %9s %14s%%  %s\n' "$w" "$c" "$ratio" "$mratio" "$runq" \
		"$pred" "$knee" "$peak" "$at_p" "$verdict"
	[ "$verdict" = PASS ] || fails=$((fails + 1))
done <"$OUT/table.txt"
echo "sweep: $(( $(wc -l <"$OUT/table.txt") - fails )) PASS, $fails MISS in ${elapsed} s;" \
	"$OUT/summary.csv, points.csv, traces.csv, sweep.svg"
echo "elapsed_s=$elapsed server=$SERVER pinned=$PIN ratios=$RATIOS point_s=$POINT_S warm_s=$WARM_S trace_s=$TRACE_S" >"$OUT/run.txt"
exit 0
