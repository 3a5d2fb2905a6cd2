#!/usr/bin/env bash
# The manual page and the bash completion in step with --help, both ways;
# the page renders without a warning; the README stays a newcomer's page
# (at most 200 lines) and every file that it and docs/ link to exists.
# Each comparison is also run on a doctored copy, to show it can fail.
source "$(dirname "$0")/../lib.sh"

if ! "$ROOT/scripts/install-deps.sh" groff-base man-db >"$TMP/deps.log" 2>&1; then
	fail deps_installed "cannot install groff-base man-db: $(tail -1 "$TMP/deps.log")"
	finish
	exit
fi
MAN=$BUILD/blockscope.8
COMPLETION=$BUILD/blockscope.bash
for f in "$MAN" "$COMPLETION"; do
	[ -s "$f" ] || { fail built "no $f: run make first"; finish; exit; }
done

# An option as argp spells it, "-p, --pid=PID[,PID...]" or "--stacks": from
# lines that begin with it, up to the first space.
spellings() { sed -n 's/^ *\(\(-., \)\{0,1\}--[a-z][a-z-]*\(=[^ ]*\)\{0,1\}\).*/\1/p' | sort -u; }

"$BLOCKSCOPE" --help | grep -E '^ {2,6}-' | spellings >"$TMP/help.txt"
check help_parsed "fewer than 30 options read from --help" -- \
	[ "$(wc -l <"$TMP/help.txt")" -ge 30 ]

# The options a page documents: the tags of its OPTIONS section, which
# man(7) renders at an indent of exactly 7 columns.
page_options() {
	groff -man -Tascii -rLL=200n -P -cbou "$1" 2>/dev/null |
		sed -n '/^OPTIONS/,/^[A-Z]/p' | grep -E '^ {7}-' | spellings
}

# compare NAME PAGE: every --help option in PAGE, and no other.
compare() {
	local page_opts missing stale
	page_opts=$(page_options "$2")
	missing=$(comm -23 "$TMP/help.txt" <(echo "$page_opts"))
	stale=$(comm -13 "$TMP/help.txt" <(echo "$page_opts"))
	if [ -z "$missing" ] && [ -z "$stale" ]; then
		pass "$1"
	else
		fail "$1" "missing from the page: [${missing//$'\n'/ }]; not in --help: [${stale//$'\n'/ }]"
	fi
}
compare man_options_match_help "$MAN"

# Negative controls: the same comparison on a page with --stream-all taken
# out, and on one with an option --help does not have.
sed '/^\.B \\-\\-stream\\-all$/,/^\.TP$/d' "$MAN" >"$TMP/missing.8"
out=$(compare x "$TMP/missing.8")
check man_check_sees_missing "a page without --stream-all passed: $out" -- \
	grep -q 'missing from the page: \[--stream-all\]' <<<"$out"
sed 's/^\.B \\-\\-stream\\-all$/.B \\-\\-stream\\-none/' "$MAN" >"$TMP/stale.8"
out=$(compare x "$TMP/stale.8")
check man_check_sees_stale "a page with --stream-none passed: $out" -- \
	grep -q 'not in --help: \[--stream-none\]' <<<"$out"

# Renders cleanly: no groff warning, and man(1) shows it.
groff -man -ww -z "$MAN" 2>"$TMP/groff.txt"
check man_renders_without_warnings "$(head -3 "$TMP/groff.txt")" -- [ ! -s "$TMP/groff.txt" ]
version=$("$BLOCKSCOPE" --version)
check version_printed "--version printed '$version'" -- \
	grep -qE '^blockscope [0-9][0-9A-Za-z.+~-]*$' <<<"$version"
check man_has_version "the page's header lacks '$version'" -- \
	grep -q "^\.TH BLOCKSCOPE 8 \"[^\"]*\" \"$version\"" "$MAN"
MANWIDTH=80 man -l "$MAN" 2>"$TMP/man.err" | col -bx >"$TMP/man.txt"
check man_shows_page "man -l: $(head -2 "$TMP/man.err")" -- \
	grep -q '^BLOCKSCOPE(8) .* BLOCKSCOPE(8)$' "$TMP/man.txt"

# Bash completion, in a shell of its own: what it offers for a word.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_blockscope; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" blockscope "$@"
}
sed 's/^\(-., \)\{0,1\}\(--[a-z-]*\).*/\2/' "$TMP/help.txt" | sort -u >"$TMP/help_long.txt"
complete_words -- | sort -u >"$TMP/comp_long.txt"
check completion_has_every_option \
	"differs from --help: $(diff "$TMP/help_long.txt" "$TMP/comp_long.txt" | grep '^[<>]' | tr '\n' ' ')" -- \
	cmp -s "$TMP/help_long.txt" "$TMP/comp_long.txt"
check completion_prefix "--ti gave: $(complete_words --ti | tr '\n' ' ')" -- \
	[ "$(complete_words --ti | tr '\n' ' ')" = "--time-sample --timeline " ]
check completion_pid "-p did not offer this shell's PID $$" -- \
	grep -qx "$$" <(complete_words -p "$$")
check completion_pid_list "-p 1,$$ did not complete the list" -- \
	grep -qx "1,$$" <(complete_words -p "1,$$")
check completion_command "after -- it did not offer sleep" -- \
	grep -qx sleep <(complete_words -d 1 -- slee)
check completion_file "--output= did not offer files" -- \
	grep -qx "$TMP/help.txt" <(complete_words --output = "$TMP/help.t")
check completion_no_value "-d offered: $(complete_words -d '' | head -3 | tr '\n' ' ')" -- \
	[ -z "$(complete_words -d '')" ]

# README: a newcomer's page; every local link of it and of docs/ resolves.
lines=$(wc -l <"$ROOT/README.md")
check readme_short "README.md has $lines lines, more than 200" -- [ "$lines" -le 200 ]
check readme_test_command "README.md does not give make test" -- grep -q 'make test' "$ROOT/README.md"
broken=()
for md in "$ROOT/README.md" "$ROOT"/docs/*.md; do
	while read -r link; do
		link=${link%%#*}
		[ -z "$link" ] && continue
		[ -e "$(dirname "$md")/$link" ] || broken+=("${md#"$ROOT"/}: $link")
	done < <(grep -o '](\([^)]*\))' "$md" | sed 's/^](\(.*\))$/\1/' | grep -v '^[a-z]*:')
done
check doc_links_resolve "${broken[*]}" -- [ ${#broken[@]} -eq 0 ]
# The tree holds no run outputs (issue 27: s2.err was committed at the
# root): none tracked, .gitignore keeps new ones out, and no tracked file
# (a test's expected output) is one that .gitignore would hide.
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	tracked=$(git -C "$ROOT" ls-files -- '*.err' '*.out' | tr '\n' ' ')
	check run_outputs_untracked "tracked: $tracked" -- [ -z "$tracked" ]
	check run_outputs_ignored "git check-ignore: $(git -C "$ROOT" check-ignore --no-index -v s2.err run.out tests/x.err 2>&1 | tr '\n' ' ')" -- \
		bash -c "[ \"\$(git -C '$ROOT' check-ignore --no-index s2.err run.out tests/x.err | wc -l)\" -eq 3 ]"
	hidden=$(git -C "$ROOT" ls-files -ci --exclude-standard | tr '\n' ' ')
	check ignore_spares_tracked "tracked files .gitignore matches: $hidden" -- [ -z "$hidden" ]
fi
finish
