#!/usr/bin/env python3
"""logstats.py -- re-count the marginals of a Mailman 2.1 `subscribe` log.

WHAT IT MEASURES
    Parses a subscribe log as bytes (Latin-1) with the strict prefix and the
    `pending` regex of shared/reference/mailman.md 1.1/1.4, joins
    continuation lines, and prints: record counts by kind, time span and
    order check, top IPs (parsed REMOTE), top domains (parsed address), and,
    for comparison, the seed write-up's own awk counts
    (`awk '{print $NF}'` and `awk '{print $8}' | cut -d@ -f2`), which are
    wrong when a real name is present.  Used to check genlog.py's output.

USAGE
    tests/bench/logstats.py LOG [--top N]
"""

import argparse
import calendar
import collections
import re
import sys

PREFIX = re.compile(rb"^([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) "
                    rb"(\d{4}) \((\d+)\) (.*)$", re.S)
PENDING = re.compile(rb"^(\S+): pending (.*<[^<>\s]+>|[^\s<>]+)  (.*)$", re.S)
MONTHS = {m: i for i, m in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep",
     b"Oct", b"Nov", b"Dec"), 1)}


def records(path):
    rec = None
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if PREFIX.match(line):
                if rec is not None:
                    yield rec
                rec = line
            elif rec is not None:
                rec += b"\n" + line
    if rec is not None:
        yield rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    kinds = collections.Counter()
    ips = collections.Counter()
    doms = collections.Counter()
    lists = collections.Counter()
    awk_nf = collections.Counter()
    awk_8 = collections.Counter()
    first = last = None
    disorder = 0
    named = 0
    for rec in records(args.log):
        m = PREFIX.match(rec)
        mon, dd, hh, mi, ss, yy = m.group(1, 2, 3, 4, 5, 6)
        t = calendar.timegm((int(yy), MONTHS[mon], int(dd), int(hh), int(mi),
                             int(ss), 0, 0, 0))
        if last is not None and t < last:
            disorder += 1
        first = t if first is None else first
        last = t
        fields = rec.split()
        awk_nf[fields[-1]] += 1
        if len(fields) > 7:
            awk_8[fields[7].split(b"@")[1] if b"@" in fields[7]
                  else fields[7]] += 1
        p = PENDING.match(m.group(8))
        if not p:
            kinds["other"] += 1
            continue
        kinds["pending"] += 1
        lst, who, remote = p.groups()
        if who.endswith(b">"):
            named += 1
            addr = who[who.rindex(b"<") + 1:-1]
        else:
            addr = who
        lists[lst] += 1
        ips[remote] += 1
        doms[addr.rsplit(b"@", 1)[-1]] += 1

    def show(title, cnt):
        print(title)
        for k, v in cnt.most_common(args.top):
            print("%8d %s" % (v, k.decode("latin-1")))

    print("records %d: pending %d (%d with a real name), other %d" % (
        sum(kinds.values()), kinds["pending"], named, kinds["other"]))
    if first is not None:
        print("span %.2f h; out-of-order records: %d" % (
            (last - first) / 3600.0, disorder))
    show("pending per list:", lists)
    show("top IPs (parsed remote):", ips)
    show("top domains (parsed address):", doms)
    show("awk '{print $NF}' (seed command):", awk_nf)
    show("awk '{print $8}' | cut -d@ -f2 (seed command):", awk_8)
    return 0


if __name__ == "__main__":
    sys.exit(main())
