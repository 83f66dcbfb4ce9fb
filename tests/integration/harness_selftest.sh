#!/bin/bash
# harness_selftest.sh - checks tests/integration/harness.bash itself (no milter
# of ours needed): private Postfix -> sink delivery, header_checks HOLD and
# postsuper -h, milter down -> 4xx, two instances side by side, teardown on
# exit/failure/signal leaving no process behind.  As root; a few seconds.
# Prints "N passed, M failed"; exit status 1 on any failure.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail # no -e: every check runs and is counted
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=harness.bash
. "$HERE/harness.bash"
T0=$EPOCHREALTIME

h_setup || exit 1
DIR=$H_DIR

# mkmsg FILE SUBJECT - a small RFC 5322 message
mkmsg() {
	printf '%s\n' "From: Example List <list@example.org>" "To: user@example.net" \
		"Subject: $2" "Message-ID: <$RANDOM.$RANDOM@selftest.example>" \
		"Date: $(date -R)" "" "Please confirm your subscription." ".leading dot" >"$1"
}
matches() { grep -Eq -- "$2" <<<"$1"; }                 # matches TEXT REGEX
in_list() { grep -qx -- "$2" <<<"$1"; }                 # in_list LINES WORD
hold_has() { in_list "$(h_hold_ids)" "$1"; }            # hold_has QID
not() { ! "$@"; }
quiet() { "$@" >/dev/null; }
body_kept() { grep -qx "From: Example List <list@example.org>" "$1" && grep -qx ".leading dot" "$1"; }
both_held() { local ids; ids=$(h_hold_ids) && in_list "$ids" "$1" && in_list "$ids" "$2"; }

# ---- 1. plain delivery: client -> private Postfix -> sink
printf '/^Subject: .*HOLDME/ HOLD held by the selftest\n' >"$DIR/header_checks"
h_check "sink starts" h_sink_start
h_check "postfix instance 1 starts (no milter, header_checks)" \
	h_postfix_start "" "header_checks = regexp:$DIR/header_checks"
PORT1=$H_PORT
mkmsg "$DIR/m1.eml" "selftest one"
r=$(h_send "$DIR/m1.eml" --from list-bounces@example.org --to user@example.net --to other@example.net)
echo "   m1: $r"
q1=$(h_qid "$r")
h_check "m1 accepted with 250 and a queue id" matches "$r" "^250 2\.0\.0 Ok: queued as [0-9A-F]+$"
h_check "m1 reaches the sink (bounded wait)" h_wait_for 10 h_sink_find '^Subject: selftest one$'
f=$(h_sink_find '^Subject: selftest one$' | head -n 1)
h_check "sink file: envelope sender" grep -qx 'X-Sink-From: list-bounces@example.org' "$f"
h_check "sink file: both recipients" test "$(grep -c '^X-Sink-Rcpt: \(user\|other\)@example.net$' "$f")" = 2
h_check "sink file: Postfix Received header with the queue id" \
	quiet h_sink_find "^Received: from client\.example .*by harness\.localdomain \(Postfix\) with ESMTP id $q1"
h_check "sink file: original headers and dot-stuffed body kept" body_kept "$f"
h_check "maillog: status=sent for m1" h_wait_for 5 h_maillog_grep -q "$q1: to=<user@example.net>.*status=sent"
h_check "sink count is 1" test "$(h_sink_count)" = 1

# ---- 2. hold queue: header_checks HOLD
mkmsg "$DIR/m2.eml" "HOLDME please"
r=$(h_send "$DIR/m2.eml")
q2=$(h_qid "$r")
echo "   m2: $r"
h_check "m2 (header_checks HOLD) accepted" matches "$r" "^250 "
h_check "h_hold_ids lists m2" h_wait_for 5 hold_has "$q2"
h_check "h_queue_json says queue_name hold" \
	matches "$(h_queue_json)" "\"queue_name\": \"hold\", \"queue_id\": \"$q2\""
h_check "maillog: hold logged" h_maillog_grep -q "$q2: hold: header Subject: HOLDME"

