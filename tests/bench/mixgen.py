#!/usr/bin/env python3
"""mixgen.py -- the confirmation-heavy traffic mix of bench_milter.sh

usage:
  mixgen.py gen  --dir DIR [--files K] [--seed S]
  mixgen.py send --dir DIR --port PORT [--messages N] [--sessions S]
                 [--ratio R] [--size BYTES] [--timeout SECONDS]

gen   writes K (default 300) distinct Mailman 2.1 subscription
      confirmations, DIR/conf-NNNN.eml, rendered by
      tests/integration/mkmsg.py (kind mm21-join): each has its own
      recipient, requester (named in the body), cookie and Message-ID.
      The recipients' domains, the lists and the requesters' networks
      are spread so that contrib/subgate.policy trips some of each of
      its rules (domain, list, subnet, ip) and accepts others: the
      first pass mostly accepts, the later passes run into the domain
      limit.  DIR/index.tsv lists file, envelope sender and recipient.
      Deterministic (same seed, same files).

send  sends N messages (default 2000) to 127.0.0.1:PORT over S
      (default 10) parallel SMTP sessions, kept open (like smtp-source
      -d), speaking plain SMTP one command at a time (no PIPELINING,
      like smtp-source).  Message i of the stream is, with R = ratio
      (default 0.5) of confirmations: a confirmation when
      floor((i+1)*R) > floor(i*R), the next of the K files in turn,
      else an ordinary message shaped like smtp-source's (From, To,
      Date, Message-Id, Subject: bench; a body of BYTES (default 1024)
      X's in 80-column lines), envelope bench@example.org ->
      rcpt@example.net.  The sessions take the next message of the one
      stream, so every run sends the same N messages.  A 4xx or 5xx
      reply (subgate defers or rejects) is counted and the session goes
      on with RSET.  Prints one JSON line: messages, confirmations,
      replies by class, seconds, msgs_per_s.  Exit status 0 when every
      message got a final reply, 1 otherwise.
Standard library only.
"""
import argparse
import importlib.util
import io
import json
import os
import random
import socket
import sys
import threading
import time
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
MKMSG = os.path.join(HERE, '..', 'integration', 'mkmsg.py')


