#!/bin/bash
# run.sh -- the milter-protocol tests: start subgate on a private unix
# socket, run every tests/milter/*.lua through Debian's miltertest, stop it;
# then the same on a loopback TCP socket (the two negotiate differently).
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
# run_on SOCKET - start subgate on SOCKET, run every script, stop it
run_on() {
	local sock=$1 status=0 t
	cat >"$work/subgate.conf" <<CONF
socket = $sock
user = root
policy = $work/policy
subscribe_log =
state_dir = $work/state
pid_file =
control_socket = $work/control.sock
list_domains = lists.example.org
spf = off
CONF
	rm -rf "$work/state"
	"$SUBGATE" -f -c "$work/subgate.conf" 2>"$work/subgate.log" &
	pid=$!
	for _ in $(seq 1 100); do
		ready "$sock" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	ready "$sock" || { cat "$work/subgate.log"; return 1; }
	for t in "$here"/*.lua; do
		echo "== $(basename "$t") on $sock"
		miltertest -D SOCK="$sock" -s "$t" || status=1
	done
	[ $status -eq 0 ] || cat "$work/subgate.log"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	return $status
}
# ready SOCKET - subgate listens on it
ready() {
	case $1 in
	unix:*) [ -S "${1#unix:}" ] ;;
	inet:*) python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$(echo "$1" | sed 's/^inet:\([0-9]*\)@.*/\1/')" 2>/dev/null ;;
	esac
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
status=0
run_on "unix:$work/subgate.sock" || status=1
run_on "inet:$port@127.0.0.1" || status=1
exit $status
