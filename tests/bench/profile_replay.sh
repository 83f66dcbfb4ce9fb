#!/usr/bin/env bash
# profile_replay.sh -- where replay's instructions go, per log line
#
# WHAT IT MEASURES
#   Runs `subgatectl replay --policy POLICY` on the first N lines (default
#   100,000) of a log under valgrind's callgrind, which counts the
#   instructions each function runs (exact and repeatable, unlike times on
#   a shared machine), and prints them per log line: the whole run, each
#   of the two threads (the reader, ctl_read_logs; the decider,
#   replay_take) and the parts that weigh, inclusive of what they call.
#   Instructions are not time: the decider also waits for memory (its
#   counters are far larger than the cache), which this does not count.
#
# USAGE
#   tests/bench/profile_replay.sh [--lines N] [--log FILE]
#   --log FILE   the log (default: genlog.py --lines 1000000, first N used)
#   Environment: SUBGATECTL (default build-bench/milter/subgatectl; a
#   Release build, not stripped), POLICY (default contrib/subgate.policy).
#   Needs valgrind and python3. About a minute.
#
# EXIT STATUS
#   0 done, 1 the run failed, 2 usage or a missing tool.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lines=100000
log=""

# shellcheck source=lib.bash
. "$(dirname "$0")/lib.bash"

while [ $# -gt 0 ]; do
	case $1 in
	--lines)
		[ $# -ge 2 ] || usage
		lines=$2
		shift
		;;
	--log)
		[ $# -ge 2 ] || usage
		log=$2
		shift
		;;
	*) usage ;;
	esac
	shift
done
case $lines in '' | *[!0-9]*) usage ;; esac

subgatectl=${SUBGATECTL:-build-bench/milter/subgatectl}
policy=${POLICY:-contrib/subgate.policy}
subgatectl=$(in_root "$subgatectl")
policy=$(in_root "$policy")
need profile_replay valgrind callgrind_annotate python3
[ -x "$subgatectl" ] || {
	echo "profile_replay: $subgatectl not built" >&2
	exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/profile_replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "$log" ]; then
	log=$tmp/full.log
	python3 "$here/genlog.py" --lines 1000000 --out "$log" --quiet
fi
head -n "$lines" "$log" >"$tmp/part.log"
n=$(wc -l <"$tmp/part.log")

if ! valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
	"$subgatectl" replay --policy "$policy" "$tmp/part.log" \
	>"$tmp/replay.out" 2>"$tmp/valgrind.err"; then
	echo "profile_replay: the run failed" >&2
	tail -5 "$tmp/valgrind.err" >&2
	exit 1
fi
callgrind_annotate --inclusive=yes "$tmp/cg.out" >"$tmp/incl.txt" 2>/dev/null

python3 - "$tmp/incl.txt" "$n" <<'EOF'
import json, re, sys

path, n = sys.argv[1], int(sys.argv[2])
total, incl = 0, {}
for line in open(path):
    m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(\S+)", line)
    if not m:
        continue
    count = int(m.group(1).replace(",", ""))
    what = m.group(2)
    if what == "PROGRAM":
        total = count
        continue
    fn = what.rsplit(":", 1)[-1]
    incl[fn] = max(incl.get(fn, 0), count)

rows = [
    ("the whole run", total),
    ("reader thread (ctl_read_logs)", incl.get("ctl_read_logs", 0)),
    ("  logjoin_push (lines into records)", incl.get("logjoin_push", 0)),
    ("    logline_scan_prefix", incl.get("logline_scan_prefix", 0)),
    ("  logline_parse_rec (a record's fields)", incl.get("logline_parse_rec", 0)),
    ("  replay_make (origin, record)", incl.get("replay_make", 0)),
    ("    decide_prepare (hashes, rules)", incl.get("decide_prepare", 0)),
    ("deciding thread (replay_take)", incl.get("replay_take", 0)),
    ("  decide", incl.get("decide", 0)),
    ("    ctab_find_h (4 lookups)", incl.get("ctab_find_h", 0)),
    ("  tally_add (what decided)", incl.get("tally_add", 0)),
    ("siphash24, both threads", incl.get("siphash24", 0)),
]
print("%d lines, instructions per line (inclusive):" % n)
for name, count in rows:
    print("  %-42s %8.0f" % (name, count / n if n else 0))
print(json.dumps({"bench": "profile_replay", "lines": n,
                  "per_line": {k.strip(): round(v / n) if n else 0
                               for k, v in rows}}))
EOF
