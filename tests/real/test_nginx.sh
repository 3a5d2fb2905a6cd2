#!/usr/bin/env bash
# nginx (master + 2 worker processes, one event loop each) under wrk,
# traced by the master's PID with --children for 4 s while the load runs.
# Expected: the workers block only in epoll_wait; their socket reads and
# writes never block. Measured: nginx also almost never meets EAGAIN on a
# connection: it stops reading when recv returns less than its buffer and
# waits for the next edge (EPOLLET), so EAGAIN appears only on accept4
# (several workers woken for one new connection).
# Load: saturating by design (wrk -c 32, closed loop): profile checks only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs nginx wrk || { finish; exit; }

D=$TMP/nginx
PORT=$(free_port)
start_nginx "$D" "$PORT" || { finish; exit; }
check nginx-serves "GET /index.html is not 200" -- test "$(http_status "$PORT" /index.html)" = 200
WORKERS=$(pgrep -P "$MASTER" | sort -n | tr '\n' ' ')
check nginx-two-workers "workers: '$WORKERS'" -- test "$(echo $WORKERS | wc -w)" -eq 2

# Load from 1.5 s before the trace to its end (SIGINT: wrk prints its report).
background 75 wrk -t2 -c32 -d60s "http://127.0.0.1:$PORT/index.html" >"$D/wrk.out" 2>&1
LOAD=$BG_PID
sleep 1.5
J=$TMP/nginx.json
if ! trace nginx "$J" -d 4 --children -p "$MASTER"; then
	finish
	exit
fi
stop_tree "$LOAD" INT 10
RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$D/wrk.out")
check nginx-load "wrk: $(tr '\n' ' ' <"$D/wrk.out" | head -c 400)" -- \
	bash -c "[ '${RPS:-0}' -gt 100 ] && ! grep -q 'Non-2xx' '$D/wrk.out'"
keep nginx "$J"

A=(--argjson m "$MASTER")
jq_true nginx-processes "$J" "expected the master and 2 workers, one thread each" \
	'(.targets | length) == 3 and all(.targets[]; .threads == 1) and ([.targets[].pid] | index($m) != null)' "${A[@]}"

# The master sleeps in rt_sigsuspend for the whole window (a call cut by
# the window at both ends: partial, not counted in calls).
jq_true nginx-master-sigsuspend "$J" "the master blocked in something other than rt_sigsuspend" \
	'.duration_ns as $d | threads_of($m)[0] | blocked_names == ["rt_sigsuspend"]
	 and sc("rt_sigsuspend").blocked_ns > 0.9 * $d' "${A[@]}"

# Each worker: blocks in epoll_wait, and nowhere else but for a moment in
# accept4: both workers accept on one listening socket, and the one that
# finds it locked by the other sleeps on the socket's lock (lock_sock), a
# real blocking call by the kernel's rule, of a few µs.
jq_true nginx-workers-block-only-in-epoll "$J" \
	"a worker blocked in a syscall other than epoll_wait/epoll_pwait (or briefly accept4): $(jq -c --argjson m "$MASTER" "$JQ_LIB"' [others_than($m)[] | [.syscalls[] | select(.blocking > 0) | {name, blocking, blocked_ns}]]' "$J")" \
	'others_than($m) | length == 2 and all(.[]; (blocked_names - ["epoll_wait", "epoll_pwait", "accept4"]) == []
	 and (sc("epoll_wait").blocking + sc("epoll_pwait").blocking) > 0
	 and ((sc("accept4").blocked_ns // 0) < 0.01 * ((sc("epoll_wait").blocked_ns // 0) + (sc("epoll_pwait").blocked_ns // 0))))' "${A[@]}"
# Their socket I/O is busy and never blocks.
for s in recvfrom writev sendfile; do
	jq_true "nginx-workers-$s-nonblocking" "$J" "$s in the workers: $(jq -c --argjson m "$MASTER" "$JQ_LIB"' [others_than($m)[] | sc("'$s'")]' "$J")" \
		'sum_sc(others_than($m); $s; "calls") > 200 and sum_sc(others_than($m); $s; "blocking") == 0' \
		"${A[@]}" --arg s "$s"
done
# EAGAIN: none on connections (reads stop on a short read); accept4 may
# meet it when two workers wake for one connection.
jq_true nginx-eagain-only-accept "$J" \
	"EAGAIN outside accept4: $(jq -c '[.syscalls[] | select(.eagain > 0) | {name, eagain}]' "$J")" \
	'[.syscalls[] | select(.eagain > 0 and .name != "accept4" and .name != "accept")] == []'
# Blocking calls are a small minority of the workers' calls: at most one
# per epoll_wait, which returns at least one request of 6 more calls
# (recvfrom, openat, newfstatat, writev, sendfile, close).
jq_true nginx-workers-mostly-nonblocking "$J" "workers' blocking share >= 20%" \
	'([others_than($m)[].blocking_calls] | add) < 0.2 * ([others_than($m)[].calls] | add)' "${A[@]}"
# The workers are event loops (epoll_wait for 512 events): judged as
# loops, never sized; nothing else worked, so the total recommends nothing
# (it sized the workers as a pool, N x U x (1 + 0) = N, before issue 25).
jq_true nginx-workers-are-loops "$J" "groups: $(jq -c '[.sizing.groups[] | {group, role, did_work, recommended_threads}]' "$J"); loops: $(jq -c '[.loops[] | {comm, wait_syscall, busy, blocked_on_loop_share}]' "$J")" \
	'([.loops[] | select(.wait_syscall == "epoll_wait")] | length) >= 1
	 and ([.sizing.groups[] | select(.role == "loop") | has("recommended_threads")] | length >= 1 and all(. == false))
	 and ([.sizing.groups[] | select(.role == "pool" and .did_work)] | length) == 0
	 and .sizing.recommended_threads == 0'

summary nginx "$J" "rps=$RPS"
finish
