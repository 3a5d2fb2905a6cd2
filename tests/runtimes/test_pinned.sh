#!/usr/bin/env bash
# Point "Pinned threads" of issue 14: build/tests/progs/pinned_spin, four
# CPU-bound spinners ("spin-N") all pinned to CPU 0, traced by PID. The
# truth: one CPU, ~100% busy, saturated; N = 1 for their group.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_workload pinned_spin 30 "$PROGS/pinned_spin" 20 4 0 || { finish; exit; }
sleep 1
name=pinned
trace_phase "$name" "$WPID" || { finish; exit; }
sizing_lines "$name" "$J"
check_no_contention "$name" "$J"
G='gsize("spin-")'
jq_true pinned-n-is-one "$J" "spin- group: $(jq_rt "$G" "$J")" "$G | .cores == 1"
jq_true pinned-cpu-busy "$J" "the CPU they run on is ~100% busy; spin- group: $(jq_rt "$G | {cpu_busy}" "$J")" \
	"$G | .cpu_busy >= 0.85"
jq_true pinned-saturated "$J" "spin- group: $(jq_rt "$G | {warnings}" "$J")" \
	"$G | any(.warnings[]; test(\"saturated\"))"
jq_true pinned-size-one "$J" "spin- group: $(jq_rt "$G | {recommended_threads}" "$J")" \
	"$G | .recommended_threads == 1"
finish
