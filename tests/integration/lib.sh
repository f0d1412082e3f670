# lib.sh: sourced by every integration test.  Each test gets its own
# directory ($T), its own certificates (made by stunnelctl cert) and ports; everything it starts is
# killed on exit, and the logs are printed if the test failed.
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
STUNNELD=$top_builddir/stunneld/stunneld
# 1 in a sanitizer build: several times slower, so load tests scale down.
SANITIZED=0
grep -q -e '--enable-sanitizers' "$top_builddir/config.log" 2>/dev/null &&
    SANITIZED=1
STUNNELCTL=$top_builddir/ctl/stunnelctl
HELPERS=$top_builddir/tests/integration/helpers
TEST_NAME=$(basename "$0" .sh)

T=$(mktemp -d "${TMPDIR:-/tmp}/stunneld-$TEST_NAME.XXXXXX") || exit 99
BG_PIDS=""
CLEANUP_HOOK=""	# shell code run on exit after the background jobs are gone
TEST_FAILED=0
TEST_FINISHED=0

note() {
	printf '%s: %s\n' "$TEST_NAME" "$*"
}

# fail MSG: record a failure and go on; the test exits 1 at the end.
fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*"
	TEST_FAILED=1
}

# die MSG: a failure after which the rest of the test makes no sense.
die() {
	fail "$@"
	exit 1
}

skip() {
	printf '%s: SKIP: %s\n' "$TEST_NAME" "$*"
	exit 77
}

# need CMD...: skip the test unless every command is installed.
need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

# pass COND-DESCRIPTION: log a check that held.
ok() {
	printf '%s: ok: %s\n' "$TEST_NAME" "$*"
}

cleanup() {
	rc=$?
	trap - EXIT
	for p in $BG_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $BG_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	eval "${CLEANUP_HOOK:-:}"
	if [ "$rc" -eq 0 ] && [ "$TEST_FAILED" -ne 0 ]; then
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $f (last 60 lines)"
			tail -n 60 "$f"
		done
		if [ "$TEST_FINISHED" -eq 0 ] && [ "$TEST_FAILED" -eq 0 ]; then
			echo "$TEST_NAME: FAIL: exited early with status $rc"
		fi
	fi
	# A sanitizer report anywhere in our logs fails the test.
	if grep -l -E '^(==[0-9]+==ERROR|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer)|runtime error:' \
	    "$T"/*.log >/dev/null 2>&1; then
		echo "$TEST_NAME: FAIL: sanitizer report in logs"
		grep -h -A 30 -E '==[0-9]+==ERROR|runtime error:' "$T"/*.log | head -80
		[ "$rc" -eq 77 ] || rc=1
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# done_test: end of test; exit with the collected result.
done_test() {
	TEST_FINISHED=1
	if [ "$TEST_FAILED" -ne 0 ]; then
		exit 1
	fi
	note "PASS"
	exit 0
}

# Every process a test runs in the background goes through start_bg, so
# that the exit trap stops it whatever happens.  A process that has been
# waited for leaves BG_PIDS: the trap must not signal its pid once the
# system may have given it to someone else.

# start_bg NAME CMD...: run CMD in the background, output in $T/NAME.log,
# pid in $T/NAME.pid (bg_pid NAME prints it).
start_bg() {
	name=$1
	shift
	"$@" >"$T/$name.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	echo $! >"$T/$name.pid"
}

# bg_pid NAME: the pid of what start_bg NAME started.
bg_pid() {
	cat "$T/$1.pid"
}

# bg_forget PID: PID has been waited for; the exit trap leaves it alone.
bg_forget() {
	_bf_l=""
	for _bf_p in $BG_PIDS; do
		[ "$_bf_p" = "$1" ] || _bf_l="$_bf_l $_bf_p"
	done
	BG_PIDS=$_bf_l
}

# wait_bg NAME: wait until what start_bg NAME started exits, however long
# that takes (it must end by itself: its own timeout, or a file the test
# creates); returns its exit status.
wait_bg() {
	_wb_p=$(cat "$T/$1.pid") || return 127
	wait "$_wb_p"
	_wb_st=$?
	bg_forget "$_wb_p"
	rm -f "$T/$1.pid"
	return $_wb_st
}

# stop_bg NAME: stop what start_bg NAME started and wait for it.
stop_bg() {
	[ -f "$T/$1.pid" ] || return 0
	p=$(cat "$T/$1.pid")
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	bg_forget "$p"
	rm -f "$T/$1.pid"
}

# port_free: print a TCP port nobody uses.  Ports are handed out in
# sequence from a per-test random base (state in a file: callers run us in
# a subshell), so two calls never return the same port.
port_free() {
	if [ ! -f "$T/.port" ]; then
		echo $(( 20000 + ($$ * 7919 + $(date +%N | sed 's/^0*//') / 1000) % 40000 )) \
		    >"$T/.port"
	fi
	p=$(cat "$T/.port")
	while :; do
		p=$((p + 1))
		[ "$p" -lt 60000 ] || p=20000
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p" >"$T/.port"
			echo "$p"
			return 0
		fi
	done
}

