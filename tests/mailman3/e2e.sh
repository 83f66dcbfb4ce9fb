#!/bin/bash
# e2e.sh -- the real Mailman 3 end to end: Debian's mailman3 (3.3.8, installed
# with apt-get when missing) asks for confirmations, a private Postfix with
# subgate in smtpd_milters carries them, the harness's sink is the world.
#
# Two Mailman 3 core instances, each with its own config, SQLite database and
# var dir in the work dir, REST and LMTP on free loopback ports, submitting
# by SMTP to that Postfix: "mm" (lists.example.org, verp_confirmations on,
# the runners rest virgin out lmtp command retry, the retry runner waking
# every second) and "noverp" (noverp.example.org, verp_confirmations off, a
# site-wide setting: rest virgin out). Postfix hands both domains to their
# LMTP ports (transport_maps), so mail commands work: join to LIST-join@,
# subscribe to LIST-request@, confirm to LIST-confirm+TOKEN@; requests from
# "remote" clients come in by XCLIENT.
#
# Lists: test (confirm), test2 (confirm_then_moderate, an owner), test-open
# (open), test-de (German), busy, closed and slow on mm; plain and plain-de
# on noverp. Asserted, at the sink, in the hold queue, in subgate's ledger
# and log, in Mailman's logs, queues and database:
#  1. join confirmations are recognised (X-Subgate, a decision line): by
#     REST on confirm, confirm_then_moderate and open lists, English and
#     German, VERP on and off; leave confirmations and invitations (VERP on
#     and off, English and German without VERP, where only the body tells
#     them from a join), welcomes, command results and owner notices are
#     not;
#  2. requests by mail (test-join@, test-request@ "subscribe") are logged as
#     request lines with their SMTP client, and their confirmations carry it
#     (source=smtp, origin the client); a "confirm" command is no request;
#  3. "limit list busy 2/1h hold": the third confirmation is in the hold
#     queue and the ledger; subgatectl quarantine release delivers it;
#  4. "limit domain example.com 2/10s defer": the third is refused with a
#     4xx, Mailman keeps it in its retry queue and retries (retry=1, not
#     counted again), and it is delivered once the window has passed,
#     exactly once;
#  5. "limit list closed 0/1h reject": Mailman logs the 550 as a failed
#     delivery and records a bounce event; nothing reaches the sink.
# Everything started (sink, Postfix, subgate, both Mailman masters and their
# runners) is stopped by PID by the harness's teardown, on success and on
# failure. Environment: SUBGATE, SUBGATECTL, TOP. Root; Debian 12.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/harness.bash"
. "$here/mm3.bash"
: "${SUBGATE:?}" "${SUBGATECTL:?}" "${TOP:?}"

t_start=$SECONDS
mm3_install
t_install=$((SECONDS - t_start))

h_setup
h_sink_start
h_postfix_start "unix:$H_DIR/subgate.sock"
mm3_start mm "$H_PORT" "rest virgin out lmtp command retry" "" \
	$'[runner.retry]\nsleep_time: 1s'
mm3_start noverp "$H_PORT" "rest virgin out" "verp_confirmations: no"
# Owner notices of test2 go out to the world (the sink), so they can be
# looked at; the rest of both domains goes to Mailman's LMTP.
mm3_postfix lists.example.org=mm noverp.example.org=noverp \
	"test2-owner@lists.example.org=smtp:[127.0.0.1]:$H_SINK_PORT"

cat >"$H_DIR/subgate.policy" <<'POL'
limit list busy 2/1h hold
limit list closed 0/1h reject
limit domain example.com 2/10s defer
POL
h_subgate_conf "postfix_config_directory = $H_CONF" \
	"list_domains = lists.example.org, noverp.example.org" "spf = off" \
	"log_level = debug" >"$H_DIR/subgate.conf"
"$SUBGATE" -n -c "$H_DIR/subgate.conf" >/dev/null
h_spawn subgate "$SUBGATE" -f -c "$H_DIR/subgate.conf"
SUBGATE_PID=$H_LAST_PID
h_wait_for 10 test -S "$H_DIR/subgate.sock"
mm3_wait mm
mm3_wait noverp
t_up=$((SECONDS - t_start))

