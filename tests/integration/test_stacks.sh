#!/usr/bin/env bash
# Call sites of the programs users run (issue 15): a program built the usual
# way (gcc -O2 -g, no frame pointers; Debian's libc has none either), traced
# as a command that exits before the report and by PID; its forked children
# that come and go (-f); and a JVM, whose JIT frames are named from the perf
# map blockscope asks it for. Every stack must reach the program's own
# functions, by DWARF CFI over a copy of the stack.
source "$(dirname "$0")/../lib.sh"
SRC=$ROOT/tests/integration/stacks

gcc -O2 -g -fomit-frame-pointer -Wall -o "$TMP/nofp" "$SRC/nofp.c" 2>"$TMP/gcc.err"
check nofp_builds "gcc: $(head -3 "$TMP/gcc.err")" -- [ -x "$TMP/nofp" ]

# own_function FILE SYSCALL FUNCTION: a folded line with FUNCTION calling SYSCALL.
own_function() { grep -Eq "(^|;)$3\+0x[0-9a-f]+[^;]*;.*\[$2\] [0-9]+$" "$1"; }
# No frame left as a bare address (every frame named by a symbol or a file).
no_hex_frames() { ! grep -Eq ';0x[0-9a-f]+;' "$1"; }

# 1. A command that exits before the report: named from the maps read while it ran.
"$BLOCKSCOPE" --stacks --folded="$TMP/cmd.folded" -o "$TMP/cmd.txt" -- "$TMP/nofp" 20 \
	2>"$TMP/cmd.err"
check cmd_exit_0 "blockscope failed: $(head -3 "$TMP/cmd.err")" -- [ -s "$TMP/cmd.folded" ]
check cmd_sleep_named "no sleep_in_own_function over clock_nanosleep: $(head -c 400 "$TMP/cmd.folded")" -- \
	own_function "$TMP/cmd.folded" clock_nanosleep sleep_in_own_function
check cmd_read_named "no read_in_own_function over read" -- \
	own_function "$TMP/cmd.folded" read read_in_own_function
check cmd_reaches_main "stacks stop before main" -- grep -q ';main+0x' "$TMP/cmd.folded"
check cmd_no_hex_frames "a frame left as an address: $(grep -E ';0x[0-9a-f]+;' "$TMP/cmd.folded" | head -2)" -- \
	no_hex_frames "$TMP/cmd.folded"
check cmd_method_said "the report does not say [dwarf]" -- \
	grep -Eq 'clock_nanosleep: [0-9]+ calls, .* \[dwarf\]' "$TMP/cmd.txt"
check cmd_all_dwarf "not every stack by dwarf: $(grep 'user stacks:' "$TMP/cmd.txt")" -- \
	grep -Eq 'user stacks: ([0-9]+) of \1 blocking calls unwound with dwarf' "$TMP/cmd.txt"
check cmd_nothing_unnamed "a process said unnamed" -- \
	bash -c "! grep -q 'exited before their maps' '$TMP/cmd.txt'"

# 2. By PID, while it lives.
"$TMP/nofp" 400 &
NOFP=$!
CHILD_PIDS+=($NOFP)
sleep 0.3
"$BLOCKSCOPE" --stacks --folded="$TMP/pid.folded" -o "$TMP/pid.txt" -p "$NOFP" -d 1 2>"$TMP/pid.err"
check pid_sleep_named "no sleep_in_own_function: $(head -c 400 "$TMP/pid.folded")" -- \
	own_function "$TMP/pid.folded" clock_nanosleep sleep_in_own_function
check pid_read_named "no read_in_own_function" -- own_function "$TMP/pid.folded" read read_in_own_function
check pid_no_hex_frames "a frame left as an address" -- no_hex_frames "$TMP/pid.folded"

# The same with frame pointers only (--stack-copy=0): the walk stops in libc,
# and the report says which method it used.
"$BLOCKSCOPE" --stacks --stack-copy=0 --folded="$TMP/fp.folded" -o "$TMP/fp.txt" -p "$NOFP" -d 1 \
	2>"$TMP/fp.err"
check fp_method_said "the report does not say [fp]" -- grep -q '\[fp\]' "$TMP/fp.txt"
check fp_misses_own_function "frame pointers alone reached sleep_in_own_function (libc built with them?)" -- \
	bash -c "! grep -q sleep_in_own_function '$TMP/fp.folded'"
kill "$NOFP" 2>/dev/null

# 3. -f: children that fork, sleep and exit, named after they are gone.
"$BLOCKSCOPE" -f --stacks --folded="$TMP/f.folded" -o "$TMP/f.txt" -- "$TMP/nofp" 10 2>"$TMP/f.err"
children=$(grep -E 'nofp\[[0-9]+\] clock_nanosleep' "$TMP/f.txt" | grep -oE '\[[0-9]+\]' | sort -u | wc -l)
check follow_children_traced "$children processes with stacks" -- [ "$children" -ge 5 ]
check follow_child_stacks_named "children's sleeps not named from main" -- \
	grep -Eq ';main\+0x[0-9a-f]+[^;]*;__nanosleep' "$TMP/f.folded"
