#!/usr/bin/env python3
"""genlog.py -- synthetic Mailman 2.1 `subscribe` log for subgate benchmarks.

WHAT IT MODELS
    The attack in shared/seed/000_8af16238988c37aa.txt: 18,099 subscription
    requests in 24 h, top source IPs 3942/1209/514/266/261 requests, top
    victim domains yahoo.com 4103, gmail.com 3910, qq.com 2527, ... and the
    rest (about two thirds) from a long tail of IPs with one or a few
    requests each, partly clustered in /24s, a few IPv6.  Attack requests
    target one or two lists and come in bursts.  Mixed in are labelled
    legitimate sign-ups (default 300 per 24 h) at a low Poisson-like rate,
    over several lists, each from its own IP (a few share a campus /24).

    Lines are byte-exact Mailman 2.1.39 (shared/reference/mailman.md 1.1-1.3):
        Mon DD HH:MM:SS YYYY (PID) LIST: pending WHO  REMOTE
    WHO is Python 2.7 email.Utils.formataddr((name, addr)); names with
    Latin-1 characters are written as raw single bytes (the file is
    ISO-8859-1, as Mailman writes it).  Times are read as UTC wall clock
    (the log has no zone); lines are in non-decreasing time order.

    --scale K multiplies every count (attack lines, top-IP counts, domain
    counts, legitimate sign-ups, tail IPs) by K and stretches the span to
    24 h * K, so rates stay those of the seed.  --lines N picks K so that
    the file has about N lines.  --mix-kinds adds non-pending records
    ("new ..., via web confirmation", "deleted ...", ...) that a log
    consumer must skip; they are labelled `other`.

    Deterministic: the same arguments give the same bytes (--seed, default 1).
    Python 3 standard library only.

USAGE
    tests/bench/genlog.py --out subscribe.log --labels labels.tsv
    tests/bench/genlog.py --lines 1000000 --out big.log       # ~54 days
    tests/bench/genlog.py --scale 0.1 --mix-kinds --out small.log

    The labels file has one line per log line, tab-separated:
        LINENO  attack|legit|other  LIST  ADDR  REMOTE
    (LINENO 1-based; for `other` records REMOTE is the "whence" text or -).
    A summary (counts, attacked lists, top 5 IPs, top 10 domains) goes to
    stderr.  tests/bench/logstats.py re-counts the marginals from the file.
"""

import argparse
import bisect
import calendar
import collections
import ipaddress
import math
import random
import re
import sys
import time
import unicodedata

# ---------------------------------------------------------------- the seed
SEED_SPAN = 86400
SEED_ATTACK = 18099
# (/24 prefix as seen in the seed, requests in 24 h)
SEED_TOP_IPS = [
    ("128.199.129", 3942),
    ("138.199.50", 1209),
    ("49.64.213", 514),
    ("220.165.247", 266),
    ("114.218.207", 261),
]
SEED_TOP_DOMAINS = [
    ("yahoo.com", 4103),
    ("gmail.com", 3910),
    ("qq.com", 2527),
    ("htl-salzburg.ac.at", 895),
    ("tmomail.net", 746),
    ("aol.com", 587),
    ("comcast.net", 485),
    ("163.com", 289),
    ("itp.ac.cn", 276),
    ("afejendomsservice.dk", 273),
]
DEF_TAIL_IPS = 6800      # distinct long-tail attack IPs per 24 h
DEF_LEGIT = 300          # legitimate sign-ups per 24 h
TAIL_IP_CAP = 40         # most requests one tail IP makes
CLUSTER_FRAC = 0.35      # share of tail IPs that sit in busy /24s
IPV6_FRAC = 0.03         # share of tail IPs that are IPv6
RESUBMIT_FRAC = 0.03     # legit users who submit the form twice

LISTS = ["community", "announce", "devel", "users-de", "events", "jobs",
         "board", "students"]
LEGIT_LIST_WEIGHTS = [22, 16, 15, 10, 12, 10, 4, 11]
ATTACK_LIST_WEIGHTS = [80, 20]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")

