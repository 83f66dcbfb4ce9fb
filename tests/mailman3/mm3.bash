# shellcheck shell=bash
# mm3.bash - the real Mailman 3 core (Debian's mailman3 3.3.8) on loopback,
# wired to a private Postfix of tests/integration/harness.bash: a bash
# library for the end-to-end tests (tests/mailman3/e2e.sh) and the demo
# (contrib/demo-mailman3.sh). Source harness.bash first, then this file.
#
#   mm3_install                         apt-get install mailman3 when missing
#   mm3_start NAME SMTP_PORT RUNNERS [MTA] [CFG]
#                                       an instance of Mailman 3 core with its
#                                       own config in $H_DIR/NAME: SQLite, REST
#                                       and LMTP on free loopback ports, only
#                                       RUNNERS ("rest virgin out ...")
#                                       started, outgoing SMTP to SMTP_PORT;
#                                       MTA lines go into its [mta] section
#                                       ("verp_confirmations: no"; an
#                                       "incoming:" line replaces the
#                                       NullMTA), CFG
#                                       sections at the end of its mailman.cfg.
#                                       Its master runs under h_spawn: the
#                                       harness's teardown stops it by PID.
#   mm3_wait NAME                       until its REST API answers
#   mm3_rest NAME METHOD PATH [K=V]...  a REST call (mm3.py rest)
#   mm3_postfix DOMAIN=NAME...          the current Postfix instance hands
#                                       each DOMAIN to that instance's LMTP
#                                       port (transport_maps), relays for it
#                                       (relay_domains) and takes XCLIENT
#                                       from 127.0.0.1; call it after
#                                       h_postfix_start and the mm3_starts
#                                       (KEY=smtp:[HOST]:PORT routes a
#                                       domain or address elsewhere)
#   mm3_stop NAME                       SIGTERM its master, wait until it and
#                                       its runners are gone (bounded)
#
# Variables: MM3_REST[NAME], MM3_LMTP[NAME] (ports), MM3_DIR[NAME] (its
# directory: mailman.cfg, var/logs/{mailman,smtp}.log, var/queue/*,
# var/data/mailman.db), MM3_PID[NAME] (its master's PID).
#
# Pitfalls handled (../shared/reference/mailman3-e2e.md): bin_dir must be
# /usr/lib/mailman3/bin; incoming is the NullMTA so no Postfix map is
# written or postmap run (unless MTA names another: wiring.sh); the master
# is run directly (what `mailman start` forks), in the foreground, so it has a PID of ours and needs no
# --run-as-root; nntp runs off (it fails as root); Debian's /usr/bin/python3
# (mailman and aiosmtpd live there, not in a pyenv python on PATH).

MM3_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MM3_PYTHON=/usr/bin/python3
MM3_MASTER=/usr/lib/mailman3/bin/master
MM3_RUNNERS_ALL="archive bounces command digest in lmtp nntp out pipeline rest retry task virgin"
declare -A MM3_REST=() MM3_LMTP=() MM3_DIR=() MM3_PID=()

# mm3_installed - Debian's mailman3 is there
mm3_installed() { [ -x "$MM3_MASTER" ] && "$MM3_PYTHON" -c 'import mailman, aiosmtpd' 2>/dev/null; }

# mm3_install - install Debian's mailman3 (without recommends) when missing;
# its postinst sets up a system instance that these tests never use
mm3_install() {
	mm3_installed && return 0
	echo "mm3: installing mailman3 (apt-get)" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends mailman3 >/dev/null; then
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends mailman3 >/dev/null
	fi
	mm3_installed
}

