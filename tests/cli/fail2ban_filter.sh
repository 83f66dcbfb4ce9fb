#!/bin/bash
# fail2ban_filter.sh -- contrib/fail2ban/filter.d/subgate.conf against real
# subgate output: start subgate -f on a private unix socket, send it Mailman
# 2.1 confirmations with Debian's miltertest (some held, deferred, rejected,
# some accepted, some with list and recipient names made to look like an
# origin= field), then check with fail2ban-regex that exactly the requesters
# of held, deferred and rejected confirmations are caught, in the -f form and
# in syslog forms made from the same lines, with the right times.
# Needs miltertest and fail2ban (fail2ban-regex).
. "$(dirname "$0")/lib.bash"
: "${SUBGATE:?}"
for tool in miltertest fail2ban-regex; do
	command -v "$tool" >/dev/null || { echo "$tool not installed" >&2; exit 1; }
done
filter=$TOP/contrib/fail2ban/filter.d/subgate.conf
export LC_ALL=C
# A zone west of UTC without daylight saving: a "Z" time stamp read as local
# time would be five hours off.
export TZ=XYZ+5

pid=
stop_daemon() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
trap 'stop_daemon; rm -rf "$WORK"' EXIT

# -- Real log lines --------------------------------------------------------
cat >"$WORK/policy" <<'POL'
limit ip 3/1h reject
limit list holdme 0/1h hold
limit list deferme 0/1h defer
limit list okme 100/1h accept
limit list * 0/1h hold
POL
# A daemon with a control socket (on by default, in /run/subgate): off.
printf 'user = root\npolicy = %s\ncontrol_socket =\n' "$WORK/policy" >"$WORK/probe.conf"
control=
if "$SUBGATE" -n -c "$WORK/probe.conf" >/dev/null 2>&1; then
	control="control_socket ="
fi
cat >"$WORK/subgate.conf" <<CONF
socket = unix:$WORK/subgate.sock
user = root
policy = $WORK/policy
subscribe_log =
state_dir = $WORK/state
pid_file =
$control
CONF

# One connection per confirmation, as tests/milter/protocol.lua speaks it.
cat >"$WORK/send.lua" <<'LUA'
local n = 0

-- confirmation LIST RCPT REQUESTER: a Mailman 2.1 subscription confirmation
local function confirmation(list, rcpt, requester)
	n = n + 1
	local cookie = string.format("%040x", n)
	local c = mt.connect(SOCK, 40, 0.1)
	assert(c, "cannot connect to " .. SOCK)
	assert(mt.conninfo(c, "localhost", "127.0.0.1") == nil)
	assert(mt.helo(c, "mx.example.net") == nil)
	mt.macro(c, SMFIC_MAIL, "i", string.format("4F2B1A%05X", n))
	assert(mt.mailfrom(c, "<" .. list .. "-bounces@lists.example.org>") == nil)
	assert(mt.rcptto(c, "<" .. rcpt .. ">") == nil)
	local h = {
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=\"us-ascii\""},
		{"Content-Transfer-Encoding", "7bit"},
		{"From", "<" .. list .. "-request@lists.example.org>"},
		{"To", rcpt},
		{"Subject", "confirm " .. cookie},
		{"Reply-To", "<" .. list .. "-request@lists.example.org>"},
		{"Auto-Submitted", "auto-generated"},
		{"Message-ID", "<mailman.0.1796321493." .. n .. "." .. cookie .. "@lists.example.org>"},
		{"X-Mailman-Version", "2.1.39"},
		{"X-List-Administrivia", "yes"},
	}
	for _, kv in ipairs(h) do
		assert(mt.header(c, kv[1], kv[2]) == nil)
	end
	assert(mt.eoh(c) == nil)
	assert(mt.bodystring(c, "Mailing list subscription confirmation notice for mailing list X\r\n\r\n" ..
		"We have received a request from " .. requester .. " for\r\nsubscription of your email address.\r\n") == nil)
	assert(mt.eom(c) == nil)
	mt.disconnect(c)
end

