#!/bin/bash
# manpages.sh -- the mdoc(7) pages in contrib/man/: mandoc finds nothing
# at warning level or above in any of them; subgate.conf.5 documents every
# key of milter/conf.c's table; subgatectl.8 documents every command (the
# list below, and every entry of milter/ctl_main.c's table).
. "$(dirname "$0")/lib.bash"
man=$TOP/contrib/man
pages="subgate.8 subgatectl.8 subgate.conf.5 subgate.policy.5"
commands="top replay check-policy quarantine status reload explain unban reset"

for p in $pages; do
	checks=$((checks + 1))
	[ -f "$man/$p" ] || fail "$p: missing from contrib/man/"
done

# mandoc -T lint: no output and exit 0 for each page.
if command -v mandoc >/dev/null; then
	for p in $pages; do
		[ -f "$man/$p" ] || continue
		rc=0
		mandoc -T lint -W warning "$man/$p" >"$WORK/lint" 2>&1 || rc=$?
		expect_eq "mandoc -T lint -W warning $p" "$rc:$(cat "$WORK/lint")" "0:"
	done
else
	fail "mandoc is not installed: install it (apt-get install mandoc, or" \
	    "contrib/setup-debian.sh --test once it lists mandoc) to lint the" \
	    "man pages"
fi

# Every key of the table in milter/conf.c is an entry (.It Cm KEY) of
# subgate.conf.5.
keys=$(sed -n 's/^[[:space:]]*{"\([a-z0-9_]*\)", T_[A-Z]*,.*/\1/p' \
    "$TOP/milter/conf.c")
checks=$((checks + 1))
[ "$(wc -w <<<"$keys")" -ge 20 ] ||
	fail "found only $(wc -w <<<"$keys") keys in milter/conf.c: [$keys]"
for k in $keys; do
	checks=$((checks + 1))
	grep -Eq "^\.It Cm $k( |$)" "$man/subgate.conf.5" 2>/dev/null ||
		fail "subgate.conf.5 does not document the key $k (.It Cm $k)"
done

# Every subgatectl command is in the SYNOPSIS and has an entry of its own.
table=$(sed -n 's/^[[:space:]]*{"\([a-z-]*\)", ctl_.*/\1/p' \
    "$TOP/milter/ctl_main.c")
checks=$((checks + 1))
[ -n "$table" ] || fail "found no commands in milter/ctl_main.c"
synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$man/subgatectl.8" 2>/dev/null)
# shellcheck disable=SC2086 # both lists are split into words on purpose
for c in $(printf '%s\n' $commands $table | sort -u); do
	checks=$((checks + 1))
	grep -Eq "^\.Cm $c( |$)" <<<"$synopsis" ||
		fail "subgatectl.8: $c is not in the SYNOPSIS (.Cm $c)"
	checks=$((checks + 1))
	[ "$(grep -Ec "^\.(It )?Cm $c( |$)" "$man/subgatectl.8" 2>/dev/null)" -ge 2 ] ||
		fail "subgatectl.8 does not describe the command $c"
done
finish
