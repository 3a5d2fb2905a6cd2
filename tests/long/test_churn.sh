#!/usr/bin/env bash
# Thread churn for 60 s (thousands of threads a second): the collector's
# memory stays flat after warm-up, nothing is lost, and every count adds up.
source "$(dirname "$0")/../lib.sh"
SECONDS_TO_RUN=${CHURN_SECONDS:-60}

"$PROGS/churn" "$SECONDS_TO_RUN" 10 1000 2>"$TMP/churn.out" &
pid=$!
CHILD_PIDS+=($pid)
"$BLOCKSCOPE" -j -o "$TMP/churn.json" -p "$pid" 2>"$TMP/bs.err" &
bs=$!
# Sample the collector's resident memory once a second.
: >"$TMP/rss"
while kill -0 $bs 2>/dev/null; do
	awk '/^VmRSS/ { print $2 }' /proc/$bs/status 2>/dev/null >>"$TMP/rss"
	sleep 1
done
wait $bs
rc=$?
wait $pid
check churn_exit_0 "blockscope exited $rc: $(cat "$TMP/bs.err")" -- [ $rc -eq 0 ]

created=$(sed -n 's/^threads=\([0-9]*\).*/\1/p' "$TMP/churn.out")
samples=$(wc -l <"$TMP/rss")
warm=$(sed -n '10p' "$TMP/rss")
peak=$(sort -n "$TMP/rss" | tail -1)
echo "  threads created: $created; collector RSS after warm-up ${warm} kB, peak ${peak} kB over $samples samples"
check churn_many_threads "only $created threads created" -- \
	[ "${created:-0}" -ge $((1000 * SECONDS_TO_RUN)) ]
check churn_memory_flat "RSS grew from ${warm} kB to ${peak} kB (limit +5 MB)" -- \
	[ -n "$warm" ] && [ $((peak - warm)) -lt 5120 ]
jq_check churn_no_loss "$TMP/churn.json" '.events.lost == 0 and .events.threads_without_state == 0 and .events.malformed == 0'
# Every worker made exactly 10 getppid calls: the total must be exact.
jq_check churn_calls_consistent "$TMP/churn.json" \
	".syscalls[] | select(.name==\"getppid\") | .calls == 10 * $created and .partial_calls == 0"
# Every thread is there once, alone or folded into its group: workers + main.
jq_check churn_threads_consistent "$TMP/churn.json" \
	"([.threads[] | select(.pid == $pid) | (.retired_threads // 1)] | add) == $created + 1"
jq_check churn_folded "$TMP/churn.json" '.events.retired_threads > 0 and (.threads | length) < 2000'

finish