SLOG=$H_DIR/subgate.log
MM=${MM3_DIR[mm]}/var
ctl() { "$SUBGATECTL" -c "$H_DIR/subgate.conf" "$@"; }
rest() { mm3_rest "$@" >/dev/null; }
not() { ! "$@"; }
# sink ARGS - stored messages matching (mm3.py find: --rcpt, --subject, ...)
sink() { "$MM3_PYTHON" "$MM3_TOP/mm3.py" find "$H_SINK_DIR" "$@"; }
has() { sink "$@" >/dev/null; }
# decided RCPT REGEX - a decision line for RCPT matching REGEX (grep -E)
decided() { grep -E "decision .* rcpt=\"$1\" .*$2" "$SLOG" >/dev/null; }
ndecisions() { grep -c "decision .* rcpt=\"$1\" " "$SLOG" || true; }
field() { sed -n "s/.* $1=\"\{0,1\}\([^\" ]*\).*/\1/p"; }
join_subject() { printf '^Your confirmation is needed to join the %s mailing list\\.$' "${1//./\\.}"; }
n=0
# smtp_mail FROM TO SUBJECT BODY [XCLIENT] - a mail from the world to Postfix;
# prints the reply
smtp_mail() {
	n=$((n + 1))
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <req%d.%d@example.net>\nDate: %s\n\n%s\n' \
		"$1" "$2" "$3" "$n" "$$" "$(date -R)" "$4" >"$H_DIR/req$n.eml"
	if [ -n "${5:-}" ]; then
		h_send "$H_DIR/req$n.eml" --from "$1" --to "$2" --xclient "$5" --helo mx.example.net
	else
		h_send "$H_DIR/req$n.eml" --from "$1" --to "$2"
	fi
}
# join INSTANCE LIST_ID ADDRESS... - REST subscriptions that need confirming
join() { "$MM3_PYTHON" "$MM3_TOP/mm3.py" subscribe "${MM3_REST[$1]}" "$2" "${@:3}"; }
# member_id INSTANCE LIST_ID ADDRESS - prints it; false when not a member
member_id() { "$MM3_PYTHON" "$MM3_TOP/mm3.py" member-id "${MM3_REST[$1]}" "$2" "$3"; }
is_member() { member_id "$@" >/dev/null; }
held() { h_hold_ids | grep -x "$1" >/dev/null; }

# ---------------------------------------------------------------- lists
rest mm POST /domains mail_host=lists.example.org
rest noverp POST /domains mail_host=noverp.example.org
for l in test test2 test-open test-de busy closed slow; do
	rest mm POST /lists "fqdn_listname=$l@lists.example.org"
done
for l in plain plain-de; do
	rest noverp POST /lists "fqdn_listname=$l@noverp.example.org"
done
rest mm PATCH /lists/test2.lists.example.org/config subscription_policy=confirm_then_moderate
rest mm POST /members list_id=test2.lists.example.org subscriber=owner@example.org role=owner
rest mm PATCH /lists/test-open.lists.example.org/config subscription_policy=open
rest mm PATCH /lists/test-de.lists.example.org/config preferred_language=de
rest noverp PATCH /lists/plain-de.noverp.example.org/config preferred_language=de

# ---------------------------------------------------------------- requests
# Everything that does not depend on an earlier answer is asked at once.
# 4: three confirmations to example.com on "slow" (the window runs while
# the rest goes on). A deferred mail sits in Mailman's retry queue only
# between two retries (up to a second): a watcher started first notes it
# there, so the check below cannot miss it on a slow machine.
h_spawn retrywatch "$H_PY" -S -c '
import glob, os, sys, time
q, seen = sys.argv[1], sys.argv[2]
while not glob.glob(os.path.join(q, "*.pck")):
    time.sleep(0.01)
open(seen, "w").write("seen\n")' "$MM/queue/retry" "$H_DIR/retry.seen"
join mm slow.lists.example.org d1@example.com d2@example.com d3@example.com
# 1: join confirmations by REST on every kind of list.
join mm test.lists.example.org anne@example.net
join mm test2.lists.example.org erin@example.net
join mm test-open.lists.example.org olga@example.net
join mm test-de.lists.example.org dora@example.net
join noverp plain.noverp.example.org frank@example.net
join noverp plain-de.noverp.example.org dieter@example.net
# ... an invitation; members made at once (welcome), who then ask to leave.
rest mm POST /members list_id=test.lists.example.org subscriber=ivan@example.net invitation=true
rest mm POST /members list_id=test.lists.example.org subscriber=leo@example.net \
	pre_verified=true pre_confirmed=true pre_approved=true
