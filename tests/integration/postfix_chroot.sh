#!/bin/bash
# postfix_chroot.sh -- subgate behind a Postfix whose smtpd and cleanup run
# chrooted in the queue directory, as Debian's master.cf has them (chroot
# column "y"): the README's wiring for it (the socket below the queue
# directory, smtpd_milters = unix:/subgate/subgate.sock) delivers, adds
# the header and holds; the socket path a chroot-less Postfix would use
# makes every message wait (4xx, milter_default_action = tempfail).
# Environment: SUBGATE (the daemon), TOP (source tree).
set -euo pipefail
. "$(dirname "$0")/harness.bash"
: "${SUBGATE:?}" "${TOP:?}"

h_setup
h_sink_start
echo 'limit ip 1/1h hold' >"$H_DIR/subgate.policy"
# The first instance's queue directory is $H_DIR/pf1/queue: the socket goes
# in a directory of its own below it, as /var/spool/postfix/subgate.
sockdir=$H_DIR/pf1/queue/subgate
mkdir -p "$sockdir"
chmod 755 "$H_DIR/pf1" "$H_DIR/pf1/queue" "$sockdir"
h_subgate_conf "socket = unix:$sockdir/subgate.sock" >"$H_DIR/subgate.conf"
h_spawn subgate "$SUBGATE" -f -c "$H_DIR/subgate.conf"
h_wait_for 10 test -S "$sockdir/subgate.sock"
H_CHROOT=1 h_postfix_start "unix:/subgate/subgate.sock" \
	'non_smtpd_milters = unix:/subgate/subgate.sock' 'milter_default_action = tempfail'
h_check "smtpd runs chrooted" grep -Eq '^127\.0\.0\.1:[0-9]+ +inet +n +- +y ' "$H_CONF/master.cf"

h_mkmsg plain rcpt=carl@example.com
r=$(h_send "$MSG" --from "$FROM" --to carl@example.com)
h_check "plain mail accepted ($r)" grep -q '^250' <<<"$r"
h_check "and delivered" h_wait_for 20 h_at_sink carl@example.com
h_mkmsg mm21-join rcpt=alice@example.com requester=192.0.2.10
r=$(h_send "$MSG" --from "$FROM" --to alice@example.com)
h_check "confirmation accepted ($r)" grep -q '^250' <<<"$r"
h_check "delivered with the header" h_wait_for 20 h_at_sink alice@example.com '^X-Subgate: accept; '
h_mkmsg mm21-join rcpt=bob@example.com requester=192.0.2.10
r=$(h_send "$MSG" --from "$FROM" --to bob@example.com)
qid=$(h_qid "$r")
held() { h_hold_ids | grep -qx "$1"; }
h_check "the second from 192.0.2.10 is held ($r)" h_wait_for 10 held "$qid"

# The socket at its real path, as for a Postfix without chroot: the
# chrooted smtpd cannot see it, and milter_default_action = tempfail makes
# mail wait rather than pass unjudged.
H_CHROOT=1 h_postfix_start "unix:$sockdir/subgate.sock" 'milter_default_action = tempfail'
h_mkmsg mm21-join rcpt=carol@example.com requester=192.0.2.20
r=$(h_send "$MSG" --from "$FROM" --to carol@example.com)
h_check "outside the chroot: 4xx ($r)" grep -q '^4[0-9][0-9] ' <<<"$r"
h_check "Postfix says why" h_wait_for 10 h_maillog_grep -q "connect to Milter service unix:$sockdir/subgate.sock: No such file or directory"
h_finish
