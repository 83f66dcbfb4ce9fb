# lib.bash -- what the benchmark scripts of tests/bench/ share; sourced
#
# Each script documents itself in its header; usage prints that header's
# USAGE section. Sourcing scripts set <root> (the repository) first when
# they use in_root.

# usage - the calling script's USAGE section on stderr; exit 2
usage() {
	sed -n '/^# USAGE/,/^# EXIT/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# need NAME TOOL... - exit 2 with "NAME: TOOL not found" for the first
# TOOL not on PATH
need() {
	local name=$1 tool
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || {
			echo "$name: $tool not found" >&2
			exit 2
		}
	done
}

# in_root PATH - PATH, made absolute against the repository root
in_root() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$root/$1" ;;
	esac
}
