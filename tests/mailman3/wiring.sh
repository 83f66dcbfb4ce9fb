#!/bin/bash
# wiring.sh -- the README's production wiring of Mailman 3 + Postfix + subgate,
# as written there, with the real Mailman 3 and a private Postfix.
#
# e2e.sh wires Postfix to Mailman with inline maps it writes itself (Mailman's
# NullMTA). A site does what the README's "Subgate in front of Debian Mailman
# 3 + Postfix" says instead: Mailman's default incoming MTA
# (mailman.mta.postfix.LMTP) writes postfix_lmtp and postfix_domains and runs
# postmap on them whenever a list is created, and main.cf points at those
# maps. This test takes that main.cf block out of README.md itself (so the
# README cannot drift from what is tested), changes only Mailman's data
# directory in it and applies it to the harness's Postfix, whose smtpd and
# cleanup run chrooted in its queue directory as Debian's do (so the
# milter socket line is taken as written, below the queue directory), with
# Postfix's defaults for the milter macros (the harness's own macro lines
# are removed) and Debian's relay restrictions.
# Asserted:
#  1. the block is there and every line of it is taken by postconf;
#  2. Mailman wrote both maps and their .db files (postmap ran), and Postfix
#     reads the list addresses and the domain from them;
#  3. a request by mail from a "remote" client (XCLIENT) to LIST-join@ goes
#     through those maps to Mailman's LMTP, and its confirmation comes back
#     through subgate, which ties it to that client (source=smtp): at the
#     sink with X-Subgate;
#  4. a web (REST) request's confirmation is decided too (origin none);
#  5. a list created while everything runs is reached by mail without a
#     Postfix reload: Mailman's postmap alone wires it, once Postfix's
#     resolver has seen the new map (seconds; see below);
#  6. with "limit list late 1/1h reject" from the README's subgate.conf
#     and policy, a second confirmation for that list is refused (Mailman
#     logs the 550) and never reaches the sink.
# Environment: SUBGATE, SUBGATECTL, TOP. Root; Debian 12.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/harness.bash"
. "$here/mm3.bash"
: "${SUBGATE:?}" "${SUBGATECTL:?}" "${TOP:?}"

mm3_install
h_setup
h_sink_start
# Debian's Postfix runs smtpd chrooted in its queue directory: so does
# this one, and the socket is where the README puts it, below the queue
# directory (/var/spool/postfix/subgate there, pf1/queue/subgate here).
sockdir=$H_DIR/pf1/queue/subgate
mkdir -p "$sockdir"
chmod 755 "$H_DIR/pf1" "$H_DIR/pf1/queue" "$sockdir"
H_CHROOT=1 h_postfix_start "unix:/subgate/subgate.sock"

# Mailman with its default incoming MTA; postmap writes the maps in the
# format of this Postfix instance (production runs the bare
# /usr/sbin/postmap of the system's Postfix).
cat >"$H_DIR/postfix.cfg" <<EOF
[postfix]
postmap_command: /usr/sbin/postmap -c $H_CONF
transport_file_type: hash
EOF
mm3_start prod "$H_PORT" "rest virgin out lmtp command" \
	$'incoming: mailman.mta.postfix.LMTP\nconfiguration: '"$H_DIR/postfix.cfg"
MM=${MM3_DIR[prod]}/var

cat >"$H_DIR/subgate.policy" <<'POL'
limit list late 1/1h reject
POL
# the README's subgate.conf for Mailman 3, with this run's paths
h_subgate_conf "socket = unix:$sockdir/subgate.sock" \
	"postfix_config_directory = $H_CONF" "subscribe_log =" \
	"list_domains = lists.example.org" "spf = off" >"$H_DIR/subgate.conf"
"$SUBGATE" -n -c "$H_DIR/subgate.conf" >/dev/null
h_spawn subgate "$SUBGATE" -f -c "$H_DIR/subgate.conf"
SUBGATE_PID=$H_LAST_PID
h_wait_for 10 test -S "$sockdir/subgate.sock"
mm3_wait prod
SLOG=$H_DIR/subgate.log

