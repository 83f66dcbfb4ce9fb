#!/bin/bash
# demo-postfix.sh -- the milter's main job, live: a subscription-bombing
# attack shaped like the project's seed, played against a real Postfix with
# subgate in smtpd_milters.
#
#   contrib/demo-postfix.sh [--keep] [--scale K] [--duration S] [--senders N]
#
# On a fresh Debian 12 machine, as root: installs what is missing
# (contrib/setup-debian.sh --test: the build dependencies and postfix),
# builds subgate in build-demo/ (Release, no tests), then starts, on
# 127.0.0.1 only and on ports picked at run time, with the integration
# tests' library (tests/integration/harness.bash):
#   - an SMTP sink standing in for the victims' mail servers;
#   - subgate, with the shipped policy contrib/subgate.policy (named
#     explicitly in its subgate.conf) and a subscribe log of its own;
#   - a private Postfix instance (its own main.cf, queue and log, never the
#     system's) relaying to the sink, subgate in its smtpd_milters.
# genlog.py then writes a Mailman 2.1 subscribe log shaped like the seed's
# attack at scale K (default 0.05: about 900 attack requests and 15 genuine
# sign-ups over 72 minutes), and demo_attack.py plays it the way Mailman
# would: for each request, in order, the pending line goes to the subscribe
# log, and a moment later the confirmation (tests/integration/mkmsg.py
# mm21-join: that list, recipient and requester) goes to Postfix over SMTP.
# The log's time is compressed into about S seconds (default 40). subgate
# keeps real time, so the whole attack falls inside the first window of
# every limit. Then: what happened, per origin, recipient domain and list,
# attack vs genuine (genlog's labels), and how to look at the hold queue.
#
# Everything is removed at the end (the harness's trap), unless --keep is
# given: then Postfix, subgate and the sink keep running and the commands
# to look at them and to stop them are printed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=demo-lib.bash
. contrib/demo-lib.bash
demo_as_root "$@"

