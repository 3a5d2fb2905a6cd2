#!/usr/bin/env bash
# Why it blocked: call sites (folded stacks), wakers, and the timeline
# (Perfetto JSON and an SVG picture, screenshotted in headless Chromium).
source "$(dirname "$0")/../lib.sh"

start_target backend --port 0 --seconds 60 || exit 1
BACKEND=$PORT
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 4 --seconds 60 || exit 1
POOL=$SPID
"$TARGETS/loadgen" --port "$PORT" --cpu-us 1000 --wait-us 3000 --connections 16 --seconds 5 \
	>"$TMP/loadgen.log" 2>&1 &
CHILD_PIDS+=($!)
sleep 0.7
"$BLOCKSCOPE" -j -o "$TMP/pool.json" --stacks --kernel-stacks --folded="$TMP/pool.folded" \
	--timeline="$TMP/pool.trace.json" --svg="$TMP/pool.svg" -p "$POOL" -d 2 2>"$TMP/pool.err"
check why_exit_0 "blockscope failed: $(head -3 "$TMP/pool.err")" -- [ -s "$TMP/pool.json" ]

# Call sites: the workers' blocking read of the backend, by function name.
check folded_has_function "no backend_call frame: $(head -c 300 "$TMP/pool.folded")" -- \
	grep -q "backend_call.*;\[read\]" "$TMP/pool.folded"
check folded_has_kernel_frames "no kernel frames after the syscall" -- \
	grep -Eq "\[read\];.*schedule" "$TMP/pool.folded"
check folded_format "lines must be 'frames count'" -- \
	awk 'NF < 2 || $NF !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$TMP/pool.folded"
"$BLOCKSCOPE" --stacks -p "$POOL" -d 1 >"$TMP/pool.txt" 2>&1
check top_call_sites_text "no call sites section" -- grep -q "TOP BLOCKING CALL SITES" "$TMP/pool.txt"

# Wakers: the pool's workers wait on the backend.
jq_check wakers_backend "$TMP/pool.json" \
	'[.wakers[] | select(.group == "worker-" and .waker_comm == "backend")] | length == 1'

# Timeline: valid JSON, one track per traced thread, on-CPU slices adding
# up to each thread's on-CPU time within 1%.
jq_check timeline_parses "$TMP/pool.trace.json" '.traceEvents | length > 100'
tracks=$(jq '[.traceEvents[] | select(.ph == "M") | .tid] | unique | length' "$TMP/pool.trace.json")
threads=$(jq '[.threads[] | select(.tid > 0)] | length' "$TMP/pool.json")
check timeline_track_per_thread "$tracks tracks for $threads threads" -- [ "$tracks" -eq "$threads" ]
jq -n --slurpfile t "$TMP/pool.trace.json" --slurpfile r "$TMP/pool.json" '
	[$r[0].threads[] | select(.tid > 0) | . as $th |
	 ([$t[0].traceEvents[] | select(.ph == "X" and .cat == "oncpu" and .tid == $th.tid) | .dur] | add // 0) as $us |
	 {tid, oncpu_ns, slices_ns: ($us * 1000)}]' >"$TMP/sums.json"
jq_check timeline_oncpu_adds_up "$TMP/sums.json" \
	'all(.[]; (.slices_ns - .oncpu_ns | fabs) <= 0.01 * .oncpu_ns + 2000)'

# SVG: well-formed, and a real browser draws it.
check svg_well_formed "xmllint rejects it" -- xmllint --noout "$TMP/pool.svg"
# Chromium is installed here, by the one test that uses it, not by make.
if ! "$ROOT/scripts/install-deps.sh" chromium >"$TMP/deps.log" 2>&1; then
	fail svg_screenshot "cannot install chromium: $(tail -1 "$TMP/deps.log")"
elif command -v chromium >/dev/null; then
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chromium" --window-size=1200,300 \
		--screenshot="$TMP/pool.png" "file://$TMP/pool.svg" >/dev/null 2>&1
	check svg_screenshot "no screenshot from chromium" -- [ -s "$TMP/pool.png" ]
else
	fail svg_screenshot "chromium is not on PATH after installing it"
fi
finish
