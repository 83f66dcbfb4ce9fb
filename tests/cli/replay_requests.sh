#!/bin/bash
# replay_requests.sh -- subgatectl replay --requests: Mailman logs a request
# made by mail by the requester's address only; subgate's own "request"
# lines (any of the three time formats) tie it to the SMTP client, so ip
# and subnet limits apply in replay as in the milter.
. "$(dirname "$0")/lib.bash"

# Three requests by mail from one client (forged senders), one from
# another client, one whose request line is too old to explain it, one
# with no request line at all.
cat >"$WORK/subscribe" <<'LOG'
Dec 03 18:11:33 2026 (100) mylist: pending v1@example.com  v1@example.com
Dec 03 18:11:40 2026 (100) mylist: pending v2@example.org  v2@example.org
Dec 03 18:11:50 2026 (100) mylist: pending v3@example.net  v3@example.net
Dec 03 18:12:00 2026 (100) mylist: pending v4@example.com  v4@example.com
Dec 07 18:12:10 2026 (100) mylist: pending v5@example.com  v5@example.com
Dec 03 18:12:20 2026 (100) mylist: pending v6@example.com  v6@example.com
Jan 01 00:00:30 2027 (100) mylist: pending v7@example.com  v7@example.com
LOG
cat >"$WORK/mail.log" <<'LOG'
Dec  3 18:11:32 mx subgate[9]: request list="mylist" requester="V1@Example.COM" client=198.51.100.7 helo="x" spf=pass action=accept (no spf rule)
2026-12-03T18:11:39.120Z subgate[9]: request list="mylist" requester="v2@example.org" client=198.51.100.7 helo="x" spf=none action=accept (no spf rule)
2026-12-03T13:11:49.000000-05:00 mx subgate[9]: request list="mylist" requester="v3@example.net" client=198.51.100.7 helo="x" spf=pass action=accept (no spf rule)
Dec  3 18:11:59 mx subgate[9]: request list="mylist" requester="v4@example.com" client=2001:db8::25 helo="x" spf=pass action=accept (no spf rule)
Dec  3 18:12:05 mx subgate[9]: request list="mylist" requester="v5@example.com" client=198.51.100.7 helo="x" spf=pass action=accept (no spf rule)
Dec  3 18:12:06 mx subgate[9]: request list="mylist" requester="broken client=nowhere
Dec  3 18:12:07 mx subgate[9]: decision qid=- mailman=2 list="mylist"
Dec  3 18:12:08 mx postfix/smtpd[7]: connect from unknown[192.0.2.1]
Dec 31 23:59:50 mx subgate[9]: request list="mylist" requester="v7@example.com" client=203.0.113.9 helo="x" spf=pass action=accept (no spf rule)
LOG
echo "limit ip 1/1h hold" >"$WORK/p"

# Without --requests: every request is its own address, nothing trips.
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" --json \
    --decisions "$WORK/d0" "$WORK/subscribe"
expect_eq "replay without requests: exit" "$rc" 0
expect_match "without requests: all delivered" "$(cat "$WORK/out")" \
    '"outcomes":\{"delivered":7,"held":0,'

# With them: v1 (syslog time), v2 (UTC), v3 (-05:00) share a client, so
# the second and third are held; v4 has its own client (IPv6); v5's request
# is 4 days older than its pending line; v6 has none; v7's syslog time (no
# year) is New Year's Eve of the year before its pending line.
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" --json \
    --decisions "$WORK/d1" --requests "$WORK/mail.log" "$WORK/subscribe"
expect_eq "replay with requests: exit" "$rc" 0
expect_match "with requests: two held" "$(cat "$WORK/out")" \
    '"outcomes":\{"delivered":5,"held":2,'
expect_match "with requests: counts" "$(cat "$WORK/out")" \
    '"requests_by_mail":\{"loaded":6,"skipped":1,"tied":5\}'
expect_eq "v1 keyed by its client" \
    "$(grep -c '"addr":"v1@example.com","ip":"198.51.100.7","outcome":"delivered"' "$WORK/d1")" 1
expect_eq "v2 held on the same client" \
    "$(grep -c '"addr":"v2@example.org","ip":"198.51.100.7","outcome":"held"' "$WORK/d1")" 1
