#!/usr/bin/env bash
# --serve against hostile clients, and --web-config (TLS and basic auth):
# a real Prometheus scrapes over https with basic auth; a wrong password gets
# 401 and plain http to the TLS port gets no page; 1,000 connections held by
# 127.0.0.1 leave a scrape from 127.0.0.2 under 1 s with the collector's
# memory flat and nothing lost; a fuzz of request lines and headers against
# the ASan+UBSan collector, in clear and over TLS; bad web-config files are
# one line and exit status 2 before anything is loaded; the warning when the
# address is not a loopback one.
source "$(dirname "$0")/../lib.sh"
HOSTILE="python3 $ROOT/tests/integration/serve_hostile.py"
SANITIZED=${SANITIZED:-$BUILD/sanitize/blockscope}

if ! "$ROOT/scripts/install-deps.sh" prometheus curl openssl python3 iproute2 >"$TMP/deps.log" 2>&1; then
	fail deps_installed "cannot install prometheus, curl, openssl: $(tail -1 "$TMP/deps.log")"
	finish
	exit
fi

# 1. Test certificates (a CA and a server certificate for 127.0.0.1), a
#    bcrypt hash ($2y$, as htpasswd writes them), and web-config files.
W=$TMP/web
mkdir -p "$W"
(
	cd "$W" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
		-out ca.crt -days 2 -subj /CN=blockscope-test-ca
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key \
		-out server.csr -subj /CN=localhost
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
		-days 2 -extfile ext
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key \
		-out /dev/null -subj /CN=other
) >"$TMP/openssl.log" 2>&1
check certificates_made "openssl: $(tail -2 "$TMP/openssl.log")" -- [ -s "$W/server.crt" ]
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))' | sed 's/^\$2b\$/$2y$/')
cat >"$W/web.yml" <<EOF
# as node_exporter's documentation writes it
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: '$HASH'
EOF

start_target backend --port 0 --seconds 200 || exit 1
BACKEND=$PORT
start_target pool_server --port 0 --backend-port "$BACKEND" --threads 2 --seconds 190 || exit 1
POOL=$SPID
"$TARGETS/loadgen" --port "$PORT" --cpu-us 200 --wait-us 2000 --connections 4 \
	--seconds 180 >"$TMP/loadgen.log" 2>&1 &
CHILD_PIDS+=($!)

# start_serve NAME BINARY ARGS...: blockscope in the background; sets BS and
# URL (from its "serving" line) and BS_PORT.
start_serve() {
	local name=$1 bin=$2
	shift 2
	"$bin" "$@" -p "$POOL" -d 150 2>"$TMP/$name.err" &
	BS=$!
	CHILD_PIDS+=($BS)
	URL=""
	for _ in $(seq 300); do
		URL=$(sed -n 's/^blockscope: serving \(https\{0,1\}:[^ ]*\)$/\1/p' "$TMP/$name.err")
		[ -n "$URL" ] && break
		kill -0 "$BS" 2>/dev/null || break
		sleep 0.1
	done
	BS_PORT=$(echo "$URL" | sed -n 's|.*:\([0-9]*\)/metrics$|\1|p')
	[ -n "$URL" ]
}

# stop_serve NAME: SIGTERM; passes NAME_exit_clean if status 0, a summary
# line, and no sanitizer report.
stop_serve() {
	local name=$1 status
	kill -TERM "$BS"
	wait "$BS"
	status=$?
	if [ "$status" -ne 0 ]; then
		fail "${name}_exit_clean" "exit status $status: $(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$TMP/$name.err")"
	elif grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$TMP/$name.err"; then
		fail "${name}_exit_clean" "$(grep -m3 -E 'Sanitizer|runtime error' "$TMP/$name.err")"
	elif ! grep -q '^blockscope: served .* 0 lost$' "$TMP/$name.err"; then
		fail "${name}_exit_clean" "summary: $(tail -1 "$TMP/$name.err")"
	else
		pass "${name}_exit_clean"
	fi
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# Sockets of blockscope's: every connection it holds, in the gate or in MHD.
sockets() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'socket:'; }
scrape() { curl -s --max-time 5 --cacert "$W/ca.crt" "$@"; }
AUTH=(-u "prometheus:s3cret")

