#!/usr/bin/env python3
"""demo_attack.py -- contrib/demo-postfix.sh's player and reporter.

usage:
  demo_attack.py play --log LOG --labels TSV --subscribe-log FILE
                      --port PORT --msgdir DIR --results OUT.jsonl
                      [--duration S] [--senders N] [--gap S]
  demo_attack.py report --results OUT.jsonl --sink-dir DIR --queue-json FILE
                        [--subgate-log FILE] [--replay-json FILE]

play: for each `pending` line of LOG (genlog.py's output, labelled by TSV),
in order and at its time compressed so that the whole log takes about
--duration seconds, does what Mailman 2.1 does for a subscription request:
appends the line (stamped with the current time) to --subscribe-log, then,
a moment (--gap) later, sends the Mailman 2.1 confirmation that
tests/integration/mkmsg.py renders (mm21-join, that list, recipient and
requester) over SMTP to 127.0.0.1:PORT. N sender threads (smtplib) share the
work; a thread appends the line and sends its own mail, so every mail
follows its own log line. Each SMTP reply is written to OUT.jsonl.

report: joins the replies with what happened afterwards (the message at the
sink, by Message-ID; the queue id in the hold queue, from `postqueue -j`
saved in FILE) and prints the outcome per origin, recipient domain and list,
attack vs genuine (genlog's labels), and the rules that decided (from
subgate's log). Exit status 1 when a message cannot be accounted for.
Python 3 standard library only.
"""
import argparse
import calendar
import collections
import contextlib
import importlib.util
import io
import json
import os
import re
import smtplib
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MKMSG = os.path.join(HERE, "..", "tests", "integration", "mkmsg.py")
STAMP_LEN = len("Nov 08 06:00:03 2021")
GENLOG_TIME = "%b %d %H:%M:%S %Y"


def load_mkmsg():
    spec = importlib.util.spec_from_file_location("mkmsg", MKMSG)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def render(mkmsg, out, **kv):
    """mkmsg.py mm21-join OUT key=value... in-process; returns the sender."""
    argv = sys.argv
    sys.argv = ["mkmsg.py", "mm21-join", out] + \
        ["%s=%s" % (k, v) for k, v in kv.items()]
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            mkmsg.main()
    finally:
        sys.argv = argv
    return buf.getvalue().strip()


def one_line(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())


class Sender:
    """One SMTP session, reused for up to `per_conn` messages."""

    def __init__(self, port, per_conn=20):
        self.port = port
        self.per_conn = per_conn
        self.s = None
        self.used = 0

    def close(self):
        if self.s is not None:
            try:
                self.s.quit()
            except (smtplib.SMTPException, OSError):
                self.s.close()
        self.s = None

    def _open(self):
        self.s = smtplib.SMTP(local_hostname="lists.example.org",
                              timeout=60, source_address=("127.0.0.1", 0))
        code, text = self.s.connect("127.0.0.1", self.port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, text)
        code, text = self.s.ehlo("lists.example.org")
        if code != 250:
            raise smtplib.SMTPHeloError(code, text)
        self.used = 0

    def send(self, sender, rcpt, data):
        """(code, text) of the DATA reply or of the first failing reply."""
        for attempt in (1, 2):
            try:
                if self.s is None or self.used >= self.per_conn:
                    self.close()
                    self._open()
                self.used += 1
                code, text = self.s.mail(sender)
                if code != 250:
                    self.s.rset()
                    return code, one_line(text)
                code, text = self.s.rcpt(rcpt)
                if code not in (250, 251):
                    self.s.rset()
                    return code, one_line(text)
                try:
                    code, text = self.s.data(data)
                except smtplib.SMTPDataError as e:
                    code, text = e.smtp_code, e.smtp_error
                return code, one_line(text)
            except smtplib.SMTPServerDisconnected as e:
                # Before DATA's reply nothing was queued: safe to redo once.
                self.s = None
                if attempt == 2:
                    return 0, "disconnected: %s" % e
            except smtplib.SMTPResponseException as e:
                self.close()
                return e.smtp_code, one_line(e.smtp_error)
            except (smtplib.SMTPException, OSError, socket.timeout) as e:
                self.close()
                return 0, "%s: %s" % (type(e).__name__, e)
        return 0, "unreachable"


