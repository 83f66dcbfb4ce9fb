#!/usr/bin/env python3
"""bench_efficacy.py -- how much of the seed attack a policy stops, at what
cost to legitimate sign-ups.

WHAT IT MEASURES
    Generates the seed's 24 h attack (genlog.py, scale 1: 18,099 attack
    requests plus 300 labelled legitimate sign-ups over 8 lists, 2 of them
    attacked), replays it with
        subgatectl replay --policy P --decisions OUT.jsonl LOG
    for each policy P, joins the decisions with the labels by line number,
    and prints per policy:
      attack delivered   share of attack confirmations with outcome
                         "delivered" (any delay)             target <= 0.5 %
      legit clean 0s     share of legit sign-ups to lists NOT under attack
                         delivered with delay_s == 0          target 100 %
      legit lost         legit sign-ups rejected, discarded or expired
                                                               target 0
      legit held         legit sign-ups still held at the end
      legit late         legit sign-ups delivered with delay_s > 0
    Policies: contrib/subgate.policy, and the seed's fail2ban jail written
    as a subgate policy ("limit ip 5/12h reject ban 24h"); --policy adds
    more.  The last line of stdout is one JSON object with all figures.

    Decisions file (one JSON object per `pending` line, in log order):
      {"line":N,"time":EPOCH,"list":"...","addr":"...","ip":"...",
       "outcome":"delivered|held|rejected|discarded|expired",
       "delay_s":N,"rule":"..."}
    A pending line without a decision, a decision for a line that is not a
    pending line, or a list/address that differs from the label is counted
    and reported as a join error.

USAGE
    tests/bench/bench_efficacy.py [--quick] [--seed N] [--scale K]
        [--policy FILE]... [--no-default-policies] [--mix-kinds]
        [--keep DIR] [--strict]
    --quick    smoke run: scale 0.1 (2.4 h, 1,810 attack lines, 100 legit)
    --strict   exit 1 when a policy misses a target (default: report only)
    Environment: SUBGATECTL (default build/milter/subgatectl, relative to
    the repository root).  Python 3 standard library only.

EXIT STATUS
    0 on success, 1 on a missed target with --strict, 2 when subgatectl is
    missing or fails, or the decisions do not join with the labels.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAIL2BAN_JAIL = "limit ip 5/12h reject ban 24h\n"
LOST = ("rejected", "discarded", "expired")
OUTCOMES = ("delivered", "held") + LOST
TARGET_ATTACK = 0.005
TARGET_CLEAN = 1.0


def rootpath(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


def read_labels(path):
    labels = {}
    with open(path, encoding="latin-1") as f:
        for row in f:
            n, kind, lst, addr, remote = row.rstrip("\n").split("\t")
            labels[int(n)] = (kind, lst, addr, remote)
    return labels


def evaluate(labels, decisions_path):
    """Join decisions with labels; return the figures for one policy."""
    attacked = {lst for kind, lst, _, _ in labels.values()
                if kind == "attack"}
    seen = {}
    errors = collections.Counter()
    with open(decisions_path, encoding="utf-8", errors="replace") as f:
        for row in f:
            if not row.strip():
                continue
            try:
                d = json.loads(row)
                n = int(d["line"])
            except (ValueError, KeyError, TypeError):
                errors["unparsable decision"] += 1
                continue
            lab = labels.get(n)
            if lab is None or lab[0] == "other":
                errors["decision for a non-pending line"] += 1
                continue
            if n in seen:
                errors["two decisions for one line"] += 1
                continue
            if d.get("list") != lab[1] or \
                    str(d.get("addr", "")).lower() != lab[2].lower():
                errors["list/addr differ from label"] += 1
            if d.get("outcome") not in OUTCOMES:
                errors["unknown outcome"] += 1
            seen[n] = d
    cnt = collections.Counter()
    rules = collections.Counter()
    for n, (kind, lst, _, _) in labels.items():
        if kind == "other":
            continue
        d = seen.get(n)
        if d is None:
            errors["pending line without decision"] += 1
            continue
        out = d.get("outcome")
        delay = d.get("delay_s") or 0
        cnt[kind, "all"] += 1
        cnt[kind, out] += 1
        if out == "delivered" and delay > 0:
            cnt[kind, "late"] += 1
        if kind == "legit":
            where = "attacked" if lst in attacked else "clean"
            cnt["legit_" + where, "all"] += 1
            if out == "delivered" and delay == 0:
                cnt["legit_" + where, "now"] += 1
            if out != "delivered" or delay:
                rules["legit " + out + ": " + str(d.get("rule") or "-")] += 1
        elif out == "delivered":
            rules["attack delivered: " + str(d.get("rule") or "-")] += 1

    def share(a, b):
        return a / b if b else None

    return {
        "attack": cnt["attack", "all"],
        "attack_delivered": cnt["attack", "delivered"],
        "attack_delivered_share": share(cnt["attack", "delivered"],
                                        cnt["attack", "all"]),
        "attack_outcomes": {o: cnt["attack", o] for o in OUTCOMES},
        "legit": cnt["legit", "all"],
        "legit_clean": cnt["legit_clean", "all"],
        "legit_clean_now": cnt["legit_clean", "now"],
        "legit_clean_now_share": share(cnt["legit_clean", "now"],
                                       cnt["legit_clean", "all"]),
        "legit_attacked_list": cnt["legit_attacked", "all"],
        "legit_attacked_list_now": cnt["legit_attacked", "now"],
        "legit_lost": sum(cnt["legit", o] for o in LOST),
        "legit_outcomes": {o: cnt["legit", o] for o in OUTCOMES},
        "legit_held": cnt["legit", "held"],
        "legit_late": cnt["legit", "late"],
        "attacked_lists": sorted(attacked),
        "join_errors": dict(errors),
        "top_rules": rules.most_common(8),
    }


def pct(x):
    return "n/a" if x is None else "%.2f %%" % (100.0 * x)


def passes(r):
    a, c = r["attack_delivered_share"], r["legit_clean_now_share"]
    return {"attack": a is not None and a <= TARGET_ATTACK,
            "clean": c is not None and c >= TARGET_CLEAN,
            "lost": r["legit_lost"] == 0}


def main():
    ap = argparse.ArgumentParser(
        description="Attack stopped vs legitimate sign-ups harmed, per "
        "policy, on the seed's 24 h attack model.")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float)
    ap.add_argument("--policy", action="append", default=[],
                    help="extra policy file (repeatable)")
    ap.add_argument("--no-default-policies", action="store_true")
    ap.add_argument("--mix-kinds", action="store_true",
                    help="also put non-pending records in the log")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep log, labels, policies and decisions in DIR")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    ctl = rootpath(os.environ.get("SUBGATECTL", "build/milter/subgatectl"))
    if not os.access(ctl, os.X_OK):
        print("bench_efficacy: %s not found or not executable" % ctl,
              file=sys.stderr)
        return 2
    scale = args.scale if args.scale else (0.1 if args.quick else 1.0)
    legit = 1000 if args.quick and not args.scale else 300

    work = args.keep or tempfile.mkdtemp(prefix="bench_efficacy.")
    os.makedirs(work, exist_ok=True)
    try:
        log = os.path.join(work, "subscribe.log")
        lab = os.path.join(work, "labels.tsv")
        gen = [sys.executable, os.path.join(HERE, "genlog.py"),
               "--seed", str(args.seed), "--scale", str(scale),
               "--legit", str(legit), "--out", log, "--labels", lab,
               "--quiet"]
        if args.mix_kinds:
            gen.append("--mix-kinds")
        subprocess.run(gen, check=True)
        labels = read_labels(lab)

        policies = []
        if not args.no_default_policies:
            policies.append(("contrib/subgate.policy",
                             rootpath("contrib/subgate.policy")))
            jail = os.path.join(work, "fail2ban-jail.policy")
            with open(jail, "w") as f:
                f.write(FAIL2BAN_JAIL)
            policies.append(("fail2ban jail (ip 5/12h)", jail))
        policies += [(p, rootpath(p)) for p in args.policy]
        if not policies:
            ap.error("no policy")

        results = []
        for i, (name, path) in enumerate(policies):
            dec = os.path.join(work, "decisions.%d.jsonl" % i)
            t0 = time.perf_counter()
            pr = subprocess.run([ctl, "replay", "--policy", path,
                                 "--decisions", dec, log],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
            if pr.returncode != 0:
                print("bench_efficacy: replay with %s failed (rc %d):\n%s"
                      % (name, pr.returncode,
                         pr.stderr.decode("utf-8", "replace")[:2000]),
                      file=sys.stderr)
                return 2
            r = evaluate(labels, dec)
            r["policy"] = name
            r["replay_wall_s"] = round(wall, 3)
            r["pass"] = passes(r)
            results.append(r)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    # ---- table
    r0 = results[0]
    print("seed model: scale %g, seed %d: %d attack lines on %s, "
          "%d legit sign-ups (%d to lists not under attack)"
          % (scale, args.seed, r0["attack"], ", ".join(r0["attacked_lists"]),
             r0["legit"], r0["legit_clean"]))
    rows = (
        ("attack delivered (<= 0.5 %)",
         lambda r: "%s (%d)" % (pct(r["attack_delivered_share"]),
                                r["attack_delivered"]), "attack"),
        ("legit clean lists, 0 s (100 %)",
         lambda r: "%s (%d/%d)" % (pct(r["legit_clean_now_share"]),
                                   r["legit_clean_now"], r["legit_clean"]),
         "clean"),
        ("legit rejected/discarded/expired (0)",
         lambda r: str(r["legit_lost"]), "lost"),
        ("legit held", lambda r: str(r["legit_held"]), None),
        ("legit delivered late", lambda r: str(r["legit_late"]), None),
        ("legit attacked lists, 0 s",
         lambda r: "%d/%d" % (r["legit_attacked_list_now"],
                              r["legit_attacked_list"]), None),
        ("replay wall s", lambda r: "%.2f" % r["replay_wall_s"], None),
    )
    w0 = max(len(r[0]) for r in rows) + 2
    w = max(24, max(len(r["policy"]) for r in results) + 2)
    print("%-*s" % (w0, "") + "".join("%-*s" % (w, r["policy"])
                                       for r in results))
    for title, fn, key in rows:
        cells = []
        for r in results:
            s = fn(r)
            if key:
                s += "  " + ("ok" if r["pass"][key] else "MISS")
            cells.append("%-*s" % (w, s))
        print("%-*s" % (w0, title) + "".join(cells))
    bad = False
    for r in results:
        if r["join_errors"]:
            bad = True
            print("JOIN ERRORS for %s: %s" % (r["policy"], r["join_errors"]),
                  file=sys.stderr)
        for rule, c in r["top_rules"]:
            print("  %s: %6d  %s" % (r["policy"], c, rule))
    print(json.dumps({"bench": "efficacy", "scale": scale, "seed": args.seed,
                      "results": results}))
    if bad:
        return 2
    if args.strict and not all(all(r["pass"].values()) for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
