#!/usr/bin/env bash
# The control of the loop suites (issue 25): nginx's workers are event
# loops that never block (static files from the page cache, sendfile,
# non-blocking sockets). Master + 2 workers under wrk: light (4 connections
# thinking 12-38 ms, calibrated: http_load) and heavy (8 connections,
# closed loop, saturating by design). Traced from the master with
# --children in both modes over one window: each worker is a loop, never
# sized, not blocked, no stall under light load and no blocked stall under
# heavy (a saturated machine's run-queue wait may make a turn long: that
# is not the loop's); the master is not a loop; nothing contends.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_pkgs nginx wrk || { finish; exit; }
D=$TMP/nginx
NPORT=$(free_port)
start_nginx "$D" "$NPORT" || { finish; exit; }
WORKERS=$(pgrep -P "$MASTER" | sort -n | tr '\n' ' ')
check nginx-two-workers "workers: '$WORKERS'" -- test "$(echo $WORKERS | wc -w)" -eq 2

for phase in light heavy; do
	name=nginx_$phase
	http_load "$phase" "$NPORT" /index.html 9
	sleep 1.5
	trace_phase "$name" "$MASTER" --children || { finish; exit; }
	load_ok "$name"
	kind=clean
	[ "$phase" = heavy ] && kind=unblocked
	for w in $WORKERS; do
		check_loop_modes "$name-$w" "$J" "$w" "$kind"
	done
	for f in "$J" "$J.sched"; do
		jq_true "$name-master-not-a-loop$([ "$f" = "$J.sched" ] && echo -sched-only)" "$f" \
			"loops: $(jq_rt '[.loops[] | {tid, comm}]' "$f")" \
			'[.loops[] | select(.tid == $m)] | length == 0' --argjson m "$MASTER"
	done
done
finish
