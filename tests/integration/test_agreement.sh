#!/usr/bin/env bash
# blockscope's per-thread numbers against the kernel's own accounting, under
# several loads. Each worker thread of tests/progs/agree reads its own
# /proc/thread-self counters just before it ends; blockscope must agree:
# on-CPU within 1% (or 1 ms) and switches +-2. Run-queue time is compared
# where the ground truth is read at the same moment as blockscope's (the
# --verify window below, 3% or 1 ms): a thread's self-report cannot bound it,
# since one preemption between that read and the thread's end costs a whole
# slice (1-3 ms) of run-queue wait that blockscope rightly counts.
source "$(dirname "$0")/../lib.sh"

# compare NAME TRUTH_FILE JSON: every line of TRUTH_FILE against the report.
compare() {
	local name=$1 truth=$2 json=$3 ok=1 n=0
	local tid vol invol oncpu runq line
	while read -r tid vol invol oncpu runq; do
		n=$((n + 1))
		line=$(jq -r ".threads[] | select(.tid==$tid) | \"\(.voluntary_switches) \(.involuntary_switches) \(.oncpu_ns) \(.runq_ns)\"" "$json" | tail -1)
		if [ -z "$line" ]; then
			echo "  $name: thread $tid missing from the report"
			ok=0
			continue
		fi
		read -r bvol binvol boncpu brunq <<<"$line"
		if ! awk -v v="$vol" -v bv="$bvol" -v i="$invol" -v bi="$binvol" \
			-v c="$oncpu" -v bc="$boncpu" -v r="$runq" -v br="$brunq" 'function abs(x) { return x < 0 ? -x : x }
			BEGIN { exit !(abs(v - bv) <= 2 && abs(i - bi) <= 2 &&
				       (abs(c - bc) <= 1e6 || abs(c - bc) <= 0.01 * c) && br >= r) }'; then
			echo "  $name: thread $tid: /proc vol=$vol invol=$invol oncpu=$oncpu runq=$runq;" \
				"blockscope vol=$bvol invol=$binvol oncpu=$boncpu runq=$brunq"
			ok=0
		fi
	done <"$truth"
	[ "$n" -gt 0 ] || { echo "  $name: no thread reported itself"; ok=0; }
	check "$name" "disagreement with /proc (see above)" -- [ $ok -eq 1 ]
}

for mode in few many pinned churn fork; do
	"$BLOCKSCOPE" -j -f -o "$TMP/$mode.json" -- "$PROGS/agree" "$TMP/$mode.txt" "$mode" 1.5 \
		2>"$TMP/$mode.err"
	compare "agree_$mode" "$TMP/$mode.txt" "$TMP/$mode.json"
	jq_check "agree_${mode}_no_loss" "$TMP/$mode.json" '.events.lost == 0 and .events.threads_without_state == 0'
done
jq_check churn_threads_came_and_went "$TMP/churn.json" '[.threads[] | select(.born and .exited)] | length >= 30'
jq_check fork_children_followed "$TMP/fork.json" '[.targets[] | select(.came and .went)] | length == 3'

# Attached by PID to threads that live across the whole window: --verify
# compares with schedstat/status read as the window opens and closes.
spawn "$PROGS/agree" "$TMP/live.txt" live
pid=${CHILD_PIDS[-1]}
sleep 0.3
"$BLOCKSCOPE" -j --verify -p "$pid" -d 1 >"$TMP/live.json" 2>"$TMP/live.err"
jq_check verify_live_window "$TMP/live.json" \
	'[.threads[] | select(.verify.checkable)] | length == 3 and all(.verify.ok)'
jq_check verify_live_sources "$TMP/live.json" \
	'all(.threads[]; .base_source == "proc" and .end_source == "proc")'
"$BLOCKSCOPE" --verify -p "$pid" -d 0.5 >"$TMP/live.txt2" 2>&1
check verify_text_table "no agreement table in the text report" -- \
	grep -q "3 threads checked, 0 off target" "$TMP/live.txt2"

finish
