#!/usr/bin/env bash
# Each bundled workload shows the profile its concurrency model predicts,
# measured by blockscope from its JSON (targets/README.md has the table).
source "$(dirname "$0")/../lib.sh"

# load PORT CPU_US WAIT_US CONNECTIONS SECONDS: closed-loop load in the background.
load() {
	"$TARGETS/loadgen" --port "$1" --cpu-us "$2" --wait-us "$3" --connections "$4" \
		--seconds "$5" >"$TMP/loadgen.$1.log" 2>&1 &
	CHILD_PIDS+=($!)
	LOADGEN=$!
}

# trace NAME ARGS...: blockscope -j into $TMP/NAME.json after the load settles.
trace() {
	local name=$1
	shift
	sleep 0.7
	"$BLOCKSCOPE" -j -o "$TMP/$name.json" "$@" 2>"$TMP/$name.err"
}

start_target backend --port 0 --seconds 120 || exit 1
BACKEND=$PORT

# Thread pool: WT/CT of the workers = wait/cpu = 3; idle workers park in
# futex; the formula gives 2 x (1 + 3) = 8 for the worker group on 2 cores.
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 4 --seconds 60
load "$PORT" 1000 3000 16 6
trace pool -p "$SPID" -d 4 -c 2
jq_check pool_recommends_8 "$TMP/pool.json" \
	'.sizing.groups[] | select(.group=="worker-") | .threads == 4 and .recommended_threads >= 7 and .recommended_threads <= 9'
jq_check pool_workers_wait_on_backend "$TMP/pool.json" \
	'[.threads[] | select(.comm | startswith("worker-")) | .syscalls[] | select(.blocking > 0)] | max_by(.blocked_ns) | .name == "read" or .name == "recvfrom" or .name == "recv"'
jq_check pool_acceptor_idle "$TMP/pool.json" \
	'.threads[] | select(.comm == "acceptor") | .wait_ns < 0.01 * .idle_wait_ns'
# Its acceptor is an epoll loop: judged as a loop, never sized (it was
# sized 2, with a "CPUs saturated" warning, before loops were told apart).
jq_check pool_acceptor_is_a_loop "$TMP/pool.json" \
	'([.sizing.groups[] | select(.group=="acceptor")][0] | .role == "loop" and (has("recommended_threads") | not) and .warnings == [])
	 and ([.loops[] | select(.comm=="acceptor")] | length == 1)'
wait "$LOADGEN"

# Event loop: only epoll_wait blocks; reads and writes never do, some EAGAIN.
start_target epoll_server --port 0 --backend-port "$BACKEND" --seconds 60
load "$PORT" 200 1000 8 5
trace epoll -p "$SPID" -d 3
jq_check epoll_blocked_in_epoll_wait "$TMP/epoll.json" \
	'([.threads[].syscalls[] | select(.name=="epoll_wait") | .blocked_ns] | add) >= 0.99 * ([.threads[].syscalls[].blocked_ns] | add)'
jq_check epoll_no_blocking_io "$TMP/epoll.json" \
	'[.syscalls[] | select(.name | test("^(read|recvfrom|write|sendto|readv|writev)$")) | .blocking] | add == 0'
jq_check epoll_eagain "$TMP/epoll.json" '[.syscalls[].eagain] | add > 0'
jq_check epoll_is_a_loop "$TMP/epoll.json" \
	'([.loops[] | select(.comm=="loop" and .wait_syscall=="epoll_wait" and .turns > 0)] | length == 1)
	 and ([.sizing.groups[] | select(.group=="loop")][0] | .role == "loop" and (has("recommended_threads") | not))
	 and .sizing.recommended_threads == 0'
wait "$LOADGEN"

# Coroutines: handlers read like blocking code, yet only epoll_wait blocks.
start_target coro_server --port 0 --backend-port "$BACKEND" --seconds 60
load "$PORT" 200 1000 8 5
trace coro -p "$SPID" -d 3
jq_check coro_only_epoll_blocks "$TMP/coro.json" \
	'[.threads[].syscalls[] | select(.blocking > 0) | .name] | unique == ["epoll_wait"]'
jq_check coro_reads_eagain "$TMP/coro.json" \
	'[.syscalls[] | select(.name | test("^(read|recvfrom)$")) | .eagain] | add > 0'
