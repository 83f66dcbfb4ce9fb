#!/bin/bash
# check_policy.sh -- subgatectl check-policy: the shipped policy parses and
# its canonical form is a fixed point; a broken file reports every error
# with file:line:col and exit 1; an unreadable one exits 2.
. "$(dirname "$0")/lib.bash"

run_ctl "$WORK/canon" "$WORK/err" check-policy -v "$TOP/contrib/subgate.policy"
expect_eq "shipped policy exit" "$rc" 0
expect_eq "shipped policy stderr" "$(cat "$WORK/err")" ""
run_ctl "$WORK/canon2" "$WORK/err" check-policy -v "$WORK/canon"
expect_eq "canonical form parses" "$rc" 0
expect_eq "canonical form is a fixed point" "$(cat "$WORK/canon2")" \
    "$(cat "$WORK/canon")"
run_ctl "$WORK/out" "$WORK/err" check-policy "$TOP/contrib/subgate.policy"
expect_eq "without -v prints nothing" "$(cat "$WORK/out")" ""

# Written by hand: the canonical form of a small policy.
cat >"$WORK/p" <<'POL'
# comment
allow   ip 192.0.2.0/24   # trailing comment
limit ip 5/12h hold ban 24h
limit domain Yahoo.COM 100/60m defer
POL
run_ctl "$WORK/out" "$WORK/err" check-policy -v "$WORK/p"
expect_eq "canonical text" "$(cat "$WORK/out")" "allow ip 192.0.2.0/24
limit ip 5/12h hold ban 1d
limit domain yahoo.com 100/1h defer"

# Fifty broken lines: fifty messages, then a count, exit 1.
for i in $(seq 1 50); do
	echo "limit ip $i/12x hold"
done >"$WORK/bad"
run_ctl "$WORK/out" "$WORK/err" check-policy "$WORK/bad"
expect_eq "broken policy exit" "$rc" 1
expect_eq "one message per error" \
    "$(grep -c "^$WORK/bad:[0-9]*:[0-9]*: " "$WORK/err")" 50
expect_match "first error names line and column" "$(head -1 "$WORK/err")" \
    "^$WORK/bad:1:10: "
expect_match "summary" "$(tail -1 "$WORK/err")" "50 errors, policy not loaded"

run_ctl "$WORK/out" "$WORK/err" check-policy "$WORK/missing"
expect_eq "missing policy exit" "$rc" 2
expect_match "missing policy message" "$(cat "$WORK/err")" "No such file"
run_ctl "$WORK/out" "$WORK/err" check-policy
expect_eq "usage" "$rc" 2
finish
