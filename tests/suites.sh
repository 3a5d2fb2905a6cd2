# Shared by the runners of suites of suites (tests/real/run.sh,
# tests/runtimes/run.sh): the totals, and one suite run the same way.
total_pass=0
total_fail=0
add() { total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); }

# run_suite LABEL SCRIPT NAME QUIET: runs SCRIPT bounded by SUITE_TIMEOUT,
# prints its output (without its PASS lines if QUIET is 1) and then
# "LABEL NAME: P passed, F failed (T s)", and adds them to the totals. A
# missing script, or a suite that died without its closing line, failed.
run_suite() {
	local label=$1 script=$2 name=$3 quiet=$4 t0=$SECONDS out rc last p f
	if [ ! -f "$script" ]; then
		echo "$label $name: no $script"
		add 0 1
		return
	fi
	out=$(timeout -k 10 "$SUITE_TIMEOUT" bash "$script" 2>&1)
	rc=$?
	if [ "$quiet" = 1 ]; then
		echo "$out" | grep -v '^PASS ' | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	else
		echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	fi
	last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	p=$(echo "$last" | awk '{ print $1 }')
	f=$(echo "$last" | awk '{ print $3 }')
	p=${p:-0}
	f=${f:-1}
	[ $rc -eq 124 ] && echo "$label $name: timed out after ${SUITE_TIMEOUT} s"
	[ -z "$last" ] && [ "$f" -eq 0 ] && f=1
	echo "$label $name: $p passed, $f failed ($((SECONDS - t0)) s)"
	add "$p" "$f"
}

# A shared library that does not parse is sourced up to its error and its
# later functions are missing: the checks that call them print "command
# not found" and silently do not run (a merge once lost a closing brace in
# tests/runtimes/lib.sh, and two suites lost 39 checks without a failure).
# Each runner checks them first; one that does not parse is a failure.
libs_parse() {
	local lib err
	for lib in tests/lib.sh tests/real/lib.sh tests/runtimes/lib.sh; do
		if ! err=$(bash -n "$lib" 2>&1); then
			echo "FAIL libs-parse: $err"
			add 0 1
		fi
	done
}
libs_parse