rest noverp POST /members list_id=plain.noverp.example.org subscriber=mia@example.net \
	pre_verified=true pre_confirmed=true pre_approved=true
rest noverp POST /members list_id=plain-de.noverp.example.org subscriber=lena@example.net \
	pre_verified=true pre_confirmed=true pre_approved=true
rest mm DELETE "/members/$(member_id mm test.lists.example.org leo@example.net)" pre_confirmed=false
rest noverp DELETE "/members/$(member_id noverp plain.noverp.example.org mia@example.net)" pre_confirmed=false
rest noverp DELETE "/members/$(member_id noverp plain-de.noverp.example.org lena@example.net)" pre_confirmed=false
# ... and invitations with VERP off, in English and German.
rest noverp POST /members list_id=plain.noverp.example.org subscriber=ina@example.net invitation=true
rest noverp POST /members list_id=plain-de.noverp.example.org subscriber=inge@example.net invitation=true
# 3: three confirmations on "busy"; 5: one on "closed".
join mm busy.lists.example.org h1@example.org h2@example.org h3@example.org
join mm closed.lists.example.org rita@example.org
# 2: requests by mail from two "remote" clients.
r=$(smtp_mail gina@example.net test-join@lists.example.org "" "" 198.51.100.7)
h_check "join by mail to test-join@ accepted by Postfix ($r)" grep -q '^250 ' <<<"$r"
r=$(smtp_mail hank@example.net test-request@lists.example.org subscribe "" 198.51.100.8)
h_check "subscribe by mail to test-request@ accepted by Postfix ($r)" grep -q '^250 ' <<<"$r"

