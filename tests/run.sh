#!/bin/bash
# tests/run.sh -- set up a Debian 12 machine and run the whole test suite:
# a Release build with -Werror and an ASan+UBSan build, each through ctest.
# This is the README's second command; .ci/run runs exactly this.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/setup-debian.sh --test

status=0
for type in Release Sanitize; do
	dir="build-test-${type,,}"
	echo "=== $type build ($dir)"
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DSUBGATE_WERROR=ON \
	    >/dev/null
	cmake --build "$dir" -j"$(nproc)" -- --no-print-directory >/dev/null
	echo "=== $type tests"
	(cd "$dir" && ctest --output-on-failure -j"$(nproc)") || status=1
done
exit $status
