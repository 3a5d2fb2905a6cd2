#!/usr/bin/env bash
# Records flow one way (docs/architecture.md): tracing/ feeds the account
# (user/model/account*.c with the pure tables it uses), the judgements read
# the accounted threads, output/ prints them. Read from the built objects:
# which file's undefined symbols another file defines. The account must not
# call a judgement (a judgement that the account calls and that reads the
# account back is a circle), the judgements must not call output, tracing
# or a mode, and the judgements call each other without a circle. Each rule
# is also run on a doctored copy of the edges, to show it can fail.
source "$(dirname "$0")/../lib.sh"

OBJ=$BUILD/obj
[ -d "$OBJ/model" ] || { fail built "no $OBJ/model: run make first"; finish; exit; }

# "FILE DEFINER" for each symbol FILE uses that another object defines.
(cd "$OBJ" && nm --defined-only -A ./*/*.o 2>/dev/null |
	awk '$2 ~ /^[TDBR]$/ { split($1, f, ":"); sub("^\\./", "", f[1]); print $3, f[1] }') >"$TMP/defs"
(cd "$OBJ" && for o in */*.o; do nm -u "$o" | awk -v o="$o" '{ print $2, o }'; done) >"$TMP/uses"
awk 'NR == FNR { def[$1] = $2; next } ($1 in def) && def[$1] != $2 { print $2, def[$1] }' \
	"$TMP/defs" "$TMP/uses" | sort -u >"$TMP/edges"
check edges_read "fewer than 50 calls between files read from $OBJ" -- \
	[ "$(wc -l <"$TMP/edges")" -ge 50 ]

# The account's part of model/: what it may call besides util/.
account_part() { grep -Eq '^model/(account[a-z_]*|waits|syscalls|classify)\.o$' <<<"$1"; }

# account_calls EDGES: the account's calls out of its part (none allowed).
account_calls() {
	local from to
	while read -r from to; do
		account_part "$from" || continue
		account_part "$to" || [[ $to == util/* ]] || echo "$from -> $to"
	done <"$1"
}

# judgement_calls EDGES: a judgement (model/ outside the account) calling
# output, tracing, stages, a mode or the command line.
judgement_calls() {
	local from to
	while read -r from to; do
		[[ $from == model/* ]] && ! account_part "$from" || continue
		[[ $to == model/* || $to == util/* ]] || echo "$from -> $to"
	done <"$1"
}

# judgement_circle EDGES: a circle among the judgements (tsort says so).
judgement_circle() {
	local from to
	while read -r from to; do
		[[ $from == model/* && $to == model/* ]] || continue
		account_part "$from" || account_part "$to" || echo "$from $to"
	done <"$1" | tsort 2>&1 >/dev/null | grep -m1 -i 'loop'
}

# rule NAME FUNCTION DOCTORED_EDGE: holds on the real edges, fails with the doctored one.
rule() {
	local name=$1 fn=$2 bad=$3 found
	found=$("$fn" "$TMP/edges")
	check "$name" "$(echo "$found" | head -3 | tr '\n' ';')" -- [ -z "$found" ]
	{ cat "$TMP/edges"; echo "$bad"; } >"$TMP/doctored"
	check "${name}_can_fail" "the rule missed '$bad'" -- [ -n "$("$fn" "$TMP/doctored")" ]
}

rule account_calls_no_judgement account_calls "model/account_calls.o model/roles.o"
rule judgements_call_no_output judgement_calls "model/roles.o output/report.o"
rule judgements_no_circle judgement_circle "model/roles.o model/sizing.o"
finish
