#!/usr/bin/env bash
# Apache httpd, event MPM (Debian's mpm_event.conf numbers but
# MinSpareThreads 5 and ServerLimit 2, so that no child is forked during
# the trace, which MinSpareThreads alone did not ensure (a third child was
# forked under ab in one CI run): 2
# children of 25 worker threads, plus a listener and a main thread each), driven by ab
# (a new connection per request, 16 at a time) and traced by the parent's
# PID with -f --children for 4 s while the load runs; a second tracer
# watches the same window with the classes that fit Apache (as in
# test_apache_worker.sh).
# Measured profile (see docs/servers.md):
# - the listener thread is an event loop: it blocks in epoll_wait, and in
#   futex when it hands a connection to the worker queue; its accept4 is
#   non-blocking and meets EAGAIN (both children's listeners wake for one
#   connection);
# - workers never poll: a read that finds nothing (EAGAIN), typically the
#   lingering close waiting for the client's FIN, hands the connection
#   back to the listener's epoll instead of holding the thread as the
#   worker MPM does. Their only long waits are futex (idle, waiting for
#   work) and the shared mmap lock (mmap/munmap/writev).
# Part 2 runs a fresh server, alone on one CPU, under the bounded load of
# test_apache_worker.sh's part 2 (20 keep-alive clients thinking 100 ms
# between requests, wrk on another CPU): where the worker MPM holds a
# thread per client and is sized at hundreds of threads per CPU, the event
# MPM parks the waiting connections in the listener's epoll: WT is next to
# nothing and the recommendation about one thread per CPU.
# Load: part 1 saturating by design (ab), its warning asserted from the
# kernel's counts; part 2 light by construction (20 keep-alive clients).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs apache2 apache2-utils wrk || { finish; exit; }

D=$TMP/event
PORT=$(free_port)
EVENT_CONF="
StartServers 2
ServerLimit 2
MinSpareThreads 5
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 50
MaxKeepAliveRequests 0
"
start_apache event "$D" "$PORT" "$EVENT_CONF" || { finish; exit; }
check event-serves "GET /index.html is not 200" -- test "$(http_status "$PORT" /index.html)" = 200

ab_load "$D" "$PORT" 16
sleep 1.5
J=$TMP/event.json
JC=$TMP/event-classes.json
CLASSES=(--class=futex=idle --class=read=idle --class=poll=wait --class=mmap=sync --class=munmap=sync)
background 60 "$BLOCKSCOPE" -j -o "$JC" -d 4 -f --children "${CLASSES[@]}" -p "$APACHE_PID" 2>"$JC.err"
SECOND=$BG_PID
trace event "$J" -d 4 -f --children -p "$APACHE_PID" || { finish; exit; }
wait "$SECOND"
check event-second-tracer "the tracer with --class exited $?: $(head -c 300 "$JC.err")" -- \
	jq -e '.sizing.groups' "$JC" >/dev/null
consistency event-classes "$JC"
ab_check event "$D"
keep apache_event "$J"
keep apache_event_classes "$JC"

A=(--argjson m "$APACHE_PID")
KIDS='[.targets[] | select(.pid != $m)]'
LISTENERS='[others_than($m)[] | select(sc("epoll_wait").calls + sc("epoll_pwait").calls > 0)]'
WORKERS='[others_than($m)[] | select(sc("epoll_wait").calls + sc("epoll_pwait").calls == 0 and .calls > 0)]'

jq_true event-processes "$J" "expected the parent and 2 children of 27 threads: $(jq -c '[.targets[] | {pid, threads}]' "$J")" \
	"(.targets | length) == 3 and ($KIDS | all(.[]; .threads == 27))" "${A[@]}"
# The listener: one event loop per child, blocked in epoll_wait and futex.
jq_true event-one-listener-per-child "$J" \
	"listeners: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$LISTENERS"' | map({pid, tid, blocked: blocked_names})' "$J")" \
	"$LISTENERS | length == 2 and ([.[].pid] | unique | length) == 2" "${A[@]}"
