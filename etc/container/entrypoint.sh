#!/bin/sh
# stunneld-entrypoint: the image's entrypoint (etc/container/README.md).
#
#	stunneld-entrypoint [STUNNELD-OPTION...]	check, then exec stunneld -f
#	stunneld-entrypoint COMMAND [ARG...]		exec COMMAND (stunnelctl cert ...)
#
# A configuration file at $STUNNELD_CONFIG (mounted) is used as it is.
# Without one, the file is written from the environment to
# /run/stunneld/stunneld.conf:
#
#	STUNNELD_CERT, STUNNELD_KEY, STUNNELD_CA	files (required)
#	STUNNELD_TLS_LISTEN	the node's advertised ADDRESS:PORT (required)
#	STUNNELD_TLS_CONNECT	multichaind (default 127.0.0.1:7447)
#	STUNNELD_SOCKS_LISTEN	multichaind's -proxy (default 127.0.0.1:1080)
#	STUNNELD_CRL		file (optional)
#	STUNNELD_ALLOW		peers let in, comma-separated (optional)
#	STUNNELD_METRICS_LISTEN	ADDRESS:PORT of /metrics and /healthz (optional)
#	STUNNELD_LOG_LEVEL	error|warn|info|debug (default info)
#
# Either way "stunneld -t" checks the file first: a bad value or file stops
# the container here, with stunneld's FILE:LINE: message, exit 1.

set -eu

prog=stunneld-entrypoint
: "${STUNNELD_CONFIG:=/etc/stunneld/stunneld.conf}"
generated=/run/stunneld/stunneld.conf

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

# A command instead of options: run it (the image's stunnelctl for the PKI).
if [ $# -gt 0 ]; then
	case $1 in
	-*)	;;
	*)	exec "$@" ;;
	esac
fi

# check NAME VALUE: VALUE goes between double quotes in libconfig, which
# has escapes of its own: refuse what could end the string or the line.
check() {
	case $2 in
	*'"'* | *'\'*)
		die "$1: must not contain '\"' or '\\'" ;;
	esac
	case $2 in
	*"
"*)		die "$1: must not contain a newline" ;;
	esac
	# Other control characters are nothing a path or address holds.
	if printf '%s' "$2" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		die "$1: must not contain control characters"
	fi
}

# need NAME: the variable NAME, set and not empty, checked.
need() {
	eval "_v=\${$1-}"
	[ -n "$_v" ] || die "$1 is not set (and no configuration at $STUNNELD_CONFIG)"
	check "$1" "$_v"
}

# opt NAME: the variable NAME checked if set.
opt() {
	eval "_v=\${$1-}"
	check "$1" "$_v"
}

# allow_list LIST: LIST (comma-separated) as libconfig strings.
allow_list() {
	_out=""
	_rest=$1,
	while [ -n "$_rest" ]; do
		_e=${_rest%%,*}
		_rest=${_rest#*,}
		# spaces around an entry are the operator's layout, not the name
		_e=$(printf '%s' "$_e" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
		[ -n "$_e" ] || die "STUNNELD_ALLOW: an empty entry in '$1'"
		case $_e in
		*[[:space:]]*)	die "STUNNELD_ALLOW: '$_e' has a space in it" ;;
		esac
		_out="$_out${_out:+, }\"$_e\""
	done
	printf '%s' "$_out"
}

write_config() {
	for v in STUNNELD_CERT STUNNELD_KEY STUNNELD_CA STUNNELD_TLS_LISTEN; do
		need "$v"
	done
	for v in STUNNELD_TLS_CONNECT STUNNELD_SOCKS_LISTEN STUNNELD_CRL \
	    STUNNELD_ALLOW STUNNELD_METRICS_LISTEN STUNNELD_LOG_LEVEL; do
		opt "$v"
	done
	: "${STUNNELD_SOCKS_LISTEN:=127.0.0.1:1080}"
	: "${STUNNELD_TLS_CONNECT:=127.0.0.1:7447}"
	: "${STUNNELD_LOG_LEVEL:=info}"
	crl="" allow="" metrics=""
	[ -z "${STUNNELD_CRL-}" ] || crl="crl  = \"$STUNNELD_CRL\";"
	[ -z "${STUNNELD_ALLOW-}" ] ||
	    allow="allow   = [ $(allow_list "$STUNNELD_ALLOW") ];"
	# only when asked for: a stunneld without metrics_listen refuses the key
	[ -z "${STUNNELD_METRICS_LISTEN-}" ] ||
	    metrics="metrics_listen = \"$STUNNELD_METRICS_LISTEN\";"
	umask 077
	cat >"$generated.new" <<EOF || die "cannot write $generated"
# Written by $prog from the STUNNELD_* variables; mount a file at
# $STUNNELD_CONFIG instead to configure more.
control_socket   = "/run/stunneld/control.sock";
log_level        = "$STUNNELD_LOG_LEVEL";
# within the 10 s that podman stop and docker stop wait before SIGKILL
shutdown_timeout = 5;
$metrics

tls = {
  cert = "$STUNNELD_CERT";
  key  = "$STUNNELD_KEY";
  ca   = "$STUNNELD_CA";
  $crl
};

tunnels = {
  # multichaind -proxy=$STUNNELD_SOCKS_LISTEN
  p2p_out = {
    mode   = "socks";
    listen = "$STUNNELD_SOCKS_LISTEN";
  };
  # peers -> multichaind (-bind, -listen=1, -externalip=<address of $STUNNELD_TLS_LISTEN>)
  p2p_in = {
    mode    = "tls";
    listen  = "$STUNNELD_TLS_LISTEN";
    connect = "$STUNNELD_TLS_CONNECT";
    $allow
  };
};
EOF
	mv -f "$generated.new" "$generated" || die "cannot write $generated"
}

if [ -f "$STUNNELD_CONFIG" ]; then
	conf=$STUNNELD_CONFIG
	for v in STUNNELD_CERT STUNNELD_KEY STUNNELD_CA STUNNELD_TLS_LISTEN; do
		eval "_v=\${$v-}"
		[ -z "$_v" ] ||
		    printf '%s: %s is ignored: %s is mounted\n' "$prog" "$v" \
		    "$STUNNELD_CONFIG" >&2
	done
elif [ -e "$STUNNELD_CONFIG" ]; then
	die "$STUNNELD_CONFIG is not a regular file"
else
	write_config
	conf=$generated
fi

if ! stunneld -t -c "$conf"; then
	if [ "$conf" = "$generated" ]; then
		echo "$prog: the configuration written from STUNNELD_* was:" >&2
		grep -n '' "$conf" >&2
	fi
	die "$conf: refused by stunneld -t"
fi
exec stunneld -f -c "$conf" "$@"
