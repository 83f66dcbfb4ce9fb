#!/bin/bash
# milter_postfix.sh -- subgate as a private Postfix instance's smtpd_milters,
# smtp-sink as the world, real-format Mailman 2.1 and 3 confirmations over
# SMTP. Asserts what really happened: the mail at the sink with the
# X-Subgate header (accept), a 4xx to the client (defer), the mail in the
# hold queue (hold), a 5xx (reject), nothing at the sink (discard), ordinary
# mail and every look-alike untouched; a limit tripping at exactly its
# count; the subscribe log read before and after the mail, and across a
# rotation; hostile mails; the same over a TCP socket and with an MTA that
# cannot skip answers (milter protocol 2).
# Environment: SUBGATE (the daemon), TOP (source tree).
set -euo pipefail
. "$(dirname "$0")/harness.bash"
: "${SUBGATE:?}" "${TOP:?}"
MAIL=$TOP/tests/data/mail

h_setup
h_sink_start
log=$H_DIR/subscribe
: >"$log"
cat >"$H_DIR/subgate.policy" <<'POL'
limit ip 3/1h hold
limit domain yahoo.com 1/1h defer
limit list rejectme 0/1h reject
limit list dropme 0/1h discard
POL
h_subgate_conf "subscribe_log = $log" "wait_for_log = 5s" "log_level = debug" \
	>"$H_DIR/subgate.conf"
"$SUBGATE" -n -c "$H_DIR/subgate.conf" >"$H_DIR/check.out"
h_check "subgate -n says configuration OK" grep -qx 'configuration OK' "$H_DIR/check.out"
h_spawn subgate "$SUBGATE" -f -c "$H_DIR/subgate.conf"
SUBGATE_PID=$H_LAST_PID
h_wait_for 10 test -S "$H_DIR/subgate.sock"
h_postfix_start "unix:$H_DIR/subgate.sock"

held() { h_hold_ids | grep -qx "$1"; }

# 1. Ordinary mail: untouched, no header.
h_mkmsg plain rcpt=carl@example.com
r=$(h_send "$MSG" --from "$FROM" --to carl@example.com)
h_check "plain mail accepted ($r)" grep -q '^250' <<<"$r"
h_wait_for 10 h_at_sink carl@example.com
h_check "plain mail has no X-Subgate header" h_not h_at_sink carl@example.com '^X-Subgate:'

# 2. A Mailman 2.1 confirmation under every limit: delivered with the header.
h_mkmsg mm21-join rcpt=alice@example.com requester=192.0.2.10
r=$(h_send "$MSG" --from "$FROM" --to alice@example.com)
h_check "2.1 confirmation accepted ($r)" grep -q '^250' <<<"$r"
h_wait_for 10 h_at_sink alice@example.com
h_check "it carries X-Subgate: accept, origin and list" \
    h_at_sink alice@example.com '^X-Subgate: accept; .*origin=192\.0\.2\.10; list=mylist'
h_check "the decision is logged with its origin from the body" \
    grep -q 'rcpt="alice@example.com" origin=192.0.2.10 source=body action=accept' "$H_DIR/subgate.log"

# 3. limit ip 3/1h: three go out, the fourth is held (at exactly its count).
for i in 1 2 3 4; do
	h_mkmsg mm21-join rcpt=v$i@example.org requester=203.0.113.7
	r=$(h_send "$MSG" --from "$FROM" --to "v$i@example.org")
	h_check "request $i from 203.0.113.7 gets 250 ($r)" grep -q '^250' <<<"$r"
	qid[i]=$(h_qid "$r")
done
h_wait_for 10 h_decided v4@example.org hold
for i in 1 2 3; do
	h_wait_for 10 h_at_sink "v$i@example.org"
	h_check "request $i delivered" h_at_sink "v$i@example.org" '^X-Subgate: accept'
done
h_check "request 4 is in the hold queue" h_wait_for 10 held "${qid[4]}"
h_check "request 4 did not reach the sink" test "$(h_sinks_for v4@example.org)" = 0
h_check "the hold names its rule and key" \
    grep -q 'rcpt="v4@example.org".*action=hold rule="limit ip 3/1h hold" key="203.0.113.7"' "$H_DIR/subgate.log"