FIRST = ("anna", "ben", "carla", "david", "emma", "felix", "greta", "hans",
         "ines", "jonas", "karin", "lukas", "maria", "nina", "oliver", "paul",
         "julia", "robert", "sarah", "thomas", "ute", "viktor", "wei",
         "xiaoming", "yuki", "zoe", "john", "mary", "james", "linda",
         "michael", "susan", "william", "karen", "richard", "lisa", "joseph",
         "nancy", "daniel", "betty", "mark", "sandra", "steven", "ashley",
         "kevin", "emily", "brian", "donna", "jason", "michelle", "li",
         "zhang", "chen", "ahmed", "fatima", "olga", "ivan", "pierre",
         "sophie", "marco", "giulia", "lars", "ingrid", "sven", "mette")
LAST = ("smith", "johnson", "williams", "brown", "jones", "miller", "davis",
        "garcia", "wilson", "taylor", "moore", "martin", "lee", "walker",
        "hall", "young", "king", "wright", "lopez", "hill", "scott", "green",
        "adams", "baker", "nelson", "mueller", "schmidt", "schneider",
        "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann",
        "wang", "liu", "zhao", "huang", "zhou", "wu", "xu", "sun", "ma",
        "hansen", "nielsen", "jensen", "pedersen", "andersen", "rossi",
        "russo", "ferrari", "dubois", "moreau", "laurent", "novak", "horvat",
        "kowalski", "ivanov", "petrov", "tanaka", "suzuki", "kim", "park")
# Real names of legitimate users, as typed in the web form (str; those with
# characters outside Latin-1 come out as '?', as Mailman writes them).
LEGIT_NAMES_L1 = ("Jos\u00e9 M\u00fcller", "Fran\u00e7ois Z\u00fcrcher",
                  "S\u00f8ren Kierkeg\u00e5rd", "Zo\u00eb \u00c5ngstr\u00f6m",
                  "Ren\u00e9e Lef\u00e8vre", "Mar\u00eda N\u00fa\u00f1ez",
                  "J\u00fcrgen Wei\u00df", "Bj\u00f6rn J\u00f3nsson",
                  "In\u00eas Concei\u00e7\u00e3o", "\u00c9lodie Gar\u00e7on",
                  "Andr\u00e9 Sch\u00e4fer", "M\u00e5ns L\u00f6fgren")
LEGIT_NAMES_OTHER = ("\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432",
                     "\u738b\u4f1f", "\u0141ukasz Kowalski",
                     "\u7530\u4e2d \u592a\u90ce",
                     "J\u00f6rg \u0160imunovi\u0107")
TAIL_DOMAINS_NAMED = (
    "hotmail.com", "outlook.com", "icloud.com", "msn.com", "live.com",
    "gmx.de", "web.de", "mail.ru", "yandex.ru", "126.com", "sina.com",
    "naver.com", "orange.fr", "free.fr", "btinternet.com", "verizon.net",
    "att.net", "sbcglobal.net", "protonmail.com", "ymail.com",
    "rocketmail.com", "me.com", "foxmail.com", "hanmail.net", "libero.it",
    "t-online.de", "seznam.cz", "wp.pl", "o2.pl", "rambler.ru",
    "bigpond.com", "shaw.ca", "rogers.com", "cox.net", "charter.net",
    "earthlink.net", "juno.com", "vtext.com", "txt.att.net", "vzwpix.com",
    "mms.att.net", "messaging.sprintpcs.com", "gmx.net", "aim.com",
    "yahoo.co.uk", "yahoo.co.jp", "hotmail.co.uk", "hotmail.fr",
    "googlemail.com", "sohu.com", "yeah.net", "139.com", "tom.com")
LEGIT_DOMAINS = (
    ("gmail.com", 35), ("yahoo.com", 6), ("outlook.com", 7),
    ("hotmail.com", 5), ("icloud.com", 4), ("gmx.de", 5), ("web.de", 4),
    ("t-online.de", 2), ("posteo.de", 2), ("protonmail.com", 2),
    ("mailbox.org", 2), ("fastmail.com", 1), ("uni-frankfurt.de", 3),
    ("cam.ac.uk", 3), ("mit.edu", 2), ("ethz.ch", 2), ("tum.de", 2),
    ("univie.ac.at", 2), ("ku.dk", 1), ("tsinghua.edu.cn", 1),
    ("u-tokyo.ac.jp", 1), ("berkeley.edu", 2), ("kth.se", 1),
    ("gnu.org", 1), ("debian.org", 1), ("siemens.com", 1), ("sap.com", 1))
