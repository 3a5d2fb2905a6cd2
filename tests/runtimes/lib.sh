# Shared helpers for the real-runtime suites (tests/runtimes/test_*.sh,
# make test-runtimes, issue 14). Source it; it sources tests/real/lib.sh
# (and through it tests/lib.sh: pass/fail/check/jq_check, need_pkgs,
# wait_port, stop_tree, on_exit, server, bounded, background, trace) and
# adds what every runtime suite does the same way:
#
#   a backend (build/targets/backend) for the suite's workload;
#   a workload started bounded in time, its PID and port from its first
#     line ("NAME pid=PID port=PORT", as targets/ print);
#   light and heavy load, over the line protocol (build/targets/loadgen)
#     or over HTTP (wrk), bounded in count and time, 127.0.0.1 only;
#   a traced phase: blockscope -j and blockscope -t on the same PID over
#     the same 3 s, the JSON and the text kept in build/runtimes/;
#   the checks of the issue, on the JSON: no lock-contention warning where
#     there is none, contention warned where it is real, a pool's size
#     within 1 of the formula with the workload's designed WT/CT, the pool
#     found as one group, threads that are not a pool not sized;
#   one SIZING line per group that did work, for the record.
#
# Every request costs CPU_US of CPU then a backend wait of WAIT_US:
# designed WT/CT = WAIT_US / CPU_US = 3 for a thread that makes the
# backend call itself.
. "$(dirname "${BASH_SOURCE[0]}")/../real/lib.sh"

RT_OUT=${RT_OUT:-$BUILD/runtimes}
mkdir -p "$RT_OUT"
CPU_US=1000
WAIT_US=3000
POOL_THREADS=4
TRACE_SECONDS=3
# Light (checks that assume CPUs not saturated): an open loop at a rate
# calibrated on the machine at hand (calibrate_light: at most
# LIGHT_RATE_MAX, and at most what keeps the load under LIGHT_SHARE of the
# CPU time other work leaves idle), the pool mostly idle; on an idle 2-CPU
# machine that is 150 req/s and the CPUs some 15-30% busy with runtime and
# tracer overheads. Heavy (checks of a pool that always has work; the CPUs
# may be saturated, and the checks say so where it matters): a closed loop
# with twice as many connections as the pool has threads.
LIGHT_RATE_MAX=150
LIGHT_SHARE=0.3
LIGHT_RATE=
LIGHT_CONNS=8
HEAVY_CONNS=8

# calibrate_light CPU_US: sets LIGHT_RATE (once per suite) from how much CPU
# the machine leaves idle over one second (/proc/stat: another tenant, a
# build, a slow PTI host's own overheads), for requests of CPU_US designed
# CPU each, counted twice (what the runtimes add: up to 1.6x measured), so
# that the light phase stays light whatever the host; and LIGHT_SCALE, the
# same fraction of the largest rate, for loads set by connections.
# Below LIGHT_RATE_MIN the light checks cannot hold: a pool of 4 that
# computes under 1% of its threads' time is one "given no jobs"
# (SIZING_MIN_BUSY_SHARE), not sized, which at CPU_US 1000 is under 40
# req/s (a CI run's glibc pool at 20 req/s read so, when a build beside it
# left 0.02 CPUs idle). A moment's burst of other work is not the host's
# load: the idle time is measured again, once a second for up to
# LIGHT_TRIES seconds, until it allows LIGHT_RATE_MIN; a host still busy
# then gets the floor and a NOTE that says so, for the failures to be read
# against.
LIGHT_RATE_MIN=50
LIGHT_TRIES=10
calibrate_light() {
	local cpu=$1 idle rate tries=0
	[ -n "$LIGHT_RATE" ] && return 0
	while :; do
		idle=$(idle_cpus 1)
		rate=$(awk -v i="$idle" -v c="$cpu" -v s="$LIGHT_SHARE" \
			'BEGIN { print int(s * i * 1e6 / (2 * (c > 0 ? c : 1000))) }')
		tries=$((tries + 1))
		[ "$rate" -ge "$LIGHT_RATE_MIN" ] || [ "$tries" -ge "$LIGHT_TRIES" ] && break
	done
	LIGHT_RATE=$((rate > LIGHT_RATE_MAX ? LIGHT_RATE_MAX : rate < LIGHT_RATE_MIN ? LIGHT_RATE_MIN : rate))
	LIGHT_SCALE=$(awk -v r="$LIGHT_RATE" -v m="$LIGHT_RATE_MAX" 'BEGIN { printf "%.2f", r / m }')
	echo "NOTE calibration: $idle CPUs idle over 1 s before the light phase (measure $tries): light load $LIGHT_RATE req/s (at most $LIGHT_RATE_MAX)" |
		tee -a "$RT_OUT/sizing.txt"
	if [ "$rate" -lt "$LIGHT_RATE_MIN" ]; then
		echo "NOTE host busy: $idle CPUs idle after $tries s of measuring, for $rate req/s; the light phase runs at $LIGHT_RATE_MIN and its checks, which assume idle CPUs, may fail for it" |
			tee -a "$RT_OUT/sizing.txt"
	fi
}

