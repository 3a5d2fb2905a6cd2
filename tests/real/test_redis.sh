#!/usr/bin/env bash
# Redis (no persistence) under redis-benchmark (GET and SET, 16
# connections), traced by PID for 4 s while the load runs.
# Measured profile (see docs/servers.md):
# - one thread serves every client: its only blocking call is epoll_wait;
#   its reads and writes never block, and never meet EAGAIN either (one
#   read per readable event, replies written in full before sleeping);
# - its background threads (bio_close_file, bio_aof_fsync, bio_lazy_free,
#   jemalloc_bg_thd) sleep in futex through the whole window (calls cut
#   by the window, not counted), which blockscope's default classes call
#   "sync" and warn about, though they are idle.
# Load: saturating by design (redis-benchmark -c 16, closed loop): profile checks only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs redis-server redis-tools || { finish; exit; }

D=$TMP/redis
PORT=$(free_port)
mkdir -p "$D"
server redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
	--dir "$D" --logfile "$D/redis.log" --daemonize no
PID=$!
on_exit "stop_tree $PID TERM 10"
if ! wait_port "$PORT" 10; then
	fail redis-start "redis-server did not listen on $PORT: $(tail -n 3 "$D/redis.log")"
	finish
	exit
fi
check redis-ping "PING is not answered PONG" -- test "$(bounded 5 redis-cli -p "$PORT" ping)" = PONG

commands() { bounded 5 redis-cli -p "$PORT" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'; }
# redis-benchmark has no time limit: enough requests for much more than the
# trace, and it is stopped after it.
background 30 redis-benchmark -p "$PORT" -c 16 -n 100000000 -t get,set -d 64 -r 100000 -q >"$D/bench.out" 2>&1
LOAD=$BG_PID
sleep 1.5
BEFORE=$(commands)
J=$TMP/redis.json
trace redis "$J" -d 4 -p "$PID" || { finish; exit; }
AFTER=$(commands)
stop_tree "$LOAD" TERM 5
OPS=$(( (${AFTER:-0} - ${BEFORE:-0}) / 4 ))
check redis-load "commands processed during the trace: ${BEFORE:-?} -> ${AFTER:-?}" -- test "$OPS" -gt 100
keep redis "$J"

A=(--argjson p "$PID")
jq_true redis-threads "$J" "threads: $(jq -c '[.threads[] | {tid, comm, calls}]' "$J")" \
	'(.targets | length) == 1 and ([.threads[] | select(.calls > 0)] | length) == 1
	 and ([.threads[] | select(.calls > 0)][0].tid == $p)' "${A[@]}"
# The main thread: blocks in epoll_wait only.
jq_true redis-main-blocks-only-in-epoll "$J" \
	"main thread blocked in: $(jq -c --argjson p "$PID" "$JQ_LIB"'[.threads[] | select(.tid == $p)][0] | blocked_names' "$J")" \
	'[.threads[] | select(.tid == $p)][0] | blocked_names == ["epoll_wait"] and sc("epoll_wait").blocking > 100' "${A[@]}"
# Its socket reads and writes: busy, never blocking, no EAGAIN.
jq_true redis-io-nonblocking-no-eagain "$J" \
	"read/write: $(jq -c '[.syscalls[] | select(.name == "read" or .name == "write") | {name, calls, blocking, eagain}]' "$J")" \
	'[.syscalls[] | select(.name == "read" or .name == "write")] | length == 2
	 and all(.[]; .calls > 2000 and .blocking == 0 and .eagain == 0)'
# Everything but epoll_wait is non-blocking.
jq_true redis-only-epoll-blocks "$J" \
	"blocking syscalls: $(jq -c '[.syscalls[] | select(.blocking > 0) | {name, blocking}]' "$J")" \
	'[.syscalls[] | select(.blocking > 0) | .name] == ["epoll_wait"]'
# The background threads: asleep in futex all the window, no whole call.
jq_true redis-background-threads-idle "$J" \
	"background threads: $(jq -c --argjson p "$PID" "$JQ_LIB"'[.threads[] | select(.tid != $p) | {comm, calls, blocked: blocked_names}]' "$J")" \
	'.duration_ns as $d | [.threads[] | select(.tid != $p)] | length >= 3
	 and all(.[]; .calls == 0 and blocked_names == ["futex"] and .blocked_ns > 0.9 * $d)' "${A[@]}"
# Sizing: the main thread's group has no WT (a page fault at most): a
# thread per core (which a
# single-threaded Redis cannot use: its io-threads are off by default).
# The background threads sleep in futex all window: nothing came, idle (it
# used to count as sync and be warned about as lock contention).
jq_true redis-sizing "$J" "sizing: $(jq -c '.sizing' "$J")" \
	'group("redis-server") as $g | $g.threads == 1 and $g.wait_ns < 0.01 * $g.compute_ns and $g.idle_wait_ns > 0
	 and $g.recommended_threads <= $g.cores + 1
	 and ([.sizing.warnings[], .sizing.groups[].warnings[] | select(test("lock contention"))] | length) == 0'

summary redis "$J" "ops=$OPS"
finish
