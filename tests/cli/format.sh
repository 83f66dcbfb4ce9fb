#!/bin/bash
# format.sh -- every C file is as .clang-format (KNF, style.md 9.3) says.
# Whole files are checked, which covers every changed line.
. "$(dirname "$0")/lib.bash"
cd "$TOP"
command -v clang-format >/dev/null || { fail "clang-format not installed"; finish; exit 1; }
while IFS= read -r f; do
	checks=$((checks + 1))
	if ! clang-format --dry-run --Werror "$f" 2>"$WORK/err"; then
		fail "$f is not clang-formatted: $(head -3 "$WORK/err")"
	fi
done < <(git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null ||
	find policy milter tests -name '*.[ch]')
finish
