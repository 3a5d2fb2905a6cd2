#!/usr/bin/env bash
# --serve: a real Prometheus scrapes blockscope's /metrics while it traces the
# bundled thread pool under load; its sizing gauge agrees with --json, its
# counters grow, promtool accepts the page; bad addresses fail cleanly.
source "$(dirname "$0")/../lib.sh"

if ! "$ROOT/scripts/install-deps.sh" prometheus curl iproute2 >"$TMP/deps.log" 2>&1; then
	fail prometheus_installed "cannot install prometheus: $(tail -1 "$TMP/deps.log")"
	finish
	exit
fi

# prom QUERY: the instant vector's first value, or empty.
prom() {
	curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}

# CPU seconds (utime + stime) of a process so far.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# 1. The pool under load, traced with --serve on a free loopback port.
start_target backend --port 0 --seconds 120 || exit 1
BACKEND=$PORT
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 4 --seconds 90 || exit 1
POOL=$SPID
"$TARGETS/loadgen" --port "$PORT" --cpu-us 1000 --wait-us 3000 --connections 16 \
	--seconds 60 >"$TMP/loadgen.log" 2>&1 &
CHILD_PIDS+=($!)
sleep 0.7

"$BLOCKSCOPE" --serve=127.0.0.1:0 --window=5 -p "$POOL" -d 60 2>"$TMP/serve.err" &
BS=$!
CHILD_PIDS+=($BS)
URL=""
for _ in $(seq 100); do
	URL=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$TMP/serve.err")
	[ -n "$URL" ] && break
	sleep 0.1
done
check serve_says_url "no 'serving URL' line: $(head -2 "$TMP/serve.err")" -- [ -n "$URL" ]
BS_PORT=$(echo "$URL" | sed -n 's|http://127.0.0.1:\([0-9]*\)/metrics|\1|p')
cpu0=$(cpu_s "$BS")
t0=$(date +%s.%N)

# 2. A real Prometheus, with its own config and storage, scraping every second.
PROM_PORT=$(free_port)
mkdir -p "$TMP/prom"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: blockscope
    static_configs:
      - targets: ['127.0.0.1:$BS_PORT']
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM=$!
CHILD_PIDS+=($PROM) # stopped by cleanup, even on failure
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
check prometheus_ready "prometheus did not start: $(tail -2 "$TMP/prom.log")" -- \
	curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" -o /dev/null

# 3. Our page is valid for promtool (lint included), in the text format.
sleep 2
curl -s --max-time 5 "$URL" >"$TMP/scrape1.txt"
check promtool_accepts "promtool: $(promtool check metrics <"$TMP/scrape1.txt" 2>&1 | head -3)" -- \
	promtool check metrics <"$TMP/scrape1.txt"
check page_has_families "no syscall counters on the page" -- \
	grep -q '^blockscope_syscalls_total{group="worker-",syscall="read",class="blocking"} [1-9]' "$TMP/scrape1.txt"
bytes=$(wc -c <"$TMP/scrape1.txt")
series=$(grep -vc '^#' "$TMP/scrape1.txt")

# 4. The same load sized by --json from a second tracer, over the window's length.
"$BLOCKSCOPE" -j -p "$POOL" -d 5 >"$TMP/ref.json" 2>"$TMP/ref.err"
json_rec=$(jq '.sizing.groups[] | select(.group=="worker-") | .recommended_threads' "$TMP/ref.json")
sleep 1.5 # one more refresh and scrape
prom_rec=$(prom 'blockscope_recommended_threads{group="worker-"}')
echo "  sizing of worker-: --json $json_rec, Prometheus $prom_rec"
check recommended_agrees "Prometheus says '$prom_rec', --json '$json_rec'" -- \
	awk -v p="$prom_rec" -v j="$json_rec" 'BEGIN { d = p - j; exit !(p != "" && j != "" && d >= -1 && d <= 1) }'
check threads_gauge "blockscope_threads{group=\"worker-\"} is '$(prom 'blockscope_threads{group="worker-"}')'" -- \
	[ "$(prom 'blockscope_threads{group="worker-"}')" = 4 ]
check scrapes_up "up is not 1" -- [ "$(prom 'up{job="blockscope"}')" = 1 ]