# ---------------------------------------------------------------- 1. recognised
TEST=test@lists.example.org
for who in anne@example.net:$TEST erin@example.net:test2@lists.example.org \
	olga@example.net:test-open@lists.example.org dora@example.net:test-de@lists.example.org; do
	rcpt=${who%%:*}
	list=${who#*:}
	h_wait_for 20 has --rcpt "$rcpt" --subject "$(join_subject "$list")" || true
	h_check "$list: join confirmation to $rcpt at the sink, X-Subgate: accept" \
		has --rcpt "$rcpt" --subject "$(join_subject "$list")" --with X-Subgate
	h_check "$list: decision line for $rcpt (mailman=3, origin none, accept)" \
		decided "$rcpt" "origin=none source=none action=accept "
	h_check "$list: logged as list=\"$list\"" \
		grep -q "decision .* mailman=3 list=\"$list\" rcpt=\"$rcpt\"" "$SLOG"
done
f=$(sink --rcpt dora@example.net | sed -n 1p)
h_check "German list: the body is UTF-8 base64 (as Mailman sends it)" \
	grep -q '^Content-Transfer-Encoding: base64' "$f"
h_check "German list: the Subject is RFC 2047-encoded" grep -q '^Subject: =?utf-8?q?Your_confirmation' "$f"
for rcpt in frank dieter; do
	h_wait_for 20 has --rcpt "$rcpt@example.net" --subject '^confirm [0-9a-f]{40}$' || true
	h_check "VERP off: 'confirm TOKEN' confirmation to $rcpt at the sink, X-Subgate: accept" \
		has --rcpt "$rcpt@example.net" --subject '^confirm [0-9a-f]{40}$' --from -request@noverp --with X-Subgate
	h_check "VERP off: decision line for $rcpt" decided "$rcpt@example.net" "origin=none source=none action=accept "
done
for rcpt in dora dieter; do
	h_check "German list: $rcpt's confirmation is in German" \
		has --rcpt "$rcpt@example.net" --body '^Adress-Bestätigung zur Anmeldung$'
done
h_check "X-Subgate names the list and no origin" \
	grep -q '^X-Subgate: accept; reason="no limit reached"; origin=none; list=test@lists.example.org$' \
	"$(sink --rcpt anne@example.net | sed -n 1p)"

# Not confirmations: each reaches the sink untouched, with no decision.
h_wait_for 20 has --rcpt ivan@example.net || true
h_check "invitation at the sink without X-Subgate" \
	has --rcpt ivan@example.net --subject '^You have been invited to join the test@' --without X-Subgate
for who in leo@example.net:'^Your confirmation is needed to leave the test@' \
	mia@example.net:'^confirm [0-9a-f]{40}$'; do
	rcpt=${who%%:*}
	h_wait_for 20 has --rcpt "$rcpt" --subject "${who#*:}" || true
	h_check "leave confirmation to $rcpt at the sink without X-Subgate" \
		has --rcpt "$rcpt" --subject "${who#*:}" --without X-Subgate
	h_check "welcome to $rcpt at the sink without X-Subgate" \
		has --rcpt "$rcpt" --subject '^Welcome to the ' --without X-Subgate
	h_check "no decision for $rcpt" test "$(ndecisions "$rcpt")" = 0
done
h_check "no decision for the invitation" test "$(ndecisions ivan@example.net)" = 0
for rcpt in ina inge; do
	h_wait_for 20 has --rcpt "$rcpt@example.net" || true
	h_check "VERP off: invitation to $rcpt ('confirm TOKEN') at the sink without X-Subgate" \
		has --rcpt "$rcpt@example.net" --subject '^confirm [0-9a-f]{40}$' --without X-Subgate
	h_check "VERP off: no decision for the invitation to $rcpt" test "$(ndecisions "$rcpt@example.net")" = 0
done
h_wait_for 20 has --rcpt lena@example.net --subject '^confirm [0-9a-f]{40}$' || true
h_check "VERP off: German leave confirmation to lena at the sink without X-Subgate" \
	has --rcpt lena@example.net --subject '^confirm [0-9a-f]{40}$' --body '^Adress-Bestätigung zur Abmeldung$' --without X-Subgate
h_check "VERP off: no decision for lena" test "$(ndecisions lena@example.net)" = 0
h_check "VERP off: mia's leave confirmation looks like a join but for its body" \
	has --rcpt mia@example.net --subject '^confirm [0-9a-f]{40}$' --from -request@noverp \
	--body '^Email Address Unsubscription Confirmation$' --with Auto-Submitted

# anne confirms by mail (reply to the VERP address, through Postfix and
# LMTP): Mailman's welcome is no confirmation.
token=$("$MM3_PYTHON" "$MM3_TOP/mm3.py" token "$(sink --rcpt anne@example.net | sed -n 1p)")
r=$(smtp_mail anne@example.net "test-confirm+$token@lists.example.org" "Re: confirm" "")
h_check "anne's confirmation reply accepted by Postfix ($r)" grep -q '^250 ' <<<"$r"
h_wait_for 20 has --rcpt anne@example.net --subject '^Welcome to the ' || true
h_check "anne is welcomed (a member), without X-Subgate" \
	has --rcpt anne@example.net --subject '^Welcome to the ' --without X-Subgate
h_check "anne is a member according to Mailman's REST API" \
	is_member mm test.lists.example.org anne@example.net
h_check "still one decision for anne (her join confirmation)" test "$(ndecisions anne@example.net)" = 1

# erin confirms on the confirm_then_moderate list by a "confirm" command to
# test2-request@: Mailman holds her for the moderator and notifies the owner.
token=$("$MM3_PYTHON" "$MM3_TOP/mm3.py" token "$(sink --rcpt erin@example.net | sed -n 1p)")
r=$(smtp_mail erin@example.net test2-request@lists.example.org "Re: confirmation" "confirm $token")
h_check "erin's confirm command accepted by Postfix ($r)" grep -q '^250 ' <<<"$r"
h_wait_for 20 has --rcpt test2-owner@lists.example.org || true
h_check "owner notice at the sink without X-Subgate" \
	has --rcpt test2-owner@lists.example.org --subject '^New subscription request to Test2 from erin@example.net' --without X-Subgate
h_wait_for 20 has --rcpt erin@example.net --subject '^The results of your email commands' || true
h_check "command results to erin at the sink without X-Subgate" \
	has --rcpt erin@example.net --subject '^The results of your email commands' --without X-Subgate
h_check "Mailman holds erin for the moderator (mailman.log)" \
	grep -q 'test2@lists.example.org: held subscription request from erin@example.net' "$MM/logs/mailman.log"
h_check "no decision for the owner notice" test "$(ndecisions test2-owner@lists.example.org)" = 0
h_check "still one decision for erin" test "$(ndecisions erin@example.net)" = 1
h_check "a confirm command is no request by mail" not grep -q 'request .*requester="erin@example.net"' "$SLOG"

# ---------------------------------------------------------------- 2. by mail
for who in gina:198.51.100.7:test-join hank:198.51.100.8:test-request; do
	IFS=: read -r u ip via <<<"$who"
	h_check "$via@: request line with the SMTP client $ip" grep -Eq \
		"request list=\"test\" requester=\"$u@example.net\" client=$ip helo=\"mx.example.net\" sender=\"$u@example.net\" spf=none action=accept" "$SLOG"
	h_wait_for 20 has --rcpt "$u@example.net" --subject "$(join_subject $TEST)" || true
	h_check "$via@: $u's confirmation at the sink, X-Subgate with origin $ip" \
		grep -q "^X-Subgate: accept; .*origin=$ip; list=test@lists.example.org" \
		"$(sink --rcpt "$u@example.net" --subject "$(join_subject $TEST)" | sed -n 1p)"
	h_check "$via@: its decision line says source=smtp, origin $ip" \
		decided "$u@example.net" "origin=$ip source=smtp action=accept "
done
h_wait_for 20 has --rcpt hank@example.net --subject '^The results of your email commands' || true
h_check "command results to hank at the sink without X-Subgate" \
	has --rcpt hank@example.net --subject '^The results of your email commands' --without X-Subgate
h_check "one decision for hank (not for his command results)" test "$(ndecisions hank@example.net)" = 1

# ---------------------------------------------------------------- 3. hold
busy_decided() { [ "$(grep -c 'decision .* list="busy@lists.example.org"' "$SLOG")" -ge 3 ]; }
h_wait_for 30 busy_decided || true
h_check "busy: two accepted" test "$(grep -c 'decision .* list="busy@lists.example.org" .* action=accept ' "$SLOG")" = 2
line=$(grep 'decision .* list="busy@lists.example.org" .* action=hold ' "$SLOG" || true)
h_check "busy: the third held by its rule" grep -q 'rule="limit list busy 2/1h hold"' <<<"$line"
qid=$(field qid <<<"$line")
held_rcpt=$(field rcpt <<<"$line")
h_check "busy: $held_rcpt ($qid) is in the hold queue" h_wait_for 10 held "$qid"
h_check "busy: it did not reach the sink" not has --rcpt "$held_rcpt"
ctl quarantine list --json >"$H_DIR/quarantine.json"
h_check "busy: the ledger has it, with its list, recipient and rule" "$MM3_PYTHON" -c '
import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["id"] == sys.argv[2]]
ok = len(rows) == 1 and rows[0]["list"] == "busy@lists.example.org" and \
    rows[0]["recipient"] == sys.argv[3] and rows[0]["rule"].startswith("limit list busy 2/1h hold") and \
    rows[0]["state"] == "held"
