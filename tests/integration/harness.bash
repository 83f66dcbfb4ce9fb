# shellcheck shell=bash
# harness.bash - integration-test library: a private Postfix instance (with or
# without a milter) on loopback, an SMTP sink that stores every delivered
# message, and helpers to send, wait, and inspect queues and logs.
# Source it from a bash test script (works with and without `set -euo pipefail`),
# as root; call h_setup first.  Everything listens on 127.0.0.1 only, on ports
# picked at run time, and everything started is stopped by h_teardown, which
# h_setup arranges to run on exit, on failure and on INT/TERM/HUP.
#
#   . "$(dirname "$0")/harness.bash"
#   h_setup
#   h_sink_start                                # before Postfix: relayhost = the sink
#   h_spawn milter ./subgate-milter -p "unix:$H_DIR/milter.sock"   # optional
#   h_postfix_start "unix:$H_DIR/milter.sock" 'milter_command_timeout = 2s'
#   r=$(h_send msg.eml --from list@example.org --to user@example.net)
#   h_wait_for 10 h_sink_find '^Subject: hello$'
#
# Variables (read them, do not set them): H_DIR work dir; H_TOP this folder;
# H_PORT smtpd port of the current Postfix instance; H_SINK_PORT; H_MILTER_PORT
# (a spare free port for an inet: milter); H_PF/H_CONF/H_QUEUE/H_MAILLOG of the
# current instance; H_SINK_DIR (stored messages); H_SINK_LOG; H_LAST_PID; H_PY.
# subgate: h_subgate_conf prints a subgate.conf for the run.
# Knobs: H_KEEP=1 keeps the work dir; H_KILL_TIMEOUT (s, default 10);
# H_POSTFIX_CHECKS=1 starts Postfix with postfix-script's checks; H_TMPFS=SIZE
# puts the work dir on a tmpfs of that size (mounted by h_setup, unmounted by
# h_teardown; with H_KEEP it stays mounted), so that Postfix's queue files
# cost no disk work (benchmarks: see tests/bench/bench_milter.sh);
# H_CHROOT=1 (at h_postfix_start) runs that instance's smtpd and cleanup
# chrooted in its queue directory, as Debian's master.cf does: a milter's
# unix:/path is then read below the queue directory.
#
# Rules: call h_setup, h_sink_start, h_postfix_start and h_spawn directly, never
# in $(...) (they record PIDs for the teardown); do not replace the EXIT trap,
# register extra cleanup with h_defer instead; a milter under test must create
# its unix socket world-connectable (umask 0): smtpd runs as user postfix.
#
# Pitfalls handled here (see shared/reference/postfix-harness.md): own
# master.cf without chroot; maillog_file + maillog_file_prefixes + postlog
# service (postfix prints nothing without a tty or syslog); queue dir root-owned
# 755 and data dir owned by postfix; {client_addr} added to the connect macros;
# fast retries (queue_run_delay etc.); the postfix user must be able to reach
# the work dir, so it is chmod 755 and must not sit below a 0700 directory.
# Found while writing it: Postfix re-reads a main.cf younger than 2 s until it
# is 2 s old (every postfix/postqueue/postsuper call and reload stalls up to
# 2 s), so the config files are backdated; `postfix stop` polls with 1 s
# sleeps, so the teardown SIGTERMs the masters itself and waits 50 ms-wise;
# smtp-sink -d writes its dump file while the message is still arriving, so
# the sink is sink.py, which renames a file into place only when complete.

H_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
H_DIR=
H_PORT=
H_SINK_PORT=
H_MILTER_PORT=
H_PF=
H_CONF=
H_QUEUE=
H_MAILLOG=
H_SINK_DIR=
H_SINK_CTL=
H_SINK_LOG=
H_SINK_PID=
H_LAST_PID=
H_PY=
H_PASSED=0
H_FAILED=0
H__PIDS=()
H__INSTANCES=()
H__DEFERRED=()
H__TORN_DOWN=
H__MOUNTED=

# ---------------------------------------------------------------- basics

# h__log MESSAGE... - diagnostics to stderr
h__log() { printf 'harness: %s\n' "$*" >&2; }

