#!/usr/bin/env bash
# Demand beside capacity (issue 26) on the bundled pool_server, in both
# modes: 16 workers under a light open-loop rate keep about rate x job time
# of them busy and never all; 4 workers under 16 closed-loop connections are
# all busy nearly all the time. Little's law holds in each report, and -i
# reports keep the light pool's occupancy interval by interval.
source "$(dirname "$0")/../lib.sh"

CPU_US=1000
WAIT_US=3000

# Busy threads mean within PCT% of jobs/s x mean job time (Little's law), for the worker group.
little() {
	local name=$1 file=$2 pct=$3
	jq_check "$name" "$file" "[.sizing.groups[] | select(.group==\"worker-\")] | length == 1 and
		(.[0] | (.busy_threads.mean - .jobs_per_s * .job_ns.mean / 1e9) | fabs) <=
		$pct / 100 * (.[0].busy_threads.mean)"
}

# jq_slurp FILTER FILE: the filter true on every document of FILE (-i writes one per interval).
jq_slurp() { [ -s "$2" ] && jq -se "$1" "$2" >/dev/null 2>&1; }

# trace NAME ARGS...: blockscope into $TMP/NAME (stderr in NAME.err).
trace() {
	local name=$1
	shift
	"$BLOCKSCOPE" -c 2 "$@" -o "$TMP/$name" 2>"$TMP/$name.err" ||
		echo "  blockscope $*: $(head -3 "$TMP/$name.err")"
}

start_target backend --port 0 --seconds 200 || { finish; exit; }
BACKEND=$PORT

# Calibration: how many requests per second 16 workers serve here, now,
# closed loop; the light rate is a fifth of that (at most 200/s), so the
# CPUs are far from saturated whatever else this host is running.
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 16 --seconds 60 || { finish; exit; }
POOL16=$SPID
POOL16_PORT=$PORT
"$TARGETS/loadgen" --port "$POOL16_PORT" --connections 16 --cpu-us $CPU_US --wait-us $WAIT_US \
	--seconds 2 >"$TMP/calibrate.log" 2>&1
MAX_RPS=$(sed -n 's/^SUMMARY.* rps=\([0-9.]*\).*/\1/p' "$TMP/calibrate.log")
check calibrated "no SUMMARY from the calibration run: $(tail -2 "$TMP/calibrate.log")" -- \
	[ -n "$MAX_RPS" ]
RATE=$(awk -v m="${MAX_RPS:-0}" 'BEGIN { r = int(m / 5); if (r > 200) r = 200; if (r < 20) r = 20; print r }')
echo "  16 workers serve $MAX_RPS req/s closed loop here: light load at $RATE req/s"

# Light: open loop at RATE over 4 connections, for the traces below.
"$TARGETS/loadgen" --port "$POOL16_PORT" --connections 4 --rate "$RATE" --cpu-us $CPU_US \
	--wait-us $WAIT_US --seconds 30 >"$TMP/light.load" 2>&1 &
LOAD=$!
CHILD_PIDS+=($LOAD)
sleep 1
trace light.json -p "$POOL16" -d 3 -j
trace light_sched.json -p "$POOL16" -d 3 -j --sched-only
trace light_i.json -p "$POOL16" -d 3.5 -j -i 1
trace light.txt -p "$POOL16" -d 2
# The job time of the one-window trace: the reference for -i and --serve below.
JOB_NS=$(jq '.sizing.groups[] | select(.group=="worker-") | .job_ns.mean' "$TMP/light.json" 2>/dev/null)

# --serve: the same demand per second on /metrics, and the jobs counter at the rate.
"$BLOCKSCOPE" --serve=127.0.0.1:0 -p "$POOL16" -d 8 2>"$TMP/serve.err" &
SERVE=$!
CHILD_PIDS+=($SERVE)
URL=""
for _ in $(seq 100); do
	URL=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$TMP/serve.err")
	[ -n "$URL" ] && break
	sleep 0.1
done
sleep 3
curl -s --max-time 5 "$URL" >"$TMP/scrape1.txt"
t1=$(date +%s.%N)
sleep 3
curl -s --max-time 5 "$URL" >"$TMP/scrape2.txt"
t2=$(date +%s.%N)
metric() { sed -n "s/^$1{group=\"worker-\"} //p" "$2"; }
JOBS1=$(metric blockscope_pool_jobs_total "$TMP/scrape1.txt")
JOBS2=$(metric blockscope_pool_jobs_total "$TMP/scrape2.txt")
BUSY=$(metric blockscope_pool_busy_threads "$TMP/scrape2.txt")
ALL=$(metric blockscope_pool_all_busy_ratio "$TMP/scrape2.txt")
check serve_jobs_at_the_rate "jobs_total went ${JOBS1:-?} -> ${JOBS2:-?} in $t1..$t2 s, not $RATE/s" -- \
	awk -v a="${JOBS1:-0}" -v b="${JOBS2:-0}" -v t1="$t1" -v t2="$t2" -v r="$RATE" \
	'BEGIN { x = (b - a) / (t2 - t1); exit !(a > 0 && x > 0.75 * r && x < 1.25 * r) }'