# Campus networks: a few legitimate users share these /24s.
CAMPUSES = (("141.2.88", "uni-frankfurt.de"), ("128.232.110", "cam.ac.uk"),
            ("129.132.57", "ethz.ch"))
TLDS = ("com", "net", "org", "de", "at", "dk", "cn", "ru", "fr", "it", "nl",
        "edu", "ac.uk", "co.uk", "com.br", "co.jp", "pl", "se", "es", "ch")
SYL = ("ka", "lo", "mi", "ne", "ro", "ta", "vi", "zen", "bor", "cal", "dan",
       "fer", "gol", "har", "jin", "kel", "lun", "mar", "nor", "pix", "qua",
       "ser", "tor", "ul", "ven", "wex", "yor", "zu", "tech", "net", "soft",
       "data", "bau", "haus", "stad", "berg", "feld", "sys", "lab")

# ------------------------------------------------------------ formataddr
# Python 2.7 email.Utils: quote when specials present, always escape.
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_ESCAPES = re.compile(r'[][\\()"]')


def formataddr(name, addr):
    """WHO as Mailman 2.1 logs it (Python 2.7 email.Utils.formataddr)."""
    if not name:
        return addr
    quotes = '"' if _SPECIALS.search(name) else ""
    name = _ESCAPES.sub(r"\\\g<0>", name)
    return "%s%s%s <%s>" % (quotes, name, quotes, addr)


def latin1(text):
    """What Mailman's iso-8859-1 'replace' codec leaves of a unicode name."""
    return text.encode("latin-1", "replace").decode("latin-1")


def ascii_fold(text):
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue
        out.append({"\u00df": "ss", "\u00f8": "o", "\u00d8": "O",
                    "\u00e6": "ae", "\u0142": "l", "\u0141": "L"}.get(ch, ch))
    return "".join(c for c in "".join(out) if c.isascii())


# ------------------------------------------------------------- addresses
_RESERVED_A = {0, 10, 100, 127, 169, 172, 192, 198, 203, 224}


def rand_v4_prefix(rng):
    """A random public-looking /24 as 'a.b.c'."""
    while True:
        a = rng.randint(1, 223)
        if a in _RESERVED_A:
            continue
        return "%d.%d.%d" % (a, rng.randint(0, 255), rng.randint(0, 255))


def rand_v6(rng, prefix=None):
    if prefix is None:
        hi = rng.choice((0x2001, 0x2400, 0x2401, 0x2402, 0x2403, 0x2404,
                         0x2600, 0x2601, 0x2602, 0x2603, 0x2604, 0x2605,
                         0x2a00, 0x2a01, 0x2a02, 0x2a03, 0x2a04, 0x2a05))
        if hi == 0x2001:      # keep clear of 2001:db8::/32 and friends
            nxt = rng.randint(0x4000, 0xffff)
        else:
            nxt = rng.randint(0, 0xffff)
        prefix = (hi << 48) | (nxt << 32) | rng.getrandbits(32)
    if rng.random() < 0.5:
        iid = rng.randint(1, 0xffff)           # ::1a2b style hosting IID
    else:
        iid = rng.getrandbits(64)              # SLAAC / privacy IID
    return str(ipaddress.IPv6Address((prefix << 64) | iid))


def rand_v6_prefix64(rng):
    return (rng.choice((0x2a03, 0x2604, 0x2001, 0x2a01)) << 48) | \
        (rng.randint(0x4000, 0xffff) << 32) | rng.getrandbits(32)


def pick_host(rng, prefix, used):
    """An unused host address a.b.c.d in /24 `prefix`, or None if full."""
    for _ in range(600):
        ip = "%s.%d" % (prefix, rng.randint(1, 254))
        if ip not in used:
            used.add(ip)
            return ip
    return None


_ALPHA = "abcdefghijklmnopqrstuvwxyz"


def rand_word(rng, lo, hi):
    return "".join(rng.choices(_ALPHA, k=rng.randint(lo, hi)))