sys.exit(0 if ok else "ledger: %r" % rows)' "$H_DIR/quarantine.json" "$qid" "$held_rcpt"
ctl quarantine release "$qid" >"$H_DIR/release.out" 2>&1
h_check "busy: subgatectl quarantine release says released" grep -qx "$qid released" "$H_DIR/release.out"
h_check "busy: released, it reaches the sink" h_wait_for 20 has --rcpt "$held_rcpt" --subject "$(join_subject busy@lists.example.org)"
h_check "busy: the ledger says released" grep -q "\"id\":\"$qid\".*\"state\":\"released\"" <(ctl quarantine list --state all --json)
h_check "busy: no second decision after the release" test "$(ndecisions "$held_rcpt")" = 1

# ---------------------------------------------------------------- 5. reject
h_wait_for 20 decided rita@example.org "action=reject" || true
h_check "closed: rejected by its rule" decided rita@example.org 'action=reject rule="limit list closed 0/1h reject"'
h_check "closed: Mailman logs the failed delivery (smtp.log, 550)" \
	h_wait_for 10 grep -q 'delivery to rita@example.org failed with code 550' "$MM/logs/smtp.log"
h_check "closed: Mailman records a bounce event for rita" "$MM3_PYTHON" -c '
import sqlite3, sys
n = sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM bounceevent WHERE email = ?", (sys.argv[2],)).fetchone()[0]
sys.exit(0 if n == 1 else "bounce events: %d" % n)' "$MM/data/mailman.db" rita@example.org
h_check "closed: Postfix logged the milter's reject" \
	h_maillog_grep -q 'milter-reject: END-OF-MESSAGE .*: 5\.7\.1 subgate: subscription confirmation refused .* to=<rita@example\.org>'
