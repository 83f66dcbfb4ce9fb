#!/bin/bash
# quarantine.sh -- the quarantine ledger and subgatectl quarantine against a
# real private Postfix: held confirmations listed with their reasons and
# grouped; release (delivered, no second decision), delete, expire by age;
# a release by hand with postsuper noticed; kill -9 of the daemon while it
# holds: ledger and hold queue agree after a restart; bogus ids, shell
# metacharacters, a locked or missing ledger: clear errors, nothing run.
# Environment: SUBGATE, SUBGATECTL, TOP.
set -euo pipefail
. "$(dirname "$0")/harness.bash"
: "${SUBGATE:?}" "${SUBGATECTL:?}" "${TOP:?}"

h_setup
h_sink_start
cat >"$H_DIR/subgate.policy" <<'POL'
limit list quar 0/1h hold
limit ip 1/1h hold
POL
h_postfix_start "unix:$H_DIR/subgate.sock"
h_subgate_conf "pid_file =" "postfix_config_directory = $H_CONF" \
	>"$H_DIR/subgate.conf"
start_subgate() {
	rm -f "$H_DIR/subgate.sock"
	h_spawn "subgate$1" "$SUBGATE" -f -c "$H_DIR/subgate.conf"
	SUBGATE_PID=$H_LAST_PID
	h_wait_for 10 test -S "$H_DIR/subgate.sock"
}
start_subgate 1
ctl() { "$SUBGATECTL" -c "$H_DIR/subgate.conf" "$@"; }
n=0
send() { # LIST RCPT REQUESTER -> prints the queue id
	n=$((n + 1))
	local from
	from=$(python3 "$H_TOP/mkmsg.py" mm21-join "$H_DIR/m$n.eml" "list=$1" "rcpt=$2" "requester=$3")
	h_qid "$(h_send "$H_DIR/m$n.eml" --from "$from" --to "$2")"
}
held() { h_hold_ids | grep -x "$1" >/dev/null; }
queued() { h_queue_json | grep "\"queue_id\": \"$1\"" >/dev/null; }
nheld_ge() { [ "$(h_hold_ids | wc -l)" -ge "$1" ]; }
json_field() { python3 -c 'import json,sys; print(sorted((d["id"], d[sys.argv[1]]) for d in json.load(sys.stdin)))' "$1"; }

a=$(send quar a@example.com 192.0.2.1)
b=$(send quar b@example.org 192.0.2.2)
c=$(send quar c@example.net 198.51.100.3)
send other d@example.com 203.0.113.4 >/dev/null
e=$(send other e@example.com 203.0.113.4)
for id in "$a" "$b" "$c" "$e"; do
	h_check "$id is in the hold queue" h_wait_for 10 held "$id"
done

# list: every held message with its reason; --by groups.
ctl quarantine list --json >"$H_DIR/list.json"
h_check "list shows the four held" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$H_DIR/list.json")" = 4
h_check "with their rules" test "$(json_field rule <"$H_DIR/list.json")" = \
    "$(python3 -c 'import sys; print(sorted([(sys.argv[1], "limit list quar 0/1h hold (quar)"), (sys.argv[2], "limit list quar 0/1h hold (quar)"), (sys.argv[3], "limit list quar 0/1h hold (quar)"), (sys.argv[4], "limit ip 1/1h hold (203.0.113.4)")]))' "$a" "$b" "$c" "$e")"
h_check "and origins" grep -q "\"id\":\"$c\",.*\"ip\":\"198.51.100.3\",\"subnet\":\"198.51.100.0/24\"" "$H_DIR/list.json"
ctl quarantine list --by domain >"$H_DIR/by"
h_check "--by domain counts" grep -Eq '^ +2  example\.com$' "$H_DIR/by"
ctl quarantine list --by list --json >"$H_DIR/by.json"
h_check "--by list --json" grep -q '{"list":"quar","count":3}' "$H_DIR/by.json"
h_check "--ip filter" test "$(ctl quarantine list --ip 203.0.113.4 | tail -1)" = "1 message"
h_check "readable table" grep -q "^$a .* held .* quar .* a@example.com" <(ctl quarantine list)
ctl quarantine show "$a" >"$H_DIR/show"
h_check "show: the record and the MTA's headers" grep -q '^Subject: confirm ' "$H_DIR/show"
h_check "show: subgate's header among them" grep -q '^X-Subgate: hold; ' "$H_DIR/show"

# release one: delivered, and subgate decides nothing more about it.
decisions=$(grep -c 'rcpt="a@example.com"' "$H_DIR/subgate1.log")
ctl quarantine release "$a" >"$H_DIR/rel"
h_check "release says released" grep -qx "$a released" "$H_DIR/rel"
h_check "released mail reaches the sink" h_wait_for 20 h_at_sink a@example.com
h_check "saying why it was held" h_at_sink a@example.com \
    '^X-Subgate: hold; reason="limit list quar 0/1h hold \(quar\)"; origin=192\.0\.2\.1; list=quar$'
h_check "without a second decision" test "$(grep -c 'rcpt="a@example.com"' "$H_DIR/subgate1.log")" = "$decisions"

# delete one: gone from the queue.
ctl quarantine delete "$b" >/dev/null
h_check "deleted: not in postqueue -j" h_not queued "$b"
h_check "ledger says deleted" grep -q "\"id\":\"$b\".*\"state\":\"deleted\"" <(ctl quarantine list --state all --json)

# expire by age: the ledger row of c made 3 days old.
python3 - "$H_DIR/state/ledger.sqlite" "$c" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE held SET time = ? WHERE queue_id = ?", (int(time.time()) - 3 * 86400, sys.argv[2]))
db.commit()
PY
ctl quarantine expire --older-than 2d -n >"$H_DIR/exp-n"
h_check "expire -n only says" grep -qx "would expire $c (quar, c@example.net)" "$H_DIR/exp-n"
h_check "... and does nothing" held "$c"
ctl quarantine expire --older-than 2d --yes >/dev/null
h_check "expired: gone from the hold queue" h_not queued "$c"
h_check "the younger one stays" held "$e"

