#!/bin/bash
# ops.sh -- operating a running subgate: the control socket (status,
# reload good and broken, SIGUSR1, explain, unban, reset), a peer outside
# subgate's group refused, the Prometheus metrics checked by value after a
# known sequence of decisions (driven with Debian's miltertest), and the
# counters across a restart, a damaged counters file, and crashes (kill -9)
# with and without a periodic save since the decisions (the journal, with
# the policies they were made under), and a ban kept through a flood of
# new keys.
# Environment: SUBGATE, SUBGATECTL, TOP.
set -euo pipefail
: "${SUBGATE:?}" "${SUBGATECTL:?}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/subgate-ops.XXXXXX")
chmod 755 "$work"
pid=
passed=0
failed=0
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
check() { # WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then
		echo "PASS: $what"
		passed=$((passed + 1))
	else
		echo "FAIL: $what"
		failed=$((failed + 1))
	fi
}
not() { ! "$@"; }
wait_for() { # SECONDS COMMAND...: a bounded poll
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/policy" <<'POL'
limit ip 2/1h hold ban 1h
POL
cat >"$work/subgate.conf" <<CONF
socket = unix:$work/subgate.sock
user = root
policy = $work/policy
subscribe_log =
state_dir = $work/state
pid_file =
control_socket = $work/control.sock
metrics_listen = 127.0.0.1:$port
counters_save_interval = 1s
CONF
"$SUBGATE" -f -c "$work/subgate.conf" 2>"$work/subgate.log" &
pid=$!
wait_for 10 test -S "$work/control.sock"
wait_for 10 test -S "$work/subgate.sock"
ctl() { "$SUBGATECTL" -c "$work/subgate.conf" "$@"; }
send() { miltertest -D SOCK="unix:$work/subgate.sock" -D COUNT="$1" -D LIST="$2" -D IP="$3" -D RCPT="$4" -s "$here/send.lua"; }

check "three from one address: accept, accept, hold" test "$(send 3 mylist 192.0.2.50 a)" = aah

# status
ctl status --json >"$work/status.json"
check "status is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/status.json"
get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/status.json" "$1"; }
check "status counts the decisions" test "$(get 'd["decisions"]["accept"], d["decisions"]["hold"]')" = "(2, 1)"
check "status names the tripped key and its ban" test "$(get '[(t["key"], t["banned"]) for t in d["tripped"] if t["banned"]]')" = "[('192.0.2.50', True)]"
check "status has the policy digest" grep -q '"digest":"fnv1a64:[0-9a-f]\{16\}"' "$work/status.json"
ctl status >"$work/status.txt"
check "status, readable" grep -q '^decisions: accept 2, defer 0, hold 1' "$work/status.txt"

# explain, unban, reset
ctl explain x@example.com --ip 192.0.2.50 >"$work/ex1"
check "explain: banned" grep -q '^action hold (banned)' "$work/ex1"
check "explain: the limit behind it" grep -q 'limit ip 2/1h hold ban 1h .*key 192.0.2.50 .*count 4 of 2  TRIPS' "$work/ex1"
ctl explain x@example.com --ip 192.0.2.51 >"$work/ex2"
check "explain: another address is fine" grep -q '^action accept' "$work/ex2"
check "explain changed nothing" test "$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["decisions"]["hold"])')" = 1
check "unban" ctl unban 192.0.2.50
ctl explain x@example.com --ip 192.0.2.50 >"$work/ex3"
check "after unban: no ban, but the window still trips" grep -q '^action hold$' "$work/ex3"
check "unban of a key that is not banned: exit 1" not ctl unban 203.0.113.99
check "reset" ctl reset 192.0.2.50
check "after reset: accepted again" grep -q '^action accept' <(ctl explain x@example.com --ip 192.0.2.50)

# reload: a broken policy keeps the old one, a good one replaces it
digest0=$(get 'd["policy"]["digest"]')
printf 'limit ip 2/1h hold ban 1h\nlimit list * 5/1h holdd\n' >"$work/policy"
ctl reload >"$work/rl.out" 2>"$work/rl.err" && rc=0 || rc=$?
check "broken reload: exit 1" test "$rc" = 1
check "broken reload: the error, with line and column" grep -q "policy:2:19: unknown action" "$work/rl.err"
check "broken reload: the old policy stays" test "$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["digest"])')" = "$digest0"
send 2 mylist 192.0.2.60 b >/dev/null
printf 'limit ip 2/1h hold ban 1h\nlimit list mylist 0/1h reject\n' >"$work/policy"
check "good reload" ctl reload
check "the new policy decides" grep -q '^action reject' <(ctl explain x@example.com --list mylist --ip 198.51.100.1)
check "counters survived the reload" grep -q 'key 192.0.2.60 .*count 3 of 2' <(ctl explain x@example.com --list other --ip 192.0.2.60)
# Keys by scope, while a policy still has an ip limit (after the next
# reload no rule needs ip keys, and the idle sweep may drop them any time).
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.keys"
check "metrics: keys by scope" grep -qx 'subgate_keys{scope="ip"} 1' "$work/metrics.keys"

# SIGUSR1 reloads too
printf 'limit list mylist 0/1h discard\n' >"$work/policy"
reloads() { [ "$(grep -c 'reload: policy' "$work/subgate.log")" -ge "$1" ]; }
kill -USR1 "$pid"
wait_for 10 reloads 2
check "SIGUSR1 reloads" grep -q '^action discard' <(ctl explain x@example.com --list mylist --ip 198.51.100.1)

# A peer outside root, subgate's user and its group is refused.
chmod 0666 "$work/control.sock"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$SUBGATECTL" -c "$work/subgate.conf" status >/dev/null 2>"$work/perm.err" && rc=0 || rc=$?
check "outsider refused (exit 1)" test "$rc" = 1
check "outsider told why" grep -q 'permission denied' "$work/perm.err"
check "and the refusal logged" grep -q 'control: refused uid' "$work/subgate.log"

# Metrics, by value: 5 decisions so far (aah + 2 accepted from .60).
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics"
check "metrics: held by the ip rule" grep -qx 'subgate_decisions_total{action="hold",rule="limit ip 2/1h hold ban 1h",list="mylist"} 1' "$work/metrics"
check "metrics: accepted" grep -qx 'subgate_decisions_total{action="accept",rule="",list="mylist"} 4' "$work/metrics"
check "metrics: confirmations" grep -qx 'subgate_confirmations_total{mailman="2"} 5' "$work/metrics"
check "metrics: latency histogram count" grep -qx 'subgate_decision_latency_seconds_count 5' "$work/metrics"
check "metrics: up" grep -qx 'subgate_up 1' "$work/metrics"
check "metrics: other paths are 404" not curl -fsS "http://127.0.0.1:$port/" -o /dev/null

# A restart keeps the counters: saved at the stop, loaded at the start.
printf 'limit ip 2/1h hold ban 1h\n' >"$work/policy"
ctl reload >/dev/null
check "before the restart: accept, accept, hold" test "$(send 3 mylist 192.0.2.70 r)" = aah
stop_subgate() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}
start_subgate() {
	rm -f "$work/control.sock"
	"$SUBGATE" -f -c "$work/subgate.conf" 2>>"$work/subgate.log" &
	pid=$!
	wait_for 10 test -S "$work/control.sock"
	wait_for 10 test -S "$work/subgate.sock"
}
stop_subgate
check "the stop saved the counters" grep -q 'counters: saved [0-9]* bytes to .*/state/counters' "$work/subgate.log"
check "into state_dir/counters" test -s "$work/state/counters"
start_subgate
check "the start loaded them, ban included" grep -q 'counters: loaded [0-9]* keys and [0-9]* identities (1 bans, 0 without their rule' "$work/subgate.log"
check "after the restart: the ban still holds" test "$(send 1 mylist 192.0.2.70 s)" = h
check "and status names it" grep -q '"key":"192.0.2.70"' <(ctl status --json)
# A damaged file is set aside; subgate starts with empty counters.
stop_subgate
head -c 40 "$work/state/counters" >"$work/state/counters.cut"
mv "$work/state/counters.cut" "$work/state/counters"
start_subgate
check "a damaged file: warned about" grep -q 'counters: .*/state/counters: truncated .*set aside as .*counters.bad, counters start empty' "$work/subgate.log"
check "and set aside" test -s "$work/state/counters.bad"
check "after it: counters start afresh" test "$(send 1 mylist 192.0.2.70 t)" = a
# counters_save_interval (1s here): a crash loses at most that much.
check "before a crash: accept, accept, hold" test "$(send 3 mylist 192.0.2.80 u)" = aah
t_decided=$(date +%s.%N)
# a save that began after the last decision: mtime past it by an interval
saved_since() { python3 -c 'import os,sys; sys.exit(0 if os.stat(sys.argv[1]).st_mtime > float(sys.argv[2]) + 1.1 else 1)' "$work/state/counters" "$t_decided"; }
check "the timer saved the counters" wait_for 10 saved_since
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
start_subgate
check "after a crash: loaded, ban included" grep -q 'counters: loaded [0-9]* keys and [0-9]* identities (1 bans' "$work/subgate.log"
check "and the ban holds" test "$(send 1 mylist 192.0.2.80 v)" = h
# The journal: with no periodic save, a crash loses nothing that was
# decided, an unban included (replayed at the start).
stop_subgate
sed -i 's/^counters_save_interval = .*/counters_save_interval = 1h/' "$work/subgate.conf"
start_subgate
check "journal: accept, accept, hold" test "$(send 3 mylist 192.0.2.90 w)" = aah
check "journal: being written" test -s "$(ls "$work"/state/counters.journal.* | tail -n 1)"
crash() {
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}
crash
start_subgate
check "journal: the start replayed it" grep -q 'counters: replayed 3 decisions, unbans and resets from 1 journal' "$work/subgate.log"
check "journal: after a crash with no save, the ban holds" test "$(send 1 mylist 192.0.2.90 x)" = h
check "journal: replayed, then saved and removed" test "$(ls "$work"/state/counters.journal.* | wc -l)" = 1
check "journal: unban" ctl unban 192.0.2.90
check "journal: reset of another key" ctl reset 192.0.2.80
crash
start_subgate
check "journal: the unban survived a crash" grep -q '^action hold$' <(ctl explain x@example.com --ip 192.0.2.90)
check "journal: the reset too" grep -q '^action accept' <(ctl explain x@example.com --ip 192.0.2.80)
check "journal: no damaged record reported" not grep -q 'cut or damaged record' "$work/subgate.log"
stop_subgate
check "journal: a clean stop leaves none" test -z "$(ls "$work"/state/counters.journal.* 2>/dev/null)"
# The journal keeps the policy each decision was made under: requests
# under one policy, a reload, requests under the next, then the file
# edited without a reload, and a crash. The start replays each request
# under its own policy, then the edited file decides.
printf 'limit ip 5/1h hold\n' >"$work/policy"
start_subgate
check "policies: three under 5/1h, accepted" test "$(send 3 mylist 192.0.2.100 pa)" = aaa
printf 'limit ip 2/1h hold ban 1h\n' >"$work/policy"
check "policies: reload" ctl reload
check "policies: three under 2/1h with a ban" test "$(send 3 mylist 192.0.2.101 pb)" = aah
printf 'limit ip 9/1h hold\n' >"$work/policy"
crash
start_subgate
check "policies: the start says so" grep -q 'counters: replayed under 2 journaled policy change(s), each decision under the policy that made it' "$work/subgate.log"
check "policies: the ban made under 2/1h holds" grep -q '^action hold (banned)' <(ctl explain x@example.com --ip 192.0.2.101)
check "policies: no ban where 5/1h decided" grep -q '^action accept' <(ctl explain x@example.com --ip 192.0.2.100)
check "policies: the edited file decides now" grep -q 'limit ip 9/1h hold .*key 192.0.2.100 .*count 4 of 9' <(ctl explain x@example.com --ip 192.0.2.100)
stop_subgate

# A flood of new keys does not lift a ban: with max_keys at its least
# (1000), 1200 requests from as many addresses evict keys, but pass over
# the banned one when it comes first in line.
echo "max_keys = 1000" >>"$work/subgate.conf"
printf 'limit ip 2/1h hold ban 1h\n' >"$work/policy"
start_subgate
check "flood: accept, accept, hold" test "$(send 3 mylist 192.0.2.95 f)" = aah
flood=$(send 1200 mylist '10.9.%d.%d' g)
check "flood: 1200 new addresses, each accepted" test "$flood" = "$(printf 'a%.0s' $(seq 1 1200))"
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.flood"
evicted=$(sed -n 's/^subgate_evictions_total{scope="ip"} //p' "$work/metrics.flood")
check "flood: keys were evicted ($evicted)" test "${evicted:-0}" -ge 200
check "flood: the ban was not one of them" grep -qx 'subgate_bans_evicted_total 0' "$work/metrics.flood"
check "flood: the ban holds" test "$(send 1 mylist 192.0.2.95 h)" = h
check "flood: status counts no ban evicted" test "$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bans_evicted"])')" = 0
stop_subgate
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
