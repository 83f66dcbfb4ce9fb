#!/usr/bin/env python3
"""timecmd.py -- run one command, report its wall time and peak RSS.

WHAT IT MEASURES
    Wall-clock time (time.perf_counter) of one child process and its peak
    resident set size (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, KiB on
    Linux).  One child per timecmd.py run, so the peak is that child's own
    (for a pipeline or a shell, the largest of its processes).

USAGE
    tests/bench/timecmd.py [--stdin F] [--stdout F] [--stderr F] -- CMD ARG...
    Prints one JSON line {"wall_s":..., "maxrss_kb":..., "rc":...} on
    stdout.  The command's stdin/stdout/stderr default to /dev/null,
    /dev/null and inherited stderr.  Exit status 0 even when the command
    fails: read "rc".
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdin", default="/dev/null")
    ap.add_argument("--stdout", default="/dev/null")
    ap.add_argument("--stderr")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command")
    with open(args.stdin, "rb") as fin, open(args.stdout, "wb") as fout:
        ferr = open(args.stderr, "wb") if args.stderr else None
        t0 = time.perf_counter()
        try:
            rc = subprocess.call(cmd, stdin=fin, stdout=fout, stderr=ferr)
        except OSError as e:
            print("timecmd: %s: %s" % (cmd[0], e), file=sys.stderr)
            rc = 127
        wall = time.perf_counter() - t0
        if ferr:
            ferr.close()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall_s": round(wall, 6), "maxrss_kb": ru.ru_maxrss,
                      "user_s": round(ru.ru_utime, 3),
                      "sys_s": round(ru.ru_stime, 3), "rc": rc}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
