#!/bin/bash
# daemon_config.sh -- subgate -n and the shipped configuration: the
# contrib/ files parse, the built-in policy is the shipped one, and a broken
# configuration or policy is refused with every error named; a socket
# directory that does not exist is named.
. "$(dirname "$0")/lib.bash"
: "${SUBGATE:?}"

# The shipped subgate.conf, with a user that exists here.
sed 's/^user = subgate$/user = root/' "$TOP/contrib/subgate.conf" >"$WORK/ok.conf"
run_daemon() { rc=0; "$SUBGATE" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?; }
run_daemon -n -c "$WORK/ok.conf"
expect_eq "shipped subgate.conf exit" "$rc" 0
expect_eq "shipped subgate.conf" "$(cat "$WORK/out")" "configuration OK"
run_ctl "$WORK/o" "$WORK/e" -c "$TOP/contrib/subgate.conf" top "$DATA/logs/mailman21-sample.log"
expect_eq "subgatectl reads the shipped subgate.conf" "$rc" 0

# With the default policy path absent, the built-in policy is the shipped one.
printf 'user = root\npolicy = /etc/subgate/subgate.policy\n' >"$WORK/builtin.conf"
if [ ! -e /etc/subgate/subgate.policy ]; then
	run_daemon -n -v -c "$WORK/builtin.conf"
	expect_eq "built-in policy exit" "$rc" 0
	run_ctl "$WORK/canon" "$WORK/e" check-policy -v "$TOP/contrib/subgate.policy"
	expect_eq "built-in policy is contrib/subgate.policy" \
	    "$(sed '$d' "$WORK/out")" "$(cat "$WORK/canon")"
fi

# A configured policy that is missing is an error, not a silent default.
printf 'user = root\npolicy = %s\n' "$WORK/nope.policy" >"$WORK/missing.conf"
run_daemon -n -c "$WORK/missing.conf"
expect_eq "missing policy exit" "$rc" 1
expect_match "missing policy message" "$(cat "$WORK/err")" 'nope.policy: No such file'

# Every configuration error, with file and line.
cat >"$WORK/bad.conf" <<'CONF'
user = root
max_keys = 12
wait_for_log = forever
colour = blue
on_internal_error = maybe
socket
user = root
mta = exim
CONF
run_daemon -n -c "$WORK/bad.conf"
expect_eq "bad conf exit" "$rc" 1
expect_match "bound" "$(cat "$WORK/err")" "bad.conf:2: max_keys: want a whole number from 1000 to 100000000"
expect_match "duration" "$(cat "$WORK/err")" "bad.conf:3: wait_for_log: want a duration"
expect_match "unknown key" "$(cat "$WORK/err")" 'bad.conf:4: unknown key "colour"'
expect_match "enum" "$(cat "$WORK/err")" "bad.conf:5: on_internal_error: want one of: accept tempfail"
expect_match "no =" "$(cat "$WORK/err")" 'bad.conf:6: want "key = value"'
expect_match "twice" "$(cat "$WORK/err")" "bad.conf:7: user set twice"
expect_match "mta" "$(cat "$WORK/err")" "bad.conf:8: mta: want one of: postfix sendmail"

# A broken policy: every error, and the daemon does not start.
printf 'limit ip 5/12h hold\nlimit ip 5/12x hold\nlimit domain 50/1h defer\n' >"$WORK/bad.policy"
printf 'user = root\npolicy = %s\n' "$WORK/bad.policy" >"$WORK/badpol.conf"
run_daemon -n -c "$WORK/badpol.conf"
expect_eq "bad policy exit" "$rc" 1
expect_eq "bad policy errors" "$(grep -c "bad.policy:[23]:" "$WORK/err")" 2

# Usage.
run_daemon -x
expect_eq "unknown option" "$rc" 2
run_daemon -n -c "$WORK/nonexistent.conf"
expect_eq "missing -c file" "$rc" 1

# A socket whose directory is missing (as /var/spool/postfix/subgate before
# it is made): subgate stops at once and says what to create.
printf 'limit ip 5/1h hold\n' >"$WORK/p"
for k in "socket = unix:$WORK/nodir/subgate.sock" "user = root" "policy = $WORK/p" \
	"subscribe_log =" "state_dir = $WORK/state" "pid_file =" "control_socket ="; do
	echo "$k"
done >"$WORK/nodir.conf"
run_daemon -n -c "$WORK/nodir.conf"
expect_eq "socket directory missing: -n still passes" "$rc" 0
expect_match "socket directory missing: -n warns" "$(cat "$WORK/err")" \
	"subgate: warning: the milter socket unix:$WORK/nodir/subgate.sock: its directory $WORK/nodir does not exist"
rc=0
timeout 10 "$SUBGATE" -f -c "$WORK/nodir.conf" >"$WORK/out" 2>"$WORK/err" || rc=$?
expect_eq "socket directory missing: exit" "$rc" 1
expect_match "socket directory missing: says what to create" "$(cat "$WORK/err")" \
	"cannot open the milter socket unix:$WORK/nodir/subgate.sock: its directory $WORK/nodir does not exist \\(create it, e.g. install -d -m 0755 $WORK/nodir\\)"
finish
