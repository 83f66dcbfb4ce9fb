#!/usr/bin/env bash
# ab_replay.sh -- replay speed of two revisions of subgatectl, same log,
# interleaved runs
#
# WHAT IT MEASURES
#   Builds subgatectl (Release) from two git revisions of this repository
#   (git archive into a scratch dir: the working tree is not touched), then
#   runs `subgatectl replay --policy contrib/subgate.policy --json LOG` of
#   each in turn, R times (default 7), and prints per revision the best and
#   mean wall time and the ratio best(A)/best(B) (above 1: B is faster);
#   one more run of each with --decisions tells whether both decided the
#   same (writing a million decisions would swamp the timed runs).
#   The machine is shared: only interleaved runs of the same log compare.
#   Last line: one JSON object.
#
# USAGE
#   tests/bench/ab_replay.sh [--reps R] [--log FILE] REV_A REV_B
#   --log FILE  the log (default: genlog.py --lines 1000000)
#   Example: tests/bench/ab_replay.sh 88536cf^ 88536cf   (the reader thread)
#
# EXIT STATUS
#   0 done (the figures say the rest), 1 a build or replay failed or the
#   decisions differ, 2 usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
reps=7
log=""
# shellcheck source=lib.bash
. "$(dirname "$0")/lib.bash"
while [ $# -gt 0 ]; do
	case $1 in
	--reps) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; reps=$2; shift ;;
	--log) [ -n "${2:-}" ] || usage; log=$2; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 2 ] || usage
work=$(mktemp -d "${TMPDIR:-/tmp}/ab_replay.XXXXXX")
trap 'rm -rf "$work"' EXIT
for side in a b; do
	rev=$1
	shift
	git -C "$root" rev-parse --verify -q "$rev^{commit}" >/dev/null ||
		{ echo "ab_replay: no such revision: $rev" >&2; exit 2; }
	mkdir -p "$work/$side/src"
	git -C "$root" archive "$rev" | tar -x -C "$work/$side/src"
	echo "building $rev ..." >&2
	if ! cmake -S "$work/$side/src" -B "$work/$side/build" \
		-DCMAKE_BUILD_TYPE=Release -DSUBGATE_TESTS=OFF >"$work/$side/cmake.log" 2>&1 ||
		! cmake --build "$work/$side/build" -j"$(nproc)" --target subgatectl \
			>>"$work/$side/cmake.log" 2>&1; then
		tail -n 20 "$work/$side/cmake.log" >&2
		exit 1
	fi
	echo "$rev" >"$work/$side/rev"
done
if [ -z "$log" ]; then
	log=$work/subscribe.log
	python3 "$here/genlog.py" --lines 1000000 --out "$log" --quiet
fi
policy=$root/contrib/subgate.policy
for ((i = 0; i < reps; i++)); do
	for side in a b; do
		t0=${EPOCHREALTIME/[.,]/}
		"$work/$side/build/milter/subgatectl" replay --policy "$policy" --json \
			"$log" >/dev/null ||
			{ echo "ab_replay: replay of $(cat "$work/$side/rev") failed" >&2; exit 1; }
		t1=${EPOCHREALTIME/[.,]/}
		echo "$side $((t1 - t0))" >>"$work/times"
	done
done
for side in a b; do
	"$work/$side/build/milter/subgatectl" replay --policy "$policy" --json \
		--decisions "$work/$side/decisions.jsonl" "$log" >/dev/null ||
		{ echo "ab_replay: replay of $(cat "$work/$side/rev") failed" >&2; exit 1; }
done
same=true
cmp -s "$work/a/decisions.jsonl" "$work/b/decisions.jsonl" || same=false
python3 - "$work/times" "$(cat "$work/a/rev")" "$(cat "$work/b/rev")" "$same" "$reps" <<'PY'
import json, statistics, sys
path, rev_a, rev_b, same, reps = sys.argv[1:]
t = {"a": [], "b": []}
for line in open(path):
    side, us = line.split()
    t[side].append(int(us) / 1e6)
best = {k: min(v) for k, v in t.items()}
mean = {k: statistics.mean(v) for k, v in t.items()}
for k, rev in (("a", rev_a), ("b", rev_b)):
    print("%s %-12s best %.3f s  mean %.3f s" % (k, rev, best[k], mean[k]))
print("best(a)/best(b) = %.2f; same decisions: %s" % (best["a"] / best["b"], same))
print(json.dumps({"bench": "ab_replay", "a": rev_a, "b": rev_b, "reps": int(reps),
                  "best_s": best, "mean_s": mean,
                  "ratio_best_a_b": round(best["a"] / best["b"], 3),
                  "same_decisions": same == "true"}))
PY
[ "$same" = true ]
