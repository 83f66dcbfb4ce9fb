#!/usr/bin/env bash
# bench_replay.sh -- replay throughput of subgatectl against fail2ban and wc
#
# WHAT IT MEASURES (one run, same machine, same generated log)
#   (a) lines/s of `subgatectl replay --policy contrib/subgate.policy --json
#       LOG` on a 1,000,000-line Mailman 2.1 subscribe log made by
#       genlog.py (best wall time of 3 runs), its peak RSS, and the
#       "memory":{"keys","bytes","bytes_per_key"} figure it prints;
#   (b) lines/s of `fail2ban-regex LOG fail2ban/mailman.conf` (the seed's
#       filter) on the first 50,000 lines of that log, from fail2ban's own
#       "[processed in X sec]" (start-up excluded, the figure most
#       favourable to fail2ban), wall time shown too;
#   (c) lines/s of `wc -l` on the whole log (best of 5, page cache warm);
#   (d) memory: replay with a policy that tracks every address and
#       network (limit ip 5/12h hold, limit subnet 20/12h hold, no bans)
#       against the same replay with an empty policy (the baseline: no
#       counters); the accounted bytes per tracked key (target <= 100) and
#       the peak-RSS difference divided by the keys;
#   (e) where the time goes: lines/s of that empty-policy replay (reading,
#       parsing, origins, bookkeeping: no counter), best of 3;
#   (f) (a) again with glibc's transparent huge pages
#       (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), best of 3, and its ratio
#       to (a): what address translation costs the counter table;
#   (g) the floor: lines/s of floor_replay.c (built here with cc) on the
#       same log, best of 5: only the core of a replay's work (find the
#       four keys, hash them with SipHash, count them in tables sized
#       ahead; no window, no policy, no order) on both cores, each taking
#       half the log; its ratios to fail2ban and wc say how far the
#       targets are from what the machine does with that core alone;
#   and the ratios replay/fail2ban (target >= 200) and replay/wc
#   (target >= 0.1).  A table goes to stdout, then, as the last line, one
#   JSON object with all figures.
#
# USAGE
#   tests/bench/bench_replay.sh [--quick] [--lines N] [--f2b-lines N]
#                               [--log FILE]
#   --quick      seconds-long smoke run: 20,000 lines, fail2ban on 2,000
#   --lines N    size of the generated log (default 1000000)
#   --f2b-lines  lines given to fail2ban-regex (default 50000)
#   --log FILE   use FILE instead of generating one
#   Environment: SUBGATECTL (default build/milter/subgatectl, relative to
#   the repository root), POLICY (default contrib/subgate.policy).
#   Needs python3 and fail2ban-regex (Debian package fail2ban).
#
# EXIT STATUS
#   0 when every measurement ran (targets missed are reported, not fatal),
#   1 when subgatectl is missing or fails (the other figures still print),
#   2 on a usage error or a missing tool.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lines=1000000
f2b_lines=50000
replay_reps=3
f2b_reps=2
wc_reps=5
log=""

# shellcheck source=lib.bash
. "$(dirname "$0")/lib.bash"

while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		lines=20000 f2b_lines=2000 replay_reps=1 f2b_reps=1 wc_reps=3
		;;
	--lines)
		[ $# -ge 2 ] || usage
		lines=$2
		shift
		;;
	--f2b-lines)
		[ $# -ge 2 ] || usage
		f2b_lines=$2
		shift
		;;
	--log)
		[ $# -ge 2 ] || usage
		log=$2
		shift
		;;
	-h | --help) usage ;;
	*) usage ;;
	esac
	shift
done

subgatectl=${SUBGATECTL:-build/milter/subgatectl}
policy=${POLICY:-contrib/subgate.policy}
subgatectl=$(in_root "$subgatectl")
policy=$(in_root "$policy")