# start_workload NAME SECONDS CMD...: starts CMD (which must print "NAME
# pid=PID port=PORT" first and end by itself) in a session of its own,
# killed after SECONDS at the latest; sets WPID and WPORT, once PORT
# accepts connections (a program that serves nothing prints no port=).
# Fails NAME-start and returns 1 if that does not happen within 30 s.
start_workload() {
	local name=$1 secs=$2 log=$TMP/$1.log i
	shift 2
	server timeout -k 5 "$secs" "$@" >"$log" 2>&1
	on_exit "stop_tree $! TERM 5"
	WPID= WPORT=
	for ((i = 0; i < 300; i++)); do
		WPID=$(sed -n '1s/.* pid=\([0-9]*\).*/\1/p' "$log")
		WPORT=$(sed -n '1s/.* port=\([0-9]*\).*/\1/p' "$log")
		if [ -n "$WPID" ] && [ -z "$WPORT" ] && ! sed -n 1p "$log" | grep -q ' port='; then
			break
		fi
		[ -n "$WPID" ] && [ -n "$WPORT" ] && wait_port "$WPORT" 5 && break
		WPID= WPORT=
		sleep 0.1
	done
	if [ -z "$WPID" ]; then
		fail "$name-start" "no 'pid= port=' line in 30 s: $(head -c 400 "$log" | tr '\n' ' ')"
		return 1
	fi
	pass "$name-start"
}

# start_backend: the suite's backend; sets BACKEND_PORT.
start_backend() {
	start_target backend --port 0 --seconds 300 || { fail backend-start "backend did not start"; return 1; }
	BACKEND_PORT=$PORT
}

# process_cpus PID: how many CPUs PID may use: its affinity, capped by the
# cpu.max quota of its cgroup (v2) if one is set. The N of the formula, as
# the issue defines it, read here independently of blockscope.
process_cpus() {
	local n cg q p
	n=$(taskset -pc "$1" 2>/dev/null | sed 's/.*: //' | awk -F, '{
		for (i = 1; i <= NF; i++) { if (split($i, r, "-") == 2) c += r[2] - r[1] + 1; else c++ }
		print c }')
	cg=$(sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null)
	while [ -n "$cg" ]; do
		if read -r q p 2>/dev/null <"/sys/fs/cgroup$cg/cpu.max" && [ "$q" != max ]; then
			n=$(awk -v n="$n" -v q="$q" -v p="$p" 'BEGIN { m = q / p; m = (m == int(m)) ? m : int(m) + 1; print (m < n ? m : n) }')
		fi
		[ "$cg" = / ] && break
		cg=$(dirname "$cg")
	done
	echo "${n:-0}"
}

# expected_size N RATIO: ceil(N x U x (1 + RATIO)) with U = 1 (blockscope's
# default), for a pool of designed WT/CT RATIO on N CPUs.
expected_size() {
	awk -v n="$1" -v r="$2" 'BEGIN { x = n * (1 + r); y = int(x); if (y < x - 0.01) y++; print y }'
}

# line_load light|heavy|RATE PORT CPU_US WAIT_US SECONDS: loadgen in the
# background (light: LIGHT_RATE req/s open loop; heavy: HEAVY_CONNS closed
# loop; a number: that rate, open loop); it ends by itself after SECONDS.
# Sets LOAD_PID and LOAD_LOG.
line_load() {
	local kind=$1 port=$2 cpu=$3 wait=$4 secs=$5 args
	if [ "$kind" = light ]; then
		calibrate_light "$cpu"
		args=(--rate "$LIGHT_RATE" --connections "$LIGHT_CONNS")
	elif [ "$kind" != heavy ]; then
		args=(--rate "$kind" --connections "$LIGHT_CONNS")
	else
		args=(--connections "$HEAVY_CONNS")
	fi
	LOAD_LOG=$TMP/load.$RANDOM.log
	background $((secs + 20)) "$TARGETS/loadgen" --port "$port" "${args[@]}" --cpu-us "$cpu" \
		--wait-us "$wait" --seconds "$secs" >"$LOAD_LOG" 2>&1
	LOAD_PID=$BG_PID
}

# http_load light|heavy PORT URL_PATH SECONDS: wrk in the background,
# bounded by -d. Light: 4 connections, each thinking a random 12-38 ms
# after every answer (about 150 req/s whatever the server's speed; longer
# if calibrate_light finds the CPUs busy with other work); heavy:
# HEAVY_CONNS connections, closed loop. Sets LOAD_PID and LOAD_LOG.
http_load() {
	local kind=$1 port=$2 path=$3 secs=$4 args=()
	LOAD_LOG=$TMP/wrk.$RANDOM.log
	if [ "$kind" = light ]; then
		# Think times stretched by the calibration (LIGHT_SCALE 1 on an idle host).
		calibrate_light "$CPU_US"
		awk -v k="$LIGHT_SCALE" 'BEGIN { printf "function delay() return math.random(%d, %d) end\n", 12 / k, 38 / k }' \
			>"$TMP/think.lua"
		args=(-c 4 -s "$TMP/think.lua")
	else
		args=(-c "$HEAVY_CONNS")
	fi
	background $((secs + 20)) wrk -t1 "${args[@]}" -d"${secs}s" --timeout 5s \
		"http://127.0.0.1:$port$path" >"$LOAD_LOG" 2>&1
	LOAD_PID=$BG_PID
}

