#!/bin/bash
# replay.sh -- subgatectl replay: the seed's fail2ban jail reproduced
# exactly on a seed-model attack; Mailman's hourly retries of deferred
# confirmations; the decisions file; summary figures; the log's local time
# read in subgatectl's time zone, across the end of summer time.
. "$(dirname "$0")/lib.bash"

# 1. "limit ip 5/12h reject ban 24h" is the seed's jail: compare every
#    decision with an independent model of it (replay_fail2ban.py).
python3 "$TOP/tests/bench/genlog.py" --seed 11 --scale 1 --quiet \
    --out "$WORK/seed.log" --labels "$WORK/seed.labels"
echo "limit ip 5/12h reject ban 24h" >"$WORK/jail.policy"
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/jail.policy" --json \
    --decisions "$WORK/d.jsonl" "$WORK/seed.log"
expect_eq "replay exit" "$rc" 0
checks=$((checks + 1))
python3 "$(dirname "$0")/replay_fail2ban.py" "$WORK/seed.log" "$WORK/d.jsonl" ||
    fail "replay differs from the fail2ban model"
expect_eq "one decision per pending line" "$(wc -l <"$WORK/d.jsonl")" \
    "$(grep -c ': pending ' "$WORK/seed.log")"
expect_match "summary" "$(cat "$WORK/out")" '"outcomes":\{"delivered":[0-9]+,"held":0,"rejected":[1-9][0-9]*,"discarded":0,"expired":0\}'

# Bounded counters: with max_keys = 1000 the least recently used keys go,
# and replay says how many.
printf 'max_keys = 1000\n' >"$WORK/small.conf"
run_ctl "$WORK/out" "$WORK/err" -c "$WORK/small.conf" replay \
    --policy "$WORK/jail.policy" --json "$WORK/seed.log"
expect_match "evictions counted" "$(cat "$WORK/out")" '"memory":\{"keys":1000,"bytes":[0-9]+,"bytes_per_key":[0-9.]+,"evicted":[1-9][0-9]*\}'

# 2. Deferral and Mailman's retries, by hand: a domain limit of 2 per hour.
cat >"$WORK/retry.log" <<'LOG'
Dec 03 10:00:00 2026 (1) l: pending a@yahoo.com  192.0.2.1
Dec 03 10:00:01 2026 (2) l: pending b@yahoo.com  192.0.2.2
Dec 03 10:00:02 2026 (3) l: pending c@yahoo.com  192.0.2.3
Dec 03 10:00:03 2026 (4) l: pending d@gmail.com  192.0.2.4
Dec 03 10:30:00 2026 (5) l: pending e@yahoo.com  192.0.2.5
LOG
echo "limit domain * 2/1h defer" >"$WORK/dom.policy"
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/dom.policy" \
    --decisions "$WORK/r.jsonl" "$WORK/retry.log"
expect_eq "retry exit" "$rc" 0
# c is deferred at 10:00:02 and retried hourly: at 11:00:02 a (10:00:00)
# and b (10:00:01) have left the hour: delivered after 3600 s. e (10:30)
# is retried at 11:30:00, when c (11:00:02) and nothing else is inside:
# delivered after 3600 s too.
got=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); print(d["line"], d["addr"], d["outcome"], d["delay_s"], d["rule"])' "$WORK/r.jsonl")
expect_eq "retried decisions" "$got" "1 a@yahoo.com delivered 0 
2 b@yahoo.com delivered 0 
3 c@yahoo.com delivered 3600 
4 d@gmail.com delivered 0 
5 e@yahoo.com delivered 3600 "
expect_match "text summary" "$(cat "$WORK/out")" 'delivered after a delay: 2'
# The same without --decisions: the retry heap then owns the waiting
# records (freed as they settle; the sanitizer build checks it).
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/dom.policy" --json \
    "$WORK/retry.log"
expect_match "retries, no decisions file" "$(cat "$WORK/out")" '"outcomes":\{"delivered":5,"held":0,"rejected":0,"discarded":0,"expired":0\},"delivered_late":2'