expect_eq "v3 (RFC 3339 with offset) held on the same client" \
    "$(grep -c '"addr":"v3@example.net","ip":"198.51.100.7","outcome":"held"' "$WORK/d1")" 1
expect_eq "v4 keyed by its IPv6 client" \
    "$(grep -c '"addr":"v4@example.com","ip":"2001:db8::25","outcome":"delivered"' "$WORK/d1")" 1
expect_eq "v5: request too old, keyed by address" \
    "$(grep -c '"addr":"v5@example.com","ip":"v5@example.com"' "$WORK/d1")" 1
expect_eq "v6: no request, keyed by address" \
    "$(grep -c '"addr":"v6@example.com","ip":"v6@example.com"' "$WORK/d1")" 1
expect_eq "v7: a syslog time of the year before" \
    "$(grep -c '"addr":"v7@example.com","ip":"203.0.113.9"' "$WORK/d1")" 1

# Text summary says it too; a missing mail log is a clear error.
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" \
    --requests "$WORK/mail.log" "$WORK/subscribe"
expect_match "text summary" "$(cat "$WORK/out")" \
    'requests by mail tied to their SMTP client: 5, of 6 request lines read, 1 unusable'
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" \
    --requests "$WORK/nonexistent" "$WORK/subscribe"
expect_eq "missing mail log: exit 2" "$rc" 2
expect_match "missing mail log: message" "$(cat "$WORK/err")" 'nonexistent: No such file'

# The same requests on a server in New York: Mailman's log and the
# traditional syslog lines show local time (5 h behind UTC), the RFC 3339
# ones carry their offset. Read in the server's zone they all tie; read as
# UTC the pending lines would fall 5 h before the RFC 3339 requests.
cat >"$WORK/subscribe.ny" <<'LOG'
Dec 03 13:11:33 2026 (100) mylist: pending v1@example.com  v1@example.com
Dec 03 13:11:40 2026 (100) mylist: pending v2@example.org  v2@example.org
Dec 03 13:11:50 2026 (100) mylist: pending v3@example.net  v3@example.net
LOG
cat >"$WORK/mail.ny" <<'LOG'
Dec  3 13:11:32 mx subgate[9]: request list="mylist" requester="v1@example.com" client=198.51.100.7 helo="x" spf=pass action=accept (no spf rule)
2026-12-03T18:11:39.120Z subgate[9]: request list="mylist" requester="v2@example.org" client=198.51.100.7 helo="x" spf=none action=accept (no spf rule)
2026-12-03T13:11:49.000000-05:00 mx subgate[9]: request list="mylist" requester="v3@example.net" client=198.51.100.7 helo="x" spf=pass action=accept (no spf rule)
LOG
TZ=EST5EDT,M3.2.0,M11.1.0 run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" \
    --json --requests "$WORK/mail.ny" "$WORK/subscribe.ny"
expect_match "New York, in its zone: all three tied" "$(cat "$WORK/out")" \
    '"requests_by_mail":\{"loaded":3,"skipped":0,"tied":3\}'
expect_match "New York, in its zone: two held" "$(cat "$WORK/out")" \
    '"outcomes":\{"delivered":1,"held":2,'
TZ=UTC run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" \
    --json --requests "$WORK/mail.ny" "$WORK/subscribe.ny"
expect_match "New York, read as UTC: only the syslog line ties" "$(cat "$WORK/out")" \
    '"requests_by_mail":\{"loaded":3,"skipped":0,"tied":1\}'
# East of UTC (Tokyo, 9 h ahead) the syslog time must be read as local
# too, or its request would fall 9 h after the pending line.
head -1 "$WORK/subscribe.ny" >"$WORK/subscribe.tokyo"
head -1 "$WORK/mail.ny" >"$WORK/mail.tokyo"
TZ=JST-9 run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/p" \
    --json --requests "$WORK/mail.tokyo" "$WORK/subscribe.tokyo"
expect_match "Tokyo: the syslog line ties" "$(cat "$WORK/out")" \
    '"requests_by_mail":\{"loaded":1,"skipped":0,"tied":1\}'

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
