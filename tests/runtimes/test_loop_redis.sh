#!/usr/bin/env bash
# What stalls Redis's event loop (issue 25): one main thread serves every
# client from epoll_wait. Faults injected inside the traced window:
#   DEBUG SLEEP 0.05, 4 times (--enable-debug-command): the loop sleeps in
#     clock_nanosleep 50 ms each: 4 blocking calls, each a stall;
#   a Lua script that counts for ~80 ms (EVAL), 3 times: stalls on a CPU,
#     nothing blocked.
# Load: light is an open loop of PINGs (tests/runtimes/rate_client.py,
# 200/s over 4 connections): the loop mostly idle, no stall without a
# fault; heavy is redis-benchmark -c 16 (closed loop, saturating by
# design). Traced by PID in both modes over one window. The loop is never
# sized; its bio threads are the runtime's.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs redis-server redis-tools || { finish; exit; }
D=$TMP/redis
RPORT=$(free_port)
mkdir -p "$D"
server redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no \
	--enable-debug-command yes --dir "$D" --logfile "$D/redis.log" --daemonize no
RPID=$!
on_exit "stop_tree $RPID TERM 10"
if ! wait_port "$RPORT" 10; then
	fail redis-start "redis-server did not listen on $RPORT: $(tail -n 3 "$D/redis.log")"
	finish
	exit
fi
cli() { bounded 10 redis-cli -p "$RPORT" "$@"; }
check redis-debug-sleep "DEBUG SLEEP 0 is refused: $(cli debug sleep 0 2>&1)" -- \
	test "$(cli debug sleep 0 2>&1)" = OK

# The Lua loop's length: ~80 ms of counting on this machine, untraced.
LUA='local i = 0 while i < tonumber(ARGV[1]) do i = i + 1 end return i'
t0=$(date +%s%N)
cli eval "$LUA" 0 2000000 >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
LUA_N=$(awk -v m="$ms" 'BEGIN { m = m < 1 ? 1 : m; printf "%d", 2000000 * 80 / m }')
echo "NOTE calibration: 2M Lua iterations took $ms ms: $LUA_N for ~80 ms" | tee -a "$RT_OUT/loops.txt"

# inject WHAT N: N faults, 0.5 s apart from 0.4 s into the window.
inject() {
	local what=$1 n=$2 k
	sleep 0.4
	for ((k = 0; k < n; k++)); do
		if [ "$what" = sleep ]; then
			cli debug sleep 0.05 >/dev/null
		else
			cli eval "$LUA" 0 "$LUA_N" >/dev/null
		fi
		sleep 0.5
	done
}

commands() { cli info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'; }
# phase NAME light|heavy [FAULT N]: the load, then the traced window (with
# the faults injected in it, if any).
phase() {
	local name=$1 kind=$2 before after
	if [ "$kind" = light ]; then
		background 30 python3 "$ROOT/tests/runtimes/rate_client.py" --port "$RPORT" --rate 200 \
			--connections 4 --seconds 9 >"$D/$name.load" 2>&1
	else
		background 30 redis-benchmark -p "$RPORT" -c 16 -n 100000000 -t get,set -d 64 -r 100000 -q \
			>"$D/$name.load" 2>&1
	fi
	LOAD=$BG_PID
	sleep 1.5
	AFTER_RELEASE=()
	[ $# -gt 2 ] && AFTER_RELEASE=(inject "$3" "$4")
	before=$(commands)
	trace_phase "$name" "$RPID" || return 1
	after=$(commands)
	AFTER_RELEASE=()
	stop_tree "$LOAD" INT 5
	check "$name-load" "commands processed during the trace: ${before:-?} -> ${after:-?}" -- \
		test $((${after:-0} - ${before:-0})) -gt 300
}

phase redis_light light || { finish; exit; }
check_loop_modes redis_light "$J" "$RPID" clean
phase redis_sleep_light light sleep 4 || { finish; exit; }
check_loop_modes redis_sleep_light "$J" "$RPID" stalls 4 clock_nanosleep
phase redis_sleep_heavy heavy sleep 4 || { finish; exit; }
check_loop_modes redis_sleep_heavy "$J" "$RPID" stalls 4 clock_nanosleep
phase redis_lua_heavy heavy lua 3 || { finish; exit; }
check_loop_modes redis_lua_heavy "$J" "$RPID" cpu-stalls 3
finish
