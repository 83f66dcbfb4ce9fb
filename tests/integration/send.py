#!/usr/bin/env python3
"""send.py - send one RFC 5322 message file over SMTP (standard library only).

Usage: send.py --port PORT FILE [--host 127.0.0.1] [--from ADDR] [--to ADDR]...
               [--helo NAME] [--timeout SECONDS] [--xclient ADDR]

Connects from 127.0.0.1 to HOST:PORT (loopback only), does EHLO, MAIL, RCPT for
each --to, DATA, and prints ONE line: the final reply to DATA, or the reply of
the first command that failed, as "CODE TEXT", e.g.
    250 2.0.0 Ok: queued as 4F2A1C0B3E
    451 4.7.1 Service unavailable - try again later
--xclient ADDR makes Postfix (smtpd_authorized_xclient_hosts) and its milters
take ADDR (IPv4, or IPV6:... ) as the client's address, with --helo as its
HELO name: a test's stand-in for a remote client.
Without --from the address in the From: header is used (else sender@example.org);
without --to the To:/Cc: addresses of the message are used.  Line ends are sent
as CRLF, dot-stuffing is done by smtplib.  Exit status: 0 when the server gave
a reply (whatever its code), 2 when no SMTP dialogue was possible (the line then
starts with "000").
"""
import argparse
import re
import smtplib
import socket
import sys
from email.parser import BytesHeaderParser
from email.utils import getaddresses


def reply(code, text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    print("%d %s" % (code, " ".join(str(text).split("\n")).strip()))


def close(s):
    try:
        s.quit()
    except (smtplib.SMTPException, OSError):
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--from", dest="sender")
    p.add_argument("--to", action="append", default=[])
    p.add_argument("--helo", default="client.example")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--xclient")
    a = p.parse_args()
    if not a.host.startswith("127."):
        print("000 send.py: loopback (127.0.0.0/8) addresses only")
        return 2

    try:
        with open(a.file, "rb") as f:
            data = f.read()
    except OSError as e:
        print("000 send.py: cannot read %s: %s" % (a.file, e.strerror))
        return 2
    headers = BytesHeaderParser().parsebytes(data)
    sender = a.sender
    if sender is None:
        found = [addr for _, addr in getaddresses(headers.get_all("From", [])) if addr]
        sender = found[0] if found else "sender@example.org"
    rcpts = a.to or [addr for _, addr in
                     getaddresses(headers.get_all("To", []) + headers.get_all("Cc", []))
                     if addr]
    if not rcpts:
        print("000 send.py: no recipient (give --to or a To: header)")
        return 2
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    utf8 = any(not s.isascii() for s in [sender] + rcpts)

    try:
        s = smtplib.SMTP(local_hostname=a.helo, timeout=a.timeout,
                         source_address=("127.0.0.1", 0))
        code, text = s.connect(a.host, a.port)
        if code != 220:
            reply(code, text)
            s.close()
            return 0
        code, text = s.ehlo(a.helo)
        if code != 250:
            code, text = s.helo(a.helo)
            if code != 250:
                reply(code, text)
                s.close()
                return 0
        if a.xclient:
            if not re.fullmatch(r"[0-9A-Fa-f.:IPV6]+", a.xclient):
                print("000 send.py: bad --xclient address")
                close(s)
                return 2
            code, text = s.docmd("XCLIENT", "ADDR=%s HELO=%s NAME=[UNAVAILABLE]"
                                 % (a.xclient, a.helo))
            if code != 220:
                reply(code, text)
                close(s)
                return 0
            code, text = s.ehlo(a.helo)
            if code != 250:
                reply(code, text)
                close(s)
                return 0
        opts = ["SMTPUTF8"] if utf8 and s.has_extn("smtputf8") else []
        if not data.isascii() and s.has_extn("8bitmime"):
            opts.append("BODY=8BITMIME")
        code, text = s.mail(sender, opts)
        if code != 250:
            reply(code, text)
            close(s)
            return 0
        for r in rcpts:
            code, text = s.rcpt(r)
            if code not in (250, 251):
                reply(code, text)
                close(s)
                return 0
        try:
            code, text = s.data(data)
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        reply(code, text)
        close(s)
        return 0
    except smtplib.SMTPResponseException as e:
        reply(e.smtp_code, e.smtp_error)
        return 0
    except (smtplib.SMTPException, OSError, socket.timeout) as e:
        print("000 send.py: %s: %s" % (type(e).__name__, e))
        return 2


if __name__ == "__main__":
    sys.exit(main())
