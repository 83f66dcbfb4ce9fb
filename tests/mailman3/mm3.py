#!/usr/bin/python3
"""mm3.py - helpers for the Mailman 3 end-to-end tests (standard library only).

usage:
  mm3.py rest PORT METHOD PATH [KEY=VALUE]...
      a call to Mailman's REST API on 127.0.0.1:PORT (/3.1PATH), form-encoded
      (UTF-8, so '+' and non-ASCII survive), as restadmin; prints the HTTP
      status and the body on one line each; exit 0 on 2xx, 1 otherwise
  mm3.py subscribe PORT LIST_ID ADDRESS...
      asks for each ADDRESS's subscription as a web form would (REST, not
      pre-verified, confirmed or approved: Mailman mails a confirmation);
      exit 1 unless every answer was 202
  mm3.py member-id PORT LIST_ID ADDRESS
      prints the member id of ADDRESS on LIST_ID; exit 1 when not a member
  mm3.py find DIR [--rcpt ADDR] [--subject REGEX] [--from REGEX]
                  [--body REGEX] [--with HEADER] [--without HEADER] [--count N]
      the sink's stored messages (DIR/msg-*.eml, tests/integration/sink.py)
      whose envelope recipient is ADDR, whose decoded Subject, From and
      text body match the regular expressions (re.search, the body with
      re.MULTILINE), which have (--with) or lack
      (--without) a header; prints their file names, oldest first; exit 0
      when at least one matched (with --count: exactly N)
  mm3.py token FILE
      prints the 40-hex token a stored confirmation carries (From, Subject
      or body); exit 1 when there is none
  mm3.py header FILE NAME
      prints the decoded, unfolded header NAME of a stored message
Addresses are compared in lower case. Nothing here runs a shell.
"""
import base64
import email
import email.policy
import glob
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

AUTH = "Basic " + base64.b64encode(b"restadmin:restpass").decode()
TOKEN = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")


def rest(port, method, path, fields):
    data = None
    if fields:
        pairs = [tuple(f.split("=", 1)) for f in fields]
        data = urllib.parse.urlencode(pairs).encode()
    req = urllib.request.Request(
        "http://127.0.0.1:%d/3.1%s" % (int(port), path), data=data,
        method=method)
    req.add_header("Authorization", AUTH)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:  # not listening (yet), or reset
        return 0, str(e)


def load(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def header(msg, name):
    v = msg.get(name)
    return "" if v is None else " ".join(str(v).split())


def text(msg):
    part = msg.get_body(preferencelist=("plain",))
    return "" if part is None else part.get_content()


def find(argv):
    d, rcpt, subj, frm, body, count = argv[0], None, None, None, None, None
    with_, without = [], []
    i = 1
    while i < len(argv):
        opt, val = argv[i], argv[i + 1]
        if opt == "--rcpt":
            rcpt = val.lower()
        elif opt == "--subject":
            subj = re.compile(val)
        elif opt == "--from":
            frm = re.compile(val)
        elif opt == "--body":
            body = re.compile(val, re.MULTILINE)
        elif opt == "--with":
            with_.append(val)
        elif opt == "--without":
            without.append(val)
        elif opt == "--count":
            count = int(val)
        else:
            sys.exit("mm3.py find: unknown option %s" % opt)
        i += 2
    hits = []
    for path in sorted(glob.glob(os.path.join(d, "msg-*.eml"))):
        msg = load(path)
        if rcpt is not None and rcpt not in [
                str(r).strip().lower() for r in msg.get_all("X-Sink-Rcpt", [])]:
            continue
        if subj is not None and not subj.search(header(msg, "Subject")):
            continue
        if frm is not None and not frm.search(header(msg, "From")):
            continue
        if body is not None and not body.search(text(msg)):
            continue
        if any(msg.get(h) is None for h in with_):
            continue
        if any(msg.get(h) is not None for h in without):
            continue
        hits.append(path)
    for h in hits:
        print(h)
    if count is not None:
        return 0 if len(hits) == count else 1
    return 0 if hits else 1


def token(path):
    msg = load(path)
    for text in (header(msg, "From"), header(msg, "Subject")):
        m = TOKEN.search(text)
        if m:
            print(m.group(0))
            return 0
    m = re.search(r"confirm ([0-9a-f]{40})", text(msg))
    if m:
        print(m.group(1))
        return 0
    return 1


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "rest" and len(args) >= 3:
        status, body = rest(args[0], args[1], args[2], args[3:])
        print(status)
        print(body)
        return 0 if 200 <= status < 300 else 1
    if cmd == "subscribe" and len(args) >= 3:
        bad = 0
        for addr in args[2:]:
            status, body = rest(args[0], "POST", "/members", [
                "list_id=" + args[1], "subscriber=" + addr,
                "pre_verified=false", "pre_confirmed=false",
                "pre_approved=false"])
            if status != 202:
                print("%s: %d %s" % (addr, status, body), file=sys.stderr)
                bad += 1
        return 1 if bad else 0
    if cmd == "member-id" and len(args) == 3:
        status, body = rest(args[0], "GET", "/lists/%s/roster/member"
                            % urllib.parse.quote(args[1]), [])
        if status != 200:
            return 1
        for e in json.loads(body).get("entries", []):
            if e.get("email", "").lower() == args[2].lower():
                print(e["member_id"])
                return 0
        return 1
    if cmd == "find" and args:
        return find(args)
    if cmd == "token" and len(args) == 1:
        return token(args[0])
    if cmd == "header" and len(args) == 2:
        print(header(load(args[0]), args[1]))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