# Every wait below polls for its event every 0.1 s and gives up after
# WAIT_TENTHS tenths of a second (60 s; set it in the environment for a
# slower machine).  Only a real failure reaches the bound, so it is generous:
# a test never asserts that something happened within a time.
: "${WAIT_TENTHS:=600}"

# wait_until DESCRIPTION CONDITION [TENTHS]: wait until the shell code
# CONDITION succeeds; fail "DESCRIPTION" and return 1 if it never does.
# CONDITION is evaluated here, where $1, $2... are wait_until's own: a
# caller's arguments must be expanded into it beforehand.
wait_until() {
	_wu_n=${3:-$WAIT_TENTHS}
	while [ "$_wu_n" -gt 0 ]; do
		eval "$2" && return 0
		sleep 0.1
		_wu_n=$((_wu_n - 1))
	done
	eval "$2" && return 0
	fail "$1"
	return 1
}

# listening HOST PORT: whether something listens on HOST:PORT.
listening() {
	case $1 in
	*:*)	_l_a="[$1]:$2" ;;
	*)	_l_a="$1:$2" ;;
	esac
	[ -n "$(ss -Hltn "src $_l_a" 2>/dev/null)" ]
}

# wait_port HOST PORT [TENTHS]: wait until something listens on HOST:PORT.
wait_port() {
	wait_until "nothing listens on $1:$2" "listening '$1' '$2'" "${3:-}"
}

# wait_unport HOST PORT [TENTHS]: wait until nothing listens on HOST:PORT.
wait_unport() {
	wait_until "$1:$2 still listens" "! listening '$1' '$2'" "${3:-}"
}

# wait_log NAME REGEX [TENTHS]: wait until $T/NAME.log has a line matching.
wait_log() {
	_wl_n=${3:-$WAIT_TENTHS}
	while [ "$_wl_n" -gt 0 ]; do
		grep -q -E "$2" "$T/$1.log" 2>/dev/null && return 0
		sleep 0.1
		_wl_n=$((_wl_n - 1))
	done
	grep -q -E "$2" "$T/$1.log" 2>/dev/null && return 0
	fail "no line /$2/ in $1.log"
	return 1
}

# wait_file PATH [TENTHS]: wait until PATH exists.
wait_file() {
	wait_until "no file $1" "[ -e '$1' ]" "${2:-}"
}

# stat_of NODE TUNNEL KEY: the number KEY of TUNNEL's row in the JSON
# status of the daemon whose control socket is $T/NODE.sock; empty if it
# does not answer, "null" if the row is stale.
stat_of() {
	"$STUNNELCTL" -s "$T/$1.sock" --json status "$2" 2>/dev/null |
	    sed -n "s/.*\"$3\": *\([0-9a-z]*\).*/\1/p"
}

# wait_stat NODE TUNNEL KEY TEST VALUE [TENTHS]: wait until the number KEY
# of TUNNEL on NODE passes [ KEY TEST VALUE ] (TEST is -eq, -ge, -le...).
wait_stat() {
	_ws_n=${6:-$WAIT_TENTHS}
	while :; do
		_ws_v=$(stat_of "$1" "$2" "$3")
		[ -n "$_ws_v" ] && [ "$_ws_v" "$4" "$5" ] 2>/dev/null && return 0
		[ "$_ws_n" -gt 0 ] || break
		sleep 0.1
		_ws_n=$((_ws_n - 1))
	done
	fail "node $1, tunnel $2: $3 is ${_ws_v:-unknown}, wanted $4 $5"
	return 1
}

