# Shared helpers for the real-server suites (tests/real/test_*.sh).
# Source it; it sources tests/lib.sh (pass/fail/check/jq_check/spawn/finish,
# $BLOCKSCOPE, $TMP) and adds: Debian packages installed when missing, a
# free port, a bounded wait for a TCP port, a bounded stop of what a suite
# started (run at exit, also on failure or on SIGINT/SIGTERM), a traced run
# that checks blockscope's own exit and JSON, and a SUMMARY line.
# Needs root (blockscope, apt-get, servers that drop to their own user).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

export DEBIAN_FRONTEND=noninteractive
# Servers run as their own user and must be able to enter $TMP.
chmod 755 "$TMP"

APT_UPDATED=0
apt() {
	# Another apt-get (a colleague's install) may hold the lock: wait for it.
	timeout 600 apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold "$@"
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# need_pkgs PKG...: installs the packages that are not installed (one
# apt-get update first if the install fails, e.g. on stale lists).
# Fails the suite (check "packages") and returns 1 if any is still missing.
need_pkgs() {
	local p missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing: ${missing[*]}"
		if ! apt install -y --no-install-recommends "${missing[@]}" >"$TMP/apt.log" 2>&1; then
			if [ $APT_UPDATED -eq 0 ]; then
				APT_UPDATED=1
				apt update >>"$TMP/apt.log" 2>&1
			fi
			apt install -y --no-install-recommends "${missing[@]}" >>"$TMP/apt.log" 2>&1
		fi
	fi
	missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	if [ ${#missing[@]} -gt 0 ]; then
		fail packages "cannot install ${missing[*]}: $(tail -n 3 "$TMP/apt.log" | tr '\n' ' ')"
		return 1
	fi
	pass packages
}

# port_free PORT: nothing listens on PORT (any address).
port_free() {
	[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# wait_port PORT SECONDS: true once 127.0.0.1:PORT accepts a connection,
# false after SECONDS.
wait_port() {
	local port=$1 end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_gone PID SECONDS: true once PID has exited (reaped or zombie).
wait_gone() {
	local pid=$1 end=$((SECONDS + $2))
	while alive "$pid"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
	return 0
}

# descendants PID: every descendant of PID, one per line.
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# stop_tree PID [SIGNAL] [SECONDS]: sends SIGNAL (default TERM) to PID and
# waits up to SECONDS (default 10) for it and its descendants to exit, then
# SIGKILLs whatever of them is left. Quiet if PID is already gone.
stop_tree() {
	local pid=$1 sig=${2:-TERM} secs=${3:-10} d kids
	[ -n "$pid" ] || return 0
	kids=$(descendants "$pid")
	kill -"$sig" "$pid" 2>/dev/null
	wait_gone "$pid" "$secs" || kill -KILL "$pid" 2>/dev/null
	for d in $kids; do
		wait_gone "$d" 2 || kill -KILL "$d" 2>/dev/null
	done
	wait "$pid" 2>/dev/null
	return 0
}

# on_exit CMD: runs CMD (a string, eval'd) when the suite ends, however it
# ends; the last registered runs first. Then tests/lib.sh's cleanup kills
# what spawn started and removes $TMP.
EXIT_CMDS=()
on_exit() { EXIT_CMDS+=("$1"); }
real_cleanup() {
	local i
	# A second signal must not cut the cleanup short.
	trap - EXIT
	trap '' INT TERM
	for ((i = ${#EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${EXIT_CMDS[i]}" >/dev/null 2>&1
	done
	cleanup
}
trap real_cleanup EXIT
trap 'echo "interrupted"; exit 130' INT
trap 'echo "terminated"; exit 143' TERM

# server CMD...: spawn CMD in a session of its own (setsid execs, so $!
# is CMD's PID): the signals a server sends to its whole process group
# (Apache's parent does at shutdown) then never reach the suite.
server() {
	spawn setsid "$@"
}

# bounded SECONDS CMD...: CMD, killed (TERM, then KILL 5 s later) after SECONDS.
bounded() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@"
}

# background SECONDS CMD...: CMD in the background, bounded as above and
# stopped at exit; sets BG_PID (timeout's PID: a TERM to it reaches CMD).
background() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@" &
	BG_PID=$!
	on_exit "stop_tree $BG_PID TERM 5"
}

# trace NAME OUT BLOCKSCOPE-ARGS...: runs blockscope -j -o OUT with the
# arguments (bounded), and checks that it exits 0 with a JSON report whose
# ring buffer lost nothing. Returns 1 if there is no usable report.
# AFTER_RELEASE (an array, empty by default): a command run in the
# background as the windows open (a fault to inject inside the window:
# Redis's DEBUG SLEEP); its PID in AFTER_RELEASE_PID, waited for here.
AFTER_RELEASE=()
AFTER_RELEASE_PID=
trace() {
	local name=$1 out=$2 bg rc
	shift 2
	sched_only_start "$out" "$@"
	held_start "$out" "$@"
	bg=$!
	release_held "$out" "$bg"
	AFTER_RELEASE_PID=
	if [ ${#AFTER_RELEASE[@]} -gt 0 ]; then
		"${AFTER_RELEASE[@]}" &
		AFTER_RELEASE_PID=$!
	fi
	wait "$bg"
	rc=$?
	[ -n "$AFTER_RELEASE_PID" ] && wait "$AFTER_RELEASE_PID"
	traced "$name" "$out" "$rc" "$@"
}

# held_start OUT BLOCKSCOPE-ARGS...: blockscope -j -o OUT in the background
# (bounded; $! is its bound), attached but held (--hold=OUT.hold) until
# release_held opens its window.
held_start() {
	local out=$1
	shift
	rm -f "$out.hold"
	bounded 120 "$BLOCKSCOPE" -j --hold="$out.hold" -o "$out" "$@" 2>"$out.err" &
}

# sched_only_start OUT BLOCKSCOPE-ARGS...: the same trace with --sched-only
# (no syscall hooks: issue 16), side by side on the same load, into
# OUT.sched; traced compares the two. Held too: release_held opens both
# windows with one signal, so the two reports cover the same interval
# (the default mode loads more programs and attached up to a second later
# than --sched-only on a PTI host; Apache prefork forked children in
# between, issue 28).
SCHED_ONLY_PID=
sched_only_start() {
	local out=$1
	shift
	rm -f "$out.sched.hold"
	bounded 120 "$BLOCKSCOPE" -j --sched-only --hold="$out.sched.hold" -o "$out.sched" "$@" \
		2>"$out.sched.err" &
	SCHED_ONLY_PID=$!
}

# wait_held OUT BG: until both traces of OUT have attached (their hold
# files; 60 s at most; one that exited, like BG, the default trace's bound,
# is not waited for); sets HELD_PIDS to the blockscope PIDs found.
HELD_PIDS=()
wait_held() {
	local out=$1 bg=$2 f i
	HELD_PIDS=()
	for f in "$out.hold" ${SCHED_ONLY_PID:+"$out.sched.hold"}; do
		for ((i = 0; i < 600; i++)); do
			[ -s "$f" ] && { HELD_PIDS+=("$(cat "$f")"); break; }
			[ "$f" = "$out.sched.hold" ] && ! kill -0 "$SCHED_ONLY_PID" 2>/dev/null && break
			[ "$f" = "$out.hold" ] && ! kill -0 "$bg" 2>/dev/null && break
			sleep 0.1
		done
	done
}

# release_held OUT BG: once both have attached (wait_held), one SIGUSR1 to
# both opens their windows at the same instant.
release_held() {
	wait_held "$@"
	[ ${#HELD_PIDS[@]} -gt 0 ] && kill -USR1 "${HELD_PIDS[@]}" 2>/dev/null
	return 0
}

# sched_only_same NAME OUT: the --sched-only trace beside OUT tells the same
# profile: the syscalls that hold the blocked time, each within 10 points of
# its share, and the sizing within one thread (3% where it asks for
# hundreds: Apache worker's keep-alive threads). What it cannot measure
# (non-blocking calls, EAGAIN) is left out of its JSON.
sched_only_same() {
	local name=$1 out=$2 rc
	[ -n "$SCHED_ONLY_PID" ] || return 0
	wait "$SCHED_ONLY_PID"
	rc=$?
	SCHED_ONLY_PID=
	if [ "$rc" -ne 0 ] || ! jq -e '.syscall_hooks == "off" and .threads and .sizing' "$out.sched" >/dev/null 2>&1; then
		fail "$name-sched-only-trace" "blockscope --sched-only exited $rc: $(head -c 300 "$out.sched.err")"
		return 1
	fi
	pass "$name-sched-only-trace"
	jq -s 'def shares: ([.syscalls[] | .blocked_ns + .partial_blocked_ns] | add) as $t
		| [.syscalls[] | {key: .name, value: ((.blocked_ns + .partial_blocked_ns) / ($t + 1))}] | from_entries;
		{d: (.[0] | shares), s: (.[1] | shares), rd: .[0].sizing.recommended_threads,
		 rs: .[1].sizing.recommended_threads,
		 blocked: (.[0] | [.syscalls[] | .blocked_ns + .partial_blocked_ns] | add // 0),
		 traced: (.[0] | [.threads[].traced_ns] | add // 0)}' "$out" "$out.sched" >"$out.pair"
	# Shares of a process's blocked time are compared when it blocked: a
	# saturated asyncio loop blocked in epoll_wait a few ms in 4 s by
	# default and never asleep in the --sched-only window, {epoll_wait: 1}
	# against {} (a wait or two more or less, as for the groups below).
	if jq -e '.blocked < 0.01 * .traced' "$out.pair" >/dev/null; then
		echo "NOTE $name-sched-only-blocking-calls: not compared: blocked $(jq '.blocked / 1e6 | round' "$out.pair") ms in calls, under 1% of its threads' $(jq '.traced / 1e6 | round' "$out.pair") ms"
	else
		jq_true "$name-sched-only-blocking-calls" "$out.pair" \
			"blocked-time shares by syscall (default vs --sched-only): $(jq -c '[.d, .s] | map(to_entries | map(select(.value > 0.05)) | from_entries)' "$out.pair")" \
			'.d as $d | .s as $s | [($d | keys[]), ($s | keys[])] | unique
			 | map(select(($d[.] // 0) > 0.1 or ($s[.] // 0) > 0.1) | (($d[.] // 0) - ($s[.] // 0) | fabs) <= 0.1) | all'
	fi
	jq_true "$name-sched-only-sizing" "$out.pair" "recommended: default $(jq .rd "$out.pair"), --sched-only $(jq .rs "$out.pair")" \
		'(.rd == null and .rs == null) or ((.rd - .rs) | fabs) <= ([1, 0.03 * .rd] | max)'
	# Each group that did work in the default trace is found by --sched-only
	# too, with the same role, the same recommendation (within one, or 3%)
	# and, unless it is the runtime's own (a JIT's or GC's few irregular
	# waits: a JVM's compiler threads moved 14 points from one window to
	# the other), the same meaning of its waits: idle, WT and sync each
	# within 10 points of its blocked time (what --serve, which runs this
	# way, says). In tests/real it was a NOTE for a while: in one CI run of
	# ~12, Apache event's two listener threads ("apache2:event-loop") were
	# not grouped so by --sched-only. Their turns (epoll_wait, accept4, a
	# futex wake, a few µs, no read or write) were what the old merge rule
	# joined into a few long calls; since the rule went by the return to
	# user space instead, 12 runs of the suite with the check held.
	jq -s 'def g($all): .duration_ns as $d | [.sizing.groups[] | select($all or .did_work) | {key: .group, value: {role, r: (.recommended_threads // 0),
		b: (.idle_wait_ns + .wait_ns + .sync_wait_ns + 1), i: .idle_wait_ns, w: .wait_ns, y: .sync_wait_ns,
		t: (.threads * $d)}}] | from_entries;
		{d: (.[0] | g(false)), s: (.[1] | g(true)),
		 unseen: (.[0] | . as $r | [.loops[]? | . as $l | select(([$r.threads[] | select(.tid == $l.tid)
			| .syscalls[]? | select(.name == $l.wait_syscall) | .blocking] | add // 0) < 3) | .group] | unique),
		 dt: (.[0] | [.threads[] | {tid, group}]), st: (.[1] | [.threads[] | {tid, group, main: ([.wait_reasons[]? | {reason, ns}] | sort_by(-.ns) | .[:2])}])}' \
		"$out" "$out.sched" >"$out.groups"
	local why filter
	why="groups (default vs --sched-only): $(jq -c '[.d, .s] | map(map_values({role, r, idle: (.i / .b * 100 | round), wt: (.w / .b * 100 | round), sync: (.y / .b * 100 | round)}))' "$out.groups")"
	# A loop that never slept in its wait in the default trace's window (a
	# saturated Node loop) is not one --sched-only can see (docs/loops.md):
	# its role is not compared (check_loop_modes says so with a NOTE). The
	# meaning of the waits of a group that hardly waited is not compared
	# either: under 5% of its threads' window blocked (the saturated Node
	# loop blocked 1 ms in 3 s, 12 waits of 0.1 ms, which came out 70/30
	# idle/sync in one mode and 38/62 in the other: a wait or two judged
	# otherwise at the window's edge).
	filter='.d as $d | .s as $s | .unseen as $u | [$d | keys[] | . as $k | $s[$k] as $o | $d[$k] as $x |
		 $o != null and ($o.role == $x.role or ($x.role == "loop" and ($u | index($k)) != null)) and
		 (($o.r - $x.r) | fabs) <= ([1, 0.03 * $x.r] | max) and
		 ($x.role == "runtime" or $x.b < 0.05 * $x.t or
		  (((($o.i / $o.b) - ($x.i / $x.b)) | fabs) <= 0.1 and ((($o.w / $o.b) - ($x.w / $x.b)) | fabs) <= 0.1 and
		   ((($o.y / $o.b) - ($x.y / $x.b)) | fabs) <= 0.1))] | all'
	jq_true "$name-sched-only-groups" "$out.groups" \
		"$why; the default's groups' threads in --sched-only: $(jq -c '(.s | keys) as $sk | [.dt[] | select(.group as $g | $sk | index($g) | not)] as $lost | [.st[] | select(.tid as $t | $lost | map(.tid) | index($t))]' "$out.groups")" \
		"$filter"
}

# traced NAME OUT STATUS BLOCKSCOPE-ARGS...: trace's checks of a run of
# blockscope -j -o OUT with the arguments, which exited with STATUS.
traced() {
	local name=$1 out=$2 rc=$3 lost
	shift 3
	if [ "$rc" -ne 0 ] || ! jq -e '.targets and .threads and .syscalls and .sizing' "$out" >/dev/null 2>&1; then
		fail "$name-trace" "blockscope $* exited $rc: $(head -c 300 "$out.err")"
		return 1
	fi
	pass "$name-trace"
	lost=$(jq '.events.lost' "$out")
	check "$name-no-lost-events" "the ring buffer lost $lost of $(jq '.events.received' "$out") records" -- \
		test "$lost" -eq 0
	consistency "$name" "$out"
	sched_only_same "$name" "$out"
	return 0
}

# consistency NAME FILE: prints a NOTE (not a check: these are blockscope
# bugs reported to the lead, issue 6) when a thread's class times add up to
# more than its traced time, or a syscall's time is negative.
consistency() {
	jq -r --arg name "$1" '
		([.threads[] | select(.idle_wait_ns + .wait_ns + .sync_wait_ns > .traced_ns + 1e6)] | length) as $over
		| ([.syscalls[] | select(.total_ns < 0 or .blocked_ns < 0 or .partial_ns < 0 or .partial_blocked_ns < 0)
		    | "\(.name) partial_ns=\(.partial_ns)"]) as $neg
		| (if $over > 0 then "NOTE \($name): blockscope: \($over) threads with idle+wait+sync above their traced time" else empty end),
		  (if ($neg | length) > 0 then "NOTE \($name): blockscope: negative times: \($neg | join(", "))" else empty end)' "$2" 2>/dev/null
}

# keep NAME OUT: keeps a report for the record when BLOCKSCOPE_REAL_KEEP
# names a directory (with the SUMMARY lines, in summary.txt); table.sh
# makes docs/servers.md's table from them.
keep() {
	if [ -n "${BLOCKSCOPE_REAL_KEEP:-}" ]; then
		mkdir -p "$BLOCKSCOPE_REAL_KEEP" && cp "$2" "$BLOCKSCOPE_REAL_KEEP/$1.json"
	fi
}

# jqv FILE FILTER: the value of FILTER on FILE, raw.
jqv() { jq -r "$2" "$1"; }

# summary NAME FILE [EXTRA]: prints the one-line profile of a report:
# processes, threads, whole calls, blocking share, EAGAIN returns, the
# three syscalls with the most blocked time (name:share of all blocked
# time in calls), the whole target's recommendation, and lost records.
summary() {
	local name=$1 file=$2 extra=${3:-}
	jq -r --arg name "$name" --arg extra "$extra" '
		def pct(a; b): if b > 0 then (a * 1000 / b | round / 10) else 0 end;
		([.syscalls[].calls] | add // 0) as $calls
		| ([.syscalls[].blocking] | add // 0) as $blk
		| ([.syscalls[].eagain] | add // 0) as $eagain
		| ([.syscalls[].blocked_ns] | add // 0) as $bns
		| ([.syscalls[] | select(.blocked_ns > 0)] | sort_by(-.blocked_ns) | .[:3]
		   | map("\(.name):\(pct(.blocked_ns; $bns))%") | join(",")) as $top
		| "SUMMARY \($name): procs=\(.targets | length) threads=\(.threads | length)"
		  + " calls=\($calls) blocking=\(pct($blk; $calls))% eagain=\($eagain)"
		  + " top_blocked=\(if $top == "" then "-" else $top end)"
		  + " recommended=\(.sizing.recommended_threads // "-")"
		  + (if $extra != "" then " " + $extra else "" end)
		  + " lost=\(.events.lost)"' "$file" >"$TMP/summary.line"
	cat "$TMP/summary.line"
	if [ -n "${BLOCKSCOPE_REAL_KEEP:-}" ]; then
		mkdir -p "$BLOCKSCOPE_REAL_KEEP" && cat "$TMP/summary.line" >>"$BLOCKSCOPE_REAL_KEEP/summary.txt"
	fi
}

# http_status PORT PATH: the status code of GET PATH on 127.0.0.1:PORT
# (HTTP/1.0, bash's /dev/tcp; at most 5 s).
http_status() {
	bounded 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3
		read -r proto code rest <&3
		echo "$code"' _ "$1" "$2" 2>/dev/null
}

# JQ_LIB: jq definitions the suites' filters use.
#   threads_of($p): the threads of process $p;  others_than($p): the rest.
#   sc($t; $n): thread $t's entry for syscall $n (zeros if it made none).
#   blocked_names: the names of a thread's syscalls with a blocking call.
#   sum_sc($ts; $n; $k): key $k of syscall $n summed over threads $ts.
JQ_LIB='
def threads_of($p): [.threads[] | select(.pid == $p)];
def others_than($p): [.threads[] | select(.pid != $p)];
def sc($n): ((.syscalls // []) | map(select(.name == $n)) | .[0])
	// {name: $n, calls: 0, blocking: 0, eagain: 0, blocked_ns: 0};
def blocked_names: [(.syscalls // [])[] | select(.blocking > 0 or .blocked_ns > 0) | .name] | unique;
def sum_sc($ts; $n; $k): [$ts[] | sc($n)[$k]] | add // 0;
def group($g): [.sizing.groups[] | select(.group == $g)] | .[0];
'

# jq_true NAME FILE WHY FILTER [jq args...]: jq_check with JQ_LIB and
# arguments; on failure prints WHY.
jq_true() {
	local name=$1 file=$2 why=$3 filter=$4
	shift 4
	if jq -e "$@" "$JQ_LIB $filter" "$file" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "$why"
	fi
}

# start_nginx DIR PORT: nginx, master and 2 workers, serving DIR/www/index.html
# (a 5.5 KB page: one writev for the headers, one sendfile for the body) on
# 127.0.0.1:PORT, everything under DIR; sets MASTER. Fails nginx-start and
# returns 1 if it does not listen within 10 s.
start_nginx() {
	local d=$1 port=$2
	mkdir -p "$d/www"
	head -c 4096 /dev/urandom | base64 >"$d/www/index.html"
	cat >"$d/nginx.conf" <<CONF
worker_processes 2;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen 127.0.0.1:$port;
		root $d/www;
	}
}
CONF
	chmod -R a+rX "$d"
	server nginx -c "$d/nginx.conf" -p "$d" 2>"$d/stderr"
	MASTER=$!
	on_exit "stop_tree $MASTER QUIT 10"
	if ! wait_port "$port" 10; then
		fail nginx-start "nginx did not listen on $port: $(tail -n 3 "$d/error.log" "$d/stderr" 2>/dev/null)"
		return 1
	fi
}

# start_apache MPM DIR PORT [DIRECTIVES] [CPUS]: writes DIR/httpd.conf (the
# MPM module, the few modules a static file needs, everything under DIR)
# and starts apache2 in the foreground with it, on the CPUs of the list
# CPUS if given (taskset -c); sets APACHE_PID (the parent). Fails the suite
# and returns 1 if it does not listen on PORT within 10 s.
start_apache() {
	local mpm=$1 dir=$2 port=$3 extra=${4:-} cpus=${5:-} m mods=/usr/lib/apache2/modules
	local pin=()
	mkdir -p "$dir/www"
	head -c 4096 /dev/urandom | base64 >"$dir/www/index.html"
	{
		echo "LoadModule mpm_${mpm}_module $mods/mod_mpm_${mpm}.so"
		for m in authz_core mime dir; do
			echo "LoadModule ${m}_module $mods/mod_${m}.so"
		done
		cat <<EOC
ServerRoot $dir
ServerName localhost
Listen 127.0.0.1:$port
User www-data
Group www-data
PidFile $dir/httpd.pid
DefaultRuntimeDir $dir
Mutex file:$dir default
ErrorLog $dir/error.log
LogLevel warn
TypesConfig /etc/mime.types
DocumentRoot $dir/www
# As Debian's apache2.conf: no .htaccess lookups, nothing outside www.
<Directory />
	AllowOverride None
	Require all denied
</Directory>
<Directory $dir/www>
	Require all granted
</Directory>
$extra
EOC
	} >"$dir/httpd.conf"
	chmod -R a+rX "$dir"
	[ -n "$cpus" ] && pin=(taskset -c "$cpus")
	server "${pin[@]}" apache2 -f "$dir/httpd.conf" -DFOREGROUND >"$dir/stderr" 2>&1
	APACHE_PID=$!
	# Graceful-stop waits for requests in flight; TERM ends them at once.
	on_exit "stop_tree $APACHE_PID TERM 10"
	if ! wait_port "$port" 10; then
		fail "apache-$mpm-start" "apache2 did not listen on $port: $(tail -n 3 "$dir/stderr" "$dir/error.log" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	if [ "$(cat "$dir/httpd.pid" 2>/dev/null)" != "$APACHE_PID" ]; then
		fail "apache-$mpm-start" "the PidFile says '$(cat "$dir/httpd.pid" 2>/dev/null)', started $APACHE_PID"
		return 1
	fi
	pass "apache-$mpm-start"
}

# ab_load DIR PORT CONCURRENCY: ab in the background (a new connection per
# request, as ab does without -k) for at most a minute; sets LOAD_PID.
ab_load() {
	background 75 ab -q -t 60 -n 10000000 -c "$3" "http://127.0.0.1:$2/index.html" >"$1/ab.out" 2>&1
	LOAD_PID=$BG_PID
}

# ab_check NAME DIR: stops ab with SIGINT (it then prints its report);
# passes if it completed requests with no failure; sets RPS.
ab_check() {
	local done failed
	stop_tree "$LOAD_PID" INT 10
	done=$(awk '/^Complete requests:/ { print $3 }' "$2/ab.out")
	failed=$(awk '/^Failed requests:/ { print $3 }' "$2/ab.out")
	RPS=$(awk '/^Requests per second:/ { printf "%d", $4 }' "$2/ab.out")
	check "$1-load" "ab: $(tail -n 5 "$2/ab.out" | tr '\n' ' ')" -- \
		test "${done:-0}" -gt 1000 -a "${failed:-1}" -eq 0
}

# cpus_allowed: the CPUs this shell may run on, one per line (from
# Cpus_allowed_list, e.g. "0-1,4").
cpus_allowed() {
	awk -F'\t' '/^Cpus_allowed_list:/ {
		n = split($2, r, ",")
		for (i = 1; i <= n; i++) {
			if (split(r[i], ab, "-") == 1) ab[2] = ab[1]
			for (c = ab[1]; c <= ab[2]; c++) print c
		}
	}' /proc/self/status
}

# cpus_by_idleness: cpus_allowed, the idlest first (idle and iowait time
# in /proc/stat over half a second: other work, on a shared machine).
cpus_by_idleness() {
	local a b
	a=$(grep '^cpu[0-9]' /proc/stat)
	sleep 0.5
	b=$(grep '^cpu[0-9]' /proc/stat)
	awk -v allowed="$(cpus_allowed | tr '\n' ' ')" '
		BEGIN { n = split(allowed, c, " "); for (i = 1; i <= n; i++) ok["cpu" c[i]] = 1 }
		NR == FNR { idle[$1] = $5 + $6; next }
		$1 in ok { print $5 + $6 - idle[$1], substr($1, 4) }' <(echo "$a") <(echo "$b") |
		sort -k1,1nr | awk '{ print $2 }'
}

# think_load DIR PORT CONNECTIONS THINK_MS [CPUS]: wrk in the background for
# at most a minute, on the CPUs of the list CPUS if given: CONNECTIONS
# keep-alive connections, each waiting a random 0.5 to 1.5 x THINK_MS
# after a response before its next request (clients that hold their
# connection between requests; random, so that they do not stay in step).
# Bounded load: about CONNECTIONS x 1000 / THINK_MS requests a second
# whatever the server's speed. Sets LOAD_PID.
think_load() {
	local dir=$1 port=$2 conns=$3 think=$4 cpus=${5:-} pin=()
	echo "function delay() return math.random($((think / 2)), $((think * 3 / 2))) end" >"$dir/think.lua"
	[ -n "$cpus" ] && pin=(taskset -c "$cpus")
	background 75 "${pin[@]}" wrk -t1 -c"$conns" -d60s -s "$dir/think.lua" \
		"http://127.0.0.1:$port/index.html" >"$dir/wrk.out" 2>&1
	LOAD_PID=$BG_PID
}

# think_check NAME DIR CONNECTIONS THINK_MS: stops wrk with SIGINT (it then
# prints its report); passes if it made no more than 20% above the rate the
# load was built for (bounded), and at least a quarter of it (a client or
# server starved by other work on its CPU is late with its requests, never
# early; that much still gives the trace enough CPU time to size from),
# with no connect, read or write error and no status other than 2xx/3xx.
# wrk's "timeout" errors are answers slower than 2 s: a server starved of
# its CPU, which saturation_agrees judges. Sets RPS.
think_check() {
	local want=$(($3 * 1000 / $4)) errors
	stop_tree "$LOAD_PID" INT 10
	RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$2/wrk.out")
	errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\),.*/\1 + \2 + \3/p' "$2/wrk.out")
	errors=$((${errors:-0}))
	check "$1-load" "wrk (built for ~$want req/s): $(tr '\n' ' ' <"$2/wrk.out" | head -c 400)" -- \
		bash -c "[ '${RPS:-0}' -ge $((want / 4)) ] && [ '${RPS:-0}' -le $((want * 12 / 10)) ] &&
			[ '${errors:-0}' -eq 0 ] && ! grep -q 'Non-2xx' '$2/wrk.out'"
}

# sched_read OUT PID...: the kernel's own account of every thread of the
# processes PID...: a line "now NS" (CLOCK_REALTIME), then "TID ONCPU_NS
# RUNQ_NS" per thread (fields 1 and 2 of /proc/PID/task/TID/schedstat).
sched_read() {
	local out=$1 p t on rq
	shift
	{
		echo "now $(date +%s%N)"
		for p in "$@"; do
			for t in /proc/"$p"/task/*; do
				read -r on rq _ <"$t/schedstat" && echo "${t##*/} $on $rq"
			done
		done
	} >"$out" 2>/dev/null
}

# sched_delta BEFORE AFTER: "ONCPU_NS RUNQ_NS ELAPSED_NS" between two
# sched_read files, summed over the threads: a thread in both counts its
# difference, one only in AFTER (born between them) all of its counters.
sched_delta() {
	awk 'NR == FNR { if ($1 == "now") t0 = $2; else { on[$1] = $2; rq[$1] = $3 } next }
	     $1 == "now" { t1 = $2; next }
	     { o += $2 - on[$1]; r += $3 - rq[$1] }
	     END { printf "%.0f %.0f %.0f\n", o, r, t1 - t0 }' "$1" "$2"
}

# cpu_jiffies PID: "BUSY TOTAL", the jiffies of the CPUs PID may run on
# (/proc/stat; idle and iowait are not busy, steal is).
cpu_jiffies() {
	local cpus
	cpus=$(taskset -pc "$1" 2>/dev/null | sed 's/.*: //')
	awk -v list="$cpus" '
		BEGIN { n = split(list, part, ",")
			for (i = 1; i <= n; i++)
				if (split(part[i], r, "-") == 2) { for (c = r[1]; c <= r[2]; c++) use[c] = 1 }
				else use[part[i]] = 1 }
		/^cpu[0-9]/ { c = substr($1, 4); if (list != "" && !(c in use)) next
			      t = 0; for (i = 2; i <= 9; i++) t += $i
			      total += t; busy += t - $5 - $6 }
		END { printf "%d %d\n", busy, total }' /proc/stat
}

# idle_cpus SECONDS: how many CPUs' worth of time the machine left free
# over SECONDS (/proc/stat: idle + iowait, and nice: work at a lower
# priority, a build under nice, gives way to the suite's), e.g. "1.83" on
# 2 CPUs. A nice'd build beside CI once read as 0.01 CPUs idle, and the
# light phase ran at 20 req/s, too little work for a pool to be sized.
idle_cpus() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 + $3 }' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 + $3 }' /proc/stat)
	awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " ");
		t = y[1] - x[1]; printf "%.2f", (t > 0 ? n * (y[2] - x[2]) / t : n) }'
}

# trace_counted NAME OUT PID BLOCKSCOPE-ARGS...: trace (above), with the
# kernel's own account of PID and its descendants read from the moment
# both traces have attached, just before their windows open (not before:
# loading the programs takes CPU time from the target), to the moment the
# default one has exited: sets ON, RQ and ELAPSED
# (sched_delta), and CPU_BUSY, how busy the CPUs PID may run on were
# (cpu_jiffies). Returns what trace returns.
trace_counted() {
	local name=$1 out=$2 pid=$3 bg rc b0 t0 b1 t1
	shift 3
	sched_only_start "$out" "$@"
	held_start "$out" "$@"
	bg=$!
	wait_held "$out" "$bg"
	sched_read "$TMP/sched.0" "$pid" $(descendants "$pid")
	read -r b0 t0 < <(cpu_jiffies "$pid")
	release_held "$out" "$bg"
	wait "$bg"
	rc=$?
	sched_read "$TMP/sched.1" "$pid" $(descendants "$pid")
	read -r b1 t1 < <(cpu_jiffies "$pid")
	read -r ON RQ ELAPSED < <(sched_delta "$TMP/sched.0" "$TMP/sched.1")
	CPU_BUSY=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.3f", (t > 0 ? b / t : 0) }')
	traced "$name" "$out" "$rc" "$@"
}

# saturation_agrees NAME FILE ONCPU_NS RUNQ_NS: blockscope's "CPUs
# saturated" warning (its rule: run-queue time above 10% of CPU time, on
# CPUs at least half busy) fires when the kernel's share, as the suite read
# it from schedstat around the trace, is above 20% and the CPUs were at
# least 60% busy (CPU_BUSY, from /proc/stat around the trace); and not when
# the share is below 5% or the CPUs below 40% busy. blockscope's own
# sizing.cpu_busy must be within 0.15 of the suite's. Not the shares
# themselves: the two windows are a few tens of ms apart, and on a shared
# machine run-queue time comes in bursts (one run: 144% by the suite's
# reads, 700% in blockscope's window); the agreement suite of make test
# holds run-queue time to the kernel's at the window's own edges. Sets
# RUNQ_SHARE (the kernel's, in percent).
saturation_agrees() {
	local name=$1 file=$2 on=$3 rq=$4 k
	k=$(awk -v o="$on" -v r="$rq" 'BEGIN { printf "%.4f", (o > 0 ? r / o : 0) }')
	RUNQ_SHARE=$(awk -v k="$k" 'BEGIN { printf "%d", k * 100 + 0.5 }')
	jq_true "$name" "$file" \
		"kernel: run-queue $((rq / 1000000)) ms, on-CPU $((on / 1000000)) ms ($RUNQ_SHARE%); blockscope: $(jq -c '.sizing | {runq_ns, compute_ns, warnings}' "$file")" \
		'any(.sizing.warnings[]; test("run-queue wait is [0-9]+% of CPU time: the CPUs are (contended|saturated)")) as $warned
		 | if $k > 0.2 and $busy >= 0.6 then $warned elif $k < 0.05 or $busy < 0.4 then ($warned | not)
		   else true end' \
		--argjson k "$k" --argjson busy "$CPU_BUSY"
	jq_true "$name-cpu-busy" "$file" \
		"the suite read ${CPU_BUSY} of the CPUs busy; blockscope: $(jq -c '.sizing.cpu_busy' "$file")" \
		'.sizing.cpu_busy != null and ((.sizing.cpu_busy - $busy) | fabs) < 0.15' \
		--argjson busy "$CPU_BUSY"
}

# apache_keepalive MPM DIRECTIVES CLASSES...: part 2 of the Apache worker
# and event suites. A fresh apache2 with that MPM (start_apache) alone on
# the idlest CPU this shell may use, under think_load from the next one,
# where the suite itself and its blockscope run too (with a single CPU all
# share it): KEEPALIVE_CONNS clients thinking KEEPALIVE_THINK_MS. After
# 1.5 s of load, traced for 4 s with -f --children and the --class options
# CLASSES by trace_counted into JK ($TMP/MPM-keepalive.json, kept as
# apache_MPM_keepalive); then the load is checked and stopped
# (think_check). Returns 1 if there is no report.
KEEPALIVE_CONNS=20
KEEPALIVE_THINK_MS=100
apache_keepalive() {
	local mpm=$1 conf=$2 dir=$TMP/$1-keepalive port server= client= rc=0
	local all
	local -a cpus
	shift 2
	all=$(cpus_allowed | paste -sd,)
	mapfile -t cpus < <(cpus_by_idleness)
	if [ ${#cpus[@]} -ge 2 ]; then
		server=${cpus[0]}
		client=${cpus[1]}
		taskset -p -c "$client" $$ >/dev/null
	fi
	port=$(free_port)
	if start_apache "$mpm" "$dir" "$port" "$conf" "$server"; then
		think_load "$dir" "$port" "$KEEPALIVE_CONNS" "$KEEPALIVE_THINK_MS" "$client"
		sleep 1.5
		JK=$TMP/$mpm-keepalive.json
		trace_counted "$mpm-keepalive" "$JK" "$APACHE_PID" -d 4 -f --children "$@" -p "$APACHE_PID" || rc=1
		think_check "$mpm-keepalive" "$dir" "$KEEPALIVE_CONNS" "$KEEPALIVE_THINK_MS"
		[ $rc -eq 0 ] && keep "apache_${mpm}_keepalive" "$JK"
	else
		rc=1
	fi
	taskset -p -c "$all" $$ >/dev/null
	return $rc
}
