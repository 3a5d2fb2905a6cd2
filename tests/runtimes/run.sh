#!/usr/bin/env bash
# make test-runtimes (issue 14): blockscope's answers on the runtimes
# people run. Installs from Debian what is missing (a JDK, Tomcat 10, Go,
# gunicorn, wrk; Node.js only if there is none), then runs each suite
# (tests/runtimes/test_*.sh): the glibc pool, the JVM fixed pool (and a hot
# synchronized block), Tomcat 10, CPython's ThreadPoolExecutor (and the
# GIL), gunicorn's sync workers, Node.js with libuv's pool, Go, and threads
# pinned to one CPU; each under light and heavy load, traced by PID. Then
# the event loops (issue 25, test_loop_*.sh): Node.js, asyncio, Redis and
# nginx, good and bad, each loop found, never sized, and what blocks or
# stalls it named.
# Reports, text and JSON, are kept in BUILD/runtimes/ with sizing.txt,
# every group's SIZING line.
# Prints each suite's checks, one line per suite, a check that no workload
# or load generator was left running, and a last line summing them all.
# Usage: tests/runtimes/run.sh [BUILD] [SUITE...]   e.g. run.sh build jvm node
# As root. Every suite is bounded (SUITE_TIMEOUT seconds, default 150).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${1:-build}
shift $(($# > 0 ? 1 : 0))
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "no build directory: run make first"; exit 1; }
export BUILD BLOCKSCOPE=${BLOCKSCOPE:-$BUILD/blockscope}
export RT_OUT=$BUILD/runtimes
SUITES=${*:-glibc jvm tomcat cpython gunicorn node go pinned serve loop_node loop_asyncio loop_redis loop_nginx}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-150}
# Everything the suites start inherits this variable: that is how the
# strays check tells our processes from other engineers' java, node,
# loadgen or wrk on the same machine.
export BLOCKSCOPE_RT_RUN=$$

. tests/suites.sh
# ours: "PID COMM" of the processes the suites started that still run
# (this script, the subshell running this function and their own
# children aside).
ours() {
	local e p pp
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}
		p=${p%/environ}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		pp=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
		[ "$pp" = $$ ] || [ "$pp" = "$BASHPID" ] && continue
		if tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "BLOCKSCOPE_RT_RUN=$$"; then
			echo "$p $(cat "/proc/$p/comm" 2>/dev/null)"
		fi
	done
}

if [ ! -x "$BLOCKSCOPE" ]; then
	echo "no $BLOCKSCOPE: run make first"
	echo "0 passed, 1 failed"
	exit 1
fi

# Debian packages, only those missing (install-deps.sh installs nothing
# when all are there). A JDK only without javac, Node.js only without node
# (this machine's node 20 may come from elsewhere than Debian).
pkgs=(tomcat10 golang-go gunicorn wrk curl redis-server redis-tools nginx)
command -v javac >/dev/null || pkgs+=(openjdk-17-jdk-headless)
command -v node >/dev/null || pkgs+=(nodejs)
if ! scripts/install-deps.sh "${pkgs[@]}"; then
	echo "FAIL packages: scripts/install-deps.sh ${pkgs[*]} failed"
	add 0 1
fi

start=$SECONDS
rm -f "$RT_OUT/sizing.txt"
for s in $SUITES; do
	run_suite runtimes tests/runtimes/test_$s.sh "$s" 0
done

# Nothing a suite started may outlive it.
sleep 1
strays=$(ours)
if [ -z "$strays" ]; then
	echo "PASS no-strays"
	add 1 0
else
	echo "FAIL no-strays: still running: $(echo "$strays" | tr '\n' ' ' | head -c 400)"
	add 0 1
fi
echo "runtimes suite took $((SECONDS - start)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
