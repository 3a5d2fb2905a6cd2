#!/usr/bin/env bash
# The glibc pool: build/targets/pool_server (pthread mutex/condvar queue,
# POOL_THREADS workers "worker-N", an epoll acceptor), light and heavy.
# Designed: the workers make the backend call themselves, WT/CT = 3.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_backend || { finish; exit; }
start_workload pool_server 60 "$TARGETS/pool_server" --port 0 --backend-port "$BACKEND_PORT" \
	--threads "$POOL_THREADS" --seconds 60 || { finish; exit; }
for phase in light heavy; do
	name=glibc_$phase
	line_load "$phase" "$WPORT" "$CPU_US" "$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" || { finish; exit; }
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	check_pool "$name" "$J" "$(comm_tids "$J" '^worker-')" "$WAIT_US" worker-0
	check_occupancy "$name" "$J" "$phase" "$(comm_tids "$J" '^worker-')"
done
finish
