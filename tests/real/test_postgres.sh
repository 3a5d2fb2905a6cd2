#!/usr/bin/env bash
# PostgreSQL (a fresh cluster in $TMP, run as the postgres user) under
# pgbench's TPC-B-like transactions (scale 2, 8 connections), traced by the
# postmaster's PID with -f --children for 4 s while the load runs: the 8
# backends forked before the trace are found by --children, and psql
# sessions opened during it by -f.
# Measured profile (see docs/servers.md):
# - one single-threaded backend process per connection;
# - a backend never blocks in recv: the client socket is O_NONBLOCK, recv
#   returns EAGAIN and the backend sleeps in epoll_wait (which is also
#   where it waits for a row lock or a latch);
# - the disk wait is the WAL flush at each commit: fdatasync blocks nearly
#   every time; pread64 does not (the data is in shared buffers and the
#   page cache); futex is a backend waiting for an LWLock held by another.
# Load: saturating by design (pgbench -c 8, closed loop): profile checks only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs postgresql postgresql-contrib || { finish; exit; }

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ] || [ ! -x "$BIN/postgres" ] || [ ! -x "$BIN/pgbench" ]; then
	fail pg-binaries "no initdb/postgres/pgbench under /usr/lib/postgresql/*/bin"
	finish
	exit
fi

D=$TMP/pg
PORT=$(free_port)
mkdir -p "$D"
chown postgres:postgres "$D"
# "${AS_POSTGRES[@]}" CMD...: CMD as the postgres user in $D, exec'd (same PID).
AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups -- env -C "$D")
client() { bounded "$1" "$BIN/$2" -h 127.0.0.1 -p "$PORT" -U postgres "${@:3}"; }

if ! bounded 60 "${AS_POSTGRES[@]}" "$BIN/initdb" -D "$D/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
	>"$D/initdb.log" 2>&1; then
	fail pg-initdb "$(tail -n 3 "$D/initdb.log" | tr '\n' ' ')"
	finish
	exit
fi
server "${AS_POSTGRES[@]}" "$BIN/postgres" -D "$D/data" -k "$D" -p "$PORT" -h 127.0.0.1 >"$D/postgres.log" 2>&1
SPAWNED=$!
# SIGINT is PostgreSQL's fast shutdown.
on_exit "stop_tree $SPAWNED INT 15"
if ! wait_port "$PORT" 20; then
	fail pg-start "postgres did not listen on $PORT: $(tail -n 3 "$D/postgres.log" | tr '\n' ' ')"
	finish
	exit
fi
# Listening is not accepting: wait until startup is over.
for i in $(seq 300); do
	bounded 5 "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
	sleep 0.1
done
PM=$(head -n 1 "$D/data/postmaster.pid")
check pg-postmaster-pid "postmaster.pid says '$PM', started $SPAWNED" -- test "$PM" = "$SPAWNED"
if ! client 120 pgbench -i -s 2 -q postgres >"$D/init.log" 2>&1; then
	fail pg-pgbench-init "$(tail -n 3 "$D/init.log" | tr '\n' ' ')"
	finish
	exit
fi
pass pg-pgbench-init

# -n: pgbench -i has just vacuumed; -P 1: tps every second; stopped after
# the trace.
background 120 "$BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -n -P 1 -c 8 -T 90 postgres >"$D/bench.out" 2>&1
LOAD=$BG_PID
# backends: the postmaster's children serving a client.
backends() { ps --ppid "$PM" -o pid=,args= | awk '/postgres: postgres postgres 127\.0\.0\.1/ { print $1 }' | sort -n; }
for i in $(seq 300); do
	[ "$(backends | wc -l)" -ge 8 ] && break
	sleep 0.1
done
sleep 1.5
BACKENDS=$(backends | jq -s -c .)
if [ "$(jq length <<<"$BACKENDS")" -ne 8 ]; then
	fail pg-eight-backends "backends before the trace: $BACKENDS; pgbench: $(tail -n 3 "$D/bench.out" | tr '\n' ' ')"
	finish
	exit
fi
pass pg-eight-backends

# Short sessions, one after the other, from the tracer's attach until the
# trace ends: those whose backend is forked after the attach and exits
# before the end must be reported as having come and gone. Not before the
# attach: a backend that --children finds at start-up and that exits
# before the baseline makes blockscope fail ("exited before tracing
# began"), a start-up race reported to the lead, not what this checks.
J=$TMP/postgres.json
(for _ in $(seq 500); do
	for p in $(pgrep -f -- "-o $J"); do
		tracer_attached "$p" && break 2
	done
	sleep 0.02
done
for i in $(seq 60); do
	[ -e "$D/trace-done" ] && break
	client 10 psql -Atq -c 'select pg_sleep(0.2)' postgres
done) >"$D/psql.out" 2>&1 &
PSQL=$!
trace postgres "$J" -d 4 -f --children -p "$PM"
TRACED=$?
touch "$D/trace-done"
wait "$PSQL"
[ $TRACED -eq 0 ] || { finish; exit; }
stop_tree "$LOAD" TERM 10
# The mean of the progress lines (one a second, the first is warm-up).
TPS=$(awk '/^progress:/ { n++; if (n > 1) { s += $4; m++ } } END { if (m) printf "%d", s / m }' "$D/bench.out")
check pg-load "pgbench: $(grep -v '^progress' "$D/bench.out" | tail -n 4 | tr '\n' ' ') tps=${TPS:-none}" -- \
	bash -c "[ '${TPS:-0}' -gt 10 ] && ! grep -qiE 'aborted|error' '$D/bench.out'"
