#!/bin/bash
# sendmail.sh -- subgate behind a real Sendmail 8.17 (Debian 12's
# sendmail-bin, unpacked into the work dir: it cannot be installed beside
# Postfix), configured with the lines of contrib/sendmail/subgate.mc
# (INPUT_MAIL_FILTER, F=T), relaying to the harness's SMTP sink. Asserts
# what Sendmail did: accept with the X-Subgate header at the sink; 451 and
# 550 to the client; a hold as Sendmail's quarantine (mailq -qQ shows it
# with subgate's reason, nothing reaches the sink), released as the README
# says (sendmail -qQ -qIID -Q) and then delivered; a dead subgate
# tempfails (F=T).
# The .debs come from contrib/setup-debian.sh --test (SENDMAIL_DEBS).
# Environment: SUBGATE (the daemon), SUBGATECTL, TOP (source tree).
set -euo pipefail
. "$(dirname "$0")/harness.bash"
: "${SUBGATE:?}" "${SUBGATECTL:?}" "${TOP:?}"
debs=${SENDMAIL_DEBS:-/var/cache/subgate-tests/sendmail}

h_setup
shopt -s nullglob
pkgs=("$debs"/sendmail-bin_*.deb "$debs"/sendmail-base_*.deb "$debs"/sendmail-cf_*.deb)
shopt -u nullglob
if [ "${#pkgs[@]}" -ne 3 ]; then
	h__log "no Sendmail packages in $debs: run contrib/setup-debian.sh --test"
	exit 1
fi
sm=$H_DIR/sm
for p in "${pkgs[@]}"; do dpkg-deb -x "$p" "$sm"; done
SENDMAIL=$sm/usr/libexec/sendmail/sendmail
cf=$sm/usr/share/sendmail/cf

h_sink_start
cat >"$H_DIR/subgate.policy" <<'POL'
limit ip 2/1h hold
limit list rejectme 0/1h reject
limit domain yahoo.com 0/1h defer
POL
# Sendmail refuses a milter socket in a directory others can write: the
# socket gets its own 0755 directory.
mkdir -m 755 "$H_DIR/run"
h_subgate_conf "socket = unix:$H_DIR/run/subgate.sock" "group = root" \
	"log_level = debug" "mta = sendmail" >"$H_DIR/subgate.conf"
h_spawn subgate "$SUBGATE" -f -c "$H_DIR/subgate.conf"
SUBGATE_PID=$H_LAST_PID
h_wait_for 10 test -S "$H_DIR/run/subgate.sock"

# sendmail.cf: a relay for 127.0.0.1 to the sink, its queue in the work
# dir, no DNS; the milter lines are the shipped snippet's, socket moved.
port=$(h_free_port)
mkdir -m 700 "$H_DIR/mqueue"
printf 'hosts files\n' >"$H_DIR/service.switch"
printf '127.0.0.1 localhost\n127.0.0.1 mx.test.example mx\n' >"$H_DIR/hosts"
sed "s|unix:/run/subgate/subgate.sock|unix:$H_DIR/run/subgate.sock|" \
	"$TOP/contrib/sendmail/subgate.mc" >"$H_DIR/subgate.mc"
h_check "the shipped snippet names the socket that was replaced" \
	grep -q "S=unix:$H_DIR/run/subgate.sock" "$H_DIR/subgate.mc"