# 2. TLS and basic auth, by hand.
check serve_tls_starts "no serving line" -- \
	start_serve tls "$BLOCKSCOPE" --serve=127.0.0.1:0 --web-config="$W/web.yml"
case $URL in https://127.0.0.1:*) pass tls_url_is_https ;; *) fail tls_url_is_https "URL '$URL'" ;; esac
check loopback_no_warning "a warning for 127.0.0.1: $(grep warning "$TMP/tls.err")" -- \
	bash -c "! grep -q warning '$TMP/tls.err'"
sleep 1.5
code=$(scrape "${AUTH[@]}" -o "$TMP/page.txt" -w '%{http_code}' "$URL")
check https_auth_200 "status '$code'" -- [ "$code" = 200 ]
check https_page_has_series "no counters on the page" -- \
	grep -q '^blockscope_syscalls_total{group="worker-"' "$TMP/page.txt"
code=$(scrape -u prometheus:wrong -o /dev/null -w '%{http_code}' "$URL")
check wrong_password_401 "status '$code'" -- [ "$code" = 401 ]
code=$(scrape -u nobody:s3cret -o /dev/null -w '%{http_code}' "$URL")
check unknown_user_401 "status '$code'" -- [ "$code" = 401 ]
code=$(scrape -o /dev/null -D "$TMP/401.hdr" -w '%{http_code}' "$URL")
check no_credentials_401 "status '$code'" -- [ "$code" = 401 ]
check www_authenticate "no WWW-Authenticate: $(head -5 "$TMP/401.hdr")" -- \
	grep -qi '^WWW-Authenticate: Basic realm="blockscope"' "$TMP/401.hdr"
# Right then wrong: the cache of a good password does not let a bad one in.
code=$(scrape "${AUTH[@]}" -o /dev/null -w '%{http_code}' "$URL")$(scrape -u prometheus:s3cre -o /dev/null -w '%{http_code}' "$URL")
check cache_keeps_401 "statuses '$code'" -- [ "$code" = 200401 ]
plain_url=${URL/https:/http:}
curl -s --max-time 5 -o "$TMP/plain.txt" "$plain_url"
check plain_http_to_tls_fails "plain http got a page: $(head -c 200 "$TMP/plain.txt")" -- \
	bash -c "! grep -q blockscope_syscalls_total '$TMP/plain.txt'"
code=$(scrape --tls-max 1.1 "${AUTH[@]}" -o /dev/null -w '%{http_code}' "$URL")
check tls11_refused "TLS 1.1 got status '$code'" -- [ "$code" = 000 ]

# 3. A real Prometheus scrapes it: scheme https, tls_config, basic_auth.
PROM_PORT=$(free_port)
mkdir -p "$TMP/prom"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: blockscope
    scheme: https
    tls_config:
      ca_file: $W/ca.crt
    basic_auth:
      username: prometheus
      password: s3cret
    static_configs:
      - targets: ['127.0.0.1:$BS_PORT']
  - job_name: wrong_password
    scheme: https
    tls_config:
      ca_file: $W/ca.crt
    basic_auth:
      username: prometheus
      password: nope
    static_configs:
      - targets: ['127.0.0.1:$BS_PORT']
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM=$!
CHILD_PIDS+=($PROM)
prom() {
	curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}
for _ in $(seq 150); do
	[ "$(prom 'up{job="blockscope"}')" = 1 ] && [ -n "$(prom 'up{job="wrong_password"}')" ] &&
		[ -n "$(prom 'count(blockscope_syscalls_total{job="blockscope"})')" ] && break
	sleep 0.2