# 4. defer: yahoo.com gets 1 per hour; the second is refused with a 4xx,
#    and Mailman's retry (same Message-ID) is the same request.
h_mkmsg mm21-join rcpt=y1@yahoo.com requester=198.51.100.1
r=$(h_send "$MSG" --from "$FROM" --to y1@yahoo.com)
h_check "first to yahoo.com accepted ($r)" grep -q '^250' <<<"$r"
h_mkmsg mm21-join rcpt=y2@yahoo.com requester=198.51.100.2
r=$(h_send "$MSG" --from "$FROM" --to y2@yahoo.com)
h_check "second to yahoo.com deferred with 451 4.7.1 ($r)" grep -q '^451 4\.7\.1 subgate: ' <<<"$r"
r=$(h_send "$MSG" --from "$FROM" --to y2@yahoo.com)
h_check "its retry is deferred again ($r)" grep -q '^451' <<<"$r"
h_check "and known as a retry" grep -q 'rcpt="y2@yahoo.com".*action=defer.* retry=1' "$H_DIR/subgate.log"

# 5. reject and discard.
h_mkmsg mm21-join rcpt=r1@example.net list=rejectme requester=198.51.100.3
r=$(h_send "$MSG" --from "$FROM" --to r1@example.net)
h_check "reject gives 550 5.7.1 ($r)" grep -q '^550 5\.7\.1 subgate: ' <<<"$r"
h_mkmsg mm21-join rcpt=d1@example.net list=dropme requester=198.51.100.4
r=$(h_send "$MSG" --from "$FROM" --to d1@example.net)
h_check "discard gives 250 ($r)" grep -q '^250' <<<"$r"
h_check "and Postfix logs milter-discard" h_wait_for 10 h_maillog_grep -q 'milter-discard'
h_check "and nothing reaches the sink" test "$(h_sinks_for d1@example.net)" = 0

# 6. Mailman 3: recognised by headers, no origin (Mailman 3 names none).
h_mkmsg mm3-join rcpt=anne@example.com
r=$(h_send "$MSG" --from "$FROM" --to anne@example.com)
h_check "Mailman 3 confirmation accepted ($r)" grep -q '^250' <<<"$r"
h_wait_for 10 h_at_sink anne@example.com
h_check "with the header, list test@lists.example.org, origin none" \
    h_at_sink anne@example.com '^X-Subgate: accept; .*origin=none; list=test@lists\.example\.org'

# 7. Look-alikes pass untouched and uncounted: every "ignore" fixture.
before=$(grep -c ' decision ' "$H_DIR/subgate.log")
while IFS=$'\t' read -r file mm kind list cookie req from to expect note; do
	[ "$expect" = ignore ] || continue
	r=$(h_send "$MAIL/$file" --from "$from" --to "$to")
	h_check "look-alike $file accepted ($r)" grep -q '^250' <<<"$r"
	h_wait_for 10 h_at_sink "$to" || true
	h_check "look-alike $file delivered without X-Subgate" h_not h_at_sink "$to" '^X-Subgate:'
	h_sink_clear
done < <(tail -n +2 "$MAIL/INDEX.tsv")
h_check "no decision was logged for any look-alike" \
    test "$(grep -c ' decision ' "$H_DIR/subgate.log")" = "$before"

# 8. The subscribe log: a body that names no requester takes the origin
#    from the pending line, written before the mail ...
h_mkmsg mm21-join rcpt=lena@example.com requester=NONE
echo "Dec 03 18:11:33 2026 (4242) mylist: pending Lena <lena@example.com>  198.51.100.77" >>"$log"
r=$(h_send "$MSG" --from "$FROM" --to lena@example.com)
h_check "log line before the mail: accepted ($r)" grep -q '^250' <<<"$r"
h_check "origin from the log" grep -q 'rcpt="lena@example.com" origin=198.51.100.77 source=log' "$H_DIR/subgate.log"
# ... or after it: the mail waits (wait_for_log) for the line.
h_mkmsg mm21-join rcpt=luke@example.com requester=NONE
h_send "$MSG" --from "$FROM" --to luke@example.com >"$H_DIR/late.out" &
sender=$!
h_wait_for 10 grep -q 'waiting for the log: list=mylist rcpt=luke@example.com' "$H_DIR/subgate.log"
echo "Dec 03 18:11:35 2026 (4243) mylist: pending luke@example.com  198.51.100.78" >>"$log"
wait "$sender"
h_check "log line after the mail: accepted ($(cat "$H_DIR/late.out"))" grep -q '^250' "$H_DIR/late.out"
h_check "origin from the late log line" grep -q 'rcpt="luke@example.com" origin=198.51.100.78 source=log' "$H_DIR/subgate.log"

