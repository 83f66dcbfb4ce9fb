#!/bin/bash
# demo-mailman3.sh -- subgate in front of the real Mailman 3: Debian's
# mailman3 (3.3.8) sends the confirmations itself, through a private
# Postfix with subgate in smtpd_milters, while it is being subscription-
# bombed.
#
#   contrib/demo-mailman3.sh [--keep]       (or: contrib/demo.sh --mailman3)
#
# On a fresh Debian 12 machine, as root: installs what is missing
# (contrib/setup-debian.sh --test: the build dependencies, postfix and
# mailman3, neither configured nor started), builds subgate in build-demo/
# (Release, no tests), then starts, on 127.0.0.1 only and on ports picked at
# run time, with the test suite's libraries (tests/integration/harness.bash,
# tests/mailman3/mm3.bash, as tests/mailman3/e2e.sh does):
#   - an SMTP sink standing in for the victims' mail servers;
#   - a private Postfix instance relaying to the sink, subgate in its
#     smtpd_milters, lists.example.org handed to Mailman's LMTP port;
#   - subgate with the shipped policy contrib/subgate.policy (SPF off:
#     there is no DNS here);
#   - Mailman 3 core with its own config, SQLite database and var dir,
#     submitting to that Postfix over SMTP, as it does to localhost:25.
# Then, on three lists: a bot submits 40 victims' addresses to "announce"
# through the REST API (what Mailman's web front end, Postorius, calls);
# 5 people sign up to "users" the same way; a bot at 203.0.113.7 mails
# "join" to dev-join@ with 8 forged senders, and one person at
# 198.51.100.20 does it for real. Mailman mails every confirmation; what
# subgate did with each, per list and origin, and the quarantine, follow.
# Everything is removed at the end (the harness's trap) unless --keep is
# given: then it keeps running and the commands to stop it are printed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=demo-lib.bash
. contrib/demo-lib.bash
demo_as_root "$@"

