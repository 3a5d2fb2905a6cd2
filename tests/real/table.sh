#!/usr/bin/env bash
# Prints docs/servers.md's table (Markdown) from the reports a run kept:
#   BLOCKSCOPE_REAL_KEEP=/tmp/real tests/real/run.sh && tests/real/table.sh /tmp/real
# One row per server: processes and threads traced, whole calls in the 4 s
# window, the blocking share, EAGAIN returns (and on which syscalls), the
# syscalls with the most blocked time in whole calls (share of it), the
# recommendation with the default classes and, for Apache worker/event,
# with the classes that fit Apache (event: under ab; worker and event:
# under the bounded keep-alive load, on one CPU), and the load the client
# reached.
set -u
DIR=${1:?usage: table.sh DIR}
cd "$DIR" || exit 1

rate() { sed -n "s/^SUMMARY $1: .* \(rps\|ops\|tps\)=\([0-9]*\).*/\2 \1/p" summary.txt 2>/dev/null | tail -n 1 |
	awk '{ u = ($2 == "rps") ? "req/s" : ($2 == "ops") ? "ops/s" : "tps"; print $1 " " u }'; }

echo "| server | load | processes | threads | calls | blocking | EAGAIN | top blocked (share of blocked time) | recommended (WT/CT) |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in nginx apache_prefork apache_worker apache_event redis postgres; do
	[ -f "$name.json" ] || continue
	classes=
	if [ -f "${name}_classes.json" ]; then
		classes=$(jq -r '"; with Apache classes: \(.sizing.recommended_threads) (\(.sizing.wait_compute_ratio * 100 | round / 100))"' "${name}_classes.json")
	fi
	if [ -f "${name}_keepalive.json" ]; then
		classes+=$(jq -r '"; keep-alive clients, \(.sizing.cores) CPU, Apache classes: \(.sizing.recommended_threads) (\(.sizing.wait_compute_ratio * 100 | round / 100))"' "${name}_keepalive.json")
	fi
	jq -r --arg name "$name" --arg rate "$(rate "$name")" --arg classes "$classes" '
		def pct(a; b): if b > 0 then (a * 1000 / b | round / 10) else 0 end;
		([.syscalls[].calls] | add // 0) as $calls
		| ([.syscalls[].blocking] | add // 0) as $blk
		| ([.syscalls[].eagain] | add // 0) as $eagain
		| ([.syscalls[] | select(.eagain > 0)] | sort_by(-.eagain) | .[:3] | map("\(.name) \(.eagain)") | join(", ")) as $ewhere
		| ([.syscalls[].blocked_ns] | add // 0) as $bns
		| ([.syscalls[] | select(.blocked_ns > 0)] | sort_by(-.blocked_ns) | .[:3]
		   | map("\(.name) \(pct(.blocked_ns; $bns))%") | join(", ")) as $top
		| "| \($name | sub("_"; " ")) | \($rate) | \(.targets | length) | \(.threads | length) | \($calls)"
		  + " | \(pct($blk; $calls))% | \($eagain)\(if $ewhere != "" then " (" + $ewhere + ")" else "" end)"
		  + " | \($top) | \(.sizing.recommended_threads) (\(.sizing.wait_compute_ratio * 100 | round / 100))\($classes) |"' "$name.json"
done
