#!/usr/bin/env bash
# The unit tests and the collector under valgrind: no leak, no invalid
# access, no uninitialised read (libbpf's own probing is suppressed, see
# tests/valgrind.supp). The collector runs in each mode make test exercises:
# a command, threads and --verify, --interval (JSON and text), by PID, why it
# blocked (stacks named live, folded, timeline, SVG), a target that forks
# and exits mid-trace, SIGINT with -n/--children/--class, --top in a
# terminal, --serve scraped on a --cgroup, a ring too small (--stream-all),
# refused input.
# Valgrind exits 9 when it found an error or a definite or indirect leak.
source "$(dirname "$0")/../lib.sh"
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 --suppressions=$ROOT/tests/valgrind.supp"
CG=""

for t in "$BUILD"/tests/unit/test_*; do
	name=$(basename "$t")
	if $VG "$t" >"$TMP/$name.log" 2>&1; then
		pass "valgrind_$name"
	else
		fail "valgrind_$name" "$(grep -m3 '==' "$TMP/$name.log")"
	fi
done

# vg_result NAME STATUS WANT: valgrind's verdict on one collector run.
vg_result() {
	if [ "$2" -eq "$3" ]; then
		pass "valgrind_collector_$1"
	else
		fail "valgrind_collector_$1" "exit $2, expected $3 (9: valgrind found errors): $(grep -m5 '==' "$TMP/$1.log")"
	fi
}

run_collector() {
	local name=$1
	shift
	$VG "$BLOCKSCOPE" "$@" >"$TMP/$name.log" 2>&1
	vg_result "$name" $? 0
}

# vg_start NAME ARGS...: the collector under valgrind in the background (VGPID).
vg_start() {
	local name=$1
	shift
	$VG "$BLOCKSCOPE" "$@" >"$TMP/$name.log" 2>&1 &
	VGPID=$!
}

vg_end() {
	wait "$VGPID"
	vg_result "$1" $? 0
}

run_collector command -j -o "$TMP/c.json" -- "$PROGS/pipe_reader" 100 2000
run_collector threads_text -t -H --verify -o "$TMP/t.txt" -- "$PROGS/agree" "$TMP/self.txt" mixed
run_collector interval -j -i 0.3 -o "$TMP/i.json" -f -- "$PROGS/agree" "$TMP/a.txt" fork 1
spawn sleep 30
run_collector by_pid -j -o "$TMP/p.json" -p "${CHILD_PIDS[-1]}" -d 0.5
jq_check valgrind_reports_valid "$TMP/c.json" '.syscalls | length > 0'

# A live process that blocks in read: for the runs by PID below.
spawn "$PROGS/pipe_reader" 1000000 3000
live=${CHILD_PIDS[-1]}

# Why it blocked, on a live process: call sites named with libdwfl and
# kallsyms, folded stacks, the Perfetto timeline, the SVG, the text report.
run_collector why --stacks --kernel-stacks --folded="$TMP/w.folded" --timeline="$TMP/w.trace.json" \
	--svg="$TMP/w.svg" -t -H -o "$TMP/w.txt" -p "$live" -d 1
why_outputs() {
	grep -q "TOP BLOCKING CALL SITES" "$TMP/w.txt" && grep -q "\[read\]" "$TMP/w.folded" &&
		grep -q "</svg>" "$TMP/w.svg" && jq -e '.traceEvents | length > 0' "$TMP/w.trace.json" >/dev/null
}
check valgrind_why_outputs "call sites, folded stacks, SVG or timeline missing" -- why_outputs

# A target that forks 3 children (-f) and exits mid-trace, with JSON call
# sites and a timeline: the processes are gone before their stacks are named.
mkfifo "$TMP/gate"
bash -c "read -r _ <'$TMP/gate'; exec '$PROGS/agree' '$TMP/e.txt' fork 0.5" &
CHILD_PIDS+=($!)
vg_start exit_follow -j --stacks --timeline="$TMP/e.trace.json" -f -o "$TMP/e.json" -p "${CHILD_PIDS[-1]}"
wait_attached $VGPID && echo go >"$TMP/gate"
vg_end exit_follow
jq_check valgrind_exit_follow_report "$TMP/e.json" \
	'.stop_reason == "every target exited" and ([.targets[] | select(.came and .went)] | length) == 3 and (.call_sites | length) > 0'

# --interval in text, by PID, with --verify.
run_collector interval_text -i 0.4 -t -H --verify -o "$TMP/it.txt" -p "$live" -d 1.3
check valgrind_interval_text "fewer than 3 intervals in the text" -- \
	[ "$(grep -c '^--- interval' "$TMP/it.txt")" -ge 3 ]

