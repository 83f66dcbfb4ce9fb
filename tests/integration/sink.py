#!/usr/bin/env python3
"""sink.py - a tiny SMTP sink for the integration tests (standard library only).

Usage: sink.py --port PORT --dir MSGDIR --ctl CTLDIR [--host 127.0.0.1] [--ready FILE]

Listens on HOST:PORT (loopback only), accepts SMTP from anyone and stores every
accepted message as MSGDIR/msg-NNNNNN.eml.  A file appears only once the whole
message has been received (written as .tmp-*, then renamed), so counting and
grepping the directory never sees half a message.  Each stored file starts with
    X-Sink-From: <envelope sender>
    X-Sink-Rcpt: <recipient>          (one line per recipient)
    X-Sink-Helo: <helo name>
    X-Sink-Client: <peer address>
followed by the message exactly as received (dot-unstuffed, CRLF turned to LF).

Answers can be changed at run time: if CTLDIR/mail.reply, CTLDIR/rcpt.reply or
CTLDIR/data.reply exists and holds a line such as "451 4.3.0 sink busy", that
reply is given instead of 250 for MAIL, RCPT or the end of DATA (a non-2xx reply
to DATA means the message is not stored).  One line per transaction is logged
to stdout.  Exits 98 when the port cannot be bound.
"""
import argparse
import os
import socketserver
import sys
import threading

MAX_LINE = 1 << 20

_lock = threading.Lock()
_seq = [0]


def next_name():
    with _lock:
        _seq[0] += 1
        return "msg-%06d.eml" % _seq[0]


def log(text):
    with _lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def addr_of(arg):
    """'FROM:<a@b> SIZE=1' -> 'a@b' (without the angle brackets)."""
    _, _, rest = arg.partition(":")
    rest = rest.strip()
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1:end] if end >= 0 else rest[1:]
    return rest.split(" ", 1)[0]


class Handler(socketserver.StreamRequestHandler):
    timeout = 60

    def reply_for(self, stage, default):
        path = os.path.join(self.server.ctl, stage + ".reply")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.readline().strip()
        except OSError:
            return default
        return text or default

    def send(self, line):
        self.wfile.write(line.encode("utf-8", "replace") + b"\r\n")
        self.wfile.flush()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    def handle(self):
        self.helo = ""
        self.reset()
        peer = self.client_address[0]
        self.send("220 sink.localdomain ESMTP test sink")
        while True:
            raw = self.rfile.readline(MAX_LINE)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.helo = arg.strip()
                self.reset()
                self.wfile.write(b"250-sink.localdomain\r\n250-PIPELINING\r\n"
                                 b"250-8BITMIME\r\n250-SMTPUTF8\r\n"
                                 b"250 ENHANCEDSTATUSCODES\r\n")
                self.wfile.flush()
            elif verb == "HELO":
                self.helo = arg.strip()
                self.reset()
                self.send("250 sink.localdomain")
            elif verb == "MAIL":
                self.reset()
                r = self.reply_for("mail", "250 2.1.0 Ok")
                if r.startswith("2"):
                    self.mail_from = addr_of(arg)
                self.send(r)
            elif verb == "RCPT":
                if self.mail_from is None:
                    self.send("503 5.5.1 Error: need MAIL command")
                    continue
                r = self.reply_for("rcpt", "250 2.1.5 Ok")
                if r.startswith("2"):
                    self.rcpts.append(addr_of(arg))
                self.send(r)
            elif verb == "DATA":
                if not self.rcpts:
                    self.send("503 5.5.1 Error: need RCPT command")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while True:
                    raw = self.rfile.readline(MAX_LINE)
                    if not raw:
                        return
                    if raw in (b".\r\n", b".\n"):
                        break
                    if raw.startswith(b"."):
                        raw = raw[1:]
                    if raw.endswith(b"\r\n"):
                        raw = raw[:-2] + b"\n"
                    body.append(raw)
                r = self.reply_for("data", "250 2.0.0 Ok: stored")
                name = "-"
                if r.startswith("2"):
                    name = self.store(peer, b"".join(body))
                log("from=<%s> rcpts=%s reply=%r file=%s" % (
                    self.mail_from, ",".join("<%s>" % a for a in self.rcpts), r, name))
                self.send(r)
                self.reset()
            elif verb == "RSET":
                self.reset()
                self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            elif verb == "VRFY":
                self.send("252 2.0.0 Cannot VRFY")
            else:
                self.send("502 5.5.2 Error: command not recognized")

    def store(self, peer, message):
        head = ["X-Sink-From: %s" % self.mail_from]
        head += ["X-Sink-Rcpt: %s" % a for a in self.rcpts]
        head += ["X-Sink-Helo: %s" % self.helo, "X-Sink-Client: %s" % peer]
        name = next_name()
        tmp = os.path.join(self.server.msgdir, ".tmp-" + name)
        with open(tmp, "wb") as f:
            f.write(("\n".join(head) + "\n").encode("utf-8", "replace"))
            f.write(message)
        os.rename(tmp, os.path.join(self.server.msgdir, name))
        return name


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--ready")
    a = p.parse_args()
    if not a.host.startswith("127."):
        sys.exit("sink.py: loopback (127.0.0.0/8) addresses only")
    try:
        srv = Server((a.host, a.port), Handler)
    except OSError as e:
        print("sink.py: cannot listen on %s:%d: %s" % (a.host, a.port, e), file=sys.stderr)
        sys.exit(98)
    srv.msgdir, srv.ctl = a.dir, a.ctl
    if a.ready:
        with open(a.ready, "w", encoding="utf-8") as f:
            f.write("%d\n" % os.getpid())
    log("listening on %s:%d" % (a.host, a.port))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