need bench_replay python3 fail2ban-regex wc cc

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# jfield JSON KEY: one top-level field of a JSON object
jfield() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# best OUT REPS CMD...: run CMD REPS times under timecmd.py, keep the run
# with the least wall time; its JSON goes to stdout, the command's stdout
# of that run to OUT.  Fails if any run exits non-zero.
best() {
	local out=$1 reps=$2 i res wall best_json="" best_wall=""
	shift 2
	for ((i = 0; i < reps; i++)); do
		res=$(python3 "$here/timecmd.py" --stdout "$tmp/run.out" \
			--stderr "$tmp/run.err" -- "$@")
		if [ "$(jfield "$res" rc)" != 0 ]; then
			echo "bench_replay: failed (rc $(jfield "$res" rc)): $*" >&2
			sed -n '1,20p' "$tmp/run.err" >&2
			return 1
		fi
		wall=$(jfield "$res" wall_s)
		if [ -z "$best_wall" ] || python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))' "$wall" "$best_wall"; then
			best_wall=$wall best_json=$res
			mv "$tmp/run.out" "$out"
		fi
	done
	printf '%s\n' "$best_json"
}

# ---- the log
if [ -z "$log" ]; then
	log=$tmp/subscribe.log
	echo "generating a $lines-line log ..." >&2
	python3 "$here/genlog.py" --lines "$lines" --out "$log" --quiet
fi
nlines=$(wc -l <"$log")
nbytes=$(wc -c <"$log")
head -n "$f2b_lines" "$log" >"$tmp/f2b.log"
nf2b=$(wc -l <"$tmp/f2b.log")

# ---- (c) wc -l, first so the page cache is warm for everyone
wc_json=$(best "$tmp/wc.out" "$wc_reps" wc -l "$log")

# ---- (b) fail2ban-regex on the subset
f2b_json=$(best "$tmp/f2b.out" "$f2b_reps" fail2ban-regex "$tmp/f2b.log" \
	"$here/fail2ban/mailman.conf")