def local_part(rng, style):
    """A victim local part of the given style (random-looking)."""
    r = rng.random()
    if style == "qq":
        return str(rng.randint(10000, 3999999999)) if r < 0.9 \
            else rand_word(rng, 5, 9) + str(rng.randint(0, 999))
    if style == "phone":
        return "%d%02d%07d" % (rng.randint(2, 9), rng.randint(0, 99),
                               rng.randint(0, 9999999))
    if style == "staff":       # first.last at a school / company
        return "%s.%s" % (rng.choice(FIRST), rng.choice(LAST))
    if style == "pinyin":
        return rng.choice(LAST) + rng.choice(FIRST) + \
            (str(rng.randint(1, 99)) if r < 0.3 else "")
    if style == "initials":
        return rand_word(rng, 2, 4)
    if style == "cn":
        return rand_word(rng, 4, 9) + str(rng.randint(0, 99999))
    # freemail
    if r < 0.35:
        lp = rng.choice(FIRST) + rng.choice(("", ".", "_")) + \
            rng.choice(LAST) + (str(rng.randint(1, 2005)) if
                                rng.random() < 0.6 else "")
    elif r < 0.75:
        lp = rand_word(rng, 5, 11) + (str(rng.randint(0, 9999)) if
                                      rng.random() < 0.7 else "")
    else:
        lp = rng.choice(FIRST)[0] + rng.choice(LAST) + \
            str(rng.randint(10, 99))
    if rng.random() < 0.05:
        lp += "+" + rand_word(rng, 3, 8)
    if rng.random() < 0.02:
        lp = lp[0].upper() + lp[1:]           # local part kept as typed
    return lp


DOMAIN_STYLE = {"qq.com": "qq", "tmomail.net": "phone", "vtext.com": "phone",
                "txt.att.net": "phone", "vzwpix.com": "phone",
                "mms.att.net": "phone", "messaging.sprintpcs.com": "phone",
                "htl-salzburg.ac.at": "staff", "itp.ac.cn": "pinyin",
                "afejendomsservice.dk": "initials", "163.com": "cn",
                "126.com": "cn", "sina.com": "cn", "sohu.com": "cn",
                "yeah.net": "cn", "139.com": "phone", "tom.com": "cn"}
# share of distinct victims per request, by style (institutions: a short
# harvested staff list hit again and again)
VICTIM_RATIO = {"staff": 0.2, "pinyin": 0.25, "initials": 0.15}


# ----------------------------------------------------------------- helpers
def scaled(n, k):
    return int(round(n * k))


def spread_capped(rng, total, n, weights, cap, base=0):
    """Split `total` units over n bins by weight, each bin at most cap."""
    counts = [base] * n
    left = total - base * n
    cum = list(_accumulate(weights))
    while left > 0:
        for i in rng.choices(range(n), cum_weights=cum, k=left):
            counts[i] += 1
        left = 0
        for i in range(n):
            if counts[i] > cap:
                left += counts[i] - cap
                counts[i] = cap
        if left:
            free = [i for i in range(n) if counts[i] < cap]
            if not free:
                raise SystemExit("genlog: cannot place %d units under cap"
                                 % left)
            w2 = [weights[i] for i in free]
            cum2 = list(_accumulate(w2))
            for i in rng.choices(free, cum_weights=cum2, k=left):
                if counts[i] < cap:
                    counts[i] += 1
                    left -= 1
    return counts


def _accumulate(xs):
    s = 0.0
    for x in xs:
        s += x
        yield s


class Profile:
    """Bursty attack intensity over [0, span): 5-minute bins."""

    BIN = 300

    def __init__(self, rng, span, k):
        self.rng = rng
        self.span = span
        nb = max(1, int(math.ceil(span / self.BIN)))
        w = []
        for i in range(nb):
            t = i * self.BIN
            diurnal = 1.0 + 0.6 * math.sin(2 * math.pi * (t / 86400.0 + 0.3))
            w.append(diurnal * rng.lognormvariate(0, 0.7))
        for _ in range(max(1, scaled(10, k))):     # attack waves
            s = rng.randrange(nb)
            ln = rng.randint(3, 24)
            m = rng.uniform(3, 12)
            for i in range(s, min(nb, s + ln)):
                w[i] *= m
        self.cum = list(_accumulate(w))
        self.total = self.cum[-1]

    def sample(self):
        rng = self.rng
        i = bisect.bisect_left(self.cum, rng.random() * self.total)
        t = (i + rng.random()) * self.BIN
        return min(t, self.span - 0.001)