# load_ok NAME: waits for the load to end (it is bounded) and checks that it
# answered requests without errors; sets RPS.
load_ok() {
	local name=$1 n errors
	RPS=
	wait "$LOAD_PID" 2>/dev/null
	if grep -q '^SUMMARY' "$LOAD_LOG"; then
		n=$(sed -n 's/^SUMMARY requests=\([0-9]*\).*/\1/p' "$LOAD_LOG")
		errors=$(sed -n 's/^SUMMARY.* errors=\([0-9]*\).*/\1/p' "$LOAD_LOG")
		RPS=$(sed -n 's/^SUMMARY.* rps=\([0-9.]*\).*/\1/p' "$LOAD_LOG")
	else
		n=$(awk '/requests in/ { print $1 }' "$LOAD_LOG")
		errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 + \2 + \3 + \4/p' "$LOAD_LOG")
		errors=$((${errors:-0}))
		grep -q 'Non-2xx' "$LOAD_LOG" && errors=$((errors + 1))
		RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$LOAD_LOG")
	fi
	check "$name-load" "load: $(tail -n 4 "$LOAD_LOG" | tr '\n' ' ')" -- \
		test "${n:-0}" -gt 100 -a "${errors:-1}" -eq 0
}

# trace_phase NAME PID [BLOCKSCOPE-ARGS...]: blockscope -j -p PID -d
# TRACE_SECONDS into $RT_OUT/NAME.json (tests/real's trace: exit 0, a
# report, no lost records) and, over the same window, blockscope -t into
# $RT_OUT/NAME.txt. Sets J. Returns 1 if there is no usable JSON report.
trace_phase() {
	local name=$1 pid=$2 tpid rc t0
	shift 2
	J=$RT_OUT/$name.json
	rm -f "$J" "$RT_OUT/$name.txt"
	sched_sample "$pid" >"$RT_OUT/$name.sched0"
	t0=$(date +%s%N)
	bounded 60 "$BLOCKSCOPE" -t -o "$RT_OUT/$name.txt" -d "$TRACE_SECONDS" -p "$pid" "$@" \
		2>"$RT_OUT/$name.txt.err" &
	tpid=$!
	trace "$name" "$J" -d "$TRACE_SECONDS" -p "$pid" "$@"
	rc=$?
	wait "$tpid"
	sched_sample "$pid" >"$RT_OUT/$name.sched1"
	echo $(($(date +%s%N) - t0)) >"$RT_OUT/$name.window"
	check "$name-text" "blockscope -t: $(head -c 300 "$RT_OUT/$name.txt.err")" -- \
		grep -q 'THREAD GROUPS AND POOL SIZING' "$RT_OUT/$name.txt"
	return $rc
}

# sizing_lines NAME FILE: one SIZING line per group that did work or got a
# size (group, role, threads, N, CT, WT, idle, sync, run-queue, WT/CT,
# recommended, CPU busy, warnings), then the others in one line. Also
# appended to $RT_OUT/sizing.txt, which docs/runtimes.md quotes.
sizing_lines() {
	jq -r --arg name "$1" '
		def ms: . / 1e6 | round;
		(.sizing.groups[] | select(.did_work or .recommended_threads > 0)
		 | "SIZING \($name): \(.group) role=\(.role) threads=\(.threads) N=\(.cores)"
		   + " CT=\(.compute_ns | ms)ms WT=\(.wait_ns | ms)ms idle=\(.idle_wait_ns | ms)ms"
		   + " sync=\(.sync_wait_ns | ms)ms runq=\(.runq_ns | ms)ms WT/CT=\(.wait_compute_ratio * 100 | round / 100)"
		   + " recommended=\(.recommended_threads) busy=\(if .cpu_busy then (.cpu_busy * 100 | round | tostring) + "%" else "-" end)"
		   + (if (.warnings | length) > 0 then " warnings: " + (.warnings | join(" | ")) else "" end)),
		([.sizing.groups[] | select((.did_work or .recommended_threads > 0) | not) | .group] as $rest
		 | if ($rest | length) > 0 then "SIZING \($name): (no work, not sized) \($rest | join(", "))" else empty end),
		"SIZING \($name): (all threads) recommended=\(.sizing.recommended_threads) busy=\(if .sizing.cpu_busy then (.sizing.cpu_busy * 100 | round | tostring) + "%" else "-" end)"
		  + (if (.sizing.warnings | length) > 0 then " warnings: " + (.sizing.warnings | join(" | ")) else "" end)
		' "$2" | tee -a "$RT_OUT/sizing.txt"
}

# More jq definitions for the checks, added to tests/real's JQ_LIB (which
# jq_true puts before every filter). Each takes the whole report as input.
#   gsize($g): the sizing entry of group $g;  tgroup($tid): thread $tid's group;
#   groups_of($t): the groups of the threads of the TID array $t (null for
#   one not in the report), sorted, each once;  contention: a warning of lock
#   contention;  brief($g): group $g in short, for a message.
JQ_LIB+='
def gsize($g): [.sizing.groups[] | select(.group == $g)] | .[0];
def tgroup($tid): [.threads[] | select(.tid == $tid) | .group] | .[0];
def groups_of($t): [$t[] as $x | tgroup($x)] | unique;
def contention: test("lock contention");
def brief($g): gsize($g) | {group, role, threads, recommended_threads, wait_compute_ratio, warnings};
'

# jq_rt FILTER FILE [jq args...]: FILTER's value with JQ_LIB, compact.
jq_rt() {
	local f=$1 file=$2
	shift 2
	jq -c "$@" "$JQ_LIB $f" "$file" 2>/dev/null
}

# check_no_contention NAME FILE: no group and not the total warns of lock
# contention (the workload has no lock that its threads fight over).
check_no_contention() {
	jq_true "$1-no-contention-warning" "$2" \
		"warned: $(jq_rt '[(.sizing.groups[] | select(any(.warnings[]; contention)) | {group, sync_wait_ns, wait_ns, warnings: [.warnings[] | select(contention)]}), (.sizing.warnings[] | select(contention) | {total: .})]' "$2")" \
		"[.sizing.groups[].warnings[], .sizing.warnings[] | select(contention)] | length == 0"
}