done
series=$(prom 'count(blockscope_syscalls_total{job="blockscope"})')
echo "  Prometheus over https with basic auth: up=$(prom 'up{job="blockscope"}'), $series syscall series, scrape $(prom 'scrape_duration_seconds{job="blockscope"}') s; wrong password: up=$(prom 'up{job="wrong_password"}')"
check prometheus_https_up "up{job=blockscope} is '$(prom 'up{job="blockscope"}')': $(tail -2 "$TMP/prom.log")" -- \
	[ "$(prom 'up{job="blockscope"}')" = 1 ]
check prometheus_gets_series "no blockscope_syscalls_total series in Prometheus" -- [ "${series:-0}" -gt 0 ]
check prometheus_wrong_password_down "up{job=wrong_password} is '$(prom 'up{job="wrong_password"}')'" -- \
	[ "$(prom 'up{job="wrong_password"}')" = 0 ]
kill -TERM "$PROM"
wait "$PROM" 2>/dev/null

# 4. 1,000 connections held by 127.0.0.1 (half a request line each, reopened
#    when closed): a scrape from 127.0.0.2 within 1 s, memory flat, nothing lost.
scrape "${AUTH[@]}" -o /dev/null "$URL" # the password is cached, as for Prometheus
rss0=$(rss_kb "$BS")
socks0=$(sockets "$BS")
socks=0
sum0=$(scrape "${AUTH[@]}" "$URL" | awk '/^blockscope_syscalls_total/ { s += $2 } END { print s + 0 }')
$HOSTILE hold "$BS_PORT" 12 1000 tls >"$TMP/hold.log" 2>&1 &
HOLD=$!
CHILD_PIDS+=($HOLD)
sleep 3
worst=0
codes=""
peak=$rss0
for _ in 1 2 3 4 5; do
	r=$(scrape "${AUTH[@]}" --interface 127.0.0.2 -o "$TMP/held.txt" -w '%{http_code} %{time_total}' "$URL")
	codes="$codes ${r% *}"
	worst=$(awk -v a="$worst" -v b="${r#* }" 'BEGIN { print (b > a ? b : a) }')
	rss=$(rss_kb "$BS")
	[ "$rss" -gt "$peak" ] && peak=$rss
	n=$(sockets "$BS")
	[ "$n" -gt "$socks" ] && socks=$n
	sleep 1
done
sum1=$(awk '/^blockscope_syscalls_total/ { s += $2 } END { print s + 0 }' "$TMP/held.txt")
wait "$HOLD"
held=$((socks - socks0))
sleep 6 # the last held ones time out
rss1=$(rss_kb "$BS")
lost=$(scrape "${AUTH[@]}" "$URL" | awk '/^blockscope_events_lost_total/ { print $2 }')
echo "  $(head -1 "$TMP/hold.log")"
echo "  under it (half TLS handshakes): blockscope held at most $held connections; scrapes from 127.0.0.2:$codes, slowest $worst s; RSS ${rss0} kB before, ${peak} kB peak, ${rss1} kB after; lost ${lost:-?}"
check held_scrape_ok "statuses:$codes" -- [ "$codes" = " 200 200 200 200 200" ]
check held_scrape_under_1s "slowest scrape $worst s" -- awk -v w="$worst" 'BEGIN { exit !(w < 1) }'
# 16 in MHD, and those handed to MHD that its thread has not yet taken in
# (and closed, over the limit): 32 at most here, on a loaded machine.
check held_per_peer_limit "blockscope held $held connections" -- [ "$held" -le 64 ]
check held_page_still_refreshed "syscall counters went from $sum0 to $sum1" -- \
	awk -v a="$sum0" -v b="$sum1" 'BEGIN { exit !(b > a) }'
check held_memory_flat "RSS ${rss0} kB -> ${peak} kB peak, ${rss1} kB after" -- \
	[ $((peak - rss0)) -lt 4096 ] && [ $((rss1 - rss0)) -lt 4096 ]
check held_nothing_lost "blockscope_events_lost_total is '${lost:-}'" -- [ "${lost:-x}" = 0 ]
stop_serve tls