jq_check coro_is_a_loop_not_blocked "$TMP/coro.json" \
	'[.loops[] | select(.comm=="loop")] | length == 1 and .[0].blocked_on_loop_share < 0.02'
wait "$LOADGEN"

# Reactor + pool: the loop never blocks but in epoll_wait; workers compute.
start_target reactor_pool --port 0 --backend-port "$BACKEND" --threads 2 --seconds 60
load "$PORT" 1000 1000 8 5
trace reactor -p "$SPID" -d 3
jq_check reactor_loop_nonblocking "$TMP/reactor.json" \
	'[.threads[] | select(.comm=="loop") | .syscalls[] | select(.blocking > 0) | .name] - ["epoll_wait"] == []'
jq_check reactor_workers_compute "$TMP/reactor.json" \
	'[.threads[] | select(.comm | startswith("worker-")) | .oncpu_ns] | add > 0.5e9'
jq_check reactor_loop_apart_from_its_pool "$TMP/reactor.json" \
	'([.sizing.groups[] | select(.group=="loop")][0].role == "loop")
	 and ([.sizing.groups[] | select(.group=="worker-")][0].role == "pool")'
wait "$LOADGEN"

# Thread per connection: each connection thread blocks in its reads.
start_target mt_server --port 0 --backend-port "$BACKEND" --seconds 60
load "$PORT" 200 1000 4 5
trace mt -p "$SPID" -d 3
jq_check mt_threads_block_in_reads "$TMP/mt.json" \
	'[.threads[] | select(.comm | startswith("conn-"))] | length >= 4 and all(.blocking_calls > 100)'
jq_check mt_reads_mostly_blocking "$TMP/mt.json" \
	'[.syscalls[] | select(.name | test("^(read|recvfrom)$"))] | ([.[].blocking] | add) >= 0.45 * ([.[].calls] | add)'
wait "$LOADGEN"

# Process per connection: the children, found with --children, block in reads.
start_target mp_server --port 0 --backend-port "$BACKEND" --seconds 60
load "$PORT" 200 1000 4 5
trace mp -p "$SPID" --children -d 3
jq_check mp_children_traced "$TMP/mp.json" '[.targets[] | select(.pid != '"$SPID"')] | length >= 4'
jq_check mp_children_block "$TMP/mp.json" \
	'[.targets[] | select(.pid != '"$SPID"') | .blocking_calls] | all(. > 100)'
wait "$LOADGEN"

# Busy polling: non-blocking and still synchronous.
"$TARGETS/busy_poll" --backend-port "$BACKEND" --wait-us 1000 --seconds 4 >"$TMP/busy.log" 2>&1 &
bp=$!
CHILD_PIDS+=($bp)
trace busy -p "$bp" -d 2
jq_check busy_poll_never_blocks "$TMP/busy.json" '[.syscalls[].blocking] | add == 0'
jq_check busy_poll_eagain "$TMP/busy.json" \
	'.syscalls[] | select(.name=="recvfrom") | .eagain >= 0.9 * .calls'
jq_check busy_poll_on_cpu "$TMP/busy.json" '.threads[0].oncpu_ns >= 0.9 * .threads[0].traced_ns'
jq_check busy_poll_never_asleep "$TMP/busy.json" '.threads[0].blocked_ns < 0.01 * .threads[0].traced_ns'
wait "$bp"

# Callbacks: the sync caller blocks; the async caller does not, its helper does.
for mode in sync async; do
	"$TARGETS/callbacks" --mode "$mode" --backend-port "$BACKEND" --wait-us 2000 --cpu-us 200 \
		--seconds 4 >"$TMP/cb.$mode.log" 2>&1 &
	cb=$!
	CHILD_PIDS+=($cb)
	trace "cb_$mode" -p "$cb" -d 2
	wait "$cb"
done
jq_check callbacks_sync_caller_blocks "$TMP/cb_sync.json" \
	'.threads[] | select(.comm=="caller") | .blocking_calls > 100'
jq_check callbacks_async_caller_never_blocks "$TMP/cb_async.json" \
	'.threads[] | select(.comm=="caller") | .blocking_calls <= 2'
jq_check callbacks_async_worker_blocks "$TMP/cb_async.json" \
	'[.threads[] | select(.comm | startswith("async-worker"))] | length >= 1 and all(.blocking_calls > 100)'

finish