def play(a):
    with open(a.log, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    labels = []
    with open(a.labels, encoding="latin-1") as f:
        for row in f:
            n, label, lst, addr, remote = row.rstrip("\n").split("\t")
            labels.append((int(n), label, lst, addr, remote))
    if len(labels) != len(lines):
        sys.exit("demo_attack: %d log lines but %d labels"
                 % (len(lines), len(labels)))

    # The messages, rendered up front by mkmsg.py (one distinct Message-ID
    # and cookie per request, as Mailman makes them).
    mkmsg = load_mkmsg()
    os.makedirs(a.msgdir, exist_ok=True)
    items = []
    for raw, (n, label, lst, addr, remote) in zip(lines, labels):
        if label == "other" or b": pending " not in raw:
            continue
        path = os.path.join(a.msgdir, "m%06d.eml" % n)
        sender = render(mkmsg, path, list=lst, rcpt=addr, requester=remote,
                        nonce="line%d" % n)
        with open(path, "rb") as f:
            data = f.read()
        mid = re.search(rb"^Message-ID: (<[^>]*>)", data, re.M | re.I)
        when = calendar.timegm(time.strptime(
            raw[:STAMP_LEN].decode("ascii"), GENLOG_TIME))
        items.append({"line": n, "label": label, "list": lst, "rcpt": addr,
                      "origin": remote, "when": when, "raw": raw,
                      "sender": sender, "msgid": mid.group(1).decode(),
                      "data": re.sub(rb"\r\n|\r|\n", b"\r\n", data)})
    if not items:
        sys.exit("demo_attack: no pending lines in %s" % a.log)
    span = max(items[-1]["when"] - items[0]["when"], 1.0)
    factor = span / a.duration
    print("Playing %d requests (%d attack, %d genuine): %.0f min of log in "
          "about %.0f s (time compressed %.0fx), %d senders."
          % (len(items), sum(i["label"] == "attack" for i in items),
             sum(i["label"] == "legit" for i in items), span / 60,
             a.duration, factor, a.senders), flush=True)

    lock = threading.Lock()
    rlock = threading.Lock()
    state = {"next": 0, "done": 0}
    t0 = time.monotonic()
    first = items[0]["when"]
    logf = open(a.subscribe_log, "ab", buffering=0)
    resf = open(a.results, "w")

    def worker():
        snd = Sender(a.port)
        while True:
            with lock:   # lines go to the log in order, each at its time
                i = state["next"]
                if i >= len(items):
                    break
                state["next"] += 1
                it = items[i]
                delay = t0 + (it["when"] - first) / factor - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                stamp = time.strftime(GENLOG_TIME).encode()
                logf.write(stamp + it["raw"][STAMP_LEN:] + b"\n")
                t_log = time.monotonic()
            time.sleep(a.gap)    # Mailman mails a moment after logging
            code, text = snd.send(it["sender"], it["rcpt"], it["data"])
            qid = re.search(r"queued as ([0-9A-Za-z]+)", text)
            rec = {k: it[k] for k in ("line", "label", "list", "rcpt",
                                      "origin", "msgid")}
            rec.update(code=code, reply=text,
                       qid=qid.group(1) if qid and code == 250 else "",
                       t=round(t_log - t0, 3))
            with rlock:
                resf.write(json.dumps(rec) + "\n")
                state["done"] += 1
        snd.close()

    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(a.senders)]
    for t in threads:
        t.start()
    next_report = 10.0
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.5)
        el = time.monotonic() - t0
        if el >= next_report and any(t.is_alive() for t in threads):
            print("  %3.0f s: %d of %d sent" % (el, state["done"],
                                               len(items)), flush=True)
            next_report += 10.0
    resf.close()
    logf.close()
    print("Sent %d mails in %.1f s." % (state["done"],
                                        time.monotonic() - t0), flush=True)
    return 0 if state["done"] == len(items) else 1


OUTCOMES = ("delivered", "deferred", "held", "rejected")


def table(title, rows, keyw):
    """rows: (key, Counter) already ordered."""
    cols = ("requests", "attack", "legit") + OUTCOMES
    head = "%-*s" % (keyw, title) + "".join("%10s" % c for c in cols)
    print(head)
    for key, c in rows:
        print("%-*s" % (keyw, key[:keyw]) +
              "".join("%10d" % c[col] for col in cols))


