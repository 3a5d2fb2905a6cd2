#!/usr/bin/env bash
# Go (Debian's golang-go, standard library only, built here with GOCACHE
# and GOPATH under build/ and GOPROXY=off: nothing is downloaded):
# tests/runtimes/go/main.go, a goroutine per connection, GOMAXPROCS=2.
# Designed: goroutines wait in the netpoller, no thread blocks in a socket
# read, so the threads' WT/CT is 0 and no group of threads needs more than
# N (the CPUs it may use), within 1; GOMAXPROCS is the knob. Go's runtime
# threads (sysmon) are not a pool. No lock is contended.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export GOCACHE=$RT_OUT/go/cache GOPATH=$RT_OUT/go/path GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$GOCACHE" "$GOPATH"
check go-build "go build failed: $(cat "$TMP/go.log" 2>/dev/null)" -- \
	bash -c "cd '$ROOT/tests/runtimes/go' && go vet . >'$TMP/go.log' 2>&1 && go build -o '$RT_OUT/go_server' . >>'$TMP/go.log' 2>&1" ||
	{ finish; exit; }
start_backend || { finish; exit; }
start_workload go_server 60 env GOMAXPROCS=2 "$RT_OUT/go_server" -port 0 -backend-port "$BACKEND_PORT" \
	-seconds 60 || { finish; exit; }
for phase in light heavy; do
	name=go_$phase
	line_load "$phase" "$WPORT" "$CPU_US" "$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" || { finish; exit; }
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	n=$(process_cpus "$WPID")
	check_sized_at_most "$name" "$J" "$(($(expected_size "$n" 0) + 1))" \
		"designed thread WT/CT 0 on N=$n CPUs: no group needs more than N + 1 threads"
done

# Launched with -- (issue 27, item 5): blockscope starts the program, which
# is still blockscope until it execs; its runtime must be known from the
# exec on, or its Ms' waits are judged as a C program's while it runs (no
# go-park: parked Ms then read as threads waiting on each other).
name=go_launched
J=$RT_OUT/$name.json
rm -f "$J"
GOMAXPROCS=2 bounded 40 "$BLOCKSCOPE" -j -o "$J" -d 5 -- "$RT_OUT/go_server" -port 0 \
	-backend-port "$BACKEND_PORT" -seconds 7 >"$TMP/$name.log" 2>"$J.err" &
bs=$!
LPORT=
for _ in $(seq 100); do
	LPORT=$(sed -n '1s/.* port=\([0-9]*\).*/\1/p' "$TMP/$name.log")
	[ -n "$LPORT" ] && break
	sleep 0.1
done
[ -n "$LPORT" ] && line_load heavy "$LPORT" "$CPU_US" "$WAIT_US" 4
wait "$bs"
# The trace (-d 5) ends before the program (-seconds 7): end it here.
LPID=$(sed -n '1s/.* pid=\([0-9]*\).*/\1/p' "$TMP/$name.log")
[ -n "$LPID" ] && stop_tree "$LPID" TERM 5
check "$name-report" "no report: $(head -c 300 "$J.err") $(head -c 200 "$TMP/$name.log")" -- \
	jq -e '.sizing.groups | length > 0' "$J"
sizing_lines "$name" "$J"
jq_true "$name-runtime" "$J" "processes: $(jq_rt '[.targets[]? | {pid, runtime}]' "$J")" \
	'any(.targets[]?; .runtime == "go")'
jq_true "$name-go-park" "$J" \
	"the Ms' waits: $(jq_rt '[.sizing.groups[] | {group, reasons: [.wait_reasons[]? | .reason]}]' "$J")" \
	'any(.sizing.groups[].wait_reasons[]?; .reason == "go-park")'
finish
