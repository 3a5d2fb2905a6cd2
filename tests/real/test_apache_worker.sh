#!/usr/bin/env bash
# Apache httpd, worker MPM (Debian's mpm_worker.conf numbers but
# MinSpareThreads 5, so that no child is forked during the trace: 2
# children of 25 worker threads, plus a listener and a main thread each), driven by ab
# (a new connection per request, 16 at a time) and traced by the parent's
# PID with -f --children for 4 s while the load runs. Two tracers watch
# the same window: one with the default classes, one with the classes that
# fit this server (see the sizing checks below).
# Measured profile (see docs/servers.md):
# - the listener thread blocks in accept4 and hands each connection to a
#   worker through a queue; idle workers wait for it in futex;
# - a worker never blocks in read: APR makes the socket O_NONBLOCK and
#   waits in poll(), here mostly in the lingering close (after the
#   response, until the client's FIN);
# - mmap/munmap (EnableMMAP maps every file served) and the page faults
#   of writev sending from the mapping wait on the process's mmap lock,
#   which its threads share: blocking calls a prefork child never has.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs apache2 apache2-utils || { finish; exit; }

D=$TMP/worker
PORT=$(free_port)
start_apache worker "$D" "$PORT" "
StartServers 2
MinSpareThreads 5
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
" || { finish; exit; }
check worker-serves "GET /index.html is not 200" -- test "$(http_status "$PORT" /index.html)" = 200

ab_load "$D" "$PORT" 16
sleep 1.5
J=$TMP/worker.json
JC=$TMP/worker-classes.json
# futex: idle workers waiting for a connection (not lock contention);
# read: the children's main threads wait for the parent on a pipe (the
# connection reads never block); poll: a worker holding a connection and
# waiting for its client, which is time a request occupies a thread;
# mmap/munmap: waits for the mmap lock the threads share (contention).
CLASSES=(--class=futex=idle --class=read=idle --class=poll=wait --class=mmap=sync --class=munmap=sync)
background 60 "$BLOCKSCOPE" -j -o "$JC" -d 4 -f --children "${CLASSES[@]}" -p "$APACHE_PID" 2>"$JC.err"
SECOND=$BG_PID
trace worker "$J" -d 4 -f --children -p "$APACHE_PID" || { finish; exit; }
wait "$SECOND"
check worker-second-tracer "the tracer with --class exited $?: $(head -c 300 "$JC.err")" -- \
	jq -e '.sizing.groups' "$JC" >/dev/null
consistency worker-classes "$JC"
ab_check worker "$D"
keep apache_worker "$J"
keep apache_worker_classes "$JC"

A=(--argjson m "$APACHE_PID")
KIDS='[.targets[] | select(.pid != $m)]'
# Threads of the children, by role: the listener calls accept4, the main
# thread made no whole call, the workers are the rest.
LISTENERS='[others_than($m)[] | select(sc("accept4").calls > 0)]'
WORKERS='[others_than($m)[] | select(sc("accept4").calls == 0 and .calls > 0)]'

jq_true worker-processes "$J" "expected the parent and 2 children of 27 threads: $(jq -c '[.targets[] | {pid, threads}]' "$J")" \
	"(.targets | length) == 3 and ($KIDS | all(.[]; .threads == 27))" "${A[@]}"
jq_true worker-one-listener-per-child "$J" \
	"listeners: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB$LISTENERS"' | map({pid, tid, accept4: sc("accept4")})' "$J")" \
	"$LISTENERS | length == 2 and ([.[].pid] | unique | length) == 2 and all(.[]; sc(\"accept4\").blocking > 0)" "${A[@]}"
# Reads never wait for the client (a rare mmap-lock wait at most); poll
# does, unless the client's FIN is already there (more often when the
# CPUs are saturated and the worker waited in the run queue).
jq_true worker-reads-do-not-block "$J" \
	"reads in the workers: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB"'{calls: sum_sc(others_than($m); "read"; "calls"), blocking: sum_sc(others_than($m); "read"; "blocking")}' "$J")" \
	"$WORKERS as \$w | sum_sc(\$w; \"read\"; \"calls\") > 200 and sum_sc(\$w; \"read\"; \"blocking\") <= 0.01 * sum_sc(\$w; \"read\"; \"calls\")" "${A[@]}"
jq_true worker-poll-waits-for-client "$J" \
	"poll in the workers: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB"'{calls: sum_sc(others_than($m); "poll"; "calls"), blocking: sum_sc(others_than($m); "poll"; "blocking")}' "$J")" \
	"$WORKERS as \$w | sum_sc(\$w; \"poll\"; \"calls\") > 200 and sum_sc(\$w; \"poll\"; \"blocking\") >= 0.5 * sum_sc(\$w; \"poll\"; \"calls\")
	 and ([\$w[] | select(sc(\"poll\").blocking > 0)] | length) >= 8" "${A[@]}"
# Idle workers wait in futex: the biggest share of the workers' blocked time.
jq_true worker-idle-in-futex "$J" \
	"workers' blocked time by syscall: $(jq -c --argjson m "$APACHE_PID" "$JQ_LIB"'[others_than($m)[].syscalls[]] | group_by(.name) | map({(.[0].name): ([.[].blocked_ns] | add / 1e6 | floor)}) | add' "$J")" \
	"$WORKERS as \$w | sum_sc(\$w; \"futex\"; \"blocked_ns\") > 0.5 * ([\$w[].blocked_ns] | add)" "${A[@]}"
# Threads of one process share its mmap lock: mapping each file served blocks.
jq_true worker-mmap-lock-waits "$J" \
	"mmap/munmap never blocked: $(jq -c '[.syscalls[] | select(.name == "mmap" or .name == "munmap") | {name, calls, blocking}]' "$J")" \
	'([.syscalls[] | select(.name == "mmap" or .name == "munmap") | .blocking] | add) > 0'

# Sizing. Apache does not name its threads: one group, "apache".
jq_true worker-one-group "$J" "groups: $(jq -c '[.sizing.groups[] | {group, threads}]' "$J")" \
	'(.sizing.groups | length) == 1 and .sizing.groups[0].group == "apache" and .sizing.groups[0].threads == (.threads | length)'
# By default futex waits count as sync, more than WT: blockscope warns of
# lock contention; and WT holds the children's main threads, asleep in
# read on a pipe for the whole window (calls cut by the window).
jq_true worker-default-classes "$J" "sizing: $(jq -c '.sizing | del(.groups)' "$J"); read: $(jq -c '.syscalls[] | select(.name == "read") | del(.hist_log2_us)' "$J")" \
	'.duration_ns as $d | ([.syscalls[] | select(.name == "read") | .partial_blocked_ns] | add) as $pipe
	 | .sizing.sync_wait_ns > .sizing.wait_ns and any(.sizing.warnings[]; test("futex"))
	 and $pipe >= 1.8 * $d and .sizing.wait_ns >= $pipe'
# With the classes that fit, WT is the workers' poll (a thread held by a
# connection until its client closes), longer than CT: the pool must be
# more than twice the cores (the worker MPM's lesson; bounded in practice
# by the clients' concurrency), where the event MPM needs about the cores.
jq_true worker-fitting-classes "$JC" "sizing: $(jq -c '.sizing | del(.groups)' "$JC")" \
	'.sizing.wait_ns > .sizing.compute_ns and .sizing.recommended_threads > .sizing.cores * 2
	 and ([.syscalls[] | select(.name == "poll") | .blocked_ns] | add) >= 0.5 * .sizing.wait_ns'

summary apache_worker "$J" "rps=$RPS recommended_with_classes=$(jqv "$JC" .sizing.recommended_threads)"
finish