keep=
usage() {
	echo "usage: contrib/demo-mailman3.sh [--keep]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage ;;
	esac
	shift
done
start=$SECONDS

demo_build

# shellcheck source=../tests/integration/harness.bash
. tests/integration/harness.bash
# shellcheck source=../tests/mailman3/mm3.bash
. tests/mailman3/mm3.bash
mm3_install
h_setup
h_sink_start
h_postfix_start "unix:$H_DIR/subgate.sock"
mm3_start mm "$H_PORT" "rest virgin out lmtp command"
mm3_postfix lists.example.org=mm
h_subgate_conf "user = nobody" "policy = $top/contrib/subgate.policy" \
	"postfix_config_directory = $H_CONF" "list_domains = lists.example.org" \
	"spf = off" >"$H_DIR/subgate.conf"
"$subgate" -n -c "$H_DIR/subgate.conf" >/dev/null
h_spawn subgate "$subgate" -f -c "$H_DIR/subgate.conf"
subgate_pid=$H_LAST_PID
h_wait_for 10 test -S "$H_DIR/subgate.sock"
mm3_wait mm
var=${MM3_DIR[mm]}/var
ctl() { "$subgatectl" -c "$H_DIR/subgate.conf" "$@"; }

echo "== Mailman 3 core $(mm3_rest mm GET /system/versions | sed -n 's/.*"mailman_version": "\([^"]*\)".*/\1/p')"
echo "   (Debian's mailman3: own config ${MM3_DIR[mm]}/mailman.cfg, REST on"
echo "   127.0.0.1:${MM3_REST[mm]}, LMTP on 127.0.0.1:${MM3_LMTP[mm]}), submitting to a private"
echo "   Postfix on 127.0.0.1:$H_PORT with subgate in smtpd_milters; that Postfix"
echo "   hands lists.example.org to Mailman's LMTP port and everything else to"
echo "   an SMTP sink (the victims' servers). subgate's policy: contrib/subgate.policy:"
sed -n 's/^\([a-z]\)/    \1/p' contrib/subgate.policy

mm3_rest mm POST /domains mail_host=lists.example.org >/dev/null
for l in announce users dev; do
	mm3_rest mm POST /lists "fqdn_listname=$l@lists.example.org" >/dev/null
done

echo
echo "== The attack, and genuine sign-ups"
domains=(example.com example.net example.org example.edu)
victims=()
for i in $(seq 1 40); do victims+=("victim$i@${domains[i % 4]}"); done
echo "A bot submits 40 victims' addresses to announce@ (REST, as the web form would)"
"$MM3_PYTHON" tests/mailman3/mm3.py subscribe "${MM3_REST[mm]}" announce.lists.example.org "${victims[@]}"
echo "5 people sign up to users@ the same way"
"$MM3_PYTHON" tests/mailman3/mm3.py subscribe "${MM3_REST[mm]}" users.lists.example.org \
	ann@example.com bert@example.net cleo@example.org dirk@example.com eve@example.net
echo "A bot at 203.0.113.7 mails 'join' to dev-join@ with 8 forged senders;"
echo "a person at 198.51.100.20 does it for real"
n=0
request() { # FROM CLIENT
	n=$((n + 1))
	printf 'From: %s\nTo: dev-join@lists.example.org\nSubject: join\nMessage-ID: <join%d@demo.example>\nDate: %s\n\njoin\n' \
		"$1" "$n" "$(date -R)" >"$H_DIR/join$n.eml"
	h_send "$H_DIR/join$n.eml" --from "$1" --to dev-join@lists.example.org \
		--xclient "$2" --helo "mx$n.example" >>"$H_DIR/joins.out"
}
for i in $(seq 1 8); do request "forged$i@example.org" 203.0.113.7; done
request frida@example.net 198.51.100.20

# Mailman mails 54 confirmations; wait until subgate has judged them all
# and Postfix has delivered or held each.
decisions() { [ "$(grep -c ' decision ' "$H_DIR/subgate.log")" -ge 54 ]; }
settled() {
	h_queue_json >"$H_DIR/queue.json" || return 1
	! grep -vq '"queue_name": *"hold"' "$H_DIR/queue.json"
}
h_wait_for 90 decisions
h_wait_for 60 settled

echo
echo "== What subgate did with Mailman's confirmations (its decision lines)"
awk '/ decision / {
	match($0, / list="[^"]*"/); l = substr($0, RSTART + 7, RLENGTH - 8)
	match($0, / action=[a-z]*/); a = substr($0, RSTART + 8, RLENGTH - 8)
	n[l, a]++; lists[l] = 1
}
END {
	printf "%-28s %7s %7s %7s %7s\n", "list", "accept", "hold", "defer", "reject"
	for (l in lists)
		printf "%-28s %7d %7d %7d %7d\n", l, n[l, "accept"], n[l, "hold"], n[l, "defer"], n[l, "reject"]
}' "$H_DIR/subgate.log" | { read -r head; echo "$head"; sort; }
echo "Delivered to the victims' servers (the sink): $(h_sink_count); in the hold queue: $(h_hold_ids | wc -l)."
echo
echo "Web requests: Mailman 3 logs no client address, so subgate has none"
echo "(origin=none: only list and domain limits apply). Mailman's own record of one:"
grep -m1 '"POST /3.1/members HTTP/1.1" 202' "$var/logs/mailman.log" | sed 's/^/    /'
grep -m1 ' decision .* list="announce@' "$H_DIR/subgate.log" | sed 's/^[^ ]* [^ ]* /    /'
echo "Requests by mail: subgate saw each arrive, with its SMTP client, and ties"
echo "the confirmation to it (source=smtp), so per-address limits apply:"
grep -m1 ' request .*requester="forged1@' "$H_DIR/subgate.log" | sed 's/^[^ ]* [^ ]* /    /'
grep -m1 ' decision .* rcpt="forged1@' "$H_DIR/subgate.log" | sed 's/^[^ ]* [^ ]* /    /'
grep -m1 ' decision .* source=smtp action=hold ' "$H_DIR/subgate.log" | sed 's/^[^ ]* [^ ]* /    /'

echo
echo "== The quarantine (subgatectl quarantine list --by list, --by ip)"
ctl quarantine list --by list
ctl quarantine list --by ip
id=$(h_hold_ids | sed -n 1p)
C=$H_CONF
echo
echo "== To look further"
echo "  subgatectl -c $H_DIR/subgate.conf quarantine list | show ID | release ID..."
echo "  postcat -c $C -q ${id:-ID}"
echo "  grep ' decision ' $H_DIR/subgate.log"
echo "  $var/logs/mailman.log and smtp.log (Mailman), $H_PF/maillog (Postfix)"
if [ -n "$keep" ]; then
	trap - EXIT HUP INT TERM
	echo
	echo "--keep: Postfix, subgate, Mailman 3 and the sink keep running. To stop them:"
	echo "  postfix -c $C stop"
	echo "  kill ${MM3_PID[mm]} $subgate_pid $H_SINK_PID   # Mailman's master stops its runners"
	echo "  rm -rf $H_DIR"
else
	echo "(these work while it runs: it is all removed now; pass --keep to keep it)"
fi
echo
echo "Done in $((SECONDS - start)) s."