# tids_json FILE ROLE: the TIDs of a roles file ("TID ROLE" lines) with
# that role, as a JSON array.
tids_json() {
	awk -v r="$2" '$2 == r { print $1 }' "$1" | jq -s -c '.'
}

# tids_in_window ROLES ROLE REPORT: tids_json's, less the threads that
# began their work (the ROLES file's third column, CLOCK_MONOTONIC) after
# REPORT's window closed: CPython's pool starts a thread at a job no idle
# thread took, and one started after the trace cannot be in it.
tids_in_window() {
	awk -v r="$2" -v end="$(jq '.start_ns + .duration_ns' "$3")" \
		'$2 == r && ($3 == "" || $3 + 0 <= end + 0) { print $1 }' "$1" | jq -s -c '.'
}

# sched_sample PID: "TID ON-CPU-NS" for every thread of PID and of its
# child processes, from the kernel's schedstat: the CPU the pool spent,
# measured without blockscope.
sched_sample() {
	local p t ns rest
	for p in "$1" $(pgrep -P "$1"); do
		for t in /proc/"$p"/task/*; do
			read -r ns rest 2>/dev/null <"$t/schedstat" && echo "${t##*/} $ns"
		done
	done
}

# kernel_ct_us NAME TIDS: the CPU time per request of the threads TIDS (a
# JSON array) over NAME's traced phase, in us: their schedstat on-CPU time
# across the phase over the requests served in it (the load's mean rate,
# RPS from load_ok, times the phase's length). Empty if unknown. A thread
# born in the phase counts from 0 (CPython's ThreadPoolExecutor starts its
# second thread when the first is busy: left out, it halved the pool's CT
# per request and the expected size doubled).
kernel_ct_us() {
	[ -n "${RPS:-}" ] && [ -s "$RT_OUT/$1.window" ] || return 0
	jq -rn --argjson t "$2" --argjson rps "$RPS" --argjson w "$(cat "$RT_OUT/$1.window")" \
		--rawfile a "$RT_OUT/$1.sched0" --rawfile b "$RT_OUT/$1.sched1" '
		def parse: [splits("\n") | select(length > 0) | split(" ") | {(.[0]): (.[1] | tonumber)}] | add // {};
		($a | parse) as $x | ($b | parse) as $y
		| ([$t[] | tostring | select($y[.] != null) | $y[.] - ($x[.] // 0)] | add // 0) as $ns
		| ($rps * $w / 1e9) as $n
		| if $n > 0 and $ns > 0 then $ns / $n / 1e3 | round else empty end'
}

# comm_tids FILE REGEX: the TIDs of the report's threads whose comm
# matches REGEX, as a JSON array.
comm_tids() {
	jq -c --arg re "$2" '[.threads[] | select(.comm | test($re)) | .tid]' "$1"
}

# check_pool NAME FILE TIDS WAIT [NAME_PREFIX]: the pool's threads (the
# JSON array TIDS, seen in the report) form one group, which is sized as a
# pool (role "pool"), and its recommendation is within 1 of ceil(N x U x
# (1 + WT/CT)), N the CPUs the workload may use (WPID's affinity and
# quota), U = 1, WT = WAIT us per request (the design: the backend's delay,
# 0 where the pool does not make the call) and CT the pool's CPU time per
# request as the kernel counted it (kernel_ct_us): a runtime adds CPU of
# its own to the designed CPU_US (HTTP parsing, an interpreter), and the
# right size is the one for the CPU the requests really took. With
# NAME_PREFIX, the group's name is that of the pool's threads (digits
# aside: blockscope groups by names without digits).
check_pool() {
	local name=$1 file=$2 tids=$3 wait=$4 prefix=${5:-} n want ct ratio
	n=$(process_cpus "$WPID")
	ct=$(kernel_ct_us "$name" "$tids")
	ratio=$(awk -v w="$wait" -v c="${ct:-$CPU_US}" 'BEGIN { print w / c }')
	want=$(expected_size "$n" "$ratio")
	echo "NOTE $name: pool CT per request ${ct:-unknown} us by the kernel (designed $CPU_US), WT $wait us designed: WT/CT $ratio, N=$n: size $want" |
		tee -a "$RT_OUT/sizing.txt"
	jq_true "$name-pool-one-group" "$file" \
		"pool threads $tids are in groups $(jq_rt '[$t[] as $x | tgroup($x)] | group_by(.) | map({(.[0] // "unseen"): length}) | add' "$file" --argjson t "$tids")" \
		'($t | length) > 0 and (groups_of($t) | length == 1 and .[0] != null)' \
		--argjson t "$tids"
	jq_true "$name-pool-size" "$file" \
		"WT $wait us / CT ${ct:-$CPU_US} us = $ratio on N=$n CPUs: want $want +-1; pool groups: $(jq_rt '. as $r | [groups_of($t)[] | select(. != null) | . as $g | $r | brief($g)]' "$file" --argjson t "$tids")" \
		'groups_of($t) as $g | ($g | length) == 1 and $g[0] != null and (gsize($g[0]) as $s
		 | $s.role == "pool" and ($s.recommended_threads - $want | fabs) <= 1)' \
		--argjson t "$tids" --argjson want "$want"
	per_request "$name" "$file" "$tids"
	if [ -n "$prefix" ]; then
		jq_true "$name-pool-named" "$file" \
			"want a group named like '$prefix' holding the pool; pool groups: $(jq_rt 'groups_of($t)' "$file" --argjson t "$tids")" \
			'groups_of($t) | length == 1 and ((.[0] // "" | gsub("[0-9]"; "")) as $g
			 | ($g | length) >= 4 and ($p | gsub("[0-9]"; "") | startswith($g)))' \
			--argjson t "$tids" --arg p "$prefix"
	fi
}

# per_request NAME FILE TIDS: a NOTE (not a check) with the pool threads'
# CT and WT per request as blockscope measured them over the window, at
# the load's mean rate (RPS, from load_ok): the design is CPU_US of CPU
# and WAIT_US of wait, and what a runtime adds per request (HTTP parsing,
# an interpreter, a JIT still compiling) shows here as CT above CPU_US,
# which moves the true WT/CT away from the designed one.
per_request() {
	[ -n "${RPS:-}" ] || return 0
	jq -r --arg name "$1" --argjson t "$3" --argjson rps "$RPS" --argjson s "$TRACE_SECONDS" \
		--argjson cpu "$CPU_US" --argjson wait "$WAIT_US" '
		([.threads[] | select(.tid as $x | $t | index($x))]) as $p
		| ($rps * $s) as $n
		| if $n > 0 and ($p | length) > 0 then
			"NOTE \($name): pool per request at \($rps) req/s: CT \(([$p[].oncpu_ns] | add) / $n / 1e3 | round) us"
			+ " (designed \($cpu)), WT \(([$p[].wait_ns] | add) / $n / 1e3 | round) us (designed \($wait))"
		  else empty end' "$2" | tee -a "$RT_OUT/sizing.txt"
}

# check_not_sized NAME FILE TIDS WHAT: the groups of the threads TIDS (a
# JSON array, at least one seen) get no recommended size: they are not a
# pool (connection readers, a runtime's service threads, a main thread).
check_not_sized() {
	jq_true "$1-not-sized" "$2" \
		"$4 should get no size; their groups: $(jq_rt '. as $r | [groups_of($t)[] | select(. != null) | . as $g | $r | brief($g)]' "$2" --argjson t "$3")" \
		'. as $r | [groups_of($t)[] | select(. != null)] | length > 0
		 and all(.[]; . as $g | $r | (gsize($g).recommended_threads // 0) == 0)' \
		--argjson t "$3"
}

# check_contention NAME FILE TIDS: the group of the threads TIDS warns of
# lock contention: they fight over one lock (a hot monitor, the GIL).
check_contention() {
	jq_true "$1-contention-warned" "$2" \
		"their groups: $(jq_rt '. as $r | [groups_of($t)[] | select(. != null) | . as $g | $r | gsize($g) | {group, sync_wait_ns, wait_ns, compute_ns, warnings}]' "$2" --argjson t "$3")" \
		'. as $r | groups_of($t) | length > 0
		 and all(.[]; . != null and (. as $g | $r | any(gsize($g).warnings[]; contention)))' \
		--argjson t "$3"
}

# check_sized_at_most NAME FILE MAX WHY: no group of the report gets more
# than MAX threads (threads that never wait for I/O themselves: an event
# loop, Go's Ms, a CPU-only pool).
check_sized_at_most() {
	jq_true "$1-sized-at-most-$3" "$2" \
		"$4; sized groups: $(jq_rt '[.sizing.groups[] | select(.recommended_threads > 0) | {group, role, threads, recommended_threads, wait_compute_ratio}]' "$2")" \
		'all(.sizing.groups[]; .recommended_threads <= $m)' --argjson m "$3"
}

# /metrics beside the report (issue 27, item 1; tests/runtimes/test_serve.sh).
SERVE_W=5

# serve_pair NAME PIDS: --serve and -j on PIDS over the same SERVE_W seconds; leaves
# $RT_OUT/NAME.json and $RT_OUT/NAME.metrics.
serve_pair() {
	local name=$1 pids=$2 url="" bs i
	rm -f "$RT_OUT/$name.curl.err"
	"$BLOCKSCOPE" --serve=127.0.0.1:0 --window="$SERVE_W" --syscall-hooks=always -p "$pids" -d 40 \
		2>"$RT_OUT/$name.serve.err" &
	bs=$!
	on_exit "stop_tree $bs TERM 5"
	for ((i = 0; i < 100; i++)); do
		url=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$RT_OUT/$name.serve.err")
		[ -n "$url" ] && break
		sleep 0.1
	done
	bounded 60 "$BLOCKSCOPE" -j -o "$RT_OUT/$name.json" -d "$SERVE_W" -p "$pids" \
		2>"$RT_OUT/$name.json.err"
	# The exporter's window closes on the second after its start: W of them.
	sleep 0.4
	# Retried: on CPUs this busy a scrape has been cut once (the gate's
	# timeouts for slow clients); the page stays that of the same second.
	for ((i = 0; i < 3; i++)); do
		curl -sS -m 5 "$url" >"$RT_OUT/$name.metrics" 2>>"$RT_OUT/$name.curl.err" &&
			[ -s "$RT_OUT/$name.metrics" ] && break
		sleep 0.1
	done
	kill -INT "$bs" 2>/dev/null
	wait "$bs"
	check "$name-served" "no /metrics page: $(head -c 300 "$RT_OUT/$name.serve.err")" -- \
		grep -q '^blockscope_cores ' "$RT_OUT/$name.metrics"
	check "$name-report" "no report: $(head -c 300 "$RT_OUT/$name.json.err")" -- \
		jq -e ".sizing.groups" "$RT_OUT/$name.json" >/dev/null
}

# metric_of FILE NAME GROUP: the value of NAME{group="GROUP"} in FILE, or "-".
metric_of() {
	awk -v s="$2{group=\"$3\"} " 'index($0, s) == 1 { print substr($0, length(s) + 1); f = 1 }
		END { if (!f) print "-" }' "$1"
}

# serve_agree NAME [GROUP...]: every group of serve_pair's report against
# /metrics, with SIZE lines side by side: sized on /metrics exactly when the
# report sizes it, with the same N, and a size within 1 (the windows start
# a few ms apart), or the same for the GROUPs given.
serve_agree() {
	local name=$1 j=$RT_OUT/$1.json m=$RT_OUT/$1.metrics g sized n rec mn mrec exact x
	shift
	while IFS=$'\t' read -r g sized n rec; do
		mn=$(metric_of "$m" blockscope_group_cores "$g")
		mrec=$(metric_of "$m" blockscope_recommended_threads "$g")
		echo "SIZE $name: $g report: sized=$sized N=$n recommended=$rec | /metrics: N=$mn recommended=$mrec"
		if [ "$sized" = false ]; then
			check "$name-$g-not-sized" "/metrics sizes it: $mrec" -- test "$mrec" = -
			continue
		fi
		check "$name-$g-same-n" "report N=$n, /metrics N=$mn" -- test "$mn" = "$n"
		exact=0
		for x in "$@"; do [ "$g" = "$x" ] && exact=1; done
		check "$name-$g-same-size" "report $rec, /metrics $mrec" -- \
			awk -v a="$rec" -v b="$mrec" -v e="$exact" \
			'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b != "-" && d <= (e ? 0 : 1)) }'
	done < <(jq -r '.sizing.groups[] | [.group, (.role == "pool" and .did_work),
		.cores, .recommended_threads] | @tsv' "$j")
}

# check_occupancy NAME FILE PHASE TIDS: demand beside capacity (issue 26)
# for the pool of the threads TIDS, in FILE and in the --sched-only trace
# beside it (FILE.sched): under light load (an open loop at RPS, from
# load_ok) its mean busy threads are RPS x its mean job time within 20%
# and all of them are busy under 5% of the time; under heavy load (a
# closed loop with twice the pool's threads in connections) all are busy
# at least 80% of the time. Little's law (busy = jobs/s x mean job) within
# 5% in both. A BUSY line per mode, for the record.
# WAKES (a JSON array of syscalls, default none): waits of the pool for a
# connection before it has a request, each of whose wakeups is a job of its
# own besides the requests' (gunicorn's sync workers: a wakeup from pselect6
# accepts, then waits for the request's bytes, or finds the connection taken
# by a sibling; in 5 CI runs the jobs beyond the requests were the
# pselect6 wakeups to within 1/s): the light check expects RPS plus their
# rate in jobs.
check_occupancy() {
	local name=$1 file=$2 phase=$3 tids=$4 wakes=${5:-[]} f mode g extra
	g=$(jq_rt 'groups_of($t) | .[0]' "$file" --argjson t "$tids" | tr -d '"')
	for f in "$file" "$file.sched"; do
		mode=default
		[ "$f" = "$file.sched" ] && mode=sched-only
		jq -r --arg name "$name" --arg mode "$mode" --arg g "$g" '.sizing.groups[] | select(.group == $g)
			| "BUSY \($name) (\($mode)): \($g) busy mean \(.busy_threads.mean * 100 | round / 100) p99 \(.busy_threads.p99) max \(.busy_threads.max) of \(.busy_threads.of); all busy \(.all_busy_share * 100 | round)%; jobs \(.jobs_per_s * 10 | round / 10)/s, mean \(.job_ns.mean / 1e3 | round) us"' \
			"$f" 2>/dev/null | tee -a "$RT_OUT/sizing.txt"
		jq_true "$name-$mode-littles-law" "$f" "busy threads against jobs/s x mean job: $(jq_rt 'gsize($g) | {busy_threads, jobs_per_s, job: .job_ns.mean}' "$f" --arg g "$g")" \
			'gsize($g) | .busy_threads.mean > 0 and ((.busy_threads.mean - .jobs_per_s * .job_ns.mean / 1e9) | fabs) <= 0.05 * .busy_threads.mean' \
			--arg g "$g"
		if [ "$phase" = light ]; then
			extra=$(jq --argjson t "$tids" --argjson w "$wakes" --arg g "$g" "$JQ_LIB"'(gsize($g).occupancy_window_ns / 1e9) as $s
				| [.threads[] | select(.tid as $x | $t | index($x)) | .syscalls[]
				| select(.name as $n | $w | index($n)) | .blocking] | (add // 0) / $s' "$f" 2>&1)
			[ "$wakes" != "[]" ] && echo "NOTE $name ($mode): $extra wakeups/s in $wakes, each a job, besides ${RPS:-?} req/s"
			jq_true "$name-$mode-busy-is-rate-times-job" "$f" "at ${RPS:-?} req/s and ${extra:-?} wakeups/s in $wakes: $(jq_rt 'gsize($g) | {busy_threads, all_busy_share, jobs_per_s, job: .job_ns.mean}' "$f" --arg g "$g")" \
				'gsize($g) | (($rps + $extra) * .job_ns.mean / 1e9) as $want | ((.busy_threads.mean - $want) | fabs) <= 0.2 * $want and .all_busy_share < 0.05' \
				--arg g "$g" --argjson rps "${RPS:-0}" --argjson extra "${extra:-0}"
		else
			jq_true "$name-$mode-all-busy" "$f" "$(jq_rt 'gsize($g) | {busy_threads, all_busy_share}' "$f" --arg g "$g")" \
				'gsize($g) | .all_busy_share >= 0.8' --arg g "$g"
		fi
	done
}

# Event loops (issue 25, test_loop_*.sh: docs/loops.md). A loop is never
# sized: these check one loop thread in one report, the default mode's or
# --sched-only's (FILE.sched), and print a LOOP line for the record (also
# in $RT_OUT/loops.txt, which docs/loops.md quotes).
JQ_LIB+='
def loop_of($tid): [.loops[] | select(.tid == $tid)] | .[0];
def loop_brief($tid): loop_of($tid) | if . == null then null else {wait_syscall, turns,
	p50_us: (.turn_p50_ns / 1e3 | round), p99_us: (.turn_p99_ns / 1e3 | round), busy: (.busy * 100 | round),
	blocked: (.blocked_on_loop_share * 100 | round), stalls, stall_blocked_ms: (.stall_blocked_ns / 1e6 | round),
	stall_oncpu_ms: (.stall_oncpu_ns / 1e6 | round), stall_runq_ms: (.stall_runq_ns / 1e6 | round),
	top: (.blocking_calls[0] | if . then {syscall, reason, calls, max_us: (.max_ns / 1e3 | round)} else null end),
	finding} end;
'

# loop_calibrate PORT CPU_US WAIT_US: what a loop that blocks for each
# request serves when it always has work (2 connections, closed loop, 2 s,
# untraced), on this machine as loaded as it is; sets LOOP_CAP (req/s).
loop_calibrate() {
	local log=$TMP/loop-calibrate.$RANDOM.log
	bounded 20 "$TARGETS/loadgen" --port "$1" --cpu-us "$2" --wait-us "$3" --connections 2 \
		--seconds 2 >"$log" 2>&1
	LOOP_CAP=$(sed -n 's/^SUMMARY.* rps=\([0-9.]*\).*/\1/p' "$log")
	check loop-calibrated "no SUMMARY from the calibration run: $(tail -n 2 "$log" | tr '\n' ' ')" -- \
		awk -v c="${LOOP_CAP:-0}" 'BEGIN { exit !(c > 20) }' || return 1
	echo "NOTE calibration: the blocking loop served $LOOP_CAP req/s when always busy (${2} us CPU + ${3} us blocked each)" |
		tee -a "$RT_OUT/loops.txt"
}

# loop_slept FILE TID: whether loop TID slept in its wait in FILE's window
# (the default mode's trace) at least 3 times: --sched-only sees a loop
# only by its sleeps in its wait (docs/loops.md).
loop_slept() {
	jq -e --argjson t "$2" '[.threads[] | select(.tid == $t)][0] as $x | [.loops[] | select(.tid == $t)][0].wait_syscall as $w
		| ([$x.syscalls[]? | select(.name == $w) | .blocking] | add // 0) >= 3' "$1" >/dev/null 2>&1
}

# check_loop NAME FILE TID KIND [ARGS]: thread TID of FILE is found as a
# loop, its group is a loop's and nothing of role loop is sized, no lock
# contention is warned, and by KIND:
#   blocked SYSCALL DESIGNED  blocked on the loop within 10 points of the
#                             DESIGNED share (0-1), SYSCALL its top call and
#                             the one its finding names;
#   clean                     not blocked (under 2% of its time, and not
#                             its finding: a healthy Node loop still
#                             meets V8's GC in a futex now and then, tens
#                             of us), no stall, healthy (or asleep in its
#                             wait all the window: an nginx worker that no
#                             connection reached under light load);
#   saturated                 not blocked; never idle: the bottleneck;
#   unblocked                 not blocked; a stall, if any, not blocked
#                             either (on a CPU or waiting for one: a
#                             saturated machine's, not the loop's);
#   stalls N SYSCALL          N calls of SYSCALL blocked it, each a stall (at
#                             least N stalls), and its finding names it;
#   cpu-stalls N              at least N stalls, mostly on a CPU, not blocked.
check_loop() {
	local name=$1 f=$2 tid=$3 kind=$4 a
	a=(--argjson t "$tid")
	echo "LOOP $name: $(jq_rt 'loop_brief($t)' "$f" "${a[@]}")" | tee -a "$RT_OUT/loops.txt"
	jq_true "$name-loop-found" "$f" "loops: $(jq_rt '[.loops[] | {tid, comm, group}]' "$f"); thread $tid in group $(jq_rt 'tgroup($t) as $g | gsize($g) | {group, role, recommended_threads}' "$f" "${a[@]}")" \
		'loop_of($t) != null and (gsize(tgroup($t)) | .role == "loop" and (has("recommended_threads") | not))' "${a[@]}"
	jq_true "$name-loop-never-sized" "$f" "sized loops: $(jq_rt '[.sizing.groups[] | select(.role == "loop" and has("recommended_threads"))]' "$f")" \
		'[.sizing.groups[] | select(.role == "loop" and has("recommended_threads"))] | length == 0'
	check_no_contention "$name" "$f"
	case $kind in
	blocked)
		jq_true "$name-blocked-share" "$f" "designed $6: $(jq_rt 'loop_brief($t)' "$f" "${a[@]}")" \
			'(loop_of($t).blocked_on_loop_share - $d | fabs) <= 0.1' "${a[@]}" --argjson d "$6"
		jq_true "$name-top-call-$5" "$f" "$(jq_rt 'loop_of($t) | {blocking_calls, finding}' "$f" "${a[@]}")" \
			'loop_of($t) | .blocking_calls[0].syscall == $s and (.finding | startswith("blocked ") and contains("in " + $s + " ("))' \
			"${a[@]}" --arg s "$5"
		;;
	clean | saturated | unblocked)
		jq_true "$name-not-blocked" "$f" "$(jq_rt 'loop_of($t) | {blocked_on_loop_share, blocking_calls}' "$f" "${a[@]}")" \
			'loop_of($t) | .blocked_on_loop_share < 0.02 and (.finding | startswith("blocked") | not)' "${a[@]}"
		if [ "$kind" = clean ]; then
			jq_true "$name-healthy" "$f" "$(jq_rt 'loop_brief($t)' "$f" "${a[@]}")" \
				'loop_of($t) | .stalls == 0 and (.finding | endswith("healthy") or . == "asleep in its wait all the window: idle")' "${a[@]}"
		elif [ "$kind" = unblocked ]; then
			jq_true "$name-stalls-not-blocked" "$f" "$(jq_rt 'loop_brief($t)' "$f" "${a[@]}")" \
				'loop_of($t) | .stall_blocked_ns == 0 and (.finding | startswith("blocked") | not)' "${a[@]}"
		else
			jq_true "$name-bottleneck" "$f" "$(jq_rt 'loop_brief($t)' "$f" "${a[@]}")" \
				'loop_of($t).finding | contains("the loop is the bottleneck")' "${a[@]}"
		fi
		;;
	stalls)
		jq_true "$name-stalls-$6" "$f" "$5 stalls in $6 designed: $(jq_rt 'loop_of($t) | {stalls, blocking_calls, finding}' "$f" "${a[@]}")" \
			'loop_of($t) | .stalls >= $n and ([.blocking_calls[] | select(.syscall == $s)][0].calls == $n)
			 and (.finding | contains("in " + $s + " ("))' "${a[@]}" --argjson n "$5" --arg s "$6"
		;;
	cpu-stalls)
		jq_true "$name-cpu-stalls" "$f" "at least $5 stalls on a CPU designed: $(jq_rt 'loop_brief($t)' "$f" "${a[@]}")" \
			'loop_of($t) | .stalls >= $n and .stall_oncpu_ns >= 0.5 * .stalled_ns and .blocked_on_loop_share < 0.02' \
			"${a[@]}" --argjson n "$5"
		;;
	esac
}

# check_loop_modes NAME FILE TID KIND [ARGS]: check_loop on the default
# trace FILE and on --sched-only's beside it, which sees a loop only if it
# slept in its wait: a loop that never did in the default trace's window
# (always work: a saturated loop) gets a NOTE there instead.
check_loop_modes() {
	local name=$1 f=$2 tid=$3
	shift 3
	check_loop "$name" "$f" "$tid" "$@"
	if loop_slept "$f" "$tid"; then
		check_loop "$name-sched-only" "$f.sched" "$tid" "$@"
	else
		echo "NOTE $name-sched-only: the loop never slept in its wait in the window: --sched-only cannot tell it from a thread that computes (docs/loops.md): $(jq_rt 'loop_brief($t)' "$f.sched" --argjson t "$tid")"
	fi
}

# loop_variants PREFIX GOOD BAD:SYSCALL...: the loop servers already
# started, one per variant (LOOP_PID[variant], LOOP_PORT[variant], the loop
# thread's TID being the PID), each request CPU_US on the loop then a wait
# of WAIT_US: the GOOD variant awaits it, each BAD one blocks the loop in
# SYSCALL for it. Calibrates on the first bad variant (loop_calibrate),
# then under light load (an open loop at a quarter of that) and heavy load
# (70% of it for the bad variants, whose loop still sleeps between
# requests; a closed loop for the good one: saturated by design), traces
# each in both modes over one window (trace_phase) and checks it
# (check_loop_modes): the bad ones blocked RPS x WAIT_US of their time in
# SYSCALL, the good one clean, then the bottleneck.
declare -A LOOP_PID LOOP_PORT
loop_variants() {
	local prefix=$1 good=$2 first phase v sys rate name light heavy
	shift 2
	first=${1%%:*}
	loop_calibrate "${LOOP_PORT[$first]}" "$CPU_US" "$WAIT_US" || return 1
	light=$(awk -v c="$LOOP_CAP" 'BEGIN { printf "%d", c / 4 }')
	heavy=$(awk -v c="$LOOP_CAP" 'BEGIN { printf "%d", c * 0.7 }')
	for phase in light heavy; do
		for v in "$good:" "$@"; do
			sys=${v#*:}
			v=${v%%:*}
			name=${prefix}_${v}_$phase
			rate=$light
			[ "$phase" = heavy ] && rate=$heavy
			[ "$phase" = heavy ] && [ "$v" = "$good" ] && rate=heavy
			line_load "$rate" "${LOOP_PORT[$v]}" "$CPU_US" "$WAIT_US" 9
			sleep 1.5
			trace_phase "$name" "${LOOP_PID[$v]}" || return 1
			load_ok "$name"
			if [ "$v" = "$good" ] && [ "$phase" = light ]; then
				check_loop_modes "$name" "$J" "${LOOP_PID[$v]}" clean
			elif [ "$v" = "$good" ]; then
				check_loop_modes "$name" "$J" "${LOOP_PID[$v]}" saturated
			else
				check_loop_modes "$name" "$J" "${LOOP_PID[$v]}" blocked "$sys" \
					"$(awk -v r="${RPS:-0}" -v w="$WAIT_US" 'BEGIN { print r * w / 1e6 }')"
			fi
		done
	done
}
