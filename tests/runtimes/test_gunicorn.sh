#!/usr/bin/env bash
# gunicorn (Debian's, on /usr/bin/python3) with POOL_THREADS sync workers:
# a pool of processes, each serving one request at a time. The app,
# tests/runtimes/wsgi_app.py, does a request's CPU and backend call
# (GET /?cpu=US&wait=US). Driven over HTTP by wrk, light and heavy; traced
# from the master with --children (the workers) and -f.
# Designed: each worker makes the backend call itself, WT/CT = 3, so
# --workers should be 8 on 2 CPUs (within 1). The master (the arbiter,
# which only watches its workers) is not a pool.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_backend || { finish; exit; }
GPORT=$(free_port)
start_workload gunicorn 60 bash -c 'echo "gunicorn pid=$$ port=$0"; exec "$@"' "$GPORT" \
	env BACKEND_PORT="$BACKEND_PORT" gunicorn --chdir "$ROOT/tests/runtimes" --workers "$POOL_THREADS" \
	--worker-class sync --bind "127.0.0.1:$GPORT" --log-level warning wsgi_app:app || { finish; exit; }
# The workers, once all are up.
for _ in $(seq 100); do
	[ "$(pgrep -P "$WPID" | wc -l)" -ge "$POOL_THREADS" ] && break
	sleep 0.1
done
WORKERS=$(pgrep -P "$WPID" | jq -s -c '.')
check gunicorn-workers "want $POOL_THREADS workers, have $WORKERS" -- \
	test "$(echo "$WORKERS" | jq length)" -eq "$POOL_THREADS"
for phase in light heavy; do
	name=gunicorn_$phase
	http_load "$phase" "$GPORT" "/?cpu=$CPU_US&wait=$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" --children -f || { finish; exit; }
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	check_pool "$name" "$J" "$(jq -c --argjson w "$WORKERS" '[.threads[] | select(.pid as $p | $w | index($p)) | .tid]' "$J")" "$WAIT_US"
	# A wakeup from pselect6 is a job besides the requests' (check_occupancy).
	check_occupancy "$name" "$J" "$phase" "$(jq -c --argjson w "$WORKERS" '[.threads[] | select(.pid as $p | $w | index($p)) | .tid]' "$J")" '["pselect6", "select"]'
	check_not_sized "$name-master" "$J" "[$WPID]" "the master (arbiter)"
	# Issue 26, point 4: the setting, and where the process says it is set.
	jq_true "$name-setting-source" "$J" "setting: $(jq_rt '[.sizing.groups[] | select(.setting) | {group, setting}]' "$J")" \
		'[.sizing.groups[] | select(.setting.runtime == "gunicorn")] | length >= 1 and all(.setting.source == "--workers \($n) on its command line")' \
		--argjson n "$POOL_THREADS"
done
finish
