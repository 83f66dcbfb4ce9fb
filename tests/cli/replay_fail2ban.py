#!/usr/bin/env python3
"""Reference model of the seed's fail2ban jail, written independently of
subgate: per origin address (IPv4, IPv6 by /64), the first 5 requests inside
any 12 h go out; the 6th trips and nothing goes out for 24 h from the trip;
requests refused during the ban do not count (the route ban blocked them).

usage: replay_fail2ban.py LOG DECISIONS.jsonl
Compares every pending line's outcome with subgatectl replay's decisions
(delivered / rejected) and prints the tally; exit 1 on any difference."""
import ipaddress
import json
import re
import sys
import calendar

PREFIX = re.compile(rb'^([A-Z][a-z]{2}) (\d\d) (\d\d):(\d\d):(\d\d) (\d{4}) \(\d+\) (.*)$')
PENDING = re.compile(rb'^\S+: pending (?:.*<[^<>\s]+>|[^\s<>]+)  (.*)$', re.S)
MONTHS = {m.encode(): i for i, m in enumerate(calendar.month_abbr) if m}


def key(remote):
    """The fail2ban <HOST>: the address itself; IPv6 by /64 as subgate."""
    ip = ipaddress.ip_address(remote.decode())
    if ip.version == 6:
        return str(ipaddress.ip_network(f'{ip}/64', strict=False))
    return str(ip)


def main():
    log, decisions = sys.argv[1], sys.argv[2]
    want = {}
    events = {}   # key -> times counted
    ban = {}      # key -> end of ban
    with open(log, 'rb') as f:
        for lineno, line in enumerate(f, 1):
            m = PREFIX.match(line.rstrip(b'\n'))
            if not m:
                continue
            mon, day, hh, mm, ss, year, msg = m.groups()
            p = PENDING.match(msg)
            if not p:
                continue
            t = calendar.timegm((int(year), MONTHS[mon], int(day),
                                 int(hh), int(mm), int(ss)))
            k = key(p.group(1))
            if ban.get(k, 0) > t:
                want[lineno] = 'rejected'
                continue
            recent = [x for x in events.get(k, []) if x > t - 12 * 3600]
            recent.append(t)
            events[k] = recent
            if len(recent) > 5:
                ban[k] = t + 24 * 3600
                want[lineno] = 'rejected'
            else:
                want[lineno] = 'delivered'
    got = {}
    with open(decisions) as f:
        for line in f:
            d = json.loads(line)
            got[d['line']] = d['outcome']
    diff = [n for n in want if got.get(n) != want[n]]
    extra = [n for n in got if n not in want]
    for n in diff[:10]:
        print(f'line {n}: subgate {got.get(n)}, fail2ban model {want[n]}')
    delivered = sum(1 for v in want.values() if v == 'delivered')
    print(f'{len(want)} requests, fail2ban model delivers {delivered}; '
          f'{len(diff)} differ, {len(extra)} extra decisions')
    return 1 if diff or extra or not want else 0


if __name__ == '__main__':
    sys.exit(main())