# released by hand with postsuper: the next list knows.
h_postsuper -H "$e" >/dev/null 2>&1
h_check "hand release: not listed as held" test "$(ctl quarantine list | tail -1)" = "0 messages"
h_check "hand release: marked released" grep -q "\"id\":\"$e\".*\"state\":\"released\",\"state_time\":[0-9]*,\"state_by\":\"outside subgatectl\"" <(ctl quarantine list --state all --json)

# Bulk: more than one needs --yes without a terminal.
f1=$(send quar f1@example.com 192.0.2.11)
f2=$(send quar f2@example.com 192.0.2.12)
h_wait_for 10 held "$f2"
h_check "bulk without --yes is refused" h_not ctl quarantine delete --list quar </dev/null
h_check "... and nothing was deleted" held "$f1"
ctl quarantine delete --list quar --yes >/dev/null
h_check "bulk with --yes deletes both" h_not queued "$f1"
h_check "... both" h_not queued "$f2"

# kill -9 while confirmations are being held, then restart.
for i in $(seq 1 12); do
	python3 "$H_TOP/mkmsg.py" mm21-join "$H_DIR/k$i.eml" list=quar "rcpt=k$i@example.com" "requester=192.0.2.$((100 + i))" >/dev/null
done
(for i in $(seq 1 12); do h_send "$H_DIR/k$i.eml" --from quar-bounces@lists.example.org --to "k$i@example.com" || true; done) >"$H_DIR/kill.out" 2>&1 &
burst=$!
h_wait_for 20 nheld_ge 3
kill -9 "$SUBGATE_PID"
wait "$burst" || true
start_subgate 2
# Rows written just before the kill whose hold never completed are ghosts:
# age them past the reconcile grace, then reconcile.
python3 - "$H_DIR/state/ledger.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE held SET time = time - 120 WHERE state = 'held'")
db.commit()
PY
ctl quarantine reconcile >/dev/null
h_hold_ids | sort >"$H_DIR/hold.ids"
ctl quarantine list --json | python3 -c 'import json,sys; print("\n".join(sorted(d["id"] for d in json.load(sys.stdin))))' | sed '/^$/d' >"$H_DIR/ledger.ids"
h_check "after kill -9: every held message is in the ledger" test -z "$(comm -23 "$H_DIR/hold.ids" "$H_DIR/ledger.ids")"
h_check "after kill -9: every ledger row is in the hold queue" test -z "$(comm -13 "$H_DIR/hold.ids" "$H_DIR/ledger.ids")"
h_check "some were held before the kill" test -s "$H_DIR/hold.ids"

# A row another MTA held (a Sendmail's subgate sharing the ledger) is not
# Postfix's to reconcile: an hour old and in no Postfix queue, it stays
# held.
python3 - "$H_DIR/state/ledger.sqlite" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
t = int(time.time()) - 3600
db.execute("INSERT INTO held VALUES ('6B4I7lnX011299', ?, 'sendmail', 'quar',"
           " 's@example.com', 'example.com', '192.0.2.9', '192.0.2.0/24',"
           " 'limit ip 2/1h hold', '<m@x>', 'confirm', 'held', ?, 'subgate')",
           (t, t))
db.commit()
PY
ctl quarantine reconcile >/dev/null
h_check "a row Sendmail held: still held after reconcile" test "$(h_ledger 6B4I7lnX011299 state)" = held
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DELETE FROM held WHERE queue_id = ?", ("6B4I7lnX011299",))
db.commit()' "$H_DIR/state/ledger.sqlite"

# Bad ids and shell metacharacters: refused before anything runs.
h_check "bogus id refused" h_not ctl quarantine release NOTANID
ctl quarantine release 'ABC123;touch /tmp/subgate-pwned' >/dev/null 2>"$H_DIR/meta.err" || true
h_check "metacharacters: clear error" grep -q 'is not a queue id' "$H_DIR/meta.err"
h_check "metacharacters: nothing ran" test ! -e /tmp/subgate-pwned
h_check "unknown id: not in the ledger" h_not ctl quarantine show 0123456789AB

# A locked ledger: a clear error after the busy timeout.
python3 - "$H_DIR/state/ledger.sqlite" "$H_DIR/locked" <<'PY' &
import sqlite3, sys, os, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
deadline = time.time() + 30
while os.path.exists(sys.argv[2]) and time.time() < deadline:
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
locker=$!
h_wait_for 10 test -e "$H_DIR/locked"
victim=$(head -1 "$H_DIR/hold.ids")
ctl quarantine release "$victim" >/dev/null 2>"$H_DIR/lock.err" && rc=0 || rc=$?
rm -f "$H_DIR/locked"
wait "$locker"
h_check "locked ledger: exit 2" test "$rc" = 2
h_check "locked ledger: says so" grep -q 'locked by another process.*nothing done' "$H_DIR/lock.err"
h_check "locked ledger: nothing ran, $victim still held" held "$victim"

# A missing ledger is an error, not an empty list.
sed "s|^state_dir = .*|state_dir = $H_DIR/nowhere|" "$H_DIR/subgate.conf" >"$H_DIR/other.conf"
"$SUBGATECTL" -c "$H_DIR/other.conf" quarantine list >/dev/null 2>"$H_DIR/miss.err" && rc=0 || rc=$?
h_check "missing ledger: exit 2" test "$rc" = 2
h_check "missing ledger: says so" grep -q 'no ledger' "$H_DIR/miss.err"
h_finish
