#!/usr/bin/env bash
# CPython 3.11 (Debian's /usr/bin/python3): tests/runtimes/py_pool.py, a
# ThreadPoolExecutor(POOL_THREADS) behind thread-per-connection readers,
# every thread unnamed (comm "python3"). The workload writes each
# thread's TID and role, so that the checks find the pool without names.
# Light and heavy with the backend wait (designed WT/CT = 3 for the pool;
# the readers are not a pool); then the same pool CPU-bound (wait 0): the
# pool threads fight over the GIL, true contention, still warned.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
check cpython-version "want Debian's CPython 3.11 at $PY" -- \
	"$PY" -c 'import sys, concurrent.futures; sys.exit(sys.version_info[:2] != (3, 11))' || { finish; exit; }
start_backend || { finish; exit; }

ROLES=$TMP/py.roles
start_workload py_pool 60 "$PY" "$ROOT/tests/runtimes/py_pool.py" --port 0 --backend-port "$BACKEND_PORT" \
	--threads "$POOL_THREADS" --seconds 60 --roles "$ROLES" || { finish; exit; }
for phase in light heavy; do
	name=cpython_$phase
	line_load "$phase" "$WPORT" "$CPU_US" "$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" || { finish; exit; }
	# The roles as the trace ended (the pool may grow later).
	R=$RT_OUT/$name.roles
	cp "$ROLES" "$R"
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	check_pool "$name" "$J" "$(tids_in_window "$R" pool "$J")" "$WAIT_US"
	check_not_sized "$name-readers" "$J" "$(tids_in_window "$R" reader "$J")" "the connection readers"
	check_not_sized "$name-main" "$J" "$(tids_in_window "$R" main "$J")" "the main thread (accepts, starts readers)"
done
stop_tree "$WPID" TERM 5

# The GIL: a pool that only computes, in pure Python.
ROLES=$TMP/py_gil.roles
start_workload py_gil 40 "$PY" "$ROOT/tests/runtimes/py_pool.py" --port 0 --backend-port "$BACKEND_PORT" \
	--threads "$POOL_THREADS" --seconds 40 --roles "$ROLES" || { finish; exit; }
name=cpython_gil_heavy
line_load heavy "$WPORT" "$CPU_US" 0 7
sleep 2
trace_phase "$name" "$WPID" || { finish; exit; }
R=$RT_OUT/$name.roles
cp "$ROLES" "$R"
load_ok "$name"
sizing_lines "$name" "$J"
check_contention "$name" "$J" "$(tids_in_window "$R" pool "$J")"
finish
