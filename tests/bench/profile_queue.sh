#!/usr/bin/env bash
# profile_queue.sh -- where Postfix's CPU goes with each milter, queues on
# the disk and on a tmpfs (why bench_milter.sh uses a tmpfs)
#
# WHAT IT MEASURES
#   For each of the disk (TMPDIR's file system) and a private tmpfs: a
#   private Postfix (tests/integration/harness.bash) with, in turn, the
#   null milter (nullmilter.c), subgate and the null milter again, each
#   taking N ordinary 1 KiB messages (default 3,000) from smtp-source over
#   10 sessions; `perf record -a` (cpu-clock, 2,000 Hz) samples the whole
#   machine meanwhile. Prints, per run, the samples of cleanup, smtpd,
#   smtp, the milter and in total. On this VM's ext4 cleanup's samples grew
#   from run to run whatever the milter (inode allocation of the queue
#   files); on tmpfs they stay put, and the milters can be compared.
#   The null milter runs first and last so that a drift shows.
#
# USAGE
#   tests/bench/profile_queue.sh [--messages N]
#   Needs root, perf (Debian package linux-perf), postfix, cc, libmilter-dev.
#   Environment: SUBGATE (default build-bench/milter/subgate).
#
# EXIT STATUS
#   0 done, 1 a run failed, 2 usage or a missing tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=3000
case ${1:-} in
--messages) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { sed -n '/^# USAGE/,/^# EXIT/p' "$0" >&2; exit 2; }; n=$2 ;;
"") ;;
*) sed -n '/^# USAGE/,/^# EXIT/p' "$0" >&2; exit 2 ;;
esac
SUBGATE=${SUBGATE:-build-bench/milter/subgate}
case $SUBGATE in /*) ;; *) SUBGATE=$root/$SUBGATE ;; esac
for tool in perf smtp-source smtp-sink cc pkg-config; do
	command -v "$tool" >/dev/null || { echo "profile_queue: missing $tool" >&2; exit 2; }
done
[ -x "$SUBGATE" ] || { echo "profile_queue: no subgate at $SUBGATE" >&2; exit 2; }

# one_medium - every run on the current TMPDIR, one line per milter
one_medium() (
	. "$root/tests/integration/harness.bash"
	h_setup
	# shellcheck disable=SC2046 # pkg-config prints one flag per word
	cc -O2 -o "$H_DIR/nullmilter" "$here/nullmilter.c" \
		$(pkg-config --cflags --libs milter) -lpthread
	h_spawn sink smtp-sink -c -u nobody "127.0.0.1:$H_SINK_PORT" 1024
	h_wait_for 10 h__listening "$H_SINK_PORT"
	printf 'limit list * 200/1h hold\n' >"$H_DIR/subgate.policy"
	h_subgate_conf "socket = unix:$H_DIR/m.sock" >"$H_DIR/subgate.conf"
	for cfg in null subgate null; do
		rm -f "$H_DIR/m.sock" "$H_DIR/control.sock"
		rm -rf "$H_DIR/state"
		if [ "$cfg" = null ]; then
			h_spawn "m-$cfg" "$H_DIR/nullmilter" -p "unix:$H_DIR/m.sock"
		else
			h_spawn "m-$cfg" "$SUBGATE" -f -c "$H_DIR/subgate.conf"
		fi
		mp=$H_LAST_PID
		h_wait_for 10 test -S "$H_DIR/m.sock"
		h_postfix_start "unix:$H_DIR/m.sock"
		perf record -q -a -F 2000 -o "$H_DIR/perf.data" -- smtp-source -d -s 10 \
			-m "$n" -l 1024 -f bench@example.org -t rcpt@example.net -S bench \
			-M client.example "127.0.0.1:$H_PORT" >/dev/null 2>&1
		perf script -i "$H_DIR/perf.data" -F comm 2>/dev/null | sort | uniq -c |
			awk -v cfg="$cfg" -v medium="$MEDIUM" '{c[$2] = $1; t += $1}
			END { printf "%-6s %-8s cleanup %6d  smtpd %6d  smtp %6d  milter %6d  total %7d\n",
			    medium, cfg, c["cleanup"], c["smtpd"], c["smtp"],
			    c["nullmilter"] + c["subgate"], t }'
		h_postfix_stop
		h_kill "$mp"
	done
)
MEDIUM=disk one_medium
MEDIUM=tmpfs H_TMPFS=1g one_medium