# SIGINT mid-trace; by name (a shell of its own name that polls a FIFO and
# has a child), with --children, class overrides, -c and -u.
name=vgsh-$$
cp "$(command -v bash)" "$TMP/$name"
mkfifo "$TMP/poll.fifo"
spawn "$TMP/$name" -c "sleep 60 & exec 9<>'$TMP/poll.fifo'; while :; do read -t 0.05 -u 9 _; done"
named=${CHILD_PIDS[-1]}
for _ in $(seq 50); do
	[ "$(cat "/proc/$named/comm" 2>/dev/null)" = "$name" ] && [ -n "$(pgrep -P "$named")" ] && break
	sleep 0.05
done
vg_start sigint_name -j -o "$TMP/s.json" -n "$name" --children --class=read=idle --class=futex=wait \
	-c 1 -u 0.5
wait_attached $VGPID
sleep 0.5
kill -INT $VGPID
vg_end sigint_name
jq_check valgrind_sigint_report "$TMP/s.json" \
	'.stop_reason == "stopped by SIGINT" and (.targets | length) == 2 and ([.targets[].calls] | add) > 0'
kill $(pgrep -P "$named") "$named"
wait "$named" 2>/dev/null

# --top in a real terminal (tmux), refreshed twice, q quits.
session=blockscope-vg-$$
tmux new-session -d -s "$session" -x 140 -y 30 \
	"$VG --log-file='$TMP/top.log' '$BLOCKSCOPE' --top -p $live; echo \$? >'$TMP/top.exit'; sleep 30"
shell=$(tmux display-message -p -t "$session" '#{pane_pid}')
for _ in $(seq 50); do
	vgtop=$(pgrep -P "$shell" | head -1)
	[ -n "$vgtop" ] && break
	sleep 0.1
done
wait_attached "${vgtop:-0}"
sleep 2.5
tmux send-keys -t "$session" q
wait_file "$TMP/top.exit" || sleep 10
tmux kill-session -t "$session" 2>/dev/null
vg_result top "$(cat "$TMP/top.exit" 2>/dev/null || echo 124)" 0

# --serve, scraped once, on a cgroup (--cgroup) where cgroup v2 is mounted.
V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
remove_cgroup() {
	local pid
	[ -n "$CG" ] && [ -d "$CG" ] || return 0
	for _ in $(seq 20); do
		for pid in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		rmdir "$CG" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  could not remove $CG"
}
trap 'cleanup; remove_cgroup' EXIT
where=(-p "$live")
if [ -n "$V2" ] && mkdir "$V2/blockscope-vg-$$"; then
	CG=$V2/blockscope-vg-$$
	spawn "$PROGS/pipe_reader" 1000000 3000
	cgpid=${CHILD_PIDS[-1]}
	echo "$cgpid" >"$CG/cgroup.procs" && where=(--cgroup="$CG")
fi
vg_start serve --serve=127.0.0.1:0 "${where[@]}" -d 6
url=""
for _ in $(seq 300); do
	url=$(sed -n 's/^blockscope: serving \(http:[^ ]*\)$/\1/p' "$TMP/serve.log" 2>/dev/null)
	[ -n "$url" ] && break
	sleep 0.1
done
sleep 1.5
[ -n "$url" ] && curl -s --max-time 10 "$url" >"$TMP/scrape.txt"
vg_end serve
check valgrind_serve_scraped "no metrics scraped from '$url' (${where[*]})" -- \
	grep -q '^blockscope_syscalls_total{.*syscall="read"' "$TMP/scrape.txt"
if [ -n "$CG" ]; then
	kill "$cgpid"
	wait "$cgpid" 2>/dev/null
	remove_cgroup
fi

# A ring too small, every call sent one by one (--stream-all): records
# lost, counted and said.
run_collector loss --stream-all --ring-size 4 -j -o "$TMP/l.json" -- "$PROGS/nonblock_poll" 300000
jq_check valgrind_loss_counted "$TMP/l.json" '.events.lost > 0'

# Refused input: each path to its one-line error and exit status.
refused() {
	local name=$1 want=$2
	shift 2
	$VG "$BLOCKSCOPE" "$@" >"$TMP/$name.log" 2>&1
	vg_result "$name" $? "$want"
}
refused bad_duration 2 -d 1e30 -p 1
refused bad_class 2 --class=nosuch=idle -p 1
refused trailing_comma 2 -p 1,
refused no_such_pid 1 -p 999999
refused no_such_name 1 -n "no-such-$$"
refused bad_output 1 -o /nonexistent/x.json -p 1
refused no_such_command 1 -- /nonexistent/command
BLOCKSCOPE_BTF_PATH=/nonexistent refused no_btf 1 -p 1

finish
