#!/usr/bin/env bash
# What blocks Node's event loop (issue 25): tests/runtimes/node_loop.js does
# each request's CPU on the loop, then waits (see
# loop_variants in lib.sh for the loads and the checks):
#   await    the backend call awaited: a healthy loop (the good variant);
#   atomics  Atomics.wait on the loop: a timed futex wait, every connection
#            waits meanwhile;
#   fifo     fs.readFileSync of a FIFO a helper thread writes WAIT_US late:
#            read(2) on the loop.
# Designed: each request blocks a bad loop WAIT_US, so at R req/s it is
# blocked R x WAIT_US of its time; the good loop never blocks, and under a
# closed loop it is the bottleneck. A loop is never sized, and nothing here
# contends (V8's platform workers are the runtime's).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check node-version "want node 20: $(node --version 2>&1)" -- \
	bash -c 'node --version | grep -q "^v20\."' || { finish; exit; }
start_backend || { finish; exit; }
for v in await atomics fifo; do
	start_workload "node_$v" 120 node "$ROOT/tests/runtimes/node_loop.js" --mode "$v" --port 0 \
		--backend-port "$BACKEND_PORT" --seconds 120 --fifo "$TMP/node.fifo" || { finish; exit; }
	LOOP_PID[$v]=$WPID LOOP_PORT[$v]=$WPORT
done
loop_variants node await atomics:futex fifo:read
finish