# Lists first: Postfix must not look at maps that do not exist yet.
rest() { mm3_rest prod "$@" >/dev/null; }
rest POST /domains mail_host=lists.example.org
rest POST /lists fqdn_listname=test@lists.example.org

# ---------------------------------------------------------------- 1. README
# The fenced block after the line "`/etc/postfix/main.cf`:".
awk '/^`\/etc\/postfix\/main\.cf`:/ { at = 1; next }
	at == 1 && /^```/ { at = 2; next }
	at == 2 && /^```/ { exit }
	at == 2 && !/^#/ && NF { print }' "$TOP/README.md" >"$H_DIR/readme-main.cf"
n=$(wc -l <"$H_DIR/readme-main.cf")
h_check "README: the main.cf block has its settings ($n lines)" test "$n" -ge 9
for key in transport_maps relay_domains local_recipient_maps smtpd_milters milter_default_action; do
	h_check "README: the block sets $key" grep -q "^$key = " "$H_DIR/readme-main.cf"
done
h_check "README: the milter socket as a chrooted smtpd sees it" \
	grep -qx 'smtpd_milters = unix:/subgate/subgate.sock' "$H_DIR/readme-main.cf"
sed -e "s|/var/lib/mailman3/data/|$MM/data/|g" \
	"$H_DIR/readme-main.cf" >"$H_DIR/site-main.cf"
mapfile -t settings <"$H_DIR/site-main.cf"
# Postfix's own macro defaults; Debian's relay restrictions (the harness's
# are stricter); XCLIENT from loopback so a test can stand in for a remote
# client; the lmtp service of Debian's master.cf.
postconf -c "$H_CONF" -X milter_connect_macros milter_helo_macros milter_mail_macros \
	milter_rcpt_macros milter_data_macros milter_end_of_header_macros
postconf -c "$H_CONF" -M 'lmtp/unix=lmtp unix - - n - - lmtp'
h_check "README: postconf takes every line of the block" h_postconf "${settings[@]}" \
	'smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination' \
	'smtpd_authorized_xclient_hosts = 127.0.0.1'
h_check "Postfix: transport_maps is Mailman's postfix_lmtp" \
	test "$(postconf -c "$H_CONF" -h transport_maps)" = "hash:$MM/data/postfix_lmtp"
h_check "Postfix: the configuration passes postfix check" postfix -c "$H_CONF" check

# ---------------------------------------------------------------- 2. maps
for m in postfix_lmtp postfix_domains; do
	h_check "Mailman wrote $m and ran postmap on it" test -s "$MM/data/$m" -a -s "$MM/data/$m.db"
done
lmtp="lmtp:[127.0.0.1]:${MM3_LMTP[prod]}"
h_check "Postfix reads test-join@ from postfix_lmtp: $lmtp" test \
	"$(postmap -c "$H_CONF" -q test-join@lists.example.org "hash:$MM/data/postfix_lmtp")" = "$lmtp"
domain_mapped() { postmap -c "$H_CONF" -q lists.example.org "hash:$MM/data/postfix_domains" >/dev/null; }
h_check "Postfix reads the domain from postfix_domains" domain_mapped

# ---------------------------------------------------------------- 3. by mail
sink() { "$MM3_PYTHON" "$MM3_TOP/mm3.py" find "$H_SINK_DIR" "$@"; }
has() { sink "$@" >/dev/null; }
decided() { grep -E "decision .* rcpt=\"$1\" .*$2" "$SLOG" >/dev/null; }
join_subject() { printf '^Your confirmation is needed to join the %s mailing list\\.$' "${1//./\\.}"; }
n=0
# smtp_mail FROM TO CLIENT - a join request from the world; prints the reply
smtp_mail() {
	n=$((n + 1))
	printf 'From: %s\nTo: %s\nSubject: \nMessage-ID: <req%d.%d@example.net>\nDate: %s\n\n\n' \
		"$1" "$2" "$n" "$$" "$(date -R)" >"$H_DIR/req$n.eml"
	h_send "$H_DIR/req$n.eml" --from "$1" --to "$2" --xclient "$3" --helo mx.example.net
}
r=$(smtp_mail gina@example.net test-join@lists.example.org 198.51.100.7)
h_check "test-join@ accepted by Postfix ($r)" grep -q '^250 ' <<<"$r"
h_check "Postfix handed it to Mailman's LMTP through postfix_lmtp" h_wait_for 20 \
	h_maillog_grep "to=<test-join@lists\.example\.org>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:${MM3_LMTP[prod]}, .*status=sent"
