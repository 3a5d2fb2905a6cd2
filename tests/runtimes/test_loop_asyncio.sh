#!/usr/bin/env bash
# What blocks CPython's asyncio loop (issue 25): tests/integration/
# asyncio_server.py does each request's CPU on the loop, then waits (see
# loop_variants in lib.sh for the loads and the checks):
#   await  the backend call awaits an asyncio stream: a healthy loop;
#   block  the backend call on a plain blocking socket, the sync client in
#          async code: recvfrom on the loop, every connection waits;
#   sleep  time.sleep on the loop: clock_nanosleep.
# Designed: each request blocks a bad loop WAIT_US, so at R req/s it is
# blocked R x WAIT_US of its time; the good loop never blocks, and under a
# closed loop it is the bottleneck. A loop is never sized; nothing contends
# (the process has one thread).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3 # Debian's CPython 3.11
check python-version "want Debian's python 3.11: $("$PY" --version 2>&1)" -- \
	bash -c "'$PY' --version | grep -q '^Python 3\.11\.'" || { finish; exit; }
start_backend || { finish; exit; }
for v in await block sleep; do
	start_workload "asyncio_$v" 120 "$PY" "$ROOT/tests/integration/asyncio_server.py" --mode "$v" \
		--backend-port "$BACKEND_PORT" --seconds 120 || { finish; exit; }
	LOOP_PID[$v]=$WPID LOOP_PORT[$v]=$WPORT
done
loop_variants asyncio await block:recvfrom sleep:clock_nanosleep
finish
