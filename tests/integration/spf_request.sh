#!/bin/bash
# spf_request.sh -- subscriptions requested by mail, with a real DNS path:
# dnsmasq serves the test zone on a loopback address; subgate runs in a
# private mount namespace whose /etc/resolv.conf names that server, so
# libspf2 asks it through the system resolver exactly as in production.
# Asserts: a forged "join" (SPF fail) is refused at SMTP with 550 5.7.23 and
# the domain's explanation; a genuine one (SPF pass) reaches the list and
# its confirmation is tied to the sending SMTP client (XCLIENT stands in
# for a remote client: libspf2 passes every loopback address) (source smtp,
# origin its IP), so per-IP limits count it: the second genuine request's
# confirmation is held and the ledger has the client's address; a softfail
# request is accepted and its confirmation held by "spf softfail hold"; a
# sender whose DNS never answers gets 451 4.7.24 (temperror, bounded by
# spf_timeout, not by Postfix's milter timeout); a sender without a domain
# and a domain without SPF are "none".
# Environment: SUBGATE, SUBGATECTL, TOP. Needs root (mount namespace), postfix,
# dnsmasq (Debian dnsmasq-base).
set -euo pipefail
. "$(dirname "$0")/harness.bash"
: "${SUBGATE:?}" "${SUBGATECTL:?}" "${TOP:?}"
command -v dnsmasq >/dev/null || { echo "dnsmasq not installed (apt-get install dnsmasq-base)"; exit 1; }
command -v unshare >/dev/null || { echo "unshare not installed"; exit 1; }

h_setup
h_sink_start

