#!/bin/sh
# setup-debian.sh -- install what subgate needs on Debian 12 (run as root).
#
#   contrib/setup-debian.sh          build dependencies only
#   contrib/setup-debian.sh --test   plus what the test suite and
#                                    benchmarks use
# Installs only what is missing, so a second run costs a dpkg query.
set -eu

pkgs="build-essential cmake pkg-config libmilter-dev libevent-dev \
libspf2-dev zlib1g-dev python3"
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs libcmocka-dev clang-format fail2ban"
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "setup-debian.sh: run as root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -qq --no-install-recommends $missing >/dev/null