# 3. A limit that never drains: deferred for five days, then expired.
echo "limit domain yahoo.com 0/1h defer" >"$WORK/zero.policy"
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/zero.policy" --json \
    --decisions "$WORK/z.jsonl" "$WORK/retry.log"
expect_match "expired" "$(cat "$WORK/out")" '"outcomes":\{"delivered":1,"held":0,"rejected":0,"discarded":0,"expired":4\}'
expect_match "expired rule" "$(head -1 "$WORK/z.jsonl")" '"outcome":"expired","delay_s":0,"rule":"limit domain yahoo.com 0/1h defer"'
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/zero.policy" --json \
    "$WORK/retry.log"
expect_match "expired, no decisions file" "$(cat "$WORK/out")" '"outcomes":\{"delivered":1,"held":0,"rejected":0,"discarded":0,"expired":4\}'

# 4. Mailman writes local time. Under Central European rules, where
#    summer time ends (2021-10-31, 03:00 -> 02:00), the log runs through
#    02:00-03:00 twice: read in that zone, five requests from one address
#    spread over 1 h 41 min stay within "3 per hour"; read as UTC (the
#    wall clock taken at its word) they would not.
cat >"$WORK/fold.log" <<'LOG'
Oct 31 01:59:00 2021 (1) l: pending a@example.org  192.0.2.1
Oct 31 02:10:00 2021 (2) l: pending b@example.org  192.0.2.1
Oct 31 02:50:00 2021 (3) l: pending c@example.org  192.0.2.1
Oct 31 02:05:00 2021 (4) l: pending d@example.org  192.0.2.1
Oct 31 02:40:00 2021 (5) l: pending e@example.org  192.0.2.1
LOG
echo "limit ip 3/1h reject" >"$WORK/fold.policy"
cet='CET-1CEST,M3.5.0,M10.5.0/3'
TZ=$cet run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/fold.policy" \
    --json --decisions "$WORK/fold.jsonl" "$WORK/fold.log"
expect_match "local time: all delivered" "$(cat "$WORK/out")" '"outcomes":\{"delivered":5,'
expect_eq "local time: the times, UTC" \
    "$(sed -n 's/.*"time":\([0-9]*\).*/\1/p' "$WORK/fold.jsonl" | tr '\n' ' ')" \
    "$(for t in 2021-10-30T23:59 2021-10-31T00:10 2021-10-31T00:50 2021-10-31T01:05 2021-10-31T01:40; do date -u -d "${t}Z" +%s; done | tr '\n' ' ')"
TZ=UTC run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/fold.policy" \
    --json "$WORK/fold.log"
expect_match "read as UTC: the 4th and 5th rejected" "$(cat "$WORK/out")" '"outcomes":\{"delivered":3,"held":0,"rejected":2,'
TZ=$cet run_ctl "$WORK/out" "$WORK/err" top --json "$WORK/fold.log"
expect_match "top: first and last, UTC" "$(cat "$WORK/out")" "\"first\":$(date -u -d 2021-10-30T23:59Z +%s),\"last\":$(date -u -d 2021-10-31T01:40Z +%s)"
TZ=$cet run_ctl "$WORK/out" "$WORK/err" top "$WORK/fold.log"
expect_match "top: first, as the log's clock showed it" "$(cat "$WORK/out")" '^first 2021-10-31 01:59:00$'
expect_match "top: last, as the log's clock showed it" "$(cat "$WORK/out")" '^last  2021-10-31 02:40:00$'

# 5. A broken policy is refused before any log is read.
echo "limit ip five/12h hold" >"$WORK/bad.policy"
run_ctl "$WORK/out" "$WORK/err" replay --policy "$WORK/bad.policy" "$WORK/retry.log"
expect_eq "broken policy exit" "$rc" 1
expect_match "broken policy message" "$(cat "$WORK/err")" 'bad.policy:1:10: '
finish