def place(start, gaps, span):
    """Times of a run of requests (gaps before each, the first usually 0)
    starting near `start`, moved (and squeezed if need be) to fit in span."""
    dur = sum(gaps)
    if dur > span * 0.9:
        f = span * 0.9 / dur
        gaps = [g * f for g in gaps]
        dur = span * 0.9
    t = max(0.0, min(start, span - dur - 0.001))
    out = []
    for g in gaps:
        t += g
        out.append(t)
    return out


# -------------------------------------------------------------- the model
def plan_counts(k, legit, tail_ips):
    attack = scaled(SEED_ATTACK, k)
    top = [scaled(c, k) for _, c in SEED_TOP_IPS]
    dom = [scaled(c, k) for _, c in SEED_TOP_DOMAINS]
    nleg = scaled(legit, k)
    return attack, top, dom, nleg, scaled(tail_ips, k)


def est_lines(k, args):
    attack, _, _, nleg, _ = plan_counts(k, args.legit, args.tail_ips)
    n = attack + nleg * (1 + RESUBMIT_FRAC)
    if args.mix_kinds:
        n += nleg * (0.72 + 0.12 + 0.04)
    return n


def gen_attack(rng, k, span, args, ev):
    attack, top, dom, _, ntail = plan_counts(k, args.legit, args.tail_ips)
    alists = LISTS[:args.attack_lists]
    aweights = ATTACK_LIST_WEIGHTS[:args.attack_lists]
    prof = Profile(rng, span, k)
    used = set()
    times = []          # (t, ip, list) per request, filled below

    # -- the top IPs: sessions of a few hundred requests, a few s apart
    for (pfx, _), cnt in zip(SEED_TOP_IPS, top):
        ip = pick_host(rng, pfx, used)
        left = cnt
        while left > 0:
            size = min(left, rng.randint(150, 600))
            if left - size < 50:
                size = left
            left -= size
            gap = rng.uniform(2, 12)
            gaps = [rng.expovariate(1.0 / gap) for _ in range(size)]
            lst = rng.choices(alists, aweights)[0]
            for t in place(prof.sample(), gaps, span):
                times.append((t, ip, lst))

    # -- the long tail
    tail_total = attack - sum(top)
    ntail = max(1, min(ntail, tail_total))
    n6 = int(round(ntail * IPV6_FRAC))
    nclu = int(round(ntail * CLUSTER_FRAC))
    ips = []             # (ip, cluster id or -1)
    clusters = []        # window start, duration
    # some tail hosts in the top IPs' own /24s (hosting / VPN ranges)
    for pfx in (SEED_TOP_IPS[0][0], SEED_TOP_IPS[1][0]):
        for _ in range(min(60, max(1, scaled(12, k)))):
            if len(ips) >= nclu:
                break
            ip = pick_host(rng, pfx, used)
            if ip:
                ips.append((ip, -1))
    prev = None
    while len(ips) < nclu:
        if prev and rng.random() < 0.3:       # adjacent /24 of the same net
            a, b, c = prev.split(".")
            pfx = "%s.%s.%d" % (a, b, (int(c) + 1) % 256)
        else:
            pfx = rand_v4_prefix(rng)
        prev = pfx
        size = min(nclu - len(ips), rng.randint(8, 120))
        cid = len(clusters)
        start = prof.sample()
        clusters.append((start, rng.uniform(600, 7200)))
        for _ in range(size):
            ip = pick_host(rng, pfx, used)
            if ip is None:
                break
            ips.append((ip, cid))
    v6nets = [rand_v6_prefix64(rng) for _ in range(max(1, scaled(4, k)))]
    for i in range(n6):
        ip = rand_v6(rng, rng.choice(v6nets) if i % 2 == 0 else None)
        if ip not in used:
            used.add(ip)
            ips.append((ip, -1))
    while len(ips) < ntail:
        ip = "%s.%d" % (rand_v4_prefix(rng), rng.randint(1, 254))
        if ip not in used:
            used.add(ip)
            ips.append((ip, -1))
    ips = ips[:ntail]
    w = [rng.paretovariate(1.2) for _ in ips]
    counts = spread_capped(rng, tail_total, len(ips), w, TAIL_IP_CAP, base=1)
    for (ip, cid), cnt in zip(ips, counts):
        if cid >= 0:
            cs, cd = clusters[cid]
            t0 = min(span - 0.001, cs + rng.random() * cd)
        else:
            t0 = prof.sample()
        gaps = [0.0] + [rng.expovariate(1.0 / 600) for _ in range(cnt - 1)]
        lst = rng.choices(alists, aweights)[0]
        for t in place(t0, gaps, span):
            times.append((t, ip, lst))

    # -- victims: exact domain counts, then addresses per domain
    dom_tail_total = attack - sum(dom)
    ntd = max(1, scaled(1400, k))
    tdoms = list(TAIL_DOMAINS_NAMED)
    seen = set(tdoms) | {d for d, _ in SEED_TOP_DOMAINS}
    while len(tdoms) < ntd:
        d = "".join(rng.choice(SYL) for _ in range(rng.randint(2, 3))) + \
            "." + rng.choice(TLDS)
        if d not in seen:
            seen.add(d)
            tdoms.append(d)
    tdoms = tdoms[:max(ntd, 1)]
    tw = [(8.0 if i < len(TAIL_DOMAINS_NAMED) else 1.0) *
          rng.paretovariate(1.5) for i in range(len(tdoms))]
    cap = max(1, int(min(dom) * 0.9)) if min(dom) > 1 else 1
    cap = max(cap, -(-dom_tail_total // len(tdoms)))
    tcounts = spread_capped(rng, dom_tail_total, len(tdoms), tw, cap)
    doms = [d for d, _ in SEED_TOP_DOMAINS] + tdoms
    dcounts = dom + tcounts
    victims = []
    for d, c in zip(doms, dcounts):
        if c <= 0:
            continue
        style = DOMAIN_STYLE.get(d, "free")
        nv = max(1, int(round(c * VICTIM_RATIO.get(style, 0.8))))
        pool, pset = [], set()
        tries = 0
        while len(pool) < nv and tries < nv * 20:
            tries += 1
            lp = local_part(rng, style)
            if lp not in pset:
                pset.add(lp)
                pool.append(lp + "@" + d)
        expo = 0.9 if style in VICTIM_RATIO else 0.35
        cw = list(_accumulate(1.0 / (i + 1) ** expo for i in range(len(pool))))
        victims.extend(rng.choices(pool, cum_weights=cw, k=c))
    rng.shuffle(victims)

    for (t, ip, lst), addr in zip(times, victims):
        name = ""
        r = rng.random()
        if r < 0.04:
            name = (rng.choice(FIRST) + " " + rng.choice(LAST)).title()
        elif r < 0.07:
            name = rand_word(rng, 4, 10)
        elif r < 0.075:
            name = addr.split("@")[0]
        ev.append((t, "attack", lst, formataddr(name, addr), addr, ip,
                   "pending"))
    return alists


def gen_legit(rng, k, span, args, ev, alists):
    nleg = scaled(args.legit, k)
    used = set()
    ldomains = [d for d, _ in LEGIT_DOMAINS]
    lweights = [w for _, w in LEGIT_DOMAINS]
    # Poisson-like arrivals with a day/night rhythm (thinning)
    times = []
    while len(times) < nleg:
        t = rng.uniform(0, span)
        hour = (t % 86400) / 3600.0
        accept = 0.25
        if 6 <= hour <= 22:
            accept += 0.75 * math.sin(math.pi * (hour - 6) / 16)
        if rng.random() < accept:
            times.append(t)
    times.sort()
    members = []
    for t in times:
        lst = rng.choices(LISTS, LEGIT_LIST_WEIGHTS)[0]
        r = rng.random()
        if r < 0.08:                       # on campus
            pfx, dom = rng.choice(CAMPUSES)
            ip = pick_host(rng, pfx, used) or \
                "%s.%d" % (rand_v4_prefix(rng), rng.randint(1, 254))
        elif r < 0.13:
            ip, dom = rand_v6(rng), rng.choices(ldomains, lweights)[0]
        else:
            while True:
                ip = "%s.%d" % (rand_v4_prefix(rng), rng.randint(1, 254))
                if ip not in used:
                    break
            dom = rng.choices(ldomains, lweights)[0]
        used.add(ip)
        # name and matching local part
        r = rng.random()
        first, last = rng.choice(FIRST).title(), rng.choice(LAST).title()
        name = ""
        if r < 0.22:
            name = "%s %s" % (first, last)
        elif r < 0.27:
            name = "%s, %s" % (last, first)              # quoted
        elif r < 0.31:
            name = "%s. %s" % (first[0], last)           # quoted
        elif r < 0.33:
            name = '%s "%s" %s' % (first, first[:3], last)
        elif r < 0.35:
            name = "%s %s (work)" % (first, last)
        elif r < 0.40:
            name = rng.choice(LEGIT_NAMES_L1)
            first, last = (name.split() + [""])[:2]
        elif r < 0.42:
            name = rng.choice(LEGIT_NAMES_OTHER)
        elif r < 0.45:
            name = first
        lp = ascii_fold("%s.%s" % (first, last)).lower().strip(".") \
            if rng.random() < 0.7 else local_part(rng, "free")
        if not lp:
            lp = local_part(rng, "free")
        addr = "%s@%s" % (lp, dom)
        who = formataddr(latin1(name), addr)
        ev.append((t, "legit", lst, who, addr, ip, "pending"))
        if rng.random() < RESUBMIT_FRAC:
            ev.append((min(span - 0.001, t + rng.uniform(60, 1800)),
                       "legit", lst, who, addr, ip, "pending"))
        members.append((t, lst, name, addr))
    if not args.mix_kinds:
        return
    # non-pending records a consumer must skip
    for t, lst, name, addr in members:
        r = rng.random()
        if r < 0.72:
            tc = t + rng.lognormvariate(math.log(300), 1.3)
            if tc < span:
                whence = "via web confirmation" if rng.random() < 0.7 \
                    else "via email confirmation"
                kind = " (digest)" if rng.random() < 0.05 else ""
                ev.append((tc, "other", lst, "%s: new%s %s, %s" % (
                    lst, kind, formataddr(latin1(name), addr), whence),
                    addr, whence, "raw"))
    for _ in range(int(round(nleg * 0.12))):
        lst = rng.choice(LISTS)
        addr = local_part(rng, "free") + "@" + \
            rng.choices(ldomains, lweights)[0]
        whence = rng.choice(("via the member options page", "mailcmd",
                             "bin/remove_members", "web confirmation",
                             "admin mass unsub", "disabled address", ""))
        text = "%s: deleted %s%s" % (lst, addr, "; " + whence
                                     if whence else "")
        ev.append((rng.uniform(0, span), "other", lst, text, addr,
                   whence or "-", "raw"))
    for _ in range(int(round(nleg * 0.04))):
        lst = rng.choice(LISTS)
        addr = local_part(rng, "free") + "@" + \
            rng.choices(ldomains, lweights)[0]
        if rng.random() < 0.5:
            new = local_part(rng, "free") + "@" + \
                rng.choices(ldomains, lweights)[0]
            text = "%s: changed member address from %s to %s" % (
                lst, addr, new)
        else:
            text = "%s: %s auto-unsubscribed [reason: BYBOUNCE]" % (
                lst, addr)
        ev.append((rng.uniform(0, span), "other", lst, text, addr, "-",
                   "raw"))


# ------------------------------------------------------------------ output
def write_out(args, ev, base):
    ev.sort(key=lambda e: e[0])
    rng = random.Random(args.seed * 7919 + 17)
    pid = rng.randint(2000, 30000)
    out = open(args.out, "wb") if args.out != "-" else sys.stdout.buffer
    lab = open(args.labels, "w", encoding="latin-1", newline="\n") \
        if args.labels else None
    buf, lbuf = [], []
    last_sec, stamp = None, ""
    for n, (t, label, lst, who, addr, remote, kind) in enumerate(ev, 1):
        sec = base + int(t)
        if sec != last_sec:
            tm = time.gmtime(sec)
            stamp = "%s %02d %02d:%02d:%02d %d" % (
                MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, tm.tm_year)
            last_sec = sec
        pid += 1 + int(rng.random() * 40)
        if pid > 32767:
            pid = 300 + pid % 1000
        if kind == "pending":
            buf.append("%s (%d) %s: pending %s  %s\n" % (stamp, pid, lst,
                                                         who, remote))
        else:
            buf.append("%s (%d) %s\n" % (stamp, pid, who))
        if lab:
            lbuf.append("%d\t%s\t%s\t%s\t%s\n" % (n, label, lst, addr,
                                                 remote))
        if len(buf) >= 65536:
            out.write("".join(buf).encode("latin-1"))
            buf = []
            if lab:
                lab.write("".join(lbuf))
                lbuf = []
    out.write("".join(buf).encode("latin-1"))
    if lab:
        lab.write("".join(lbuf))
        lab.close()
    if out is not sys.stdout.buffer:
        out.close()
    else:
        out.flush()


def summary(ev, k, span, base, alists):
    kinds = collections.Counter(e[1] for e in ev)
    att = [e for e in ev if e[1] == "attack"]
    ips = collections.Counter(e[5] for e in att)
    doms = collections.Counter(e[4].rsplit("@", 1)[1] for e in att)
    per_list = collections.Counter((e[2], e[1]) for e in ev
                                   if e[1] != "other")
    nets = collections.Counter(ip.rsplit(".", 1)[0] for ip in ips
                               if ":" not in ip)
    p = lambda *a: print(*a, file=sys.stderr)  # noqa: E731
    p("genlog: scale %.4f, span %.1f h, %s .. %s (UTC wall clock)" % (
        k, span / 3600.0, time.strftime("%Y-%m-%d %H:%M:%S",
                                        time.gmtime(base)),
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(base + span))))
    p("lines %d: attack %d, legit %d, other %d" % (
        len(ev), kinds["attack"], kinds["legit"], kinds["other"]))
    p("attacked lists: %s" % ", ".join(
        "%s (%d attack, %d legit)" % (l, per_list[(l, "attack")],
                                      per_list[(l, "legit")])
        for l in alists))
    p("other lists: %s" % ", ".join(
        "%s %d" % (l, per_list[(l, "legit")]) for l in LISTS
        if l not in alists))
    p("attack IPs: %d distinct (%d IPv6), %d requests from IPs with <= 3"
      % (len(ips), sum(1 for ip in ips if ":" in ip),
         sum(c for c in ips.values() if c <= 3)))
    p("attack /24s with >= 8 IPs: %d (holding %d IPs)" % (
        sum(1 for c in nets.values() if c >= 8),
        sum(c for c in nets.values() if c >= 8)))
    p("distinct victims: %d" % len({e[4] for e in att}))
    p("top 5 IPs (attack):")
    for ip, c in ips.most_common(5):
        p("%8d %s" % (c, ip))
    p("top 10 domains (attack):")
    for d, c in doms.most_common(10):
        p("%8d %s" % (c, d))


def main():
    ap = argparse.ArgumentParser(
        description="Synthetic Mailman 2.1 subscribe log (seed attack + "
        "labelled legitimate sign-ups).")
    ap.add_argument("--seed", type=int, default=1)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--scale", type=float, default=1.0,
                   help="multiply all counts and the 24 h span by K")
    g.add_argument("--lines", type=int,
                   help="choose the scale for about N lines")
    ap.add_argument("--out", default="-", help="log file (default stdout)")
    ap.add_argument("--labels", help="labels file (TSV)")
    ap.add_argument("--mix-kinds", action="store_true",
                    help="add new/deleted/changed records (label other)")
    ap.add_argument("--legit", type=int, default=DEF_LEGIT,
                    help="legitimate sign-ups per 24 h (default %(default)s)")
    ap.add_argument("--tail-ips", type=int, default=DEF_TAIL_IPS,
                    help="long-tail attack IPs per 24 h (default "
                    "%(default)s)")
    ap.add_argument("--attack-lists", type=int, choices=(1, 2), default=2)
    ap.add_argument("--start", default="2021-11-08 06:00:00",
                    help="first second of the log, UTC wall clock")
    ap.add_argument("--quiet", action="store_true", help="no summary")
    args = ap.parse_args()

    k = args.scale
    if args.lines:
        k = args.lines / est_lines(1.0, args)
        k *= args.lines / est_lines(k, args)
    if k <= 0:
        ap.error("scale must be positive")
    base = calendar.timegm(time.strptime(args.start, "%Y-%m-%d %H:%M:%S"))
    span = SEED_SPAN * k
    rng = random.Random(args.seed)
    ev = []
    alists = gen_attack(rng, k, span, args, ev)
    gen_legit(random.Random(args.seed * 1000003 + 1), k, span, args, ev,
              alists)
    write_out(args, ev, base)
    if not args.quiet:
        summary(ev, k, span, base, alists)


if __name__ == "__main__":
    main()
