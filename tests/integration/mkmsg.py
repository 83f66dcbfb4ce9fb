#!/usr/bin/env python3
"""mkmsg.py -- write a Mailman confirmation (or look-alike) for a test.

usage: mkmsg.py KIND OUT [key=value ...]
KIND: mm21-join (Mailman 2.1.39, English, non-VERP), mm21-join-verp,
      mm21-leave, mm3-join (Mailman 3.3.8, VERP), mm3-leave, plain
keys: list (mylist / test@lists.example.org), rcpt, requester, cookie,
      msgid, host (lists.example.org)
The text follows the captured messages in tests/data/mail/ (01, 06, 09, 20,
24); the cookie and Message-ID default to values derived from the
recipient, so two calls with the same recipient make the same message (a
retry), and different recipients make different ones.
Prints the envelope sender on stdout (the recipient is <rcpt>).
"""
import hashlib
import sys
import textwrap


def main():
    kind, out = sys.argv[1], sys.argv[2]
    kv = dict(a.split('=', 1) for a in sys.argv[3:])
    host = kv.get('host', 'lists.example.org')
    rcpt = kv.get('rcpt', 'alice@example.com')
    seed = kind + rcpt + kv.get('nonce', '')
    cookie = kv.get('cookie', hashlib.sha1(seed.encode()).hexdigest())
    serial = int(hashlib.sha1(seed.encode()).hexdigest()[:6], 16)
    if kind.startswith('mm21'):
        lst = kv.get('list', 'mylist')
        requester = kv.get('requester', '192.0.2.10')
        msgid = kv.get('msgid',
                       f'<mailman.{serial}.1796321493.16297.{lst}@{host}>')
        frm = f'{lst}-request@{host}'
        subject = f'confirm {cookie}'
        if kind == 'mm21-join-verp':
            frm = f'{lst}-confirm+{cookie}@{host}'
            subject = (f'Your confirmation is required to join the '
                       f'{lst.capitalize()} mailing list')
        if kind == 'mm21-leave':
            title = (f'Mailing list removal confirmation notice for mailing '
                     f'list {lst.capitalize()}')
            text = (f'We have received a request from {requester} for the '
                    f'removal of your email address, "{rcpt}" from the '
                    f'{lst}@{host} mailing list.')
        else:
            title = (f'Mailing list subscription confirmation notice for '
                     f'mailing list {lst.capitalize()}')
            # requester=NONE: a text that names no requester (a translated
            # template's wording), so the origin must come from the log
            frm_req = '' if requester == 'NONE' else f' from {requester}'
            text = (f'We have received a request{frm_req} for '
                    f'subscription of your email address, "{rcpt}", to the '
                    f'{lst}@{host} mailing list.  To confirm that you want to '
                    f'be added to this mailing list, simply reply to this '
                    f'message, keeping the Subject: header intact.')
        body = (title + '\n\n' + textwrap.fill(text, 70) + '\n\n'
                f'    https://{host}/mailman/confirm/{lst}/{cookie}\n\n\n'
                'If you do not wish to be subscribed to this list, please '
                'simply\ndisregard this message.\n')
        msg = (
            'MIME-Version: 1.0\n'
            'Content-Type: text/plain; charset="us-ascii"\n'
            'Content-Transfer-Encoding: 7bit\n'
            f'From: {frm}\nTo: {rcpt}\nSubject: {subject}\n'
            f'Reply-To: {frm}\nAuto-Submitted: auto-generated\n'
            f'Message-ID: {msgid}\n'
            'Date: Thu, 03 Dec 2026 18:11:33 +0000\nPrecedence: bulk\n'
            f'X-BeenThere: {lst}@{host}\nX-Mailman-Version: 2.1.39\n'
            f'List-Id: <{lst}.{host}>\nX-List-Administrivia: yes\n'
            f'Errors-To: {lst}-bounces@{host}\n'
            f'Sender: "{lst.capitalize()}" <{lst}-bounces@{host}>\n\n' + body)
        sender = f'{lst}-bounces@{host}'
    elif kind.startswith('mm3'):
        lst = kv.get('list', 'test@' + host)
        name, dom = lst.split('@')
        msgid = kv.get('msgid', f'<1796323974{serial:06d}.4899.1@localhost>')
        verb = 'leave' if kind == 'mm3-leave' else 'join'
        title = ('Email Address Unsubscription Confirmation'
                 if verb == 'leave' else
                 'Email Address Registration Confirmation')
        msg = (
            'MIME-Version: 1.0\n'
            'Content-Type: text/plain; charset="us-ascii"\n'
            'Content-Transfer-Encoding: 7bit\n'
            f'Subject: Your confirmation is needed to {verb} the {lst}\n'
            ' mailing list.\n'
            f'From: {name}-confirm+{cookie}@{dom}\nTo: {rcpt}\n'
            f'Auto-Submitted: auto-generated\nMessage-ID: {msgid}\n'
            'Date: Thu, 03 Dec 2026 18:52:54 +0000\n'
            'X-Mailman-Version: 3.3.8\nPrecedence: list\n'
            f'List-Id: <{name}.{dom}>\n'
            f'List-Help: <mailto:{name}-request@{dom}?subject=help>\n'
            f'List-Owner: <mailto:{name}-owner@{dom}>\n'
            f'List-Subscribe: <mailto:{name}-join@{dom}>\n'
            f'List-Unsubscribe: <mailto:{name}-leave@{dom}>\n\n'
            f'{title}\n\nHello, this is the GNU Mailman server at {dom}.\n\n'
            f'    {rcpt}\n\n    confirm {cookie}\n')
        sender = f'{name}-bounces@{dom}'
    elif kind == 'plain':
        msg = (f'From: bob@example.net\nTo: {rcpt}\nSubject: lunch\n'
               'Message-ID: <plain.' + cookie[:12] + '@example.net>\n\n'
               'See you at noon.\n')
        sender = 'bob@example.net'
    else:
        sys.exit(f'mkmsg.py: unknown kind {kind}')
    with open(out, 'w') as f:
        f.write(msg)
    print(sender)


if __name__ == '__main__':
    main()
