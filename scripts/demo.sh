#!/usr/bin/env bash
# make demo: a thread pool whose requests compute 1 ms and wait 3 ms on a
# backend, driven by a closed-loop client and traced by PID. The sizing
# formula says 2 CPUs x (1 + 3/1) = 8 workers; the pool has 4.
set -u
BUILD=${1:-build}
CPU_US=${CPU_US:-1000}
WAIT_US=${WAIT_US:-3000}
THREADS=${THREADS:-4}
TRACE_S=${TRACE_S:-4}
dir=$(mktemp -d /tmp/blockscope-demo.XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

# Starts a server in the background; sets PORT from its first line.
start_server() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		PORT=$(sed -n '1s/.*port=\([0-9]*\).*/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	echo "demo: $* did not start: $(cat "$log")" >&2
	exit 1
}

start_server "$dir/backend.log" "$BUILD/targets/backend" --port 0 --seconds 60
backend_port=$PORT
start_server "$dir/pool.log" "$BUILD/targets/pool_server" --port 0 \
	--backend-port "$backend_port" --threads "$THREADS" --seconds 60
pool_port=$PORT
pool_pid=${pids[-1]}

echo "== pool_server (pid $pool_pid, $THREADS workers) behind a backend that waits ${WAIT_US} us;"
echo "== loadgen sends requests of ${CPU_US} us CPU + ${WAIT_US} us backend wait over 16 connections."
"$BUILD/targets/loadgen" --port "$pool_port" --connections 16 --cpu-us "$CPU_US" \
	--wait-us "$WAIT_US" --seconds $((TRACE_S + 2)) >"$dir/loadgen.log" 2>&1 &
pids+=($!)
loadgen_pid=$!
sleep 1
echo "== blockscope -t -p $pool_pid -d $TRACE_S"
echo
"$BUILD/blockscope" -t -p "$pool_pid" -d "$TRACE_S"
rc=$?
wait "$loadgen_pid"
echo
echo "== loadgen: $(grep -v '^SUMMARY' "$dir/loadgen.log" | tail -1)"
exit $rc
