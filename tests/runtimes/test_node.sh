#!/usr/bin/env bash
# Node.js: tests/runtimes/node_pool.js, an event loop doing the socket I/O
# (the backend call included) and libuv's pool (UV_THREADPOOL_SIZE=3:
# another number than V8's 4 platform workers) doing each request's CPU
# (crypto.pbkdf2). Every thread is comm "node"; the workload writes which
# TIDs appeared with the first pool jobs (libuv's pool) and which existed
# before (the loop, V8's platform workers and helpers).
# Designed: the pool threads only compute, WT/CT = 0: UV_THREADPOOL_SIZE
# should be N (2, within 1). V8's platform workers are a runtime's service
# threads: not sized, and labelled node:v8-platform (their queue is on the
# heap; libuv's is a static of libuv). Nothing here takes a contended lock.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UV_POOL=3
check node-version "want node 20: $(node --version 2>&1)" -- \
	bash -c 'node --version | grep -q "^v20\."' || { finish; exit; }
start_backend || { finish; exit; }
ROLES=$TMP/node.roles
start_workload node_pool 60 env UV_THREADPOOL_SIZE=$UV_POOL node "$ROOT/tests/runtimes/node_pool.js" \
	--port 0 --backend-port "$BACKEND_PORT" --seconds 60 --roles "$ROLES" || { finish; exit; }
check node-roles "the roles file should list $UV_POOL pool threads: $(cat "$ROLES" 2>/dev/null | tr '\n' ' ')" -- \
	test "$(awk '$2 == "pool"' "$ROLES" | wc -l)" -eq "$UV_POOL"
for phase in light heavy; do
	name=node_$phase
	line_load "$phase" "$WPORT" "$CPU_US" "$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" || { finish; exit; }
	# The roles as the trace ended (the pool may grow later).
	R=$RT_OUT/$name.roles
	cp "$ROLES" "$R"
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	check_pool "$name" "$J" "$(tids_json "$R" pool)" 0
	check_not_sized "$name-v8-platform" "$J" "$(tids_json "$R" other)" "V8's platform workers and Node's helper threads"
	# Issue 26, point 4: the setting, and where the process says it is set.
	jq_true "$name-setting-source" "$J" "setting: $(jq_rt '[.sizing.groups[] | select(.setting) | {group, setting}]' "$J")" \
		'gsize("node:workers").setting | .runtime == "node" and .current == $n and .source == "UV_THREADPOOL_SIZE=\($n) in its environment"' \
		--argjson n "$UV_POOL"
	# Issue 27, item 4: V8's platform workers (4, on a queue of the heap)
	# labelled as the runtime's, apart from libuv's pool (whose queue is a
	# static of libuv): not a second "node:workers#2". A helper thread of
	# Node's that waits as they do may join them, never a pool thread.
	jq_true "$name-v8-platform-labelled" "$J" \
		"groups: $(jq_rt '[.sizing.groups[] | {group, role, threads}]' "$J"); libuv pool in $(jq_rt 'groups_of($t)' "$J" --argjson t "$(tids_json "$R" pool)")" \
		'any(.sizing.groups[]; .group == "node:v8-platform" and .role == "runtime" and .threads >= 4)
		 and ([.threads[] | select(.group == "node:v8-platform") | .tid] | all(. as $x | $o | index($x)))
		 and (groups_of($t) == ["node:workers"])
		 and ([.sizing.groups[].group | select(test("#[0-9]"))] | length == 0)' \
		--argjson t "$(tids_json "$R" pool)" --argjson o "$(tids_json "$R" other)"
done
finish