# 5. The fuzz, against the ASan+UBSan collector: in clear, then over TLS.
if [ ! -x "$SANITIZED" ]; then
	fail fuzz_sanitized "no $SANITIZED: run make test (it builds it)"
else
	check fuzz_plain_starts "no serving line" -- \
		start_serve fuzz "$SANITIZED" --serve=127.0.0.1:0
	r=$($HOSTILE garbage "$BS_PORT")
	echo "  10,000 NUL bytes: status ${r% *} after ${r#* } s"
	check nul_bytes_400 "answer: '$r'" -- [ "${r% *}" = 400 ]
	check nul_bytes_fast "answer after ${r#* } s" -- awk -v t="${r#* }" 'BEGIN { exit !(t < 1) }'
	# The issue's case: half request lines in clear, 1,000 held by one peer.
	socks0=$(sockets "$BS")
	$HOSTILE hold "$BS_PORT" 6 1000 >"$TMP/hold2.log" 2>&1 &
	HOLD=$!
	CHILD_PIDS+=($HOLD)
	sleep 2.5
	r=$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{time_total}' --interface 127.0.0.2 "$URL")
	held=$(($(sockets "$BS") - socks0))
	wait "$HOLD"
	echo "  $(head -1 "$TMP/hold2.log")"
	echo "  under it (half request lines, ASan build): blockscope held $held connections; a scrape from 127.0.0.2: status ${r% *} in ${r#* } s"
	check held_plain_scrape_ok "status ${r% *} in ${r#* } s" -- \
		awk -v c="${r% *}" -v t="${r#* }" 'BEGIN { exit !(c == 200 && t < 1) }'
	check held_plain_per_peer_limit "blockscope held $held connections" -- [ "$held" -le 20 ]
	seed=$RANDOM
	$HOSTILE fuzz "$BS_PORT" 500 "$seed" >"$TMP/fuzz.log" 2>&1
	rc=$?
	check fuzz_plain_answers "seed $seed: $(tail -3 "$TMP/fuzz.log")" -- [ "$rc" -eq 0 ]
	echo "  $(head -1 "$TMP/fuzz.log")"
	code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$URL")
	check fuzz_plain_still_serves "status '$code'" -- [ "$code" = 200 ]
	stop_serve fuzz

	check fuzz_tls_starts "no serving line" -- \
		start_serve fuzztls "$SANITIZED" --serve=127.0.0.1:0 --web-config="$W/web.yml"
	seed=$RANDOM
	$HOSTILE fuzz "$BS_PORT" 200 "$seed" --tls "$W/ca.crt" >"$TMP/fuzztls.log" 2>&1
	rc=$?
	check fuzz_tls_answers "seed $seed: $(tail -3 "$TMP/fuzztls.log")" -- [ "$rc" -eq 0 ]
	echo "  over TLS: $(head -1 "$TMP/fuzztls.log")"
	$HOSTILE fuzz "$BS_PORT" 100 "$seed" >"$TMP/fuzzraw.log" 2>&1
	rc=$?
	check fuzz_tls_port_raw "seed $seed: $(tail -3 "$TMP/fuzzraw.log")" -- [ "$rc" -eq 0 ]
	code=$(scrape "${AUTH[@]}" -o /dev/null -w '%{http_code}' "$URL")
	check fuzz_tls_still_serves "status '$code'" -- [ "$code" = 200 ]
	stop_serve fuzztls
fi