def load_mkmsg():
    spec = importlib.util.spec_from_file_location('mkmsg', MKMSG)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def gen(a):
    mk = load_mkmsg()
    rnd = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    # big providers get most sign-ups (the domain limit, 50/1h, trips on
    # them once the files are sent again); a long tail of small domains
    big = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com',
           'gmx.de', 'web.de']
    small = ['d%02d.example' % i for i in range(40)]
    # 30 lists; list00 and list01 are "under attack" (> 20 requests)
    lists = ['list%02d' % i for i in range(30)]
    rows = []
    for i in range(a.files):
        dom = rnd.choice(big) if rnd.random() < 0.6 else rnd.choice(small)
        lst = (rnd.choice(lists[:2]) if rnd.random() < 0.2
               else rnd.choice(lists[2:]))
        # a fifth of the requesters share a few /24s (subnet rule), the
        # rest are spread; a handful repeat (ip rule)
        r = rnd.random()
        if r < 0.2:
            req = '198.51.%d.%d' % (100 + rnd.randrange(3), i % 250 + 1)
        elif r < 0.25:
            req = '203.0.113.%d' % (rnd.randrange(4) + 1)
        else:
            req = '10.%d.%d.%d' % (i // 250 % 250, i % 250, 1 + i % 7)
        rcpt = 'user%04d@%s' % (i, dom)
        out = os.path.join(a.dir, 'conf-%04d.eml' % i)
        argv = ['mkmsg.py', 'mm21-join', out, 'rcpt=' + rcpt,
                'requester=' + req, 'list=' + lst,
                'nonce=%d-%d' % (a.seed, i)]
        buf = io.StringIO()
        saved = sys.argv
        try:
            sys.argv = argv
            with redirect_stdout(buf):
                mk.main()
        finally:
            sys.argv = saved
        rows.append((os.path.basename(out), buf.getvalue().strip(), rcpt))
    with open(os.path.join(a.dir, 'index.tsv'), 'w') as f:
        for row in rows:
            f.write('\t'.join(row) + '\n')
    print(json.dumps({'files': len(rows), 'dir': a.dir}))


def payload(text):
    """Message text -> DATA payload: CRLF line ends, dot-stuffed, '.'"""
    lines = text.replace('\r\n', '\n').split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    out = []
    for ln in lines:
        out.append(('.' + ln) if ln.startswith('.') else ln)
    return ('\r\n'.join(out) + '\r\n.\r\n').encode()


def ordinary(i, size):
    body = []
    left = size
    first = True
    while left > 0:
        n = min(80, left)
        line = ('1' + 'X' * (n - 1)) if first else 'X' * n
        first = False
        body.append(line)
        left -= n
    return ('From: <bench@example.org>\nTo: <rcpt@example.net>\n'
            'Date: Thu, 03 Dec 2026 19:55:29 +0000\n'
            'Message-Id: <%d.bench@client.example>\nSubject: bench\n\n'
            % i + '\n'.join(body) + '\n')


class Stream:
    """The one message stream, shared by the sessions."""

    def __init__(self, confs, n, ratio, size):
        self.confs = confs
        self.n = n
        self.ratio = ratio
        self.plain = (b'bench@example.org', b'rcpt@example.net',
                      payload(ordinary(0, size)))
        self.next = 0
        self.nconf = 0
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            i = self.next
            if i >= self.n:
                return None
            self.next += 1
            if int((i + 1) * self.ratio) > int(i * self.ratio):
                k = int(i * self.ratio) % len(self.confs)
                self.nconf += 1
                return self.confs[k]
            return self.plain


class Session(threading.Thread):
    def __init__(self, port, stream, timeout, stats):
        super().__init__(daemon=True)
        self.port = port
        self.stream = stream
        self.timeout = timeout
        self.stats = stats
        self.sock = None
        self.rd = None

    def reply(self):
        code = None
        while True:
            line = self.rd.readline()
            if not line:
                raise ConnectionError('connection closed')
            code = line[:3]
            if line[3:4] != b'-':
                return int(code)

    def cmd(self, data):
        self.sock.sendall(data)
        return self.reply()

    def connect(self):
        self.sock = socket.create_connection(('127.0.0.1', self.port),
                                             timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rd = self.sock.makefile('rb')
        if self.reply() != 220 or self.cmd(b'EHLO client.example\r\n') != 250:
            raise ConnectionError('no greeting')

    def close(self):
        try:
            self.cmd(b'QUIT\r\n')
        except (OSError, ConnectionError):
            pass
        self.sock.close()

    def one(self, msg):
        frm, to, data = msg
        c = self.cmd(b'MAIL FROM:<' + frm + b'>\r\n')
        if c == 250:
            c = self.cmd(b'RCPT TO:<' + to + b'>\r\n')
        if c == 250:
            c = self.cmd(b'DATA\r\n')
            if c == 354:
                c = self.cmd(data)
        if c != 250:
            self.cmd(b'RSET\r\n')
        return c

    def run(self):
        local = {'2xx': 0, '4xx': 0, '5xx': 0, 'errors': 0}
        try:
            self.connect()
            while True:
                msg = self.stream.take()
                if msg is None:
                    break
                cls = self.one(msg) // 100
                local['%dxx' % cls if cls in (2, 4, 5) else 'errors'] += 1
            self.close()
        except (OSError, ConnectionError) as e:
            local['errors'] += 1
            local['error'] = str(e)
        with self.stats['lock']:
            for k, v in local.items():
                if k == 'error':
                    self.stats['last_error'] = v
                else:
                    self.stats[k] += v


def send(a):
    confs = []
    with open(os.path.join(a.dir, 'index.tsv')) as f:
        for line in f:
            name, frm, to = line.rstrip('\n').split('\t')
            with open(os.path.join(a.dir, name)) as m:
                confs.append((frm.encode(), to.encode(), payload(m.read())))
    if not confs and a.ratio > 0:
        sys.exit('mixgen.py: no confirmations in ' + a.dir)
    stream = Stream(confs, a.messages, a.ratio, a.size)
    stats = {'lock': threading.Lock(), '2xx': 0, '4xx': 0, '5xx': 0,
             'errors': 0}
    t0 = time.monotonic()
    sessions = [Session(a.port, stream, a.timeout, stats)
                for _ in range(a.sessions)]
    for s in sessions:
        s.start()
    for s in sessions:
        s.join()
    dt = time.monotonic() - t0
    out = {'messages': stream.next, 'confirmations': stream.nconf,
           'r2xx': stats['2xx'], 'r4xx': stats['4xx'], 'r5xx': stats['5xx'],
           'errors': stats['errors'], 'seconds': round(dt, 3),
           'msgs_per_s': round(stream.next / dt, 1) if dt > 0 else 0}
    if 'last_error' in stats:
        out['last_error'] = stats['last_error']
    print(json.dumps(out))
    done = stats['2xx'] + stats['4xx'] + stats['5xx']
    return 0 if done == a.messages and stats['errors'] == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('gen')
    g.add_argument('--dir', required=True)
    g.add_argument('--files', type=int, default=300)
    g.add_argument('--seed', type=int, default=1)
    s = sub.add_parser('send')
    s.add_argument('--dir', required=True)
    s.add_argument('--port', type=int, required=True)
    s.add_argument('--messages', type=int, default=2000)
    s.add_argument('--sessions', type=int, default=10)
    s.add_argument('--ratio', type=float, default=0.5)
    s.add_argument('--size', type=int, default=1024)
    s.add_argument('--timeout', type=float, default=60.0)
    a = p.parse_args()
    if a.cmd == 'gen':
        if a.files < 1:
            p.error('--files must be >= 1')
        gen(a)
        return 0
    if a.messages < 0 or a.sessions < 1 or not 0 <= a.ratio <= 1:
        p.error('bad --messages, --sessions or --ratio')
    return send(a)


if __name__ == '__main__':
    sys.exit(main())
