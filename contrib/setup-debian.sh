#!/bin/sh
# setup-debian.sh -- install what subgate needs on Debian 12 (run as root).
#
#   contrib/setup-debian.sh          build dependencies only
#   contrib/setup-debian.sh --test   plus what the test suite uses (a
#                                    private Postfix is started by the
#                                    tests themselves, never the system's;
#                                    likewise private Mailman 3 instances,
#                                    never the mailman3 service), and
#                                    Sendmail's packages downloaded, not
#                                    installed (they conflict with
#                                    Postfix), into $SENDMAIL_DEBS
#                                    (default below), with the libraries
#                                    its binary needs
#   contrib/setup-debian.sh --bench  plus what the benchmarks compare with
# Installs only what is missing, so a second run costs a dpkg query.
set -eu

pkgs="build-essential cmake pkg-config libmilter-dev libevent-dev libsqlite3-dev \
libspf2-dev zlib1g-dev python3"
case "${1:-}" in
--test) pkgs="$pkgs libcmocka-dev clang-format postfix miltertest iproute2 mandoc fail2ban curl dnsmasq-base util-linux mailman3 \
m4 libwrap0 liblockfile1 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3" ;;
--bench) pkgs="$pkgs libcmocka-dev clang-format postfix miltertest iproute2 mandoc fail2ban curl" ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
debs=${SENDMAIL_DEBS:-/var/cache/subgate-tests/sendmail}
need_debs=
if [ "${1:-}" = --test ]; then
	for d in sendmail-bin sendmail-base sendmail-cf; do
		ls "$debs/${d}_"*.deb >/dev/null 2>&1 || need_debs=1
	done
fi
[ -z "$missing" ] && [ -z "$need_debs" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "setup-debian.sh: run as root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix without configuration: no questions, no /etc/postfix/main.cf, so
# the system's Postfix never starts; the tests run private instances.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
# No service the packages bring (mailman3's) is started or left running by
# their install scripts: a policy-rc.d that refuses, for the install only,
# unless the machine has one of its own.
guard=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	guard=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# contrib/setup-debian.sh: no service starts during its install\nexit 101\n' >"$guard"
	chmod 755 "$guard"
	trap 'rm -f "$guard"' EXIT
fi
apt-get update -qq
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ -n "$need_debs" ]; then
	mkdir -p "$debs"
	(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root \
	    sendmail-bin sendmail-base sendmail-cf)
fi
