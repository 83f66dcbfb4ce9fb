#!/bin/bash
# run.sh -- build the libFuzzer targets of tests/fuzz/ with clang (ASan +
# UBSan) and run each for a while on its seed corpus (tests/data/).
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
# Targets: logline policy confirm state journal (default: all). Needs clang (Debian
# package clang). Exit 0 when no target found anything; 1 and the
# reproducer (crash-*, leak-*, timeout-*) in the work dir otherwise.
# Run by hand, not in .ci/run: see README.md here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(logline policy confirm state journal)
command -v clang >/dev/null || { echo "run.sh: clang not installed (apt-get install clang)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/subgate-fuzz.XXXXXX")
echo "work dir $work"
status=0
for t in "${targets[@]}"; do
	case $t in
	logline) seeds=("$root"/tests/data/logs/*) ;;
	policy) seeds=("$root"/tests/data/policy/* "$root/contrib/subgate.policy") ;;
	confirm) seeds=("$root"/tests/data/mail/*.eml) ;;
	state) seeds=("$here"/seeds/state-*) ;;
	journal) seeds=("$here"/seeds/journal-*) ;;
	*) echo "run.sh: unknown target $t" >&2; exit 2 ;;
	esac
	mkdir -p "$work/$t/corpus"
	cp "${seeds[@]}" "$work/$t/corpus/"
	extra=()
	[ "$t" != journal ] || extra=(-I "$root/milter" "$root/milter/journal.c")
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I "$root/policy" -o "$work/$t/fuzz" "$here/fuzz_$t.c" "$root"/policy/*.c \
		"${extra[@]}"
	echo "== $t: $secs s"
	if ! (cd "$work/$t" && ./fuzz -max_total_time="$secs" -max_len=65536 \
		-rss_limit_mb=2048 corpus >fuzz.log 2>&1); then
		status=1
		echo "$t: FOUND SOMETHING, see $work/$t/fuzz.log and $work/$t/crash-* etc." >&2
		grep -m1 -A3 'ERROR' "$work/$t/fuzz.log" >&2 || true
	else
		tail -n 1 "$work/$t/fuzz.log"
	fi
done
[ $status -ne 0 ] || rm -rf "$work"
exit $status