def report(a):
    res = []
    with open(a.results) as f:
        for row in f:
            res.append(json.loads(row))
    res.sort(key=lambda r: r["line"])
    at_sink = set()
    for name in os.listdir(a.sink_dir):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(a.sink_dir, name), "rb") as f:
            head = f.read().split(b"\n\n", 1)[0]
        m = re.search(rb"^Message-ID: (<[^>]*>)", head, re.M | re.I)
        if m and re.search(rb"^X-Subgate: accept", head, re.M):
            at_sink.add(m.group(1).decode())
    queues = {}
    with open(a.queue_json) as f:
        for row in f:
            if row.strip():
                o = json.loads(row)
                queues[o["queue_id"]] = o["queue_name"]

    bad = []
    for r in res:
        code = r["code"]
        if 400 <= code < 500:
            r["outcome"] = "deferred"
        elif 500 <= code < 600:
            r["outcome"] = "rejected"
        elif code == 250 and queues.get(r["qid"]) == "hold":
            r["outcome"] = "held"
        elif code == 250 and r["msgid"] in at_sink:
            r["outcome"] = "delivered"
        else:
            r["outcome"] = "unaccounted"
            bad.append(r)

    def tally(keyf):
        t = collections.defaultdict(collections.Counter)
        for r in res:
            c = t[keyf(r)]
            c["requests"] += 1
            c[r["label"]] += 1
            c[r["outcome"]] += 1
        return t

    def top(t, n):
        return sorted(t.items(), key=lambda kv: (-kv[1]["requests"],
                                                 kv[0]))[:n]

    print("== What happened to each confirmation, per origin (top 10 of %d)"
          % len(tally(lambda r: r["origin"])))
    table("origin", top(tally(lambda r: r["origin"]), 10), 40)
    doms = tally(lambda r: r["rcpt"].rsplit("@", 1)[1].lower())
    print()
    print("== Per recipient domain (top 10 of %d)" % len(doms))
    table("domain", top(doms, 10), 40)
    print()
    print("== Per list")
    table("list", top(tally(lambda r: r["list"]), 100), 40)
    print()
    print("== Attack (genlog's labels) vs genuine sign-ups")
    tot = tally(lambda r: r["label"])
    all_ = collections.Counter()
    for c in tot.values():
        all_.update(c)
    table("", [("attack", tot.get("attack", collections.Counter())),
               ("genuine", tot.get("legit", collections.Counter())),
               ("total", all_)], 40)
    att = tot.get("attack", collections.Counter())
    leg = tot.get("legit", collections.Counter())
    if att["requests"]:
        print("Attack confirmations that reached their victims: %d of %d "
              "(%.1f %%); genuine sign-ups delivered at once: %d of %d."
              % (att["delivered"], att["requests"],
                 100.0 * att["delivered"] / att["requests"],
                 leg["delivered"], leg["requests"]))
    replies = collections.Counter(
        "%d %s" % (r["code"], re.sub(r"queued as \w+", "queued as ...",
                                     r["reply"])) for r in res)
    print("SMTP replies: " + "; ".join(
        "%d x %s" % (n, text) for text, n in replies.most_common(5)))
    if a.replay_json:
        with open(a.replay_json) as f:
            o = json.load(f)["outcomes"]
        print("subgatectl replay of the same log (by the log's own clock) "
              "predicted: %s; live: %s." % (
                  ", ".join("%s %d" % (k, o.get(k, 0)) for k in
                            ("delivered", "held", "rejected")),
                  ", ".join("%s %d" % (k, all_[k]) for k in
                            ("delivered", "held", "rejected", "deferred"))))
    if all_["deferred"]:
        print("A deferred confirmation got a 4xx at SMTP time; Mailman "
              "retries it hourly (not played here).")

    if a.subgate_log and os.path.exists(a.subgate_log):
        rules = collections.Counter()
        with open(a.subgate_log, errors="replace") as f:
            for row in f:
                if " decision " not in row:
                    continue
                m = re.search(r' action=(\w+) rule="([^"]*)" key="([^"]*)"',
                              row)
                if m:
                    rules[(m.group(1), m.group(2) or "no limit reached",
                           m.group(3))] += 1
        print()
        print("== subgate's decisions, by action, deciding rule and key "
              "(its log)")
        for (act, rule, key), n in sorted(rules.items(),
                                          key=lambda kv: -kv[1]):
            print("%8d  %-7s %-34s %s" % (n, act, rule, key))
        ndec = sum(rules.values())
        if ndec != len(res):
            print("(%d decisions logged for %d mails)" % (ndec, len(res)))
    if bad:
        print()
        print("%d mails are not accounted for (not at the sink, not held, "
              "no 4xx/5xx), e.g.:" % len(bad))
        for r in bad[:5]:
            print("  line %d %s: %d %s" % (r["line"], r["rcpt"], r["code"],
                                           r["reply"]))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("play")
    p.add_argument("--log", required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--subscribe-log", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--msgdir", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--duration", type=float, default=40.0)
    p.add_argument("--senders", type=int, default=6)
    p.add_argument("--gap", type=float, default=0.02)
    r = sub.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--sink-dir", required=True)
    r.add_argument("--queue-json", required=True)
    r.add_argument("--subgate-log")
    r.add_argument("--replay-json",
                   help="subgatectl replay --json of the same log")
    a = ap.parse_args()
    if a.cmd == "play":
        if a.duration <= 0 or not 1 <= a.senders <= 64:
            ap.error("--duration must be positive, --senders 1..64")
        return play(a)
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