# A loopback address of our own for the DNS server (port 53: resolv.conf
# cannot name a port); a second one where a server never answers.
dns_ip=127.83.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 20))
mute_ip=${dns_ip%.*}.$(( ${dns_ip##*.} + 1 ))

# The silent server: takes UDP and TCP on port 53 and never answers.
h_spawn mute "$H_PY" -S -c '
import socket, sys, time
ip = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((ip, 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((ip, 53)); t.listen(16)
open(sys.argv[2], "w").write("ready\n")
while True:
    time.sleep(3600)' "$mute_ip" "$H_DIR/mute.ready"
h_wait_for 10 test -s "$H_DIR/mute.ready"

h_spawn dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address="$dns_ip" --port=53 --user=root --pid-file= \
	--log-queries --log-facility=- \
	--local=/test/ \
	--server=/slow.test/"$mute_ip" \
	--txt-record=good.test,"v=spf1 ip4:198.51.100.7 ip6:2001:db8:5::/48 -all" \
	--txt-record=forged.test,"v=spf1 ip4:192.0.2.1 -all exp=why.forged.test" \
	--txt-record=why.forged.test,"%{i} is not a mail server of %{d}" \
	--txt-record=soft.test,"v=spf1 ip4:192.0.2.1 ~all" \
	--address=/nospf.test/192.0.2.99
DNS_PID=$H_LAST_PID
h_wait_for 10 grep -q "started" "$H_DIR/dnsmasq.log"
echo "nameserver $dns_ip" >"$H_DIR/resolv.conf"

cat >"$H_DIR/subgate.policy" <<'POL'
limit ip 1/1h hold
spf fail reject
spf softfail hold
spf temperror defer
POL
h_subgate_conf "list_domains = lists.example.org" "spf = on" \
	"spf_timeout = 2s" "spf_cache_ttl = 10m" "log_level = debug" \
	>"$H_DIR/subgate.conf"
# unshare -m execs the shell, the shell execs subgate: one PID throughout.
h_spawn subgate unshare -m /bin/sh -c \
	'mount --bind "$1" /etc/resolv.conf && exec "$2" -f -c "$3"' sh \
	"$H_DIR/resolv.conf" "$SUBGATE" "$H_DIR/subgate.conf"
SUBGATE_PID=$H_LAST_PID
h_wait_for 10 test -S "$H_DIR/subgate.sock"
h_postfix_start "unix:$H_DIR/subgate.sock" 'milter_command_timeout = 30s' \
	'smtpd_authorized_xclient_hosts = 127.0.0.1' \
	'mynetworks = 127.0.0.0/8 198.51.100.0/24 [2001:db8:5::]/48' \
	'inet_protocols = all'
# For subgatectl only (the daemon has read its configuration).
echo "postfix_config_directory = $H_CONF" >>"$H_DIR/subgate.conf"
ctl() { "$SUBGATECTL" -c "$H_DIR/subgate.conf" "$@"; }

n=0
# libspf2 passes any loopback client, so the requests come, by XCLIENT,
# from the documentation addresses the zone talks about.
CLIENT=198.51.100.7
# request FROM TO SUBJECT [CLIENT] - send a request by mail, print the reply
request() {
	n=$((n + 1))
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <req%d@test>\n\nplease\n' \
		"$1" "$2" "$3" "$n" >"$H_DIR/req$n.eml"
	h_send "$H_DIR/req$n.eml" --from "$1" --to "$2" --helo mx.good.test \
		--xclient "${4:-$CLIENT}"
}
# confirm RCPT - Mailman 2.1's confirmation to RCPT, requested by RCPT
confirm() {
	n=$((n + 1))
	local from
	from=$(python3 "$H_TOP/mkmsg.py" mm21-join "$H_DIR/c$n.eml" rcpt="$1" requester="$1")
	h_send "$H_DIR/c$n.eml" --from "$from" --to "$1"
}
logged() { grep -qE "$1" "$H_DIR/subgate.log"; }

# 1. Forged: the sender's domain allows only 192.0.2.1.
r=$(request victim@forged.test mylist-join@lists.example.org "")
h_check "forged join refused with 550 5.7.23 ($r)" grep -q '^550 5.7.23 ' <<<"$r"
h_check "forged join: the SPF result and sender in the reply" \
	grep -q 'SPF fail for victim@forged.test' <<<"$r"
h_check "forged join: logged spf=fail action=reject" \
	logged 'request list="mylist" requester="victim@forged.test" client=198.51.100.7 helo="mx.good.test" sender="victim@forged.test" spf=fail action=reject'
h_check "forged join: dnsmasq was asked" grep -q 'forged.test' "$H_DIR/dnsmasq.log"
h_check "forged join: nothing reached the sink" test "$(h_sink_count)" = 0

# 2. Genuine: pass, to LIST-request with "subscribe"; reaches the list.
r=$(request bob@good.test mylist-request@lists.example.org "subscribe")
h_check "genuine subscribe accepted ($r)" grep -q '^250 ' <<<"$r"
h_check "genuine subscribe: logged spf=pass" \
	logged 'request list="mylist" requester="bob@good.test" client=198.51.100.7 .*spf=pass action=accept'
h_wait_for 20 h_sink_find '^Subject: subscribe' || true
h_check "genuine subscribe reached the list" h_sink_find '^Subject: subscribe'
# Its confirmation names bob@good.test as the requester: tied to the client.
r=$(confirm bob@good.test)
h_check "confirmation of the genuine request accepted ($r)" grep -q '^250 ' <<<"$r"
h_check "confirmation tied to the SMTP client" \
	logged 'rcpt="bob@good.test" origin=198.51.100.7 source=smtp action=accept'

# 3. A second genuine request from the same client: limit ip 1/1h holds the
# confirmation; the ledger has the client's address.
r=$(request carol@good.test mylist-join@lists.example.org "")
h_check "second genuine join accepted ($r)" grep -q '^250 ' <<<"$r"
r=$(confirm carol@good.test)
qid=$(h_qid "$r")
h_check "second confirmation: held by the per-IP limit" \
	logged 'rcpt="carol@good.test" origin=198.51.100.7 source=smtp action=hold rule="limit ip 1/1h hold"'
h_wait_for 10 eval 'h_hold_ids | grep -qx "$qid"' || true
h_check "second confirmation in the hold queue" eval 'h_hold_ids | grep -qx "$qid"'
ctl quarantine list --json >"$H_DIR/q.json"
h_check "ledger: the held confirmation with ip 198.51.100.7" "$H_PY" -c '
import json, sys
rows = json.load(open(sys.argv[1]))
sys.exit(0 if any(r["recipient"] == "carol@good.test" and r["ip"] == "198.51.100.7" for r in rows) else 1)' "$H_DIR/q.json"

# 4. Softfail: accepted, its confirmation held by "spf softfail hold"
# (from another client key: the SMTP client is the same, so reset it).
ctl reset 198.51.100.7 >/dev/null
r=$(request dave@soft.test mylist-join@lists.example.org "")
h_check "softfail join accepted ($r)" grep -q '^250 ' <<<"$r"
h_check "softfail join: logged spf=softfail" logged 'requester="dave@soft.test" .*spf=softfail'
r=$(confirm dave@soft.test)
h_check "softfail confirmation held by spf softfail hold" \
	logged 'rcpt="dave@soft.test" origin=198.51.100.7 source=smtp action=hold rule="spf softfail hold" key="" spf=softfail '

# 5. A DNS server that never answers: temperror, deferred by subgate itself.
r=$(request erin@slow.test mylist-join@lists.example.org "")
h_check "silent DNS: 451 4.7.24 from subgate ($r)" grep -q '^451 4.7.24 ' <<<"$r"
h_check "silent DNS: logged spf=temperror action=defer" \
	logged 'requester="erin@slow.test" .*spf=temperror action=defer'

# 6. An IPv6 client allowed by ip6: pass, and its confirmation is tied to it.
r=$(request heidi@good.test mylist-join@lists.example.org "" IPV6:2001:db8:5::25)
h_check "IPv6 client: accepted ($r)" grep -q '^250 ' <<<"$r"
h_check "IPv6 client: spf=pass" logged 'requester="heidi@good.test" client=2001:db8:5::25 .*spf=pass'
r=$(confirm heidi@good.test)
h_check "IPv6 client: confirmation tied to it" \
	logged 'rcpt="heidi@good.test" origin=2001:db8:5::25 source=smtp'

# 7. None: a domain without SPF, a sender without a domain.
r=$(request frank@nospf.test mylist-join@lists.example.org "")
h_check "no SPF record: accepted ($r)" grep -q '^250 ' <<<"$r"
h_check "no SPF record: spf=none" logged 'requester="frank@nospf.test" .*spf=none'
# A null sender: the HELO identity is checked (mx.good.test has no SPF).
r=$(request "" mylist-join@lists.example.org "")
h_check "null sender: a defined answer ($r)" grep -qE '^(250|5[0-9][0-9]) ' <<<"$r"
h_check "null sender: logged with an empty sender, HELO checked" \
	logged 'helo="mx.good.test" sender="" spf=none'
r=$(request grace mylist-join@lists.example.org "")
h_check "sender without a domain: a defined answer ($r)" grep -qE '^(250|5[0-9][0-9]) ' <<<"$r"
ctl status --json >"$H_DIR/status.json"
h_check "status counts requests by mail per SPF result" "$H_PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["requests_by_mail"]
want = {"fail": 1, "pass": 3, "softfail": 1, "temperror": 1, "none": 3}
sys.exit(0 if all(r[k] == v for k, v in want.items()) else "got %r" % r)' "$H_DIR/status.json"
# Only carol's check (same client and domain as bob's, within
# spf_cache_ttl) comes from the cache; temperror is never cached.
h_check "status counts one SPF cache hit" "$H_PY" -c '
import json, sys
n = json.load(open(sys.argv[1]))["spf_cache_hits"]
sys.exit(0 if n == 1 else "got %r" % n)' "$H_DIR/status.json"
h_check "status counts the spf hold as a hold" "$H_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))["decisions"]
sys.exit(0 if d["hold"] == 2 and d["accept"] == 2 else "got %r" % d)' "$H_DIR/status.json"
h_check "subgate still running" kill -0 "$SUBGATE_PID"
h_check "dnsmasq still running" kill -0 "$DNS_PID"
h_finish