# 9. Rotation mid-run (rename and create): the new file is read from its start.
mv "$log" "$log.1"
: >"$log"
echo "Dec 03 18:11:36 2026 (4244) mylist: pending mia@example.com  198.51.100.79" >>"$log"
h_mkmsg mm21-join rcpt=mia@example.com requester=NONE
r=$(h_send "$MSG" --from "$FROM" --to mia@example.com)
h_check "after a rotation: accepted ($r)" grep -q '^250' <<<"$r"
h_check "origin from the rotated-in log" grep -q 'rcpt="mia@example.com" origin=198.51.100.79 source=log' "$H_DIR/subgate.log"

# 10. Hostile mails: a defined decision and a log line, never a crash.
for f in 50-bad-huge-header 52-bad-unknown-charset 53-bad-no-to 54-bad-rcpt-no-domain 56-bad-control-char; do
	line=$(grep "^$f.eml" "$MAIL/INDEX.tsv")
	from=$(cut -f7 <<<"$line")
	to=$(cut -f8 <<<"$line")
	r=$(h_send "$MAIL/$f.eml" --from "$from" --to "$to")
	h_check "$f: a defined answer ($r)" grep -Eq '^(250|451|550)' <<<"$r"
	h_check "$f: decided and logged" h_wait_for 5 grep -q "rcpt=\"$to\"" "$H_DIR/subgate.log"
done
h_check "the control byte is escaped in the log" h_not grep -q $'\x01' "$H_DIR/subgate.log"
h_check "subgate is still running" kill -0 "$SUBGATE_PID"

# 11. Over a TCP socket (every step answered, DATA sent): a second subgate
#     behind a second Postfix instance; the same outcomes.
h_subgate_conf "socket = inet:$H_MILTER_PORT@127.0.0.1" \
	"state_dir = $H_DIR/state-tcp" "pid_file = $H_DIR/subgate-tcp.pid" \
	"control_socket = $H_DIR/control-tcp.sock" >"$H_DIR/subgate-tcp.conf"
h_spawn subgate-tcp "$SUBGATE" -f -c "$H_DIR/subgate-tcp.conf"
h_wait_for 10 h__listening "$H_MILTER_PORT"
# three_outcomes LABEL TAG - through the current Postfix: plain mail
# untouched, a confirmation accepted with its header, one refused (550)
three_outcomes() {
	local label=$1 tag=$2
	h_mkmsg plain "rcpt=plain-$tag@example.com"
	r=$(h_send "$MSG" --from "$FROM" --to "plain-$tag@example.com")
	h_check "$label: plain mail accepted ($r)" grep -q '^250' <<<"$r"
	h_wait_for 10 h_at_sink "plain-$tag@example.com"
	h_check "$label: plain mail has no X-Subgate header" \
	    h_not h_at_sink "plain-$tag@example.com" '^X-Subgate:'
	h_mkmsg mm21-join "rcpt=join-$tag@example.com" requester=192.0.2.30
	r=$(h_send "$MSG" --from "$FROM" --to "join-$tag@example.com")
	h_check "$label: confirmation accepted ($r)" grep -q '^250' <<<"$r"
	h_wait_for 10 h_at_sink "join-$tag@example.com"
	h_check "$label: it carries X-Subgate: accept" h_at_sink \
	    "join-$tag@example.com" '^X-Subgate: accept; .*origin=192\.0\.2\.30; list=mylist'
	h_mkmsg mm21-join "rcpt=refused-$tag@example.net" list=rejectme \
	    requester=198.51.100.5
	r=$(h_send "$MSG" --from "$FROM" --to "refused-$tag@example.net")
	h_check "$label: reject gives 550 5.7.1 ($r)" \
	    grep -q '^550 5\.7\.1 subgate: ' <<<"$r"
}
h_postfix_start "inet:127.0.0.1:$H_MILTER_PORT"
three_outcomes TCP tcp

# 12. An MTA that cannot skip answers (milter protocol 2: no SMFIP_NR_*,
#     no SMFIP_NODATA) on the unix socket: libmilter answers for subgate.
h_postfix_start "unix:$H_DIR/subgate.sock" "milter_protocol = 2"
three_outcomes "protocol 2" p2
h_check "subgate is still running" kill -0 "$SUBGATE_PID"
h_finish
