#!/usr/bin/env bash
# Writes blockscope's bash completion on stdout, with the option lists taken
# from the built binary's own --help, so that they cannot drift from it.
# Usage: scripts/gen-completion.sh build/blockscope > build/blockscope.bash
set -euo pipefail
bin=${1:?usage: gen-completion.sh BLOCKSCOPE}
help=$("$bin" --help)

# argp lists each option as "  -p, --pid=PID[,PID...]  text" or
# "      --stacks  text": the long name, and "=ARG" when it takes a value.
long=$(sed -n 's/^ \{2,6\}\(-., \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' <<<"$help" | sort -u)
with_arg=$(sed -n 's/^ \{2,6\}\(-., \)\{0,1\}\(--[a-z][a-z-]*\)=.*/\2/p' <<<"$help" | sort -u)
# Not "-?" (--help): as a word it is a glob.
short=$(sed -n 's/^ \{2\}\(-[^?]\), --.*/\1/p' <<<"$help" | sort -u)
short_arg=$(sed -n 's/^ \{2\}\(-.\), --[a-z-]*=.*/\1/p' <<<"$help" | sort -u)
[ -n "$long" ] && [ -n "$with_arg" ] && [ -n "$short" ] || {
	echo "gen-completion: no options found in '$bin --help'" >&2
	exit 1
}
words() { tr '\n' ' ' <<<"$1" | sed 's/ $//'; }
# A case pattern: "-p|--pid|...".
alts() { tr '\n' '|' <<<"$1" | sed 's/|$//'; }

cat <<EOF
# bash completion for blockscope(8).
# Generated from \`blockscope --help\` by scripts/gen-completion.sh: do not edit.

_blockscope()
{
	local cur=\${COMP_WORDS[COMP_CWORD]} prev= i w opt
	local long='$(words "$long")'
	local short='$(words "$short")'
	COMPREPLY=()

	# After "--", or the first word that is not an option or an option's
	# value: the command to trace, then its arguments.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=\${COMP_WORDS[i]}
		case \$w in
		$(alts "$with_arg"$'\n'"$short_arg"))
			# The value follows, as the next word or after "=".
			[[ \${COMP_WORDS[i + 1]} == = ]] && ((i++))
			((i++))
			;;
		--)
			break
			;;
		-*) ;;
		*)
			[[ \${COMP_WORDS[i - 1]} == = ]] || { ((i--)); break; }
			;;
		esac
	done
	if ((i < COMP_CWORD)); then
		if ((i + 1 == COMP_CWORD)); then
			COMPREPLY=(\$(compgen -c -- "\$cur"))
		else
			compopt -o filenames 2>/dev/null
			COMPREPLY=(\$(compgen -f -- "\$cur"))
		fi
		return 0
	fi

	# The option whose value is being typed: "-p 12", "--pid 12", "--pid=12".
	if ((COMP_CWORD >= 2)) && [[ \${COMP_WORDS[COMP_CWORD - 1]} == = ]]; then
		opt=\${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ \$cur == = ]]; then
		opt=\${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	else
		((COMP_CWORD >= 2)) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
		opt=\$prev
	fi
	case \$opt in
	-p | --pid)
		# A list: complete its last PID.
		COMPREPLY=(\$(compgen -P "\${cur%"\${cur##*,}"}" -W "\$(cd /proc && printf '%s ' [0-9]*)" \\
			-- "\${cur##*,}"))
		return 0
		;;
	-n | --name)
		COMPREPLY=(\$(compgen -W "\$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)" -- "\$cur"))
		return 0
		;;
	-o | --output | --folded | --timeline | --svg)
		compopt -o filenames 2>/dev/null
		COMPREPLY=(\$(compgen -f -- "\$cur"))
		return 0
		;;
	--cgroup)
		compopt -o filenames 2>/dev/null
		COMPREPLY=(\$(compgen -d -- "\${cur:-/sys/fs/cgroup/}"))
		return 0
		;;
	$(alts "$with_arg"$'\n'"$short_arg"))
		# A number or a SYSCALL=CLASS: nothing to offer.
		return 0
		;;
	esac

	if [[ \$cur == --* ]]; then
		COMPREPLY=(\$(compgen -W "\$long" -- "\$cur"))
	elif [[ \$cur == -* ]]; then
		COMPREPLY=(\$(compgen -W "\$short \$long" -- "\$cur"))
	else
		COMPREPLY=(\$(compgen -c -- "\$cur"))
	fi
	return 0
}
complete -F _blockscope blockscope
EOF
