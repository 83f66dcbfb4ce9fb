#!/bin/bash
# badinput.sh -- hostile and broken logs: every case gets a clear message,
# a count and a defined exit status, never a crash.
. "$(dirname "$0")/lib.bash"
pol=$WORK/policy
echo "limit ip 5/12h hold" >"$pol"
good='Dec 03 18:11:33 2026 (16297) mylist: pending alice@example.com  192.0.2.10'

# A 1 MiB line between two good records.
{
	echo "$good"
	head -c $((1024 * 1024)) /dev/zero | tr '\0' 'A'
	echo
	echo "$good"
} >"$WORK/long.log"
run_ctl "$WORK/out" "$WORK/err" top --json "$WORK/long.log"
expect_eq "1 MiB line exit" "$rc" 0
expect_match "1 MiB line counted" "$(cat "$WORK/out")" '"lines":3,"records":3,"pending":2,"errors":1'
expect_match "1 MiB line message" "$(cat "$WORK/err")" 'long.log:2: line longer than 65536 bytes'

# NUL bytes inside a record.
{
	echo "$good"
	printf 'Dec 03 18:11:34 2026 (1) mylist: pending bob@exa\0mple.com  192.0.2.1\n'
} >"$WORK/nul.log"
run_ctl "$WORK/out" "$WORK/err" top --json "$WORK/nul.log"
expect_eq "NUL exit" "$rc" 0
expect_match "NUL counted" "$(cat "$WORK/out")" '"pending":1,"errors":1'
expect_match "NUL message" "$(cat "$WORK/err")" 'nul.log:2: .*NUL'

# Invalid bytes and a truncated last line (no newline).
{
	echo "$good"
	printf 'Dec 03 18:11:35 2026 (2) mylist: pending \xff\xfe <x@example.com>  192.0.2.2\n'
	printf 'Dec 03 18:11:36 2026 (3) mylist: pending y@example.com  192.0.2.3'
} >"$WORK/bytes.log"
run_ctl "$WORK/out" "$WORK/err" replay --policy "$pol" --json \
    --decisions "$WORK/d.jsonl" "$WORK/bytes.log"
expect_eq "bytes exit" "$rc" 0
expect_match "bytes counted" "$(cat "$WORK/out")" '"confirmations":3,'
expect_eq "decisions lines" "$(wc -l <"$WORK/d.jsonl")" 3
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' \
    "$WORK/d.jsonl" || fail "decisions are not valid JSON"

# Lines before any record, garbage records, an unknown month.
{
	echo "orphan line"
	echo "$good"
	echo 'Foo 03 18:11:33 2026 (1) mylist: pending z@example.com  192.0.2.9'
	echo 'Dec 03 18:11:33 2026 (1) mylist: pending'
	echo 'Feb 30 18:11:33 2026 (1) mylist: pending z@example.com  192.0.2.9'
} >"$WORK/junk.log"
run_ctl "$WORK/out" "$WORK/err" top --json "$WORK/junk.log"
expect_eq "junk exit" "$rc" 0
expect_match "orphan reported" "$(cat "$WORK/err")" 'junk.log:1: line without a Mailman log prefix'
expect_match "malformed reported" "$(cat "$WORK/err")" 'junk.log:4: '

# An empty file, a missing file, a directory, a corrupt .gz.
: >"$WORK/empty.log"
run_ctl "$WORK/out" "$WORK/err" top --json "$WORK/empty.log"
expect_eq "empty exit" "$rc" 0
expect_match "empty counts" "$(cat "$WORK/out")" '^\{"lines":0,"records":0,"pending":0,"errors":0,'
run_ctl "$WORK/out" "$WORK/err" top "$WORK/empty.log" "$WORK/missing.log"
expect_eq "missing exit" "$rc" 2
expect_match "missing message" "$(cat "$WORK/err")" 'missing.log: No such file or directory'
expect_eq "missing: nothing printed" "$(cat "$WORK/out")" ""
run_ctl "$WORK/out" "$WORK/err" replay --policy "$pol" "$WORK"
expect_eq "directory exit" "$rc" 2
seq 1 100000 | gzip -c >"$WORK/full.gz"
head -c 300 "$WORK/full.gz" >"$WORK/broken.gz"
run_ctl "$WORK/out" "$WORK/err" top "$WORK/broken.gz"
expect_eq "corrupt gz exit" "$rc" 2
expect_match "corrupt gz message" "$(cat "$WORK/err")" 'broken.gz: '

# Many errors: the first ten are listed, then a count.
for i in $(seq 1 25); do echo "Dec 03 18:11:33 2026 (1) l: pending"; done >"$WORK/many.log"
run_ctl "$WORK/out" "$WORK/err" top --json "$WORK/many.log"
expect_eq "many errors listed" "$(grep -c 'many.log:' "$WORK/err")" 10
expect_match "many errors summary" "$(tail -1 "$WORK/err")" '15 more unparsable records'
finish
