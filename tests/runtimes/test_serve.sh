#!/usr/bin/env bash
# Issue 27, item 1: /metrics (--serve) and the report size the same window
# alike, group by group. Three processes: four spinners pinned to CPU 0
# (tests/progs/pinned_spin: their N is 1, whatever the process may use), the
# glibc pool under heavy load (N is the machine's), and a mixed process
# (pinned_spin with unpinned workers beside its pinned spinners: two groups
# of one process with different N). Each is traced twice at once over the
# same seconds (serve_pair, lib.sh): blockscope --serve --window=5, scraped
# as its window closes, and blockscope -j -d 5. --serve keeps the syscall
# hooks on (--syscall-hooks=always) so that both classify the waits alike:
# the test is of the sizing, not of --sched-only against the default mode.
# For every group (serve_agree): sized on /metrics exactly when the report
# sizes it, the same N (blockscope_group_cores and .cores: affinities, not
# timings), and the same size (the pinned groups exactly; the others within
# 1, as the two windows start a few ms apart).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_backend || { finish; exit; }
start_workload pool_server 60 "$TARGETS/pool_server" --port 0 --backend-port "$BACKEND_PORT" \
	--threads "$POOL_THREADS" --seconds 60 || { finish; exit; }
POOL=$WPID POOL_PORT=$WPORT
start_workload pinned_spin 40 "$PROGS/pinned_spin" 30 4 0 || { finish; exit; }
PINNED=$WPID
start_workload mixed 40 "$PROGS/pinned_spin" 30 2 0 3 || { finish; exit; }
MIXED=$WPID

line_load heavy "$POOL_PORT" "$CPU_US" "$WAIT_US" 25
sleep 1
serve_pair serve_pinned_pool "$PINNED,$POOL"
serve_agree serve_pinned_pool spin-
jq_true serve-pinned-n-one "$RT_OUT/serve_pinned_pool.json" "spin-: $(jq_rt 'brief("spin-")' "$RT_OUT/serve_pinned_pool.json")" \
	'gsize("spin-") | .cores == 1 and .recommended_threads == 1'
check serve-pinned-metrics-one "$(grep 'spin-' "$RT_OUT/serve_pinned_pool.metrics" | head -5 | tr '\n' ' ')" -- \
	test "$(metric_of "$RT_OUT/serve_pinned_pool.metrics" blockscope_recommended_threads spin-)" = 1
serve_pair serve_mixed "$MIXED"
serve_agree serve_mixed spin-
jq_true serve-mixed-two-n "$RT_OUT/serve_mixed.json" "groups: $(jq_rt '[.sizing.groups[] | {group, cores}]' "$RT_OUT/serve_mixed.json")" \
	'gsize("spin-").cores == 1 and gsize("work-").cores == 2'
load_ok serve_pool
finish