# 6. Bad web-config files: one line, status 2, nothing on stdout, nothing
#    loaded in the kernel.
bad_config() {
	local name=$1 pattern=$2 status
	shift 2
	"$BLOCKSCOPE" --serve=127.0.0.1:0 "$@" -p "$POOL" -d 2 >"$TMP/$name.out" 2>"$TMP/$name.err"
	status=$?
	if [ "$status" -ne 2 ]; then
		fail "$name" "status $status: $(head -2 "$TMP/$name.err")"
	elif [ "$(grep -vc "^Try \`blockscope --help'" "$TMP/$name.err")" -ne 1 ] ||
		! head -1 "$TMP/$name.err" | grep -q -- "$pattern"; then
		fail "$name" "stderr: $(head -3 "$TMP/$name.err")"
	elif [ -s "$TMP/$name.out" ]; then
		fail "$name" "something on stdout"
	elif [ -n "$(orphan_progs)" ]; then
		fail "$name" "a BPF program was left loaded: $(orphan_progs)"
	else
		pass "$name"
	fi
}
yml() { printf '%s\n' "$@" >"$W/bad.yml"; }
bad_config webcfg_missing "^blockscope: cannot read --web-config '$W/none.yml': No such file or directory$" \
	--web-config="$W/none.yml"
yml 'tls_server_config: [' 
bad_config webcfg_bad_yaml "^blockscope: invalid --web-config '$W/bad.yml': line [0-9]*: not valid YAML" \
	--web-config="$W/bad.yml"
yml 'tls_config:' '  cert_file: server.crt'
bad_config webcfg_unknown_key "line 1: unknown key 'tls_config'" --web-config="$W/bad.yml"
yml 'basic_auth_users:' '  prometheus: secret'
bad_config webcfg_bad_hash "line 2: basic_auth_users: the hash of 'prometheus' is not a bcrypt hash" \
	--web-config="$W/bad.yml"
yml 'tls_server_config:' '  cert_file: server.crt'
bad_config webcfg_no_key "tls_server_config: give both cert_file and key_file" --web-config="$W/bad.yml"
yml 'tls_server_config:' '  cert_file: server.crt' '  key_file: other.key'
bad_config webcfg_key_mismatch "certificate 'server.crt' and key 'other.key': .*" --web-config="$W/bad.yml"
head -c 300 /dev/urandom >"$W/junk.key"
yml 'tls_server_config:' '  cert_file: server.crt' '  key_file: junk.key'
bad_config webcfg_junk_key "invalid --web-config '$W/bad.yml': .*junk.key" --web-config="$W/bad.yml"
yml 'tls_server_config:' '  cert_file: server.crt' '  key_file: nosuch.key'
bad_config webcfg_key_unreadable "cannot read key '$W/nosuch.key': No such file or directory" \
	--web-config="$W/bad.yml"
yml 'tls_server_config:' '  cert_file: server.crt' '  key_file: server.key' '  min_version: VersionTLS11'
bad_config webcfg_tls11 "min_version: VersionTLS11 is not served: TLS 1.2 is the minimum" \
	--web-config="$W/bad.yml"
yml 'tls_server_config:' '  cert_file: server.crt' '  key_file: server.key' '  client_auth_type: RequireAndVerifyClientCert'
bad_config webcfg_client_auth "client_auth_type: only NoClientCert is supported" --web-config="$W/bad.yml"
expect_error webcfg_needs_serve 2 "^blockscope: --web-config secures --serve: give --serve too" \
	"$BLOCKSCOPE" --web-config="$W/web.yml" -p "$POOL" -d 1

# 7. The warning: one line when the address is not a loopback one and TLS or
#    auth is missing; none with both.
warning_of() {
	"$BLOCKSCOPE" "$@" -p "$POOL" -d 1 2>&1 >/dev/null | grep -c '^blockscope: warning: .* is reachable from other hosts'
}
n=$(warning_of --serve=:0)
check exposed_warns "$n warning lines for --serve=:0" -- [ "$n" = 1 ]
yml 'tls_server_config:' '  cert_file: server.crt' '  key_file: server.key'
n=$(warning_of --serve=:0 --web-config="$W/bad.yml")
check exposed_tls_only_warns "$n warning lines for TLS without auth" -- [ "$n" = 1 ]
n=$(warning_of --serve=:0 --web-config="$W/web.yml")
check exposed_tls_auth_quiet "$n warning lines with TLS and auth" -- [ "$n" = 0 ]

finish