confirmation("holdme", "a@example.com", "192.0.2.10")            -- hold
confirmation("holdme", "b@example.com", "2001:db8::7")           -- hold
confirmation("okme", "c@example.com", "198.51.100.5")            -- accept
-- hostile list name, origin unknown: hold, nobody to ban
confirmation('evil" origin=6.6.6.6 "', "d@example.com", "unidentified origin")
-- hostile recipient, request by mail: hold, nobody to ban
confirmation("holdme", '"v origin=6.6.6.7 "@example.com', "evil@example.net")
-- a list name forging the fields after it: hold, 192.0.2.10 to ban
confirmation('y" rcpt="z" origin=6.6.6.8 source=body action=hold rule="limit list',
	"e@example.com", "192.0.2.10")
confirmation("deferme", "f@example.com", "203.0.113.20")         -- defer
for i = 1, 4 do                                   -- 3 accepted, 1 rejected
	confirmation("okme", "g" .. i .. "@example.com", "203.0.113.9")
end
mt.echo("sent " .. n)
LUA

"$SUBGATE" -f -c "$WORK/subgate.conf" 2>"$WORK/fg.log" &
pid=$!
for _ in $(seq 1 100); do [ -S "$WORK/subgate.sock" ] && break; sleep 0.05; done
if [ ! -S "$WORK/subgate.sock" ]; then
	cat "$WORK/fg.log" >&2
	fail "subgate did not open its socket"
	finish
fi
rc=0
miltertest -D SOCK="unix:$WORK/subgate.sock" -s "$WORK/send.lua" >"$WORK/mt.out" 2>&1 || rc=$?
expect_eq "miltertest exit" "$rc" 0
expect_eq "miltertest sent" "$(cat "$WORK/mt.out")" "sent 11"
stop_daemon
log=$WORK/fg.log
[ "$rc" -eq 0 ] || cat "$WORK/mt.out" "$log" >&2

expect_eq "decision lines" "$(grep -c ' decision qid=' "$log" || true)" 11
# The hostile names reached the log as planned (escaped, in the right place).
expect_match "hostile list logged" "$(cat "$log")" \
    'list="evil\\" origin=6\.6\.6\.6 \\"" rcpt="d@example\.com" origin=unknown .* action=hold '
expect_match "hostile rcpt logged" "$(cat "$log")" \
    'rcpt="\\"v origin=6\.6\.6\.7 \\"@example\.com" origin=evil@example\.net .* action=hold '
expect_match "forged fields logged" "$(cat "$log")" \
    'list="y\\" rcpt=\\"z\\" origin=6\.6\.6\.8 source=body action=hold rule=\\"limit list" rcpt="e@example\.com" origin=192\.0\.2\.10 '
expect_match "reject logged" "$(cat "$log")" \
    'origin=203\.0\.113\.9 source=body action=reject rule="limit ip 3/1h reject"'

# -- fail2ban-regex --------------------------------------------------------
# regex LOG [FILTER]: fail2ban-regex's report; sets $rc
regex() {
	rc=0
	fail2ban-regex "$1" "${2:-$filter}" >"$WORK/report" 2>&1 || rc=$?
}
# hosts LOG [FILTER]: the hosts matched, one per match, sorted, on one line
hosts() {
	fail2ban-regex -o ip "$1" "${2:-$filter}" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'
}
want_hosts="192.0.2.10 192.0.2.10 2001:db8::7 203.0.113.20 203.0.113.9"

# check_form NAME LOG: the filter's verdicts and times on LOG
check_form() {
	local name=$1 f=$2 lines first want_t
	lines=$(wc -l <"$f")
	regex "$f"
	expect_eq "$name: fail2ban-regex exit" "$rc" 0
	expect_match "$name: counts" "$(cat "$WORK/report")" \
	    "^Lines: $lines lines, 0 ignored, 5 matched, $((lines - 5)) missed"
	expect_match "$name: every line dated" "$(cat "$WORK/report")" \
	    "^\|  \[$lines\] \{\^LN-BEG\}"
	expect_eq "$name: hosts" "$(hosts "$f")" "$want_hosts"
	# The first match is qid 4F2B1A00001; its time is that line's time.
	first=$(fail2ban-regex -o '<ip> <time>' "$f" "$filter" 2>/dev/null |
	    awk 'NR == 1 { printf "%s %d", $1, $2 }')
	want_t=$(date -u -d "$(grep -m1 ' qid=4F2B1A00001 ' "$ORIG" | cut -d' ' -f1)" +%s)
	expect_eq "$name: time of the first match" "$first" "192.0.2.10 $want_t"
}
ORIG=$log