h_wait_for 20 has --rcpt gina@example.net --subject "$(join_subject test@lists.example.org)" || true
f=$(sink --rcpt gina@example.net --subject "$(join_subject test@lists.example.org)" | sed -n 1p) || f=
h_check "gina's confirmation at the sink, X-Subgate with origin 198.51.100.7" \
	grep -q '^X-Subgate: accept; .*origin=198\.51\.100\.7; list=test@lists\.example\.org' "${f:-/dev/null}"
h_check "its decision line says source=smtp" decided gina@example.net "origin=198\.51\.100\.7 source=smtp action=accept "

# ---------------------------------------------------------------- 4. web
"$MM3_PYTHON" "$MM3_TOP/mm3.py" subscribe "${MM3_REST[prod]}" test.lists.example.org anne@example.net >/dev/null
h_wait_for 20 has --rcpt anne@example.net --subject "$(join_subject test@lists.example.org)" || true
h_check "a web request's confirmation at the sink with X-Subgate" \
	has --rcpt anne@example.net --subject "$(join_subject test@lists.example.org)" --with X-Subgate
h_check "its decision line says origin=none" decided anne@example.net "origin=none source=none action=accept "

# ---------------------------------------------------------------- 5. new list
# Postfix's address resolver (trivial-rewrite) notices a changed map only
# when a client connects anew, within about ipc_idle (5 s) when the mail
# system is busy or idle alike; a mail to the new list before that goes to
# the default transport. The log says when it has restarted.
# It names the first of Mailman's maps it found changed.
restarts() { grep -Ec 'trivial-rewrite\[.*/postfix_(lmtp|domains)\(.* has changed -- restarting' "$H_MAILLOG" || true; }
before=$(restarts)
resolver_restarted() { [ "$(restarts)" -gt "$before" ]; }
rest POST /lists fqdn_listname=late@lists.example.org
h_check "Mailman regenerated postfix_lmtp with late-join@" h_wait_for 10 \
	grep -q '^late-join@lists\.example\.org ' "$MM/data/postfix_lmtp"
h_check "Postfix's resolver saw the new map, no reload" h_wait_for 30 resolver_restarted
r=$(smtp_mail hank@example.net late-join@lists.example.org 198.51.100.8)
h_check "late-join@ accepted by Postfix without a reload ($r)" grep -q '^250 ' <<<"$r"
h_wait_for 30 has --rcpt hank@example.net --subject "$(join_subject late@lists.example.org)" || true
h_check "hank's confirmation for the new list at the sink, origin 198.51.100.8" \
	grep -q '^X-Subgate: accept; .*origin=198\.51\.100\.8; list=late@lists\.example\.org' \
	"$(sink --rcpt hank@example.net --subject "$(join_subject late@lists.example.org)" | sed -n 1p)"

# ---------------------------------------------------------------- 6. reject
r=$(smtp_mail ivy@example.net late-join@lists.example.org 198.51.100.9)
h_check "late-join@ from ivy accepted by Postfix ($r)" grep -q '^250 ' <<<"$r"
h_check "ivy's confirmation refused: Mailman logs the 550" h_wait_for 30 \
	grep -q 'delivery to ivy@example\.net failed with code 550' "$MM/logs/smtp.log"
h_check "its decision line says reject, rule list late" decided ivy@example.net 'action=reject rule="limit list late 1/1h reject"'
h_check "nothing for ivy at the sink" test -z "$(sink --rcpt ivy@example.net)"

h_check "no mail left in Postfix's queues" test -z "$(h_queue_ids)"
h_check "subgate is still running" kill -0 "$SUBGATE_PID"
h_finish