cat >"$H_DIR/sendmail.mc" <<MC
divert(-1)
divert(0)dnl
include(\`$cf/m4/cf.m4')dnl
VERSIONID(\`subgate test')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.test.example')dnl
define(\`QUEUE_DIR', \`$H_DIR/mqueue')dnl
define(\`confPID_FILE', \`$H_DIR/sendmail.pid')dnl
define(\`STATUS_FILE', \`$H_DIR/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`HELP_FILE', \`')dnl
dnl The work dir is below /tmp (world-writable, sticky): trust the bit.
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confSERVICE_SWITCH_FILE', \`$H_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`$H_DIR/hosts')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confTO_CONNECT', \`5s')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $H_SINK_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $H_SINK_PORT')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $H_SINK_PORT')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
include(\`$H_DIR/subgate.mc')dnl
MAILER(\`smtp')dnl
MC
m4 "$H_DIR/sendmail.mc" >"$H_DIR/sendmail.cf"
# SM: Sendmail with this cf, in a mount and UTS namespace of its own where
# the host is mx.test.example and /etc/hosts knows it (Sendmail looks its
# own name up at every start; the machine's may need DNS). Every step
# execs, so the daemon keeps the PID h_spawn recorded (its title changes,
# so the teardown could not find it by its command line).
SM=(unshare -m -u sh -c 'mount --bind "$1" /etc/hosts &&
	hostname mx.test.example && shift && exec "$@"' sh "$H_DIR/hosts"
	"$SENDMAIL" -C "$H_DIR/sendmail.cf")
sm() { "${SM[@]}" "$@"; }
h_spawn sendmail "${SM[@]}" -bD -L sm-subgate-test
h_wait_for 15 h__listening "$port"
H_PORT=$port

# sm_qid "250 2.0.0 ID Message accepted for delivery" - print ID
sm_qid() { sed -n 's/^250 [0-9.]* \([0-9A-Za-z]*\) Message accepted.*/\1/p' <<<"$1"; }

# 1. Ordinary mail: through, untouched.
h_mkmsg plain rcpt=carl@example.com
r=$(h_send "$MSG" --from "$FROM" --to carl@example.com)
h_check "plain mail accepted ($r)" grep -q '^250' <<<"$r"
h_check "and delivered" h_wait_for 20 h_at_sink carl@example.com
h_check "without an X-Subgate header" h_not h_at_sink carl@example.com '^X-Subgate:'

# 2. A confirmation under every limit: delivered with the header.
h_mkmsg mm21-join rcpt=alice@example.com requester=192.0.2.10
r=$(h_send "$MSG" --from "$FROM" --to alice@example.com)
h_check "confirmation accepted ($r)" grep -q '^250' <<<"$r"
h_check "delivered with X-Subgate: accept" \
	h_wait_for 20 h_at_sink alice@example.com '^X-Subgate: accept; .*origin=192\.0\.2\.10; list=mylist'

# 3. limit ip 2/1h hold: two go out, the third is held, in Sendmail's
#    quarantine: mailq -qQ lists it with subgate's reason; nothing at the
#    sink; the ledger has it, as held by Sendmail.
for i in 1 2 3; do
	h_mkmsg mm21-join rcpt=v$i@example.org requester=203.0.113.7
	r=$(h_send "$MSG" --from "$FROM" --to "v$i@example.org")
	h_check "request $i from 203.0.113.7 gets 250 ($r)" grep -q '^250' <<<"$r"
	qid[i]=$(sm_qid "$r")
done
for i in 1 2; do
	h_check "request $i delivered" h_wait_for 20 h_at_sink "v$i@example.org" '^X-Subgate: accept'
done
h_check "request 3 held" h_wait_for 10 h_decided v3@example.org hold
sm -bp -qQ >"$H_DIR/quarantine.txt" 2>&1 || true
h_check "mailq -qQ lists it (${qid[3]})" grep -q "^${qid[3]}" "$H_DIR/quarantine.txt"
h_check "with subgate's reason" grep -q 'QUARANTINE: subgate: limit ip 2/1h hold (203\.0\.113\.7)$' "$H_DIR/quarantine.txt"
h_check "its queue file carries it" grep -qx 'qsubgate: limit ip 2/1h hold (203.0.113.7)' "$H_DIR/mqueue/hf${qid[3]}"
h_check "it did not reach the sink" test "$(h_sinks_for v3@example.org)" = 0
h_check "the ledger has it, held by Sendmail ($(h_ledger "${qid[3]}" 'mta, state'))" \
	test "$(h_ledger "${qid[3]}" 'mta, state')" = "sendmail held"
ctl() { "$SUBGATECTL" -c "$H_DIR/subgate.conf" "$@"; }
ctl quarantine list --json >"$H_DIR/list.json"
h_check "subgatectl quarantine list shows it, mta sendmail" \
	grep -q "\"id\":\"${qid[3]}\",\"time\":[0-9]*,\"mta\":\"sendmail\"" "$H_DIR/list.json"
rc=0
ctl quarantine release "${qid[3]}" >/dev/null 2>"$H_DIR/release.err" || rc=$?
h_check "subgatectl quarantine release refuses behind Sendmail (exit $rc)" test "$rc" = 2
h_check "and says what to use" grep -q 'mta = sendmail.*sendmail -qQ -qIID -Q' "$H_DIR/release.err"

# 4. Released as the README says: "sendmail -qQ -qIID -Q" clears the
#    quarantine; a queue run then delivers it (the milter is not asked
#    again: no second decision).
decisions=$(grep -c ' decision ' "$H_DIR/subgate.log")
sm -qQ -qI"${qid[3]}" -Q >"$H_DIR/release.out" 2>&1 || true
sm -bp -qQ >"$H_DIR/quarantine2.txt" 2>&1 || true
h_check "mailq -qQ ran again" grep -q "$H_DIR/mqueue" "$H_DIR/quarantine2.txt"
h_check "and no longer lists it" h_not grep -q "^${qid[3]}" "$H_DIR/quarantine2.txt"
sm -q -qI"${qid[3]}" >"$H_DIR/run.out" 2>&1 || true
h_check "delivered after the release" h_wait_for 20 h_at_sink v3@example.org
h_check "saying why it was held" h_at_sink v3@example.org \
	'^X-Subgate: hold; reason="limit ip 2/1h hold \(203\.0\.113\.7\)"; origin=203\.0\.113\.7; list=mylist$'
h_check "without a second decision" test "$(grep -c ' decision ' "$H_DIR/subgate.log")" = "$decisions"

# 5. defer (yahoo.com 0/1h) and reject (list rejectme) reach the client.
h_mkmsg mm21-join rcpt=y1@yahoo.com requester=198.51.100.1
r=$(h_send "$MSG" --from "$FROM" --to y1@yahoo.com)
h_check "defer: 451 4.7.1 ($r)" grep -q '^451 4\.7\.1 subgate: ' <<<"$r"
h_mkmsg mm21-join rcpt=r1@example.net list=rejectme requester=198.51.100.3
r=$(h_send "$MSG" --from "$FROM" --to r1@example.net)
h_check "reject: 550 5.7.1 ($r)" grep -q '^550 5\.7\.1 subgate: ' <<<"$r"

# 6. F=T: with subgate gone, Sendmail tempfails instead of passing mail.
h_kill "$SUBGATE_PID"
h_mkmsg mm21-join rcpt=late@example.com requester=192.0.2.99
r=$(h_send "$MSG" --from "$FROM" --to late@example.com)
h_check "subgate down: 4xx ($r)" grep -q '^4[0-9][0-9] ' <<<"$r"
h_finish
