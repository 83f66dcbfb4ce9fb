#!/bin/bash
# top.sh -- subgatectl top on the captured Mailman 2.1 log lines
# (mailman.md 1.3), plain and gzip-compressed. The expected figures were
# counted by hand from the log: 12 pending records, mallory twice by mail,
# four from 192.0.2.0/24, the forwarded-for chain read as 10.0.0.2 (no
# trusted proxies), real names never taken for addresses.
. "$(dirname "$0")/lib.bash"
log=$DATA/logs/mailman21-sample.log
want='{"lines":26,"records":25,"pending":12,"errors":0,"first":1796321493,"last":1796321764,"ips":[{"key":"mallory@example.com","count":2},{"key":"10.0.0.2","count":1},{"key":"192.0.2.10","count":1}],"subnets":[{"key":"192.0.2.0/24","count":4},{"key":"10.0.0.0/24","count":1},{"key":"203.0.113.0/24","count":1}],"domains":[{"key":"example.com","count":8},{"key":"example.net","count":2},{"key":"example.org","count":1}],"lists":[{"key":"mylist","count":11},{"key":"rulist","count":1}]}'

run_ctl "$WORK/out" "$WORK/err" top -n 3 --json "$log"
expect_eq "top --json exit" "$rc" 0
expect_eq "top --json" "$(cat "$WORK/out")" "$want"

gzip -c "$log" >"$WORK/subscribe.1.gz"
run_ctl "$WORK/out" "$WORK/err" top -n 3 --json "$WORK/subscribe.1.gz"
expect_eq "top on .gz" "$(cat "$WORK/out")" "$want"

# Two files, rotated + live: counts add up, line numbers keep going.
run_ctl "$WORK/out" "$WORK/err" top -n 1 --json "$WORK/subscribe.1.gz" "$log"
expect_match "two files" "$(cat "$WORK/out")" '^\{"lines":52,"records":50,"pending":24,'

# A trusted proxy makes the forwarded-for chain yield the client.
printf 'trusted_proxies = 10.0.0.0/8\n' >"$WORK/subgate.conf"
run_ctl "$WORK/out" "$WORK/err" -c "$WORK/subgate.conf" top -n 20 --json "$log"
expect_match "trusted proxy" "$(cat "$WORK/out")" '"key":"198\.51\.100\.7","count":1'
run_ctl "$WORK/out" "$WORK/err" top -c "$WORK/subgate.conf" -n 20 --json "$log"
expect_match "-c after the command" "$(cat "$WORK/out")" '"key":"198\.51\.100\.7"'

# Prefix lengths come from the config too.
printf 'ipv4_prefix = 16\n' >"$WORK/p16.conf"
run_ctl "$WORK/out" "$WORK/err" -c "$WORK/p16.conf" top -n 1 --json "$log"
expect_match "ipv4_prefix 16" "$(cat "$WORK/out")" '"subnets":\[\{"key":"192\.0\.0\.0/16","count":4\}'

# The readable table names the same leaders.
run_ctl "$WORK/out" "$WORK/err" top -n 2 "$log"
expect_eq "top exit" "$rc" 0
expect_match "table" "$(cat "$WORK/out")" '^ +2  mallory@example\.com$'
expect_match "table span" "$(cat "$WORK/out")" '^span  271s$'

# Usage errors.
run_ctl "$WORK/out" "$WORK/err" top
expect_eq "top without LOG" "$rc" 2
run_ctl "$WORK/out" "$WORK/err" top -n 0 "$log"
expect_eq "top -n 0" "$rc" 2
run_ctl "$WORK/out" "$WORK/err" -c "$WORK/nonexistent.conf" top "$log"
expect_eq "missing -c file" "$rc" 2
finish
