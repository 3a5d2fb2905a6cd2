#!/usr/bin/env bash
# Runs the real-server suites (nginx, Apache prefork/worker/event, Redis,
# PostgreSQL): each installs what it needs from Debian, starts its server
# on a free port in a temporary directory, loads it, traces it with
# blockscope and checks the profile. Prints each suite's failures and
# SUMMARY line, then one line per suite, a check that no server or load
# generator was left running, and a last line summing them all.
# Usage: tests/real/run.sh [BUILD] [SUITE...]   e.g. run.sh build nginx redis
# As root. Every suite is bounded (SUITE_TIMEOUT seconds, default 240).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${1:-build}
shift $(($# > 0 ? 1 : 0))
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "no build directory: run make first"; exit 1; }
export BUILD BLOCKSCOPE=${BLOCKSCOPE:-$BUILD/blockscope}
SUITES=${*:-nginx apache_prefork apache_worker apache_event redis postgres}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-240}
NAMES='^(nginx|apache2|redis-server|redis-benchmark|postgres|pgbench|psql|wrk|ab)$'

. tests/suites.sh

# Processes of the servers and load generators: "PID NAME" lines.
servers() { ps -eo pid=,comm= | awk -v re="$NAMES" '$2 ~ re { print $1, $2 }' | sort; }

if [ ! -x "$BLOCKSCOPE" ]; then
	echo "no $BLOCKSCOPE: run make first"
	echo "0 passed, 1 failed"
	exit 1
fi

start=$SECONDS
before=$(servers)
for s in $SUITES; do
	run_suite real tests/real/test_$s.sh "$s" 1
done

# Nothing a suite started may outlive it (a server a package's postinst
# started before the run is not ours, and is left alone).
sleep 1
strays=$(comm -13 <(echo "$before") <(servers))
if [ -z "$strays" ]; then
	echo "real no-strays: 1 passed, 0 failed"
	add 1 0
else
	echo "FAIL no-strays: still running: $(echo "$strays" | tr '\n' ' ')"
	echo "real no-strays: 0 passed, 1 failed"
	add 0 1
fi
echo "real suite took $((SECONDS - start)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
