#!/usr/bin/env bash
# The JVM fixed pool: tests/runtimes/PoolServer.java, compiled here with
# javac. Executors.newFixedThreadPool(POOL_THREADS) ("pool-1-thread-N")
# behind thread-per-connection readers ("conn-N"), light and heavy.
# Designed: the pool threads make the backend call, WT/CT = 3; the readers
# only hand requests over and wait for results: not a pool. The JVM's own
# service threads (compilers, GC, VM threads) are not a pool either.
# Then --sync, a hot synchronized block: true contention, still warned.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLASSES=$RT_OUT/java
mkdir -p "$CLASSES"
check jvm-javac "javac failed: $(cat "$TMP/javac.log" 2>/dev/null)" -- \
	bash -c "javac -Xlint:all -Werror -d '$CLASSES' '$ROOT/tests/runtimes/PoolServer.java' >'$TMP/javac.log' 2>&1" ||
	{ finish; exit; }
start_backend || { finish; exit; }

# Threads HotSpot starts for itself (comm, 15 characters at most).
JVM_SERVICE='^(C[12] CompilerThre|GC Thread#|G1 |VM Periodic Tas|VM Thread|Reference Handl|Finalizer|Signal Dispatch|Service Thread|Monitor Deflati|Common-Cleaner|Notification Th|Sweeper thread|Attach Listener)'

start_workload jvm_pool 60 java -cp "$CLASSES" PoolServer --port 0 --backend-port "$BACKEND_PORT" \
	--threads "$POOL_THREADS" --seconds 60 || { finish; exit; }
for phase in light heavy; do
	name=jvm_$phase
	line_load "$phase" "$WPORT" "$CPU_US" "$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" || { finish; exit; }
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	check_pool "$name" "$J" "$(comm_tids "$J" '^pool-1-thread-')" "$WAIT_US" pool-1-thread-1
	check_occupancy "$name" "$J" "$phase" "$(comm_tids "$J" '^pool-1-thread-')"
	check_not_sized "$name-readers" "$J" "$(comm_tids "$J" '^conn-')" "the connection readers (conn-N)"
	check "$name-service-threads-seen" "fewer than 3 JVM service threads in the report" -- \
		test "$(comm_tids "$J" "$JVM_SERVICE" | jq length)" -ge 3
	check_not_sized "$name-service-threads" "$J" "$(comm_tids "$J" "$JVM_SERVICE")" "the JVM's service threads"
done
stop_tree "$(pgrep -f "PoolServer --port 0 --backend-port $BACKEND_PORT --threads" | head -1)" TERM 5

# True contention: every task burns its CPU inside one synchronized block.
# No backend wait beyond 500 us, so each task waits for the monitor far
# longer than for I/O: 4 threads, one lock held 1 ms per task.
start_workload jvm_sync 40 java -cp "$CLASSES" PoolServer --port 0 --backend-port "$BACKEND_PORT" \
	--threads "$POOL_THREADS" --seconds 40 --sync || { finish; exit; }
name=jvm_sync_heavy
line_load heavy "$WPORT" "$CPU_US" 500 7
sleep 2
trace_phase "$name" "$WPID" || { finish; exit; }
load_ok "$name"
sizing_lines "$name" "$J"
check_contention "$name" "$J" "$(comm_tids "$J" '^pool-1-thread-')"
finish