# 1. What subgate -f wrote.
check_form "foreground" "$log"

# The filter really is what stops the forged names: a naive regex is fooled.
naive='subgate\[\d+\]: decision .*origin=<ADDR> .*action=(?:hold|reject|discard|defer)'
expect_match "naive regex bans the forged addresses" "$(hosts "$log" "$naive")" '6\.6\.6\.6 6\.6\.6\.7 6\.6\.6\.8'

# Only requesters over their own limits: the filter's scopes option.
expect_eq "scopes=ip|subnet" "$(hosts "$log" "${filter}[scopes=\"ip|subnet\"]")" "203.0.113.9"
expect_eq "actions=reject" "$(hosts "$log" "${filter}[actions=\"reject\"]")" "203.0.113.9"

# 2-4. The same lines as syslog files have them: the traditional form
# (local time, space-padded day), the -f form as the journal passes it on
# to syslog (the shipped systemd unit runs subgate -f), and rsyslog's
# RFC 3339 form (with an offset).
for f in syslog journal rfc3339; do : >"$WORK/$f.log"; done
while IFS= read -r line; do
	stamp=${line%% *}          # 2026-12-03T20:01:02.123Z
	p=${line#* subgate\[}
	p=${p%%]*}                 # the pid
	msg=${line#*]: }           # decision qid=...
	epoch=$(date -u -d "$stamp" +%s)
	frac=${stamp##*.}
	frac=${frac%Z}
	trad=$(date -d "@$epoch" '+%b %e %H:%M:%S')
	iso=$(date -d "@$epoch" '+%Y-%m-%dT%H:%M:%S')
	off=$(date -d "@$epoch" '+%:z')
	printf '%s mailhost subgate[%s]: %s\n' "$trad" "$p" "$msg" >>"$WORK/syslog.log"
	printf '%s mailhost subgate[%s]: %s\n' "$trad" "$p" "$line" >>"$WORK/journal.log"
	printf '%s.%s000%s mailhost subgate[%s]: %s\n' "$iso" "$frac" "$off" "$p" "$msg" \
	    >>"$WORK/rfc3339.log"
done <"$log"
expect_match "syslog form" "$(sed -n 2p "$WORK/syslog.log")" \
    '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} mailhost subgate\[[0-9]+\]: decision qid='
expect_match "journal form" "$(sed -n 2p "$WORK/journal.log")" \
    '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} mailhost subgate\[[0-9]+\]: [0-9-]{10}T[0-9:.]+Z subgate\[[0-9]+\]: decision qid='
expect_match "rfc3339 form" "$(sed -n 2p "$WORK/rfc3339.log")" \
    '^[0-9-]{10}T[0-9:]{8}\.[0-9]{6}-05:00 mailhost subgate\[[0-9]+\]: decision qid='
check_form "syslog" "$WORK/syslog.log"
check_form "journal via syslog" "$WORK/journal.log"
check_form "rfc3339" "$WORK/rfc3339.log"

# Another program's line that quotes a decision is not subgate's.
printf '%s mailhost postfix/smtpd[77]: subgate[1]: decision qid=X mailman=2 list="l" rcpt="r@x" origin=6.6.6.9 source=body action=hold rule="limit ip 1/1h hold" key="6.6.6.9"\n' \
    "$(date '+%b %e %H:%M:%S')" >"$WORK/other.log"
expect_eq "other daemons' lines" "$(hosts "$WORK/other.log")" ""
finish