h_check "closed: nothing reached the sink for rita" not has --rcpt rita@example.org

# ---------------------------------------------------------------- 4. defer
retry_queued() { test -s "$H_DIR/retry.seen"; }
h_wait_for 30 grep -q 'decision .* list="slow@lists.example.org" .* action=defer ' "$SLOG" || true
line=$(grep -m1 'decision .* list="slow@lists.example.org" .* action=defer ' "$SLOG" || true)
h_check "slow: one of three deferred by the domain limit" \
	grep -q 'rule="limit domain example.com 2/10s defer" key="example.com"' <<<"$line"
late=$(field rcpt <<<"$line")
msgid=$(sed -n 's/.* msgid="\([^"]*\)".*/\1/p' <<<"$line")
# (By recipient: on a slow machine the window may already have passed and
# the deferred one been delivered too.)
others=()
for r in d1@example.com d2@example.com d3@example.com; do
	[ "$r" = "$late" ] || others+=("$r")
done
h_check "slow: the other two delivered with X-Subgate" \
	h_wait_for 20 eval 'has --rcpt "${others[0]}" --with X-Subgate && has --rcpt "${others[1]}" --with X-Subgate'
h_check "slow: Mailman logs the 451 as a failed delivery" \
	h_wait_for 10 grep -q "delivery to $late failed with code 451" "$MM/logs/smtp.log"
h_check "slow: Mailman put it in its retry queue" h_wait_for 15 retry_queued
h_check "slow: Mailman's retries are known as retries (retry=1, still deferred)" \
	h_wait_for 10 decided "$late" 'action=defer .* retry=1 '
h_check "slow: delivered once the window has passed" h_wait_for 30 has --rcpt "$late"
h_check "slow: its last decision is accept, as a retry" decided "$late" 'action=accept .* retry=1 '
# subgate's windows count in whole seconds: 2/10s lets the third out 9 to
# 10 s after the first.
stamp() { date -d "$(cut -d' ' -f1 <<<"$1")" +%s.%N; }
first=$(grep -m1 'decision .* list="slow@lists.example.org" .* action=accept ' "$SLOG")
last=$(grep "decision .* rcpt=\"$late\" .* action=accept " "$SLOG" | tail -1)
h_check "slow: the window had passed (9 s or more after the first)" \
	awk -v a="$(stamp "$first")" -v b="$(stamp "$last")" 'BEGIN { exit !(b - a >= 9) }'
mm_idle() {
	! compgen -G "$MM/queue/retry/*.pck" >/dev/null && ! compgen -G "$MM/queue/out/*.pck" >/dev/null &&
		grep -Eq "$msgid post to slow@lists\.example\.org from .*, [0-9]+ bytes\$" "$MM/logs/smtp.log"
}
h_check "slow: Mailman logs the delivery and its queues are empty" h_wait_for 10 mm_idle
h_check "slow: delivered exactly once" test "$(sink --rcpt "$late" | wc -l)" = 1
h_check "slow: accepted exactly once" \
	test "$(grep -c "decision .* rcpt=\"$late\" .* action=accept " "$SLOG")" = 1

# ---------------------------------------------------------------- the rest
h_check "no mail left in Postfix's queues but nothing held" test -z "$(h_queue_ids)"
h_check "subgate is still running" kill -0 "$SUBGATE_PID"
h_check "both Mailman masters are still running" kill -0 "${MM3_PID[mm]}" "${MM3_PID[noverp]}"
echo "time: mailman3 install ${t_install}s, everything up $((t_up - t_install))s, tests $((SECONDS - t_up))s"
h_finish