# mm3_start NAME SMTP_PORT RUNNERS [MTA] [CFG] - write NAME's config and
# start its master (not in $(...): h_spawn records the PID)
mm3_start() {
	local name=$1 smtp=$2 runners=" $3 " mta=${4:-} extra=${5:-} dir r
	local incoming='incoming: mailman.mta.null.NullMTA'
	# MTA lines may name another incoming MTA (the README's production
	# wiring: mailman.mta.postfix.LMTP, which writes Postfix maps)
	if [[ $mta == *incoming:* ]]; then
		incoming=$(grep '^incoming:' <<<"$mta")
		mta=$(grep -v '^incoming:' <<<"$mta" || true)
	fi
	dir=$H_DIR/$name
	mkdir -p "$dir/var"
	MM3_DIR[$name]=$dir
	MM3_REST[$name]=$(h_free_port) || return 1
	MM3_LMTP[$name]=$(h_free_port) || return 1
	{
		cat <<EOF
# Mailman 3 core for a throw-away test: everything below $dir/var
[mailman]
site_owner: siteowner@example.org
layout: test

[paths.test]
var_dir: $dir/var
bin_dir: /usr/lib/mailman3/bin
queue_dir: \$var_dir/queue
list_data_dir: \$var_dir/lists
log_dir: \$var_dir/logs
lock_dir: \$var_dir/locks
data_dir: \$var_dir/data
cache_dir: \$var_dir/cache
etc_dir: \$var_dir/etc
ext_dir: \$var_dir/ext
messages_dir: \$var_dir/messages
archive_dir: \$var_dir/archives
template_dir: \$var_dir/templates
pid_file: \$var_dir/master.pid
lock_file: \$lock_dir/master.lck

[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///\$DATA_DIR/mailman.db

[webservice]
hostname: 127.0.0.1
port: ${MM3_REST[$name]}
use_https: no
admin_user: restadmin
admin_pass: restpass
workers: 1

[mta]
$incoming
outgoing: mailman.mta.deliver.deliver
smtp_host: 127.0.0.1
smtp_port: $smtp
lmtp_host: 127.0.0.1
lmtp_port: ${MM3_LMTP[$name]}
EOF
		[ -z "$mta" ] || printf '%s\n' "$mta"
		for r in $MM3_RUNNERS_ALL; do
			[[ $runners == *" $r "* ]] || printf '\n[runner.%s]\nstart: no\n' "$r"
		done
		[ -z "$extra" ] || printf '\n%s\n' "$extra"
	} >"$dir/mailman.cfg"
	# What `mailman start` does after its fork, minus the fork: the
	# runners find their var dir through MAILMAN_VAR_DIR.
	# shellcheck disable=SC2016 # expanded by that sh
	h_spawn "$name" /bin/sh -c 'cd "$1" && MAILMAN_VAR_DIR=$1 exec "$2" "$3" -C "$4"' \
		sh "$dir/var" "$MM3_PYTHON" "$MM3_MASTER" "$dir/mailman.cfg"
	MM3_PID[$name]=$H_LAST_PID
}

# mm3_rest NAME METHOD PATH [KEY=VALUE]... - prints status and body
mm3_rest() {
	local name=$1
	shift
	"$MM3_PYTHON" "$MM3_TOP/mm3.py" rest "${MM3_REST[$name]}" "$@"
}

# mm3_wait NAME - until NAME's REST API answers (its runners start with it)
mm3_wait() {
	if ! h_wait_for 40 mm3_rest "$1" GET /system/versions; then
		h__log "Mailman $1 did not come up; its log:"
		tail -n 20 "${MM3_DIR[$1]}/var/logs/mailman.log" "$H_DIR/$1.log" >&2 2>/dev/null
		return 1
	fi
}

# mm3__runners_gone NAME - no process of NAME is left
mm3__runners_gone() { [ -z "$(h_leftovers "${MM3_DIR[$1]}")" ]; }

# mm3_stop NAME - SIGTERM its master (as `mailman stop`), wait for it and
# its runners (the master reaps them; master.pid goes before it does)
mm3_stop() {
	local name=$1
	[ -n "${MM3_PID[$name]:-}" ] || return 0
	h_kill "${MM3_PID[$name]}"
	h_wait_for 10 mm3__runners_gone "$name" || true
}

# mm3_postfix KEY=NAME|KEY=TRANSPORT... - the current Postfix instance
# delivers each KEY (a domain, or an address) to instance NAME's LMTP port,
# or to TRANSPORT when it has a colon ("smtp:[127.0.0.1]:2525"); it relays
# for the domains from anywhere (everything else only from mynetworks), and
# takes XCLIENT from 127.0.0.1 so a test can stand in for remote clients
mm3_postfix() {
	local arg key to map='' doms=''
	for arg; do
		key=${arg%%=*}
		to=${arg#*=}
		[[ $to == *:* ]] || to="lmtp:[127.0.0.1]:${MM3_LMTP[$to]}"
		map+="${map:+, }$key=$to"
		[[ $key == *@* ]] || doms+="${doms:+ }$key"
	done
	# Postfix's LMTP client: the harness's master.cf has no lmtp service
	postconf -c "$H_CONF" -M 'lmtp/unix=lmtp unix - - n - - lmtp'
	h_postconf "transport_maps = inline:{ $map }" \
		"relay_domains = $doms" \
		'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination' \
		'smtpd_authorized_xclient_hosts = 127.0.0.1'
}