# h__alive PID - true if PID exists and is not a zombie
h__alive() {
	local pid=$1 stat
	kill -0 "$pid" 2>/dev/null || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# h__ms SECONDS - "2", "0.5", "1.25" -> milliseconds
h__ms() {
	local s=$1 i f=000
	if [[ ! $s =~ ^[0-9]+(\.[0-9]*)?$ ]]; then
		h__log "not a number of seconds: $s"
		return 1
	fi
	i=${s%%.*}
	if [[ $s == *.* ]]; then
		f=${s#*.}000
		f=${f:0:3}
	fi
	echo $((10#$i * 1000 + 10#$f))
}

# h_wait_for TIMEOUT_S COMMAND... - run COMMAND (stdout discarded) every 50 ms
# until it succeeds; returns 1 (message on stderr) if not true after TIMEOUT_S
h_wait_for() {
	local timeout=$1 ms now deadline
	shift
	ms=$(h__ms "$timeout") || return 2
	now=${EPOCHREALTIME/[.,]/}
	deadline=$((now / 1000 + ms))
	while :; do
		if "$@" >/dev/null; then
			return 0
		fi
		now=${EPOCHREALTIME/[.,]/}
		if ((now / 1000 >= deadline)); then
			h__log "h_wait_for: not true after ${timeout}s: $*"
			return 1
		fi
		sleep 0.05
	done
}

# h_free_port - print a free loopback TCP port (bind-tested, random, below the
# ephemeral range so outgoing connections cannot take it; never the same twice
# within one h_setup)
h_free_port() {
	"$H_PY" -S - "$H_DIR/ports" <<'EOF'
import fcntl, random, socket, sys
used_file = sys.argv[1]
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
lo, hi = (10000, low - 1) if low > 12000 else (low, 65535)
rnd = random.SystemRandom()
with open(used_file, "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    used = {int(x) for x in f.read().split()}
    for _ in range(500):
        port = rnd.randint(lo, hi)
        if port in used:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            continue
        finally:
            s.close()
        f.write("%d\n" % port)
        print(port)
        sys.exit(0)
sys.exit("h_free_port: no free port found")
EOF
}

# h__listening PORT - true if a TCP socket listens on 127.0.0.1:PORT (reads
# /proc/net/tcp: no probe connection, so nothing shows up in the server's log)
h__listening() {
	local hex
	printf -v hex '%04X' "$1"
	grep -qE "^ *[0-9]+: 0100007F:$hex 00000000:0000 0A " /proc/net/tcp
}

# ---------------------------------------------------------------- setup / teardown

# h_setup - private work dir, free ports, teardown trap.  Call once, not in $(...)
h_setup() {
	if [ -n "$H_DIR" ] && [ -z "$H__TORN_DOWN" ]; then
		h__log "h_setup called twice"
		return 1
	fi
	if [ "$(id -u)" != 0 ]; then
		h__log "must run as root (private Postfix instances)"
		return 1
	fi
	local tool
	for tool in postfix postconf postqueue postsuper python3 setpriv; do
		if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
			h__log "missing tool: $tool (apt-get install postfix python3 util-linux)"
			return 1
		fi
	done
	case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
	# the real interpreter, not a wrapper such as a pyenv shim (200 ms a call)
	H_PY=$(python3 -c 'import sys; print(sys.executable)') || return 1
	H_DIR=$(mktemp -d "${TMPDIR:-/tmp}/subgate-it.XXXXXX") || return 1
	chmod 755 "$H_DIR"
	H__TORN_DOWN=
	trap 'h_teardown' EXIT
	trap 'h__on_signal 1' HUP
	trap 'h__on_signal 2' INT
	trap 'h__on_signal 15' TERM
	# Postfix daemons run as user postfix and chdir into the queue below H_DIR
	if ! setpriv --reuid=postfix --regid=postfix --clear-groups test -x "$H_DIR"; then
		h__log "user postfix cannot reach $H_DIR; using /tmp instead of TMPDIR"
		rmdir "$H_DIR"
		H_DIR=$(mktemp -d /tmp/subgate-it.XXXXXX) || return 1
		chmod 755 "$H_DIR"
	fi
	H__MOUNTED=
	if [ -n "${H_TMPFS:-}" ]; then
		if ! mount -t tmpfs -o "size=$H_TMPFS,mode=755" tmpfs "$H_DIR"; then
			h__log "cannot mount a tmpfs of size $H_TMPFS on $H_DIR"
			return 1
		fi
		H__MOUNTED=1
	fi
	H_SINK_DIR=$H_DIR/sink/msgs
	H_SINK_CTL=$H_DIR/sink/ctl
	H_SINK_LOG=$H_DIR/sink/sink.log
	mkdir -p "$H_SINK_DIR" "$H_SINK_CTL"
	H_SINK_PORT=$(h_free_port) || return 1
	# shellcheck disable=SC2034 # for the tests
	H_MILTER_PORT=$(h_free_port) || return 1
}

h__on_signal() {
	trap - EXIT HUP INT TERM
	h__log "caught signal $1, tearing down"
	h_teardown
	exit $((128 + $1))
}

# h_defer COMMAND_STRING - run it (eval) at the start of h_teardown, last deferred first
h_defer() { H__DEFERRED+=("$1"); }

# h_kill PID... - SIGTERM them, wait until all are gone (at most
# ${H_KILL_TIMEOUT:-10} s: libmilter needs up to 5 s), then SIGKILL the rest.
# Only processes of this run: started by h_spawn/h_sink_start, or referring
# to H_DIR (see h_leftovers); anything else is refused.
h_kill() {
	local pid live=() ours
	ours=" ${H__PIDS[*]} $(h_leftovers "$H_DIR" | tr '\n' ' ') "
	for pid; do
		if [[ ! $pid =~ ^[0-9]+$ ]] || [[ $ours != *" $pid "* ]]; then
			h__log "h_kill: $pid is not a process of this test run, not killing it"
			return 1
		fi
	done
	for pid; do
		if h__alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			live+=("$pid")
		fi
	done
	if [ "${#live[@]}" -gt 0 ] && ! h_wait_for "${H_KILL_TIMEOUT:-10}" h__dead "${live[@]}" 2>/dev/null; then
		for pid in "${live[@]}"; do
			if h__alive "$pid"; then
				h__log "PID $pid ignored SIGTERM, killing it"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done
		h_wait_for 2 h__dead "${live[@]}" 2>/dev/null || true
	fi
	for pid; do
		wait "$pid" 2>/dev/null || true # reap it if it is our child
	done
	return 0
}
# h__dead PID... - none of them alive
h__dead() {
	local pid
	for pid; do
		if h__alive "$pid"; then
			return 1
		fi
	done
	return 0
}

# h_leftovers [DIR]... - print PIDs of live processes that refer to a DIR
# (default H_DIR): DIR/ in their command line, or MAIL_CONFIG below DIR/
# (Postfix daemons: their command lines do not name the instance)
h_leftovers() {
	local dirs=("$@") d list=
	[ "${#dirs[@]}" -gt 0 ] || dirs=("$H_DIR")
	for d in "${dirs[@]}"; do
		list+="${d%/}/"$'\n'
	done
	H__LD=$list "$H_PY" -S -c '
import os
dirs = [d.encode() for d in os.environ["H__LD"].split("\n") if d]
skip = set()  # this process and its ancestors (the test script itself)
p = os.getpid()
while p > 1 and p not in skip:
    skip.add(p)
    try:
        with open("/proc/%d/stat" % p, "rb") as f:
            p = int(f.read().rsplit(b") ", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        break
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) in skip:
        continue
    try:
        with open("/proc/%s/stat" % p, "rb") as f:
            if f.read().rsplit(b") ", 1)[1][:1] == b"Z":
                continue
        with open("/proc/%s/cmdline" % p, "rb") as f:
            cmd = f.read()
        with open("/proc/%s/environ" % p, "rb") as f:
            env = f.read().split(b"\0")
    except (OSError, IndexError):
        continue
    for d in dirs:
        if d in cmd or any(e.startswith(b"MAIL_CONFIG=" + d) for e in env):
            print(p)
            break'
}
# h__gone DIR... - no live process refers to any DIR
h__gone() { [ -z "$(h_leftovers "$@")" ]; }

# h_teardown - stop all instances and processes, remove the work dir (idempotent;
# runs by itself on exit).  H_KEEP=1 keeps the work dir for a post-mortem.
h_teardown() {
	local - i left
	set +eu
	[ -n "$H_DIR" ] && [ -z "$H__TORN_DOWN" ] || return 0
	H__TORN_DOWN=1
	for ((i = ${#H__DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${H__DEFERRED[i]}"
	done
	[ "${#H__INSTANCES[@]}" -eq 0 ] || h__postfix_stop "${H__INSTANCES[@]}"
	[ "${#H__PIDS[@]}" -eq 0 ] || h_kill "${H__PIDS[@]}"
	# anything else still attached to the work dir (a daemon a test started itself)
	left=$(h_leftovers "$H_DIR")
	if [ -n "$left" ]; then
		h__log "stopping leftover processes: $(echo "$left" | tr '\n' ' ')"
		# shellcheck disable=SC2086 # one PID per word
		h_kill $left
	fi
	if [ -n "${H_KEEP:-}" ]; then
		h__log "H_KEEP set: work dir kept: $H_DIR${H__MOUNTED:+ (a tmpfs: umount it when done)}"
	elif [ -n "$H__MOUNTED" ]; then
		umount "$H_DIR" && rmdir "$H_DIR"
	else
		rm -rf "$H_DIR"
	fi
	H__PIDS=()
	H__INSTANCES=()
	H__DEFERRED=()
	return 0
}

# h_spawn NAME COMMAND... - run COMMAND in the background (stdout+stderr to
# $H_DIR/NAME.log); its PID is in H_LAST_PID and it is killed at teardown.
# Do not call it in $(...).
h_spawn() {
	local name=$1
	shift
	"$@" >"$H_DIR/$name.log" 2>&1 </dev/null &
	H_LAST_PID=$!
	H__PIDS+=("$H_LAST_PID")
}

# ---------------------------------------------------------------- the sink

h__sink_up() { [ -s "$H_DIR/sink/ready" ] || ! h__alive "$H_SINK_PID"; }

# h_sink_start - start the SMTP sink on 127.0.0.1:$H_SINK_PORT (not in $(...));
# messages land in $H_SINK_DIR as msg-NNNNNN.eml, whole (see sink.py)
h_sink_start() {
	local attempt rc conf
	for attempt in 1 2 3; do
		rm -f "$H_DIR/sink/ready"
		"$H_PY" -S -u "$H_TOP/sink.py" --port "$H_SINK_PORT" --dir "$H_SINK_DIR" \
			--ctl "$H_SINK_CTL" --ready "$H_DIR/sink/ready" >>"$H_SINK_LOG" 2>&1 </dev/null &
		H_SINK_PID=$!
		H__PIDS+=("$H_SINK_PID")
		h_wait_for 10 h__sink_up || true
		if [ -s "$H_DIR/sink/ready" ] && h__alive "$H_SINK_PID"; then
			return 0
		fi
		rc=0
		wait "$H_SINK_PID" 2>/dev/null || rc=$?
		if [ "$rc" != 98 ]; then
			break
		fi
		h__log "sink port $H_SINK_PORT taken (attempt $attempt), picking another"
		H_SINK_PORT=$(h_free_port) || return 1
		for conf in "${H__INSTANCES[@]}"; do
			postconf -c "$conf" -e "relayhost = [127.0.0.1]:$H_SINK_PORT"
			h__running "$conf" && postfix -c "$conf" reload >/dev/null 2>&1
		done
	done
	h__log "sink did not start:"
	tail -n 5 "$H_SINK_LOG" >&2
	return 1
}

# h_sink_stop - stop the sink (h_sink_start starts it again on the same port)
h_sink_stop() { [ -z "$H_SINK_PID" ] || h_kill "$H_SINK_PID"; }

# h_sink_reply mail|rcpt|data ["CODE TEXT"] - make the sink answer that stage
# with this reply from now on ("451 4.3.0 busy"); without a reply: back to 250
h_sink_reply() {
	case $1 in
	mail | rcpt | data) ;;
	*)
		h__log "h_sink_reply: stage must be mail, rcpt or data"
		return 1
		;;
	esac
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" >"$H_SINK_CTL/$1.reply.tmp"
		mv -f "$H_SINK_CTL/$1.reply.tmp" "$H_SINK_CTL/$1.reply"
	else
		rm -f "$H_SINK_CTL/$1.reply"
	fi
}

# h_sink_files - print the stored message files, oldest first
h_sink_files() {
	local f
	for f in "$H_SINK_DIR"/msg-*.eml; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done
	return 0
}

# h_sink_count - print how many messages the sink has stored
h_sink_count() {
	local f n=0
	for f in "$H_SINK_DIR"/msg-*.eml; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# h_sink_clear - forget the stored messages
h_sink_clear() { rm -f "$H_SINK_DIR"/msg-*.eml; }

# h_sink_find HEADER_REGEX - print the stored files with a header line (unfolded)
# matching the extended regex, e.g. '^Subject: .*confirm'; false if none.
# The X-Sink-From:/X-Sink-Rcpt: lines count as headers.
h_sink_find() {
	local files out
	mapfile -t files < <(h_sink_files)
	[ "${#files[@]}" -gt 0 ] || return 1
	out=$(H__RE=$1 awk '
		function check() { if (inhdr && cur != "" && cur ~ re && !hit) { print fname; hit = 1 } }
		BEGIN { re = ENVIRON["H__RE"] }
		FNR == 1 { check(); fname = FILENAME; inhdr = 1; hit = 0; cur = "" }
		!inhdr { next }
		/^\r?$/ { check(); inhdr = 0; next }
		/^[ \t]/ { sub(/\r$/, ""); cur = cur $0; next }
		{ check(); sub(/\r$/, ""); cur = $0 }
		END { check() }' "${files[@]}")
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}

# ---------------------------------------------------------------- Postfix

h__running() { postfix -c "$1" status >/dev/null 2>&1; }

# h__backdate CONFDIR - Postfix re-reads a main.cf/master.cf younger than ~2 s
# every 0.3 s until it is 2 s old (each postfix, postqueue, postsuper and
# daemon start would stall up to 2 s): make the files look 10 s old
h__backdate() { touch -d "@$((EPOCHSECONDS - 10))" "$1/main.cf" "$1/master.cf"; }

h__write_master_cf() { # BASE PORT
	local c=n
	[ -z "${H_CHROOT:-}" ] || c=y
	cat >"$1/conf/master.cf" <<EOF
# private test instance: smtpd on loopback only; no chroot (milter socket
# paths stay absolute) unless H_CHROOT, then smtpd and cleanup as Debian's
127.0.0.1:$2 inet n - $c - - smtpd
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       $c       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

h__write_main_cf() { # BASE MILTER
	local base=$1 milter=$2
	cat >"$base/conf/main.cf" <<EOF
# private test instance written by tests/integration/harness.bash
compatibility_level = 3.6
config_directory = $base/conf
queue_directory = $base/queue
data_directory = $base/data
maillog_file = $base/maillog
maillog_file_prefixes = $base
myhostname = harness.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$H_SINK_PORT
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
# milter
smtpd_milters = $milter
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 5s
milter_content_timeout = 10s
milter_connect_macros = j {daemon_name} {daemon_addr} v _ {client_addr} {client_name} {client_port} {client_ptr}
milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
milter_data_macros = i
milter_end_of_header_macros = i
milter_end_of_data_macros = i
# do not make tests wait
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
delay_warning_time = 0h
in_flow_delay = 0s
smtpd_error_sleep_time = 0s
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
smtp_data_done_timeout = 30s
EOF
}

# h__mkchroot QUEUE - what Debian's configure-instance.sh puts in the
# chroot of smtpd and cleanup (the queue directory): the etc files and the
# gcc_s, nss and resolv libraries
h__mkchroot() {
	local f libs=()
	mkdir -p "$1/etc"
	for f in localtime services resolv.conf hosts host.conf nsswitch.conf; do
		[ -f "/etc/$f" ] && cp -L "/etc/$f" "$1/etc/$f" && chmod a+rX "$1/etc/$f"
	done
	for f in /lib/*/libgcc_s*.so* /lib/*/libnss*.so* /lib/*/libresolv*.so*; do
		[ -f "$f" ] && libs+=("${f#/}")
	done
	[ "${#libs[@]}" -eq 0 ] || tar cf - -C / "${libs[@]}" 2>/dev/null | tar xf - -C "$1"
}
# h__mkqueue QUEUE_DIR - the queue subdirectories, owners and modes as in
# Postfix's postfix-files (Debian: mail_owner postfix, setgid_group postdrop)
h__mkqueue() {
	local q
	for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		install -d -o postfix -g root -m 700 "$1/$q"
	done
	install -d -o postfix -g postdrop -m 730 "$1/maildrop"
	install -d -o postfix -g postdrop -m 710 "$1/public"
	install -d -o root -g root -m 755 "$1/pid"
}

# h__check_milter SPEC - only unix: sockets and loopback inet: sockets
h__check_milter() {
	case $1 in
	'' | unix:/* | inet:127.*:[0-9]*) return 0 ;;
	esac
	h__log "milter must be unix:/abs/path or inet:127.x.x.x:PORT, got: $1"
	return 1
}

# h_postfix_start [MILTER] ['key = value'|key=value]... - create and start a new
# private instance (pf1, pf2, ...; not in $(...)) and make it the current one.
# MILTER ("" for none; unix:/abs/path or inet:127.0.0.1:PORT) becomes
# smtpd_milters; further arguments go to postconf -e.  H_POSTFIX_CHECKS=1: let
# postfix-script run its (slow) integrity checks instead of the quick start.
h_postfix_start() {
	local milter=${1:-} n base port attempt rc quick
	[ $# -gt 0 ] && shift
	h__check_milter "$milter" || return 1
	n=$((${#H__INSTANCES[@]} + 1))
	base=$H_DIR/pf$n
	mkdir -p "$base/conf" "$base/queue" "$base/data"
	chmod 755 "$base" "$base/queue"
	chown postfix "$base/data"
	port=$(h_free_port) || return 1
	h__write_main_cf "$base" "$milter"
	h__write_master_cf "$base" "$port"
	[ -z "${H_CHROOT:-}" ] || h__mkchroot "$base/queue"
	if [ $# -gt 0 ] && ! postconf -c "$base/conf" -e "$@"; then
		h__log "postconf -e failed for: $*"
		return 1
	fi
	H__INSTANCES+=("$base/conf")
	# quick start: make the queue directories ourselves (as post-install would)
	# and skip postfix-script's integrity checks (0.3-0.5 s per start); if
	# that fails, start again with the checks
	h__mkqueue "$base/queue"
	quick=1
	[ -z "${H_POSTFIX_CHECKS:-}" ] || quick=
	for attempt in 1 2 3 4; do
		h__backdate "$base/conf"
		if [ -n "$quick" ]; then
			: >"$base/queue/quick-start"
		else
			rm -f "$base/queue/quick-start"
		fi
		rc=0
		postfix -c "$base/conf" start >>"$base/postfix.out" 2>&1 || rc=$?
		if [ "$rc" = 0 ]; then
			break
		fi
		if grep -qs "bind 127.0.0.1 port $port: Address already in use" "$base/maillog"; then
			h__log "smtpd port $port taken (attempt $attempt), picking another"
			port=$(h_free_port) || return 1
			h__write_master_cf "$base" "$port"
			continue
		fi
		if [ -n "$quick" ]; then
			h__log "quick start of $base failed, starting again with Postfix's checks"
			quick=
			continue
		fi
		break
	done
	if [ "$rc" != 0 ]; then
		h__log "postfix -c $base/conf start failed (rc $rc); maillog tail and postfix check:"
		tail -n 10 "$base/maillog" >&2 2>/dev/null
		script -qc "postfix -c $(printf %q "$base/conf") check" /dev/null >&2 2>&1 </dev/null
		return 1
	fi
	echo "$port" >"$base/port"
	h_postfix_use "$n" || return 1
	h_wait_for 10 h__listening "$port"
}

# h_postfix_use N - make instance N (1 = the first one started) the current one
h_postfix_use() {
	local conf=${H__INSTANCES[$1 - 1]:-}
	if [ -z "$conf" ]; then
		h__log "no Postfix instance $1"
		return 1
	fi
	H_CONF=$conf
	H_PF=${conf%/conf}
	# shellcheck disable=SC2034 # for the tests
	H_QUEUE=$H_PF/queue
	H_MAILLOG=$H_PF/maillog
	H_PORT=$(cat "$H_PF/port")
}

# h__postfix_stop CONFDIR... - SIGTERM each running master (what `postfix stop`
# does, without its 1 s polling sleeps), wait until every process of these
# instances is gone (bounded), SIGKILL what is left
h__postfix_stop() {
	local conf bases=() pid masters=()
	for conf; do
		bases+=("${conf%/conf}")
		pid=
		read -r pid 2>/dev/null <"${conf%/conf}/queue/pid/master.pid" || true
		# only if that PID really is this instance's master (the file may be stale)
		if [ -n "$pid" ] && grep -qx "$pid" <<<"$(h_leftovers "${conf%/conf}")"; then
			masters+=("$pid")
		fi
	done
	if [ "${#masters[@]}" -gt 0 ]; then
		kill -TERM "${masters[@]}" 2>/dev/null || true
		h_wait_for 10 h__dead "${masters[@]}" 2>/dev/null || true
	fi
	# the children exit when their master is gone
	if ! h_wait_for 5 h__gone "${bases[@]}" 2>/dev/null; then
		h__log "Postfix processes still running, killing them"
		for pid in $(h_leftovers "${bases[@]}"); do kill -KILL "$pid" 2>/dev/null || true; done
		h_wait_for 2 h__gone "${bases[@]}" 2>/dev/null || true
	fi
	return 0
}

# h_postfix_stop - stop the current instance (waits until all its processes are gone)
h_postfix_stop() { h__postfix_stop "$H_CONF"; }

# h_postconf 'key = value'... - change the current instance's main.cf, reload if running
h_postconf() {
	postconf -c "$H_CONF" -e "$@" || return 1
	h__backdate "$H_CONF"
	if h__running "$H_CONF"; then
		postfix -c "$H_CONF" reload >/dev/null 2>&1
	fi
}

# ---------------------------------------------------------------- subgate

# h_subgate_conf ['KEY = VALUE'...] - print a subgate.conf for this run: a
# unix socket, the policy, state, pid file and control socket in H_DIR,
# no subscribe log, user root with group postfix; each argument replaces
# the base line of its key or is added (subgate refuses a key set twice).
h_subgate_conf() {
	local base=(
		"socket = unix:$H_DIR/subgate.sock"
		"user = root"
		"group = postfix"
		"policy = $H_DIR/subgate.policy"
		"subscribe_log ="
		"state_dir = $H_DIR/state"
		"pid_file = $H_DIR/subgate.pid"
		"control_socket = $H_DIR/control.sock"
	) line arg key used=()
	for line in "${base[@]}"; do
		key=${line%% =*}
		for arg in "$@"; do
			if [ "${arg%% =*}" = "$key" ]; then
				line=$arg
				used+=("$key")
			fi
		done
		echo "$line"
	done
	for arg in "$@"; do
		[[ " ${used[*]} " == *" ${arg%% =*} "* ]] || echo "$arg"
	done
}

# ---------------------------------------------------------------- messages, verdicts

H__MSGS=0
# h_mkmsg KIND key=value... - write a message with mkmsg.py (see there for
# KIND and keys) as $H_DIR/mN.eml; sets MSG to its path and FROM to its
# envelope sender
h_mkmsg() {
	local kind=$1
	shift
	H__MSGS=$((H__MSGS + 1))
	MSG=$H_DIR/m$H__MSGS.eml
	FROM=$("$H_PY" "$H_TOP/mkmsg.py" "$kind" "$MSG" "$@")
}

# h_at_sink RCPT [HEADER_REGEX] - a message to RCPT reached the sink (with
# a header line matching the extended regex)
h_at_sink() {
	local f
	for f in $(h_sink_files); do
		grep -q "^X-Sink-Rcpt: <\?$1>\?\$" "$f" || continue
		[ -z "${2:-}" ] || grep -Eq "$2" "$f" || continue
		return 0
	done
	return 1
}

# h_sinks_for RCPT - print how many messages to RCPT reached the sink
h_sinks_for() {
	local c=0 f
	for f in $(h_sink_files); do
		grep -q "^X-Sink-Rcpt: <\?$1>\?\$" "$f" && c=$((c + 1))
	done
	echo "$c"
}

# h_decided RCPT ACTION - subgate ($H_DIR/subgate.log) logged that
# decision for RCPT
h_decided() { grep -q "rcpt=\"$1\".* action=$2 " "$H_DIR/subgate.log"; }

# h_not COMMAND... - true when COMMAND fails
h_not() { ! "$@"; }

# h_ledger QUEUE_ID COLUMNS - print COLUMNS ("mta, state") of that row of
# subgate's ledger ($H_DIR/state/ledger.sqlite), space-separated; "none"
# when there is no such row
h_ledger() {
	"$H_PY" -c 'import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(
    "SELECT " + sys.argv[3] + " FROM held WHERE queue_id = ?",
    (sys.argv[2],)).fetchone()
print(*(r or ("none",)))' "$H_DIR/state/ledger.sqlite" "$1" "$2"
}

# ---------------------------------------------------------------- SMTP, queue, log

# h_send FILE [--from ADDR] [--to ADDR]... [--helo NAME] - send FILE to the
# current instance; prints the DATA reply (or the first failing reply), e.g.
# "250 2.0.0 Ok: queued as 3F1A2B4C5D" or "451 4.7.1 ..."
# (H_PORT=$H_SINK_PORT h_send ... talks to the sink directly)
h_send() {
	if [ -z "$H_PORT" ]; then
		h__log "h_send: no Postfix instance started (H_PORT is empty)"
		return 2
	fi
	"$H_PY" -S "$H_TOP/send.py" --port "$H_PORT" "$@"
}

# h_qid "250 2.0.0 Ok: queued as X" - print X
h_qid() { sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$1"; }

# h_queue_json - postqueue -j of the current instance (one JSON object per line)
h_queue_json() { postqueue -c "$H_CONF" -j; }

# h_queue_ids [QUEUE_NAME] - queue ids (all, or only hold/deferred/active/incoming/maildrop)
h_queue_ids() {
	h_queue_json | "$H_PY" -S -c '
import json, sys
want = sys.argv[1] if len(sys.argv) > 1 else ""
for line in sys.stdin:
    line = line.strip()
    if line:
        o = json.loads(line)
        if not want or o.get("queue_name") == want:
            print(o["queue_id"])' "$@"
}

# h_hold_ids - queue ids in the hold queue
h_hold_ids() { h_queue_ids hold; }

# h_maillog_grep GREP_ARGS... - grep -E in the current instance's maillog
h_maillog_grep() { grep -sE "$@" "$H_MAILLOG"; }

# h_flush - postqueue -f: attempt delivery of everything queued now
h_flush() { postqueue -c "$H_CONF" -f; }

# h_postsuper ARGS... / h_postqueue ARGS... / h_postcat ARGS... - with -c of the current instance
h_postsuper() { postsuper -c "$H_CONF" "$@"; }
h_postqueue() { postqueue -c "$H_CONF" "$@"; }
h_postcat() { postcat -c "$H_CONF" "$@"; }

# ---------------------------------------------------------------- checks

# h_check DESCRIPTION COMMAND... - PASS/FAIL line, counted in H_PASSED/H_FAILED
h_check() {
	local what=$1
	shift
	if "$@"; then
		echo "PASS: $what"
		H_PASSED=$((H_PASSED + 1))
	else
		echo "FAIL: $what"
		H_FAILED=$((H_FAILED + 1))
	fi
}

# h_finish - print "N passed, M failed"; false if anything failed
h_finish() {
	echo "$H_PASSED passed, $H_FAILED failed"
	[ "$H_FAILED" -eq 0 ]
}