check follow_no_hex_frames "a frame left as an address" -- no_hex_frames "$TMP/f.folded"

expect_error bad_stack_copy 2 "invalid --stack-copy '100'" "$BLOCKSCOPE" --stacks --stack-copy=100 -p 1

# 4. A JVM: compiled Java methods from its perf map, interpreted ones from the
# JVM's memory, HotSpot's C++ frames demangled.
if ! "$ROOT/scripts/install-deps.sh" openjdk-17-jdk-headless >"$TMP/deps.log" 2>&1; then
	fail jvm_case "cannot install openjdk-17-jdk-headless: $(tail -1 "$TMP/deps.log")"
elif command -v javac >/dev/null && command -v java >/dev/null && command -v jcmd >/dev/null; then
	javac -d "$TMP" "$SRC/Blocker.java" 2>"$TMP/javac.err"
	# Blocker.sleepInterpreted* are never compiled: their frames are the interpreter's.
	java -XX:CompileCommand=quiet -XX:CompileCommand='exclude,Blocker::sleepInterpreted*' \
		-cp "$TMP" Blocker 100000 >"$TMP/java.out" 2>&1 &
	JVM=$!
	CHILD_PIDS+=($JVM)
	sleep 3 # a few hundred calls: sleepInJava is JIT-compiled
	"$BLOCKSCOPE" --stacks --folded="$TMP/jvm.folded" -o "$TMP/jvm.txt" -p "$JVM" -d 2 \
		2>"$TMP/jvm.err"
	check jvm_asked_for_perf_map "no word of jcmd on stderr: $(head -2 "$TMP/jvm.err")" -- \
		grep -q "jcmd $JVM Compiler.perfmap" "$TMP/jvm.err"
	check jvm_java_method_named "no Blocker.sleepInJava: $(grep -m1 JVM_Sleep "$TMP/jvm.folded" | head -c 600)" -- \
		grep -q 'void_Blocker.sleepInJava(int)+0x' "$TMP/jvm.folded"
	# Named from the Method* its interpreter frame holds, as the perf map names compiled code.
	check jvm_interpreted_method_named "no interpreted Blocker.sleepInterpreted: $(grep -m1 -E "(interpreted|Interpreter)" "$TMP/jvm.folded" | head -c 900)" -- \
		grep -Eq ';void_Blocker\.sleepInterpreted\(int\)_\(interpreted\);[^ ]*JVM_Sleep' "$TMP/jvm.folded"
	# The same interpreter code, another method: another call site.
	check jvm_interpreted_sites_apart "no interpreted Blocker.sleepInterpretedAgain beside it" -- \
		grep -Eq ';void_Blocker\.sleepInterpretedAgain\(int\)_\(interpreted\);[^ ]*JVM_Sleep' "$TMP/jvm.folded"
	check jvm_interpreted_said "the report does not count interpreted frames: $(grep -i interpreted "$TMP/jvm.txt")" -- \
		grep -Eq '[1-9][0-9]* interpreted Java frames named' "$TMP/jvm.txt"
	check jvm_cxx_demangled "HotSpot frames not demangled" -- grep -q 'JavaThread::sleep(long)' "$TMP/jvm.folded"
	check jvm_no_mangled "a mangled name left" -- bash -c "! grep -q ';_ZN' '$TMP/jvm.folded'"
	kill "$JVM" 2>/dev/null
	# A JVM launched with -- has exited by the report: its interpreted frames
	# are named as their stacks come, while it lives (they kept Interpreter).
	timeout 60 "$BLOCKSCOPE" --stacks --folded="$TMP/jvml.folded" -o "$TMP/jvml.txt" -d 30 -- \
		java -XX:CompileCommand=quiet -XX:CompileCommand='exclude,Blocker::sleepInterpreted*' \
		-cp "$TMP" Blocker 1500 >"$TMP/jvml.out" 2>"$TMP/jvml.err"
	check jvm_launched_exited "the JVM did not end by itself: $(tail -c 300 "$TMP/jvml.out")" -- \
		grep -q '^done' "$TMP/jvml.out"
	check jvm_launched_interpreted_named "no interpreted Blocker.sleepInterpreted once the JVM was gone: $(grep -m1 -E "(interpreted|Interpreter)" "$TMP/jvml.folded" | head -c 900); $(grep -i interpreted "$TMP/jvml.txt")" -- \
		grep -Eq ';void_Blocker\.sleepInterpreted\(int\)_\(interpreted\);[^ ]*JVM_Sleep' "$TMP/jvml.folded"
else
	fail jvm_case "java, javac or jcmd not found after installing openjdk-17-jdk-headless"
fi
finish