# start_stunneld NAME CONF: start a daemon in the foreground (logs in
# $T/NAME.log) and wait until its supervisor reports it started.
start_stunneld() {
	start_bg "$1" "$STUNNELD" -f -v -c "$2"
	wait_log "$1" 'started with' || return 1
}

# stop_stunneld NAME: SIGTERM and wait; returns the daemon's exit status.
stop_stunneld() {
	p=$(cat "$T/$1.pid")
	kill -TERM "$p" 2>/dev/null
	wait "$p"
	st=$?
	bg_forget "$p"
	rm -f "$T/$1.pid"
	return $st
}

# --- targets and links ------------------------------------------------------

# start_server NAME HOST PORT [OPTION...]: helpers/echo-server with
# OPTION... (--http, --silent, --count-file FILE...) on HOST:PORT, log in
# $T/NAME.log; returns once it listens, and the test dies if it does not.
start_server() {
	_ss_name=$1
	_ss_host=$2
	_ss_port=$3
	shift 3
	start_bg "$_ss_name" "$HELPERS/echo-server" -l "$_ss_host:$_ss_port" "$@"
	wait_port "$_ss_host" "$_ss_port" ||
	    die "$_ss_name server did not start on $_ss_host:$_ss_port"
}

# start_echo PORT [OPTION...]: the usual target, "echo" on 127.0.0.1:PORT.
start_echo() {
	_se_port=$1
	shift
	start_server echo 127.0.0.1 "$_se_port" "$@"
}

# ping_start SOCKS DEST NODE TUNNEL: the ping link, "ping": socks-client
# through the SOCKS proxy at SOCKS (HOST:PORT) to DEST, a 20-byte ping every
# 50 ms until ping_check; returns once TUNNEL of NODE counts it as its one
# active connection, and the test dies if the link does not come up or
# fails at once.
ping_start() {
	start_bg ping "$HELPERS/socks-client" -p "$1" -d "$2" --ping 20 \
	    --interval 50 --until "$T/stop-ping" --timeout 900
	wait_stat "$3" "$4" connections_active -eq 1 ||
	    die "the ping link did not come up"
	grep -q 'ping .* at' "$T/ping.log" &&
	    die "the ping link failed at once: $(cat "$T/ping.log")"
	return 0
}

# ping_check: stop the ping link and check that it lost nothing: it exits 0
# and its last line is "ping N ok".
ping_check() {
	touch "$T/stop-ping"
	wait_bg ping
	_pc_st=$?
	_pc_res=$(tail -n 1 "$T/ping.log")
	case $_pc_res in
	"ping "*" ok")
		if [ "$_pc_st" -eq 0 ]; then
			ok "ping link: $_pc_res"
		else
			fail "ping link exit $_pc_st: $_pc_res"
		fi ;;
	*)	fail "ping link: $_pc_res" ;;
	esac
}

# --- PKI with stunnelctl cert ---------------------------------------------
#
# Each CA lives in its own directory $T/NAME.pki (ca.key, ca.crt and the
# empty ca.crl that "cert ca" writes); $T/NAME.crt and $T/NAME.key are
# copies for the configurations, and $T/NAME.crl appears only once pki_crl
# is called (conf_global adds a crl line when it exists).

# pki_ca NAME: a CA key and self-signed certificate, $T/NAME.{key,crt}.
pki_ca() {
	"$STUNNELCTL" cert ca -d "$T/$1.pki" --cn "$1" >"$T/pki-$1.out" 2>&1 &&
	cp "$T/$1.pki/ca.crt" "$T/$1.crt" &&
	cp "$T/$1.pki/ca.key" "$T/$1.key" ||
	    die "stunnelctl cert ca: cannot make CA $1: $(tail -1 "$T/pki-$1.out")"
}

