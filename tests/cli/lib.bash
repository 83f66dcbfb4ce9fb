# lib.bash -- shared helpers for the command-line tests (sourced, not run).
# Environment from ctest: SUBGATECTL (the binary), TOP (source tree),
# DATA (tests/data).
set -euo pipefail

: "${SUBGATECTL:?}" "${TOP:?}" "${DATA:?}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/subgate-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0
checks=0

# fail MESSAGE - record a failed check
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect_eq WHAT GOT WANT
expect_eq() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		fail "$1: got [$2], want [$3]"
	fi
}

# expect_match WHAT TEXT REGEX
expect_match() {
	checks=$((checks + 1))
	if ! grep -Eq -- "$3" <<<"$2"; then
		fail "$1: [$2] does not match /$3/"
	fi
}

# run_ctl OUT ERR ARGS... - run subgatectl, set $rc; stdout/stderr to files
run_ctl() {
	local out=$1 err=$2
	shift 2
	rc=0
	"$SUBGATECTL" "$@" >"$out" 2>"$err" || rc=$?
}

# finish - print the tally and exit non-zero on any failure
finish() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}