keep postgres "$J"

A=(--argjson m "$PM" --argjson b "$BACKENDS")
BK='[.threads[] | select(.pid as $p | $b | index($p))]'
jq_true pg-process-per-connection "$J" "targets: $(jq -c '[.targets[] | {pid, threads, came, went}]' "$J")" \
	"all(.targets[]; .threads == 1) and ($BK | length) == 8" "${A[@]}"
jq_true pg-session-forked-during-trace-followed "$J" \
	"no target came and went with parent $PM: $(jq -c '[.targets[] | select(.came) | {pid, parent, went, calls}]' "$J")" \
	'any(.targets[]; .came and .went and .parent == $m and .calls > 0)' "${A[@]}"
# The postmaster waits in its server loop; forking a backend (clone) can
# block too, rarely and briefly (1 of 13 clones, 0.9 ms, in one run).
jq_true pg-postmaster-select "$J" "the postmaster blocked in: $(jq -c --argjson m "$PM" "$JQ_LIB"'threads_of($m)[0] | [.syscalls[] | select(.blocked_ns > 0) | {name, blocking, blocked_ns}]' "$J")" \
	'threads_of($m)[0] | (blocked_names - ["pselect6", "select", "epoll_wait", "clone", "clone3"]) == []
	 and .blocked_ns > 0 and (sc("pselect6").blocked_ns + sc("select").blocked_ns + sc("epoll_wait").blocked_ns) >= 0.99 * .blocked_ns' "${A[@]}"
# The client socket: recvfrom never blocks, meets EAGAIN, then epoll_wait.
jq_true pg-recv-nonblocking-eagain "$J" \
	"recvfrom/epoll_wait in the backends: $(jq -c "${A[@]}" "$JQ_LIB$BK"' | {recvfrom: {calls: sum_sc(.; "recvfrom"; "calls"), blocking: sum_sc(.; "recvfrom"; "blocking"), eagain: sum_sc(.; "recvfrom"; "eagain")}, epoll_wait: {calls: sum_sc(.; "epoll_wait"; "calls"), blocking: sum_sc(.; "epoll_wait"; "blocking")}}' "$J")" \
	"$BK | all(.[]; sc(\"recvfrom\").calls > 50 and sc(\"recvfrom\").blocking == 0 and sc(\"recvfrom\").eagain > 0
		and sc(\"epoll_wait\").blocking > 0 and sc(\"epoll_wait\").calls >= 0.9 * sc(\"recvfrom\").eagain)" "${A[@]}"
# The disk: the WAL flush at commit blocks; reads of data pages do not
# (10% at most, or one: at 1,300 tps a window may hold 5 preads, once with
# one that blocked, or none at all: the data is in shared buffers).
jq_true pg-commit-flush-blocks "$J" \
	"fdatasync/fsync in the backends: $(jq -c "${A[@]}" "$JQ_LIB$BK"' | . as $k | ["fdatasync", "fsync"] | map({(.): {calls: sum_sc($k; .; "calls"), blocking: sum_sc($k; .; "blocking")}}) | add' "$J")" \
	"$BK as \$k | (sum_sc(\$k; \"fdatasync\"; \"calls\") + sum_sc(\$k; \"fsync\"; \"calls\")) as \$c
	 | \$c > 20 and (sum_sc(\$k; \"fdatasync\"; \"blocking\") + sum_sc(\$k; \"fsync\"; \"blocking\")) >= 0.9 * \$c" "${A[@]}"
jq_true pg-data-reads-cached "$J" \
	"pread64 in the backends: $(jq -c "${A[@]}" "$JQ_LIB$BK"' | {calls: sum_sc(.; "pread64"; "calls"), blocking: sum_sc(.; "pread64"; "blocking")}' "$J")" \
	"$BK as \$k | sum_sc(\$k; \"pread64\"; \"blocking\") <= ([1, 0.1 * sum_sc(\$k; \"pread64\"; \"calls\")] | max)" "${A[@]}"
# Backends wait for each other: LWLocks (semaphores, futex).
jq_true pg-lwlock-waits "$J" \
	"futex in the backends: $(jq -c "${A[@]}" "$JQ_LIB$BK"' | {calls: sum_sc(.; "futex"; "calls"), blocking: sum_sc(.; "futex"; "blocking")}' "$J")" \
	"$BK as \$k | sum_sc(\$k; \"futex\"; \"blocking\") > 0" "${A[@]}"
# Sizing: WT is the WAL flush; waits for clients (epoll_wait) are idle.
jq_true pg-sizing "$J" "sizing: $(jq -c '.sizing | del(.groups)' "$J")" \
	'([.syscalls[] | select(.name == "fdatasync" or .name == "fsync") | .blocked_ns + .partial_blocked_ns] | add) >= 0.5 * .sizing.wait_ns
	 and .sizing.wait_ns > 0 and .sizing.idle_wait_ns > .sizing.wait_ns
	 and .sizing.recommended_threads > .sizing.cores'

summary postgres "$J" "tps=$TPS"
finish
