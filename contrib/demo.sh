#!/bin/bash
# demo.sh -- the README's first command: set up a fresh Debian 12 machine,
# build subgate, and run the main job on embedded defaults.
#
# Two parts:
#  1. the admin's first look at an attack: a Mailman 2.1 subscribe log
#     shaped like the 18,099-request attack in the project's seed
#     (generated, with a few hundred genuine sign-ups mixed in), analysed
#     with "subgatectl top", then replayed against the shipped policy and
#     against the fail2ban jail admins use today;
#  2. the milter live (contrib/demo-postfix.sh): a private Postfix on
#     loopback with subgate in smtpd_milters, a scaled-down attack played
#     as Mailman would (log lines and confirmation mails over SMTP), what
#     happened per origin, domain and list, and the hold queue.
# Options go to part 2 (--keep leaves its Postfix running). Everything
# happens in temporary directories that are removed at the end.
# --mailman3: part 2 runs against the real Mailman 3 instead of generated
# mails (contrib/demo-mailman3.sh: Debian's mailman3 sends the
# confirmations itself while a bot subscription-bombs its lists).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mailman3=
args=()
for a in "$@"; do
	case $a in
	--mailman3) mailman3=1 ;;
	*) args+=("$a") ;;
	esac
done

contrib/setup-debian.sh --test
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release -DSUBGATE_TESTS=OFF >/dev/null
cmake --build build-demo -j"$(nproc)" >/dev/null
ctl=$top/build-demo/milter/subgatectl

work=$(mktemp -d "${TMPDIR:-/tmp}/subgate-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 tests/bench/genlog.py --seed 1 --scale 1 --quiet \
    --out "$work/subscribe" --labels "$work/labels"
echo "== A day of Mailman's subscribe log: who is asking? (subgatectl top)"
"$ctl" top -n 5 "$work/subscribe"

echo
echo "== What the shipped policy would have done (subgatectl replay)"
sed -n '/^[a-z]/p' contrib/subgate.policy
"$ctl" replay --policy contrib/subgate.policy "$work/subscribe"

echo
echo "== What the seed's fail2ban jail (5 per 12 h, ban 24 h) would have done"
echo "limit ip 5/12h reject ban 24h" >"$work/jail.policy"
"$ctl" replay --policy "$work/jail.policy" "$work/subscribe" | sed -n '1,7p'

echo
echo "== Attack confirmations that reached their victims, and genuine sign-ups"
SUBGATECTL=$ctl python3 tests/bench/bench_efficacy.py --seed 1 | sed '$d'

echo
# Part 2 replaces this shell (exec): the EXIT trap would not run.
rm -rf "$work"
trap - EXIT
if [ -n "$mailman3" ]; then
	echo "== Part 2: the milter in a real Postfix, in front of the real Mailman 3"
	exec contrib/demo-mailman3.sh "${args[@]}"
fi
echo "== Part 2: the milter in a real Postfix"
exec contrib/demo-postfix.sh "${args[@]}"