# pki_cert CA NAME [--cn CN] [--ip ADDR]... [--dns NAME]... [--days N]
# [--not-after DATE] [--expired]: a node key and certificate signed by CA,
# $T/NAME.{key,crt} (replaced if there: a new key and serial).  The common
# name, and a DNS SAN, is NAME, or CN with --cn.  --days and --not-after
# as for stunnelctl cert issue; --expired: valid 2020-01-01 to 2021-01-01.
pki_cert() {
	_pki_ca=$1
	_pki_name=$2
	shift 2
	_pki_n=$#
	while [ "$_pki_n" -gt 0 ]; do
		_pki_a=$1
		shift
		_pki_n=$((_pki_n - 1))
		case $_pki_a in
		--cn|--ip|--dns|--days|--not-after)
			[ "$_pki_n" -gt 0 ] || die "pki_cert: $_pki_a needs a value"
			set -- "$@" "$_pki_a" "$1"
			shift
			_pki_n=$((_pki_n - 1)) ;;
		--expired)
			set -- "$@" --valid-from 2020-01-01 --days 366 ;;
		*)	die "pki_cert: unknown option $_pki_a" ;;
		esac
	done
	"$STUNNELCTL" cert issue "$_pki_name" -d "$T/$_pki_ca.pki" --out "$T" \
	    --force "$@" >"$T/pki-$_pki_name.out" 2>&1 ||
	    die "stunnelctl cert issue: cannot make certificate $_pki_name: $(tail -1 "$T/pki-$_pki_name.out")"
}

# pki_pair: the CA "ca" and the two nodes of a pair signed by it: node-a
# (IP SAN 127.0.0.1) and node-b (127.0.0.2), each with its name as CN and
# DNS SAN.
pki_pair() {
	pki_ca ca
	pki_cert ca node-a --ip 127.0.0.1
	pki_cert ca node-b --ip 127.0.0.2
}

# pki_crl CA [NAME...]: write $T/CA.crl revoking the certificates NAME...
# (none: an empty CRL), each time from the CA's empty CRL.
pki_crl() {
	_pki_ca=$1
	shift
	_pki_w=$T/$_pki_ca.crlwork
	rm -rf "$_pki_w"
	mkdir "$_pki_w" && cp -p "$T/$_pki_ca.pki/ca.crt" "$T/$_pki_ca.pki/ca.key" \
	    "$T/$_pki_ca.pki/ca.crl" "$_pki_w/" ||
	    die "pki_crl: cannot copy CA $_pki_ca"
	for _pki_n in "$@"; do
		"$STUNNELCTL" cert revoke "$T/$_pki_n.crt" -d "$_pki_w" \
		    >"$T/pki-crl-$_pki_n.out" 2>&1 ||
		    die "stunnelctl cert revoke: cannot revoke $_pki_n: $(tail -1 "$T/pki-crl-$_pki_n.out")"
	done
	cp "$_pki_w/ca.crl" "$T/$_pki_ca.crl.new" &&
	mv -f "$T/$_pki_ca.crl.new" "$T/$_pki_ca.crl" ||
	    die "pki_crl: cannot write $T/$_pki_ca.crl"
}

# conf_global NAME CERTNAME CA [TLS]: start $T/NAME.conf with the global
# settings and a tls block for CERTNAME signed by CA (CRL if $T/CA.crl);
# TLS, if given, is more settings for that block (a crl there replaces
# the CA's).
conf_global() {
	crl=""
	[ -f "$T/$3.crl" ] && crl="crl = \"$T/$3.crl\";"
	case ${4-} in
	*"crl ="*|*"crl="*) crl="" ;;
	esac
	cat >"$T/$1.conf" <<EOF
control_socket = "$T/$1.sock";
pid_file = "$T/$1.pidfile";
log_level = "debug";
shutdown_timeout = 2;
tls = {
	cert = "$T/$2.crt";
	key = "$T/$2.key";
	ca = "$T/$3.crt";
	$crl
	${4-}
};
EOF
}

# sha256_of FILE: hex SHA-256 of FILE.
sha256_of() {
	sha256sum "$1" | cut -d' ' -f1
}

need ss
[ -x "$STUNNELD" ] || die "$STUNNELD not built"
[ -x "$STUNNELCTL" ] || die "$STUNNELCTL not built"