f2b_proc=$(sed -n 's/^\[processed in \([0-9.]*\) sec\]$/\1/p' "$tmp/f2b.out" | tail -n 1)
f2b_matched=$(sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1/p' "$tmp/f2b.out" | tail -n 1)

# ---- (a) subgatectl replay
replay_json=null
replay_status=ok
if [ ! -x "$subgatectl" ]; then
	replay_status="missing: $subgatectl"
	echo "bench_replay: $subgatectl not found or not executable" >&2
elif [ ! -r "$policy" ]; then
	replay_status="missing policy: $policy"
	echo "bench_replay: policy $policy not readable" >&2
elif replay_json=$(best "$tmp/replay.out" "$replay_reps" "$subgatectl" \
	replay --policy "$policy" --json "$log"); then
	:
else
	replay_json=null
	replay_status="failed"
fi

# ---- (d) memory: every address and network tracked, against no counters
track_json=null
base_json=null
if [ "$replay_status" = ok ]; then
	printf 'limit ip 5/12h hold\nlimit subnet 20/12h hold\n' >"$tmp/track.policy"
	: >"$tmp/empty.policy"
	track_json=$(best "$tmp/track.out" 1 "$subgatectl" replay \
		--policy "$tmp/track.policy" --json "$log") || track_json=null
	base_json=$(best "$tmp/base.out" "$replay_reps" "$subgatectl" replay \
		--policy "$tmp/empty.policy" --json "$log") || base_json=null
fi

# ---- (f) (a) with transparent huge pages
thp_json=null
if [ "$replay_status" = ok ]; then
	thp_json=$(best "$tmp/thp.out" "$replay_reps" env \
		GLIBC_TUNABLES=glibc.malloc.hugetlb=1 "$subgatectl" replay \
		--policy "$policy" --json "$log") || thp_json=null
fi

# ---- (g) the floor: the core of the work, both cores
floor_json=null
if cc -O2 -I "$root/policy" -o "$tmp/floor_replay" "$here/floor_replay.c" \
	"$root/policy/siphash.c" -lpthread 2>"$tmp/cc.err"; then
	for ((i = 0; i < 5; i++)); do
		res=$("$tmp/floor_replay" "$log") || {
			floor_json=null
			break
		}
		if [ "$floor_json" = null ] || python3 -c 'import json,sys; sys.exit(not json.loads(sys.argv[1])["wall_s"] < json.loads(sys.argv[2])["wall_s"])' "$res" "$floor_json"; then
			floor_json=$res
		fi
	done
else
	echo "bench_replay: floor_replay.c did not build" >&2
	sed -n '1,10p' "$tmp/cc.err" >&2
fi

# ---- figures, table, JSON
python3 - "$nlines" "$nbytes" "$nf2b" "$wc_json" "$f2b_json" "${f2b_proc:-}" \
	"${f2b_matched:-}" "$replay_json" "$replay_status" "$tmp/replay.out" \
	"$subgatectl" "$policy" "$track_json" "$base_json" "$tmp/track.out" \
	"$thp_json" "$floor_json" <<'EOF'
import json
import sys

(nlines, nbytes, nf2b, wc_j, f2b_j, f2b_proc, f2b_matched, rep_j, status,
 rep_out, ctl, policy, track_j, base_j, track_out, thp_j,
 floor_j) = sys.argv[1:]
nlines, nbytes, nf2b = int(nlines), int(nbytes), int(nf2b)
wc = json.loads(wc_j)
f2b = json.loads(f2b_j)
rep = json.loads(rep_j)


def find_memory(text):
    """The "memory" object anywhere in replay's JSON output (one object or
    JSON lines), or None."""
    docs = []
    try:
        docs.append(json.loads(text))
    except ValueError:
        for line in text.splitlines():
            try:
                docs.append(json.loads(line))
            except ValueError:
                pass
    stack = docs
    while stack:
        d = stack.pop()
        if isinstance(d, dict):
            if isinstance(d.get("memory"), dict):
                return d["memory"]
            stack.extend(d.values())
        elif isinstance(d, list):
            stack.extend(d)
    return None


wc_lps = nlines / wc["wall_s"] if wc["wall_s"] > 0 else None
f2b_sec = float(f2b_proc) if f2b_proc else None
f2b_lps = nf2b / f2b_sec if f2b_sec else None
f2b_lps_wall = nf2b / f2b["wall_s"]
rep_lps = memory = None
if rep:
    rep_lps = nlines / rep["wall_s"]
    try:
        with open(rep_out, encoding="utf-8", errors="replace") as f:
            memory = find_memory(f.read())
    except OSError:
        memory = None
track = json.loads(track_j)
base = json.loads(base_j)
thp = json.loads(thp_j)
floor = json.loads(floor_j)
empty_lps = nlines / base["wall_s"] if base else None
thp_lps = nlines / thp["wall_s"] if thp else None
r_thp = thp_lps / rep_lps if thp_lps and rep_lps else None
track_mem = rss_per_key = None
if track and base:
    try:
        with open(track_out, encoding="utf-8", errors="replace") as f:
            track_mem = find_memory(f.read())
    except OSError:
        track_mem = None
    if track_mem and track_mem.get("keys"):
        rss_per_key = ((track["maxrss_kb"] - base["maxrss_kb"]) * 1024 /
                       track_mem["keys"])
r_f2b = rep_lps / f2b_lps if rep_lps and f2b_lps else None
r_wc = rep_lps / wc_lps if rep_lps and wc_lps else None
floor_lps = floor["lps"] if floor and floor.get("lps") else None
fl_f2b = floor_lps / f2b_lps if floor_lps and f2b_lps else None
fl_wc = floor_lps / wc_lps if floor_lps and wc_lps else None
r_floor = rep_lps / floor_lps if rep_lps and floor_lps else None


def fmt(x, spec="{:,.0f}"):
    return "n/a" if x is None else spec.format(x)


def verdict(x, target):
    if x is None:
        return "n/a"
    return "PASS" if x >= target else "MISS"


print("log: %d lines, %.1f MB" % (nlines, nbytes / 1e6))
print("%-34s %14s %10s %10s" % ("", "lines/s", "wall s", "peak RSS"))
if rep:
    print("%-34s %14s %10.3f %8.1f MB" % (
        "(a) subgatectl replay", fmt(rep_lps), rep["wall_s"],
        rep["maxrss_kb"] / 1024))
else:
    print("%-34s %14s   (%s)" % ("(a) subgatectl replay", "n/a", status))
print("%-34s %14s %10.3f %8.1f MB" % (
    "(b) fail2ban-regex, %d lines" % nf2b, fmt(f2b_lps), f2b["wall_s"],
    f2b["maxrss_kb"] / 1024))
print("%-34s %14s" % ("    same, counting start-up", fmt(f2b_lps_wall)))
print("%-34s %14s %10.3f %8.1f MB" % ("(c) wc -l", fmt(wc_lps),
                                       wc["wall_s"], wc["maxrss_kb"] / 1024))
print("fail2ban matched %s of %d lines (processed in %s s)" % (
    f2b_matched or "?", nf2b, f2b_proc or "?"))
print("replay/fail2ban = %s (target >= 200: %s)" % (
    fmt(r_f2b, "{:,.1f}"), verdict(r_f2b, 200)))
print("replay/wc       = %s (target >= 0.1: %s)" % (
    fmt(r_wc, "{:.3f}"), verdict(r_wc, 0.1)))
if rep:
    if memory is None:
        print('memory: field "memory" absent from replay --json output')
    else:
        print("memory: %s keys, %s bytes, %s bytes per key" % (
            memory.get("keys"), memory.get("bytes"),
            memory.get("bytes_per_key")))
if track_mem:
    print("(d) every address and network tracked: %s keys, %s bytes per key "
          "accounted (target <= 100: %s), peak RSS %.1f MB vs %.1f MB "
          "without counters = %s bytes per key" % (
              track_mem.get("keys"), track_mem.get("bytes_per_key"),
              "PASS" if track_mem.get("bytes_per_key", 1e9) <= 100 else "MISS",
              track["maxrss_kb"] / 1024, base["maxrss_kb"] / 1024,
              fmt(rss_per_key, "{:.1f}")))
print("(e) replay, empty policy (no counters): %s lines/s" % fmt(empty_lps))
print("(f) replay with huge pages: %s lines/s, %s x (a)" % (
    fmt(thp_lps), fmt(r_thp, "{:.2f}")))
print("(g) the floor, the core of the work on 2 cores: %s lines/s = %s x fail2ban, "
      "%s of wc; replay is %s of it" % (
          fmt(floor_lps), fmt(fl_f2b, "{:,.1f}"), fmt(fl_wc, "{:.3f}"),
          fmt(r_floor, "{:.3f}")))
print(json.dumps({
    "bench": "replay", "lines": nlines, "bytes": nbytes,
    "floor_lps": floor_lps and round(floor_lps),
    "ratio_floor_fail2ban": fl_f2b and round(fl_f2b, 2),
    "ratio_floor_wc": fl_wc and round(fl_wc, 4),
    "ratio_replay_floor": r_floor and round(r_floor, 4),
    "empty_policy_lps": empty_lps and round(empty_lps),
    "thp_lps": thp_lps and round(thp_lps),
    "ratio_thp_replay": r_thp and round(r_thp, 3),
    "track_memory": track_mem,
    "track_maxrss_kb": track and track["maxrss_kb"],
    "base_maxrss_kb": base and base["maxrss_kb"],
    "rss_bytes_per_key": rss_per_key and round(rss_per_key, 1),
    "subgatectl": ctl, "policy": policy, "replay_status": status,
    "replay_lps": rep_lps and round(rep_lps),
    "replay_wall_s": rep and rep["wall_s"],
    "replay_maxrss_kb": rep and rep["maxrss_kb"],
    "memory": memory,
    "fail2ban_lines": nf2b, "fail2ban_matched":
        int(f2b_matched) if f2b_matched else None,
    "fail2ban_processed_s": f2b_sec, "fail2ban_wall_s": f2b["wall_s"],
    "fail2ban_lps": f2b_lps and round(f2b_lps),
    "fail2ban_lps_wall": round(f2b_lps_wall),
    "wc_wall_s": wc["wall_s"], "wc_lps": wc_lps and round(wc_lps),
    "ratio_replay_fail2ban": r_f2b and round(r_f2b, 2),
    "ratio_replay_wc": r_wc and round(r_wc, 4),
    "target_replay_fail2ban": 200, "target_replay_wc": 0.1}))
EOF

[ "$replay_status" = ok ] || exit 1
