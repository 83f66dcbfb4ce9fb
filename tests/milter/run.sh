#!/bin/bash
# run.sh -- the milter-protocol tests: start subgate on a private unix
# socket, run every tests/milter/*.lua through Debian's miltertest, stop it.
# Environment: SUBGATE (the daemon).
set -euo pipefail
: "${SUBGATE:?}"
here=$(cd "$(dirname "$0")" && pwd)
command -v miltertest >/dev/null || { echo "miltertest not installed"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/subgate-mt.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/policy" <<'POL'
limit list holdme 0/1h hold
limit list deferme 0/1h defer
limit list rejectme 0/1h reject
limit list dropme 0/1h discard
spf none hold
POL
cat >"$work/subgate.conf" <<CONF
socket = unix:$work/subgate.sock
user = root
policy = $work/policy
subscribe_log =
state_dir = $work/state
pid_file =
control_socket = $work/control.sock
list_domains = lists.example.org
spf = off
CONF
"$SUBGATE" -f -c "$work/subgate.conf" 2>"$work/subgate.log" &
pid=$!
for _ in $(seq 1 100); do [ -S "$work/subgate.sock" ] && break; sleep 0.05; done
[ -S "$work/subgate.sock" ] || { cat "$work/subgate.log"; exit 1; }
status=0
for t in "$here"/*.lua; do
	miltertest -D SOCK="unix:$work/subgate.sock" -s "$t" || status=1
done
[ $status -eq 0 ] || cat "$work/subgate.log"
exit $status