keep=
scale=0.05
duration=40
senders=6
usage() {
	echo "usage: contrib/demo-postfix.sh [--keep] [--scale K] [--duration S] [--senders N]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	--scale) [ $# -ge 2 ] || usage; scale=$2; shift ;;
	--duration) [ $# -ge 2 ] || usage; duration=$2; shift ;;
	--senders) [ $# -ge 2 ] || usage; senders=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage ;;
	esac
	shift
done
start=$SECONDS

demo_build

# shellcheck source=../tests/integration/harness.bash
. tests/integration/harness.bash
h_setup
h_sink_start
log=$H_DIR/subscribe
: >"$log"
h_subgate_conf "user = nobody" "policy = $top/contrib/subgate.policy" \
	"subscribe_log = $log" >"$H_DIR/subgate.conf"
"$subgate" -n -c "$H_DIR/subgate.conf" >/dev/null
h_spawn subgate "$subgate" -f -c "$H_DIR/subgate.conf"
subgate_pid=$H_LAST_PID
h_wait_for 10 test -S "$H_DIR/subgate.sock"
h_postfix_start "unix:$H_DIR/subgate.sock"
# For subgatectl quarantine: this instance's queue, not the system's.
echo "postfix_config_directory = $H_CONF" >>"$H_DIR/subgate.conf"

echo "== A private Postfix on 127.0.0.1:$H_PORT with subgate in smtpd_milters"
echo "Work dir $H_DIR: Postfix in pf1/ (queue pf1/queue, log pf1/maillog),"
echo "subgate (user nobody, socket subgate.sock, log subgate.log) following"
echo "the subscribe log subscribe, the victims' servers an SMTP sink on"
echo "127.0.0.1:$H_SINK_PORT. subgate's policy: contrib/subgate.policy, the"
echo "shipped file named in subgate.conf (the built-in copy, used when the"
echo "default /etc/subgate/subgate.policy is absent, is the same text):"
sed -n 's/^\([a-z]\)/    \1/p' contrib/subgate.policy

echo
echo "== The attack: genlog.py --scale $scale (the seed's shape, with genuine sign-ups)"
python3 tests/bench/genlog.py --seed 1 --scale "$scale" \
	--out "$H_DIR/attack.log" --labels "$H_DIR/attack.labels" 2>&1 |
	sed -n '1,4p'
echo "subgate judges by its own clock, in real time: the policy's windows"
echo "(1 h to 1 d) are far longer than this run, so the whole attack happens"
echo "inside the first window of every limit, as its first hour would."
python3 contrib/demo_attack.py play --log "$H_DIR/attack.log" \
	--labels "$H_DIR/attack.labels" --subscribe-log "$log" --port "$H_PORT" \
	--msgdir "$H_DIR/msgs" --results "$H_DIR/replies.jsonl" \
	--duration "$duration" --senders "$senders"

# Wait for Postfix to finish: everything accepted is delivered or held.
# shellcheck disable=SC2317 # called through h_wait_for
settled() {
	postqueue -c "$H_CONF" -j >"$H_DIR/queue.json" || return 1
	! grep -vq '"queue_name": *"hold"' "$H_DIR/queue.json"
}
h_flush >/dev/null 2>&1 || true
h_wait_for 120 settled
subgate_alive() { kill -0 "$subgate_pid" 2>/dev/null; }
if ! subgate_alive; then
	echo "demo-postfix.sh: subgate died; its log:" >&2
	tail -n 20 "$H_DIR/subgate.log" >&2
	exit 1
fi

"$subgatectl" replay --json \
	--policy contrib/subgate.policy "$H_DIR/attack.log" >"$H_DIR/replay.json"

echo
rc=0
python3 contrib/demo_attack.py report --replay-json "$H_DIR/replay.json" --results "$H_DIR/replies.jsonl" \
	--sink-dir "$H_SINK_DIR" --queue-json "$H_DIR/queue.json" \
	--subgate-log "$H_DIR/subgate.log" || rc=$?
echo "The sink holds $(h_sink_count) messages; the hold queue" \
	"$(grep -c '"queue_name": *"hold"' "$H_DIR/queue.json" || true)."

id=$(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["queue_name"] == "hold":
        print(o["queue_id"])
        break' "$H_DIR/queue.json")
C=$H_CONF
echo
echo "== The quarantine: what subgate held, by origin (subgatectl quarantine list --by ip)"
"$subgatectl" -c "$H_DIR/subgate.conf" quarantine list --by ip >"$H_DIR/by-ip"
head -n 8 "$H_DIR/by-ip"
echo "== The hold queue of this instance"
echo "  subgatectl -c $H_DIR/subgate.conf quarantine list [--by ip|subnet|domain|list]"
echo "  subgatectl -c $H_DIR/subgate.conf quarantine release|delete ID... | --ip X [--yes]"
echo "  postqueue -c $C -j | grep '\"queue_name\": \"hold\"'   # list (JSON), or -p"
echo "  postcat -c $C -q ${id:-ID}       # read one"
echo "  postsuper -c $C -H ${id:-ID}     # release it (delivered to the sink)"
echo "  postsuper -c $C -d ${id:-ID}     # delete it"
echo "  grep 'action=hold' $H_DIR/subgate.log   # why"
if [ -n "$keep" ] && [ "$rc" -eq 0 ]; then
	trap - EXIT HUP INT TERM
	echo
	echo "--keep: Postfix, subgate and the sink keep running. In $H_DIR:"
	echo "replies.jsonl (each SMTP reply), subscribe (the log subgate follows),"
	echo "subgate.log (each decision), pf1/maillog, sink/msgs (what was delivered)."
	echo "To stop them:"
	echo "  postfix -c $C stop"
	echo "  kill $subgate_pid $H_SINK_PID"
	echo "  rm -rf $H_DIR"
else
	echo "(these work while the instance runs: it is removed now; pass --keep to keep it)"
fi
echo
echo "Done in $((SECONDS - start)) s."
exit "$rc"