# 5. Counters grow between scrapes and never go back.
a=$(prom 'sum(blockscope_syscalls_total)')
sleep 2.5
b=$(prom 'sum(blockscope_syscalls_total)')
check syscalls_total_grows "sum went from '$a' to '$b'" -- \
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && b > a) }'
resets=0
for c in syscalls syscall_eagain syscall_blocked_seconds blocked_seconds oncpu_seconds \
	runqueue_seconds switches events_lost; do
	r=$(prom "sum(resets(blockscope_${c}_total[1m]))")
	resets=$((resets + ${r:-1}))
done
check counters_never_reset "resets() of the counters = $resets" -- [ "$resets" = 0 ]
check prometheus_sees_rate "no rate of blocking reads" -- \
	awk -v r="$(prom 'sum(rate(blockscope_syscalls_total{group="worker-",syscall="read",class="blocking"}[5s]))')" \
	'BEGIN { exit !(r > 100) }'
check scrape_format_openmetrics "Prometheus did not scrape OpenMetrics" -- \
	bash -c "curl -s -H 'Accept: application/openmetrics-text;version=1.0.0' -D - '$URL' | grep -qi '^content-type: application/openmetrics-text'"
check pool_too_small_query "the docs' PromQL finds no small pool" -- \
	[ -n "$(prom 'blockscope_recommended_threads > on(group) blockscope_threads')" ]

# Figures: page size, collector CPU and memory while serving.
cpu1=$(cpu_s "$BS")
t1=$(date +%s.%N)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$BS/status")
echo "  scrape: $bytes bytes, $series series; collector: $(awk -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f%% of a CPU", 100 * (c1 - c0) / (t1 - t0) }') while serving (and tracing), RSS $((rss / 1024)) MiB"

# 6. SIGTERM: a clean stop, status 0, a summary line, nothing left in the kernel.
kill -TERM "$PROM"
wait "$PROM" 2>/dev/null
kill -TERM "$BS"
wait "$BS"
status=$?
check serve_sigterm_exit0 "exit status $status" -- [ "$status" -eq 0 ]
check serve_summary "no summary: $(tail -1 "$TMP/serve.err")" -- \
	grep -Eq '^blockscope: served http://127.0.0.1:[0-9]+/metrics for [0-9.]+ s \(stopped by SIGTERM\): [1-9][0-9]* scrapes' "$TMP/serve.err"
sleep 0.3
left=$(orphan_progs)
check serve_leaves_nothing "programs left: $left" -- [ -z "$left" ]

# 7. Bad addresses: one line (and argp's hint after a usage error), status
#    1 or 2, nothing on stdout, no program left loaded.
expect_serve_error() {
	local name=$1 pattern=$2 status
	shift 2
	"$BLOCKSCOPE" "$@" -p "$POOL" -d 2 >"$TMP/$name.out" 2>"$TMP/$name.err"
	status=$?
	if [ "$status" -ne 1 ] && [ "$status" -ne 2 ]; then
		fail "$name" "status $status"
	elif [ "$(grep -vc "^Try \`blockscope --help'" "$TMP/$name.err")" -ne 1 ] ||
		! head -1 "$TMP/$name.err" | grep -q "$pattern"; then
		fail "$name" "stderr: $(head -3 "$TMP/$name.err")"
	elif [ -s "$TMP/$name.out" ]; then
		fail "$name" "something on stdout"
	elif [ -n "$(orphan_progs)" ]; then
		fail "$name" "a BPF program was left loaded: $(orphan_progs)"
	else
		pass "$name"
	fi
}
busy=$BACKEND # the backend listens on 127.0.0.1
expect_serve_error serve_port_taken "^blockscope: cannot listen on 127.0.0.1:$busy: Address already in use$" \
	--serve=127.0.0.1:$busy
expect_serve_error serve_address_not_local "^blockscope: cannot listen on 192.0.2.1:9465: Cannot assign requested address$" \
	--serve=192.0.2.1:9465
expect_serve_error serve_bad_port "^blockscope: invalid port '99999' in '127.0.0.1:99999'" \
	--serve=127.0.0.1:99999
expect_serve_error serve_no_port "^blockscope: invalid address '127.0.0.1': expected HOST:PORT" \
	--serve=127.0.0.1
expect_serve_error serve_with_json "^blockscope: --serve exports metrics instead of printing a report: it does not go with --json" \
	--serve=127.0.0.1:0 -j
expect_serve_error serve_bad_window "^blockscope: invalid window '0'" --serve=127.0.0.1:0 --window=0

finish