# ---- 3. postsuper -h on a deferred message, release, deliver
h_sink_reply data "451 4.3.0 sink busy"
mkmsg "$DIR/m3.eml" "selftest three"
r=$(h_send "$DIR/m3.eml")
q3=$(h_qid "$r")
echo "   m3: $r"
h_check "m3 deferred by the sink's 451" h_wait_for 10 h_maillog_grep -q "$q3: .*status=deferred .*451 4\.3\.0 sink busy"
h_postsuper -h "$q3" 2>/dev/null
h_check "postsuper -h: h_hold_ids lists m3 and m2" both_held "$q3" "$q2"
h_sink_reply data
h_postsuper -H "$q3" 2>/dev/null
h_postqueue -i "$q3"
h_check "released m3 reaches the sink" h_wait_for 10 h_sink_find '^Subject: selftest three$'
h_check "m3 left the hold queue, m2 still held" test "$(h_hold_ids)" = "$q2"
h_postsuper -d "$q2" hold 2>/dev/null
h_check "postsuper -d empties the hold queue" test -z "$(h_hold_ids)"
h_check "h_flush runs" h_flush

# ---- 4. milter configured but nothing listening: milter_default_action = tempfail
h_check "postfix instance 2 starts (unix: milter, nobody listening)" \
	h_postfix_start "unix:$DIR/nothing-here.sock"
h_check "instance 2 has its own port" test "$H_PORT" != "$PORT1"
mkmsg "$DIR/m4.eml" "selftest four"
r=$(h_send "$DIR/m4.eml")
echo "   m4: $r"
h_check "milter down (unix:) -> 4xx" matches "$r" "^4[0-9][0-9] 4\.7\.1 "
h_check "maillog 2: milter connect failure logged" \
	h_wait_for 5 h_maillog_grep -q "connect to Milter service unix:$DIR/nothing-here.sock: No such file"
# this one with postfix-script's own checks (no quick start)
H_POSTFIX_CHECKS=1 h_check "postfix instance 3 starts (inet: milter, nobody listening; full checks)" \
	h_postfix_start "inet:127.0.0.1:$H_MILTER_PORT"
r=$(h_send "$DIR/m4.eml")
echo "   m4 via instance 3: $r"
h_check "milter down (inet:) -> 4xx" matches "$r" "^4[0-9][0-9] 4\.7\.1 "
h_check "nothing of m4 queued" test -z "$(h_queue_ids)"
h_postfix_use 1
mkmsg "$DIR/m5.eml" "selftest five"
r=$(h_send "$DIR/m5.eml")
echo "   m5 via instance 1: $r"
h_check "instance 1 still accepts while 2 and 3 run" h_wait_for 10 h_sink_find '^Subject: selftest five$'
h_check "loopback only: no milter spec outside 127/8 accepted" not h__check_milter "inet:192.0.2.1:1" 2>/dev/null

# ---- 5. teardown by the trap: on a signal and on a failing `set -e` script
child() { # MODE OUTFILE: start sink + postfix + a spawned process, then die
	# shellcheck disable=SC2016 # the child expands its own variables
	timeout 60 bash -c '
		. "$1"; out=$3
		h_setup && h_sink_start && h_postfix_start "" && h_spawn sleeper sleep 300 || exit 9
		echo "$H_DIR" >"$out"
		case $2 in
		signal) kill -TERM $$; sleep 5 ;;
		fail) set -e; false; echo "not reached" ;;
		esac' child "$HERE/harness.bash" "$1" "$2" >/dev/null 2>&1
}
gone() { # DIR - no directory, no process refers to it
	[ ! -e "$1" ] && [ -z "$(h_leftovers "$1")" ] && ! pgrep -f -- "$1/" >/dev/null
}
child signal "$DIR/child1"
rc=$?
h_check "SIGTERM: script exits 143" test "$rc" = 143
h_check "SIGTERM: trap tore everything down" gone "$(cat "$DIR/child1")"
child fail "$DIR/child2"
rc=$?
h_check "set -e failure: script exits 1" test "$rc" = 1
h_check "set -e failure: trap tore everything down" gone "$(cat "$DIR/child2")"

# ---- 6. explicit teardown of this run
masters=()
for c in "$DIR"/pf*/queue/pid/master.pid; do
	[ -s "$c" ] && masters+=("$(tr -d ' ' <"$c")")
done
sinkpid=$H_SINK_PID
ports=("$H_SINK_PORT")
for c in "$DIR"/pf*/port; do ports+=("$(cat "$c")"); done
h_teardown
h_check "teardown: work dir removed, pgrep -f finds nothing" gone "$DIR"
h_check "teardown: masters (${masters[*]}) and sink ($sinkpid) gone" h__dead "${masters[@]}" "$sinkpid"
none_listening() { local p; for p; do h__listening "$p" && return 1; done; return 0; }
h_check "teardown: no listener left on ports ${ports[*]}" none_listening "${ports[@]}"
h_check "teardown is idempotent" h_teardown

t=${EPOCHREALTIME/[.,]/}
t0=${T0/[.,]/}
echo "selftest time: $(((t - t0) / 1000)) ms"
h_finish