check serve_busy_threads "busy threads ${BUSY:-?} (all busy ${ALL:-?}) in the last second, not $RATE/s x ${JOB_NS:-?} ns" -- \
	awk -v b="${BUSY:--1}" -v all="${ALL:--1}" -v r="$RATE" -v j="${JOB_NS:-0}" \
	'BEGIN { want = r * j / 1e9; exit !(b >= 0.6 * want && b <= 1.4 * want && all >= 0 && all < 0.01) }'
wait "$SERVE"
wait "$LOAD"
RPS=$(sed -n 's/^SUMMARY.* rps=\([0-9.]*\).*/\1/p' "$TMP/light.load")
check light_rate_kept "the open loop did not keep $RATE/s: $(tail -1 "$TMP/light.load")" -- \
	awk -v r="${RPS:-0}" -v want="$RATE" 'BEGIN { exit !(r > 0.9 * want) }'

for mode in light light_sched; do
	f=$TMP/$mode.json
	# Each request is one job: jobs/s is the rate, and busy threads are rate x job time.
	jq_check "${mode}_jobs_are_requests" "$f" \
		".sizing.groups[] | select(.group==\"worker-\") | .jobs_per_s > 0.8 * $RATE and .jobs_per_s < 1.2 * $RATE"
	jq_check "${mode}_busy_is_rate_times_job" "$f" \
		".sizing.groups[] | select(.group==\"worker-\") | (.busy_threads.mean - $RATE * .job_ns.mean / 1e9 | fabs) <= 0.2 * $RATE * .job_ns.mean / 1e9"
	# A job is 1 ms of CPU and 3 ms of backend: WT/CT of the jobs about 3.
	jq_check "${mode}_job_costs" "$f" \
		'.sizing.groups[] | select(.group=="worker-") | .job_ct_ns.p50 > 0.7e6 and .job_ct_ns.p50 < 2e6 and .job_wt_ns.p50 > 2.5e6 and .job_wt_ns.p50 < 5e6'
	jq_check "${mode}_never_all_busy" "$f" \
		'.sizing.groups[] | select(.group=="worker-") | .busy_threads.of == 16 and .busy_threads.max < 16 and .all_busy_share < 0.01'
	little "${mode}_littles_law" "$f" 5
done
# Interval by interval: a worker asleep on its queue at an interval's end is
# idle there too, not busy until the next interval's first record says so.
# The job time is the one-window trace's, so that a tail miscounted as busy
# (which lengthens the interval's jobs too) is seen.
check light_intervals_busy "an interval's busy threads are not $RATE/s x ${JOB_NS:-?} ns: $(jq -c '.sizing.groups[] | select(.group=="worker-") | [.occupancy_window_ns, .busy_threads.mean, .job_ns.mean]' "$TMP/light_i.json" 2>&1 | tr '\n' ' ')" -- \
	jq_slurp "[.[] | .sizing.groups[] | select(.group==\"worker-\") | select(.occupancy_window_ns > 0.9e9)] |
		length >= 3 and all(.[]; (.busy_threads.mean - $RATE * ${JOB_NS:-0} / 1e9 | fabs) <= 0.25 * $RATE * ${JOB_NS:-0} / 1e9)" \
	"$TMP/light_i.json"
check light_text_says_too_many "no busy line saying the pool is larger than the load: $(grep 'busy:' "$TMP/light.txt")" -- \
	grep -q 'busy: .* of 16; all 16 busy 0% of the time: more threads than the load needs; the CPUs could use' "$TMP/light.txt"
# The setting to change: a glibc program's own pool, now 16 threads.
jq_check light_setting "$TMP/light.json" \
	'.sizing.groups[] | select(.group=="worker-") | .setting.runtime == "native" and .setting.current == 16'
check light_text_setting "no setting line: $(grep 'setting:' "$TMP/light.txt")" -- \
	grep -q "setting: the program's own pool, now 16 threads" "$TMP/light.txt"
kill "$POOL16" 2>/dev/null

# Heavy: 4 workers, 16 closed-loop connections: the queue is never empty.
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 4 --seconds 60 || { finish; exit; }
POOL4=$SPID
"$TARGETS/loadgen" --port "$PORT" --connections 16 --cpu-us $CPU_US --wait-us $WAIT_US \
	--seconds 10 >"$TMP/heavy.load" 2>&1 &
LOAD=$!
CHILD_PIDS+=($LOAD)
sleep 1
trace heavy.json -p "$POOL4" -d 3 -j
trace heavy_sched.json -p "$POOL4" -d 3 -j --sched-only
trace heavy.txt -p "$POOL4" -d 2
wait "$LOAD"
for mode in heavy heavy_sched; do
	f=$TMP/$mode.json
	jq_check "${mode}_all_busy" "$f" \
		'.sizing.groups[] | select(.group=="worker-") | .busy_threads.of == 4 and .all_busy_share >= 0.8 and .busy_threads.mean >= 3.2'
	little "${mode}_littles_law" "$f" 5
done
check heavy_text_says_work_queues "no busy line saying work queues: $(grep 'busy:' "$TMP/heavy.txt")" -- \
	grep -Eq 'all 4 busy (8[0-9]|9[0-9]|100)% of the time: work queues; the CPUs could use' "$TMP/heavy.txt"

finish