# Besides, like every thread of its process, in the mmap lock (mmap,
# munmap): 2.7% and 6.8% of the two listeners' blocked time in one run.
jq_true event-listener-blocks-in-epoll-and-futex "$J" \
	"listeners' blocked time: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$LISTENERS"' | map([.syscalls[] | select(.blocked_ns > 0) | {(.name): (.blocked_ns / 1e6 | floor)}] | add)' "$J")" \
	"$LISTENERS | all(.[]; sc(\"epoll_wait\").blocking > 0
		and ([.syscalls[].blocked_ns] | add) as \$all
		| (sc(\"epoll_wait\").blocked_ns + sc(\"epoll_pwait\").blocked_ns + sc(\"futex\").blocked_ns) as \$loop
		| \$loop >= 0.85 * \$all and \$loop + sc(\"mmap\").blocked_ns + sc(\"munmap\").blocked_ns >= 0.95 * \$all)" "${A[@]}"
jq_true event-accept-nonblocking-eagain "$J" \
	"accept4 in the listeners: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$LISTENERS"' | map(sc("accept4"))' "$J")" \
	"$LISTENERS as \$l | sum_sc(\$l; \"accept4\"; \"calls\") > 200 and sum_sc(\$l; \"accept4\"; \"eagain\") > 0
	 and sum_sc(\$l; \"accept4\"; \"blocking\") <= 0.01 * sum_sc(\$l; \"accept4\"; \"calls\")" "${A[@]}"
# Workers: no poll, no epoll; reads do not block and often meet EAGAIN.
jq_true event-workers-never-poll "$J" \
	"poll calls: $(jq -c '[.syscalls[] | select(.name == "poll" or .name == "ppoll")]' "$J")" \
	'[.syscalls[] | select(.name == "poll" or .name == "ppoll") | .calls] | add // 0 | . == 0'
jq_true event-worker-reads-nonblocking-eagain "$J" \
	"reads in the workers: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$WORKERS"' | {calls: sum_sc(.; "read"; "calls"), blocking: sum_sc(.; "read"; "blocking"), eagain: sum_sc(.; "read"; "eagain")}' "$J")" \
	"$WORKERS as \$w | sum_sc(\$w; \"read\"; \"calls\") > 200 and sum_sc(\$w; \"read\"; \"eagain\") >= 0.2 * sum_sc(\$w; \"read\"; \"calls\")
	 and sum_sc(\$w; \"read\"; \"blocking\") <= 0.01 * sum_sc(\$w; \"read\"; \"calls\")" "${A[@]}"
jq_true event-worker-writes-rarely-block "$J" \
	"writev in the workers: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$WORKERS"' | {calls: sum_sc(.; "writev"; "calls"), blocking: sum_sc(.; "writev"; "blocking")}' "$J")" \
	"$WORKERS as \$w | sum_sc(\$w; \"writev\"; \"calls\") > 200 and sum_sc(\$w; \"writev\"; \"blocking\") <= 0.05 * sum_sc(\$w; \"writev\"; \"calls\")" "${A[@]}"
jq_true event-workers-idle-in-futex "$J" \
	"workers' blocked time by syscall: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$WORKERS"' | [.[].syscalls[]] | group_by(.name) | map({(.[0].name): ([.[].blocked_ns] | add / 1e6 | floor)}) | add' "$J")" \
	"$WORKERS as \$w | sum_sc(\$w; \"futex\"; \"blocked_ns\") > 0.8 * ([\$w[].blocked_ns] | add)" "${A[@]}"

# Sizing with the fitting classes: the workers wait for nothing but work
# and the mmap lock (sync), so WT is small and the pool is about one thread
# per core. The lock is warned of exactly when the threads wait on each
# other at least half as long as they compute (sizing.c: a few ms of lock
# in minutes of idle is no contention). (With ab
# on the same 2 CPUs they are saturated, which blockscope also says: the
# comparison with the worker MPM is part 2's.)
jq_true event-fitting-classes "$JC" "sizing: $(jq -c '.sizing | del(.groups)' "$JC")" \
	'.sizing.wait_ns < 0.5 * .sizing.compute_ns and .sizing.sync_wait_ns > .sizing.wait_ns
	 and (any(.sizing.warnings[]; test("lock contention")) == (2 * .sizing.sync_wait_ns >= .sizing.compute_ns))
	 and .sizing.recommended_threads <= .sizing.cores + 1'

AB_RPS=$RPS
stop_tree "$APACHE_PID" TERM 10

# Part 2: the bounded keep-alive load of test_apache_worker.sh's part 2.
apache_keepalive event "$EVENT_CONF" "${CLASSES[@]}" || { finish; exit; }

jq_true event-keepalive-processes "$JK" "expected the parent and 2 children of 27 threads: $(jq -c '[.targets[] | {pid, threads}]' "$JK")" \
	"(.targets | length) == 3 and ($KIDS | all(.[]; .threads == 27))" --argjson m "$APACHE_PID"
jq_true event-keepalive-cores "$JK" "cores: $(jq -c '.sizing | {cores, cores_source}' "$JK")" \
	'.sizing.cores == 1'
# A worker answers a request, reads again (EAGAIN: the client is thinking)
# and hands the connection back to the listener, which waits for the next
# request in epoll_wait: no worker polls.
jq_true event-keepalive-listener-holds-connections "$JK" \
	"workers' reads: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$WORKERS"' | {calls: sum_sc(.; "read"; "calls"), eagain: sum_sc(.; "read"; "eagain"), poll: sum_sc(.; "poll"; "calls")}' "$JK"); listeners' epoll_wait: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$LISTENERS"' | {calls: sum_sc(.; "epoll_wait"; "calls"), blocking: sum_sc(.; "epoll_wait"; "blocking")}' "$JK")" \
	"$WORKERS as \$w | $LISTENERS as \$l | sum_sc(\$w; \"read\"; \"eagain\") as \$e
	 | \$e > 200 and \$e >= 0.4 * sum_sc(\$w; \"read\"; \"calls\") and sum_sc(\$w; \"poll\"; \"calls\") == 0
	 and sum_sc(\$l; \"epoll_wait\"; \"blocking\") >= 0.5 * \$e" --argjson m "$APACHE_PID"
# So the clients' thinking is idle time of the listener, not WT: where the
# worker MPM needs a thread per connection, the event MPM needs about one
# per CPU.
jq_true event-keepalive-sizing "$JK" "sizing: $(jq -c '.sizing | del(.groups)' "$JK")" \
	'.sizing.wait_ns < 0.01 * $c * .duration_ns and .sizing.wait_compute_ratio < 1
	 and .sizing.recommended_threads <= 2 * .sizing.cores' --argjson c "$KEEPALIVE_CONNS"
saturation_agrees event-keepalive-saturation "$JK" "$ON" "$RQ"

EXTRA="rps=$AB_RPS recommended_with_classes=$(jqv "$JC" .sizing.recommended_threads) keepalive_rps=$RPS keepalive_runq=${RUNQ_SHARE}% keepalive_cpu_busy=${CPU_BUSY}"
summary apache_event "$J" "$EXTRA keepalive_cores=$(jqv "$JK" .sizing.cores) keepalive_wt_ct=$(jqv "$JK" '.sizing.wait_compute_ratio * 100 | round / 100') keepalive_recommended=$(jqv "$JK" .sizing.recommended_threads)"
finish
