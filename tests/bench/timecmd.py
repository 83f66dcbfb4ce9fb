#!/usr/bin/env python3
"""timecmd.py -- run one command, report its wall time and peak RSS.

WHAT IT MEASURES
    Wall-clock time (time.perf_counter) of one child process and its peak
    resident set size in KiB: the child's VmHWM from /proc/PID/status,
    sampled every millisecond until it exits (the high-water mark only
    grows, so the last sample is the peak up to the last millisecond).
    getrusage()'s ru_maxrss cannot serve: a forked child starts with a copy
    of this Python process (about 14 MB) and the kernel keeps that figure
    across exec.

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


def vm_hwm_kb(pid):
    """The VmHWM of <pid> in KiB, 0 once it has gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


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
        hwm = 0
        try:
            child = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr)
            while True:
                hwm = max(hwm, vm_hwm_kb(child.pid))
                try:
                    rc = child.wait(timeout=0.001)
                    break
                except subprocess.TimeoutExpired:
                    pass
        except OSError as e:
            print("timecmd: %s: %s" % (cmd[0], e), file=sys.stderr)
            rc = 127
        wall = time.perf_counter() - t0
        if ferr:
            ferr.close()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall_s": round(wall, 6), "maxrss_kb": hwm,
                      "user_s": round(ru.ru_utime, 3),
                      "sys_s": round(ru.ru_stime, 3), "rc": rc}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
