#!/bin/bash
# demo.sh: two stunneld nodes on one machine, run by "make demo".
#
#   make demo            (sets top_srcdir and top_builddir, absolute)
#
# Node A (127.0.0.1) runs a "socks" tunnel, node B (127.0.0.2) a "tls"
# tunnel in front of a small HTTP service; curl, standing in for node A's
# multichaind, talks to that service through both.  Everything lives in a
# throw-away directory that is removed at the end, and every process
# started here is stopped.  Exit 0 iff the request went through.
#
# Needs: curl, and python3 or ss (iproute2) to find
# free ports.

set -u

: "${top_builddir:?run me with make demo (top_builddir is not set)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

STUNNELD=$top_builddir/stunneld/stunneld
ECHO_SERVER=$top_builddir/tests/integration/helpers/echo-server
STUNNELCTL=$top_builddir/ctl/stunnelctl

die() {
	echo "demo: $*" >&2
	exit 1
}

command -v curl >/dev/null 2>&1 || die "curl not found (apt-get install curl)"
[ -x "$STUNNELD" ] || die "$STUNNELD not built (run make first)"
[ -x "$STUNNELCTL" ] || die "$STUNNELCTL not built (run make first)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stunneld-demo.XXXXXX") ||
    die "mktemp failed"
pids=()

# stop_all: SIGTERM to everything started here; SIGKILL after 10 s (the
# daemons' shutdown_timeout is 2 s).
stop_all() {
	local p i alive
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for i in $(seq 1 100); do
		alive=0
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			echo "demo: pid $p did not stop on SIGTERM within 10 s: SIGKILL" >&2
			kill -9 "$p" 2>/dev/null
		fi
		wait "$p" 2>/dev/null
	done
	pids=()
}

# shellcheck disable=SC2317	# called by the EXIT trap
cleanup() {
	stop_all
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers -----------------------------------------------------------------

used_ports=" "

# free_port ADDR: print a TCP port nobody listens on at ADDR.
free_port() {
	local addr=$1 p i
	for i in $(seq 1 50); do
		if command -v python3 >/dev/null 2>&1; then
			p=$(python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "$addr") || p=
		else
			p=$((20000 + RANDOM % 30000))
			if command -v ss >/dev/null 2>&1 &&
			    [ -n "$(ss -Htln "sport = :$p")" ]; then
				p=
			fi
		fi
		[ -n "$p" ] || continue
		case $used_ports in
		*" $p "*) continue ;;
		esac
		used_ports="$used_ports$p "
		echo "$p"
		return 0
	done
	die "no free port found on $addr (after $i tries)"
}

# listening ADDR PORT: true if something listens there.
listening() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Htln "src $1 and sport = :$2")" ]
	else
		# No ss: a bare connect (may leave a failed handshake in a log).
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
	fi
}

# wait_port NAME PID LOG ADDR PORT: wait for PID to listen (up to 60 s:
# only a daemon that never listens takes that long, even on a slow box).
wait_port() {
	local name=$1 pid=$2 log=$3 addr=$4 port=$5 i
	for i in $(seq 1 600); do
		listening "$addr" "$port" && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "demo: $name exited before listening on $addr:$port; its log:" >&2
			sed 's/^/    /' "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "demo: $name does not listen on $addr:$port after 60 s; its log:" >&2
	sed 's/^/    /' "$log" >&2
	exit 1
}

# cert NAME IP: a key and a certificate for node NAME, signed by the CA
# (CN and DNS SAN NAME, IP SAN IP), made with stunnelctl's own PKI.
cert() {
	"$STUNNELCTL" cert issue "$1" -d "$tmp" --ip "$2" --days 2 \
	    >>"$tmp/pki.log" 2>&1 ||
	    { cat "$tmp/pki.log" >&2; die "stunnelctl cert issue $1 failed"; }
}

# show_log NAME FILE: the lines of a daemon's log that tell who
# authenticated whom, and anything that went wrong.
show_log() {
	local lines
	lines=$(grep -aiE 'authenticat|connected|peer|refus|fail|denied|error' "$2" |
	    grep -avE ': [A-Z_]+ -> [A-Z_]+$')
	echo "  $1 ($2):"
	if [ -n "$lines" ]; then
		printf '%s\n' "$lines" | sed 's/^/    /'
	else
		echo "    (no line about peers; the whole log:)"
		sed 's/^/    /' "$2"
	fi
}

# --- 1. the PKI ----------------------------------------------------------------

echo "stunneld demo: two nodes on this machine, in $tmp (removed at the end)"
echo
echo "1. A network CA and one certificate per node (ECDSA P-256, stunnelctl cert):"
echo "   \$ stunnelctl cert ca -d DIR --cn \"stunneld demo CA\" --days 2"
echo "   \$ stunnelctl cert issue node-a -d DIR --ip 127.0.0.1 --days 2"
echo "   \$ stunnelctl cert issue node-b -d DIR --ip 127.0.0.2 --days 2"
"$STUNNELCTL" cert ca -d "$tmp" --cn "stunneld demo CA" --days 2 \
    >>"$tmp/pki.log" 2>&1 ||
    { cat "$tmp/pki.log" >&2; die "stunnelctl cert ca failed"; }
cert node-a 127.0.0.1
cert node-b 127.0.0.2
echo "   ca.crt      CN=stunneld demo CA"
echo "   node-a.crt  CN=node-a, SAN DNS:node-a IP:127.0.0.1"
echo "   node-b.crt  CN=node-b, SAN DNS:node-b IP:127.0.0.2"

# --- 2. the service behind node B ---------------------------------------------

port_svc=$(free_port 127.0.0.1) || exit 1
used_ports="$used_ports$port_svc "
port_a=$(free_port 127.0.0.1) || exit 1
used_ports="$used_ports$port_a "
port_b=$(free_port 127.0.0.2) || exit 1

echo
echo "2. The service on node B (stands in for node B's multichaind):"
if [ -x "$ECHO_SERVER" ]; then
	"$ECHO_SERVER" -l "127.0.0.1:$port_svc" --http \
	    >"$tmp/service.log" 2>&1 &
	pids+=($!)
	svc_kind=echo-server
	echo "   echo-server --http on 127.0.0.1:$port_svc (answers a POST with its body)"
else
	command -v python3 >/dev/null 2>&1 ||
	    die "neither $ECHO_SERVER nor python3 is there for the service"
	mkdir "$tmp/www"
	echo "Hello from the service behind node B." >"$tmp/www/index.html"
	python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" \
	    "$port_svc" >"$tmp/service.log" 2>&1 &
	pids+=($!)
	svc_kind=python
	echo "   python3 -m http.server on 127.0.0.1:$port_svc (echo-server is not built)"
fi
wait_port service "${pids[-1]}" "$tmp/service.log" 127.0.0.1 "$port_svc"

# --- 3, 4. the two daemons ----------------------------------------------------------

# conf NODE TUNNEL-BLOCK: write NODE's configuration.
conf() {
	cat >"$tmp/$1.conf" <<EOF
# stunneld demo: $1
control_socket   = "$tmp/$1.sock";
log_level        = "debug";
shutdown_timeout = 2;

tls = {
  cert = "$tmp/$1.crt";
  key  = "$tmp/$1.key";
  ca   = "$tmp/ca.crt";
};

tunnels = {
$2
};
EOF
}

conf node-a "  p2p_out = {
    mode   = \"socks\";
    listen = \"127.0.0.1:$port_a\";
  };"
conf node-b "  p2p_in = {
    mode    = \"tls\";
    listen  = \"127.0.0.2:$port_b\";
    connect = \"127.0.0.1:$port_svc\";
    allow   = [ \"node-a\" ];
  };"

echo
echo "3. Node B: stunneld, tunnel p2p_in (mode tls): mutual TLS on 127.0.0.2:$port_b"
echo "   -> TCP to the service on 127.0.0.1:$port_svc; only node-a may come in"
"$STUNNELD" -f -c "$tmp/node-b.conf" >"$tmp/node-b.log" 2>&1 &
pids+=($!)
wait_port "stunneld (node B)" "${pids[-1]}" "$tmp/node-b.log" 127.0.0.2 "$port_b"

echo
echo "4. Node A: stunneld, tunnel p2p_out (mode socks): SOCKS5 on 127.0.0.1:$port_a"
echo "   -> mutual TLS to whatever address the client asks for; the far end"
echo "   must prove that address with its certificate (no routes configured)"
"$STUNNELD" -f -c "$tmp/node-a.conf" >"$tmp/node-a.log" 2>&1 &
pids+=($!)
wait_port "stunneld (node A)" "${pids[-1]}" "$tmp/node-a.log" 127.0.0.1 "$port_a"

# --- 5. the request --------------------------------------------------------------

url="http://127.0.0.2:$port_b/"
msg="Hello node B, this is node A ($(date -u +%H:%M:%S))."
curl_args=(--silent --show-error --max-time 60
    --socks5-hostname "127.0.0.1:$port_a")
shown="curl --socks5-hostname 127.0.0.1:$port_a"
if [ "$svc_kind" = echo-server ]; then
	curl_args+=(--data-binary "$msg" -H 'Content-Type: text/plain')
	shown="$shown --data-binary \"\$msg\""
fi

echo
echo "5. A client on node A (stands in for multichaind -proxy=127.0.0.1:$port_a):"
echo "   $shown $url"
[ "$svc_kind" = echo-server ] && echo "   sent:  $msg"
# A proxy setting in the environment (no_proxy, all_proxy...) must not
# change where curl goes.
reply=$(env -u no_proxy -u NO_PROXY -u all_proxy -u ALL_PROXY \
    -u http_proxy -u HTTP_PROXY \
    curl "${curl_args[@]}" --write-out '\n%{http_code}' "$url" 2>"$tmp/curl.err")
rc=$?
code=${reply##*$'\n'}
body=${reply%$'\n'*}
body=${body%$'\n'}
if [ "$rc" -eq 0 ] && [ "$code" = 200 ]; then
	echo "   reply: HTTP $code, \"$body\""
	if [ "$svc_kind" = echo-server ] && [ "$body" != "$msg" ]; then
		echo "   the reply is not what was sent!"
		rc=1
	fi
else
	echo "   FAILED: curl exit $rc, HTTP ${code:-none}: $(cat "$tmp/curl.err")"
	[ "$rc" -eq 0 ] && rc=1
fi

# --- 6. a client without a certificate --------------------------------------

echo
echo "6. A client without a certificate, straight to node B's TLS port:"
if command -v gnutls-cli >/dev/null 2>&1; then
	echo "   gnutls-cli --x509cafile ca.crt 127.0.0.2 -p $port_b"
	if echo | timeout 60 gnutls-cli --x509cafile "$tmp/ca.crt" \
	    127.0.0.2 -p "$port_b" >"$tmp/nocert.log" 2>&1; then
		echo "   (gnutls-cli reported success: see node B's log below)"
	else
		echo "   node B refused it; gnutls-cli says: $(grep -aiE 'error|fail|alert' "$tmp/nocert.log" |
		    head -n 1)"
	fi
	# Node B's line about it, for step 7 (up to 10 s; only the display
	# depends on it).
	for i in $(seq 1 100); do
		grep -aqi 'no certificate' "$tmp/node-b.log" && break
		sleep 0.1
	done
else
	echo "   (skipped: gnutls-cli not installed)"
fi

# --- 7. what the daemons said ----------------------------------------------------

echo
echo "7. What the daemons logged about their peers:"
show_log "node A" "$tmp/node-a.log"
show_log "node B" "$tmp/node-b.log"

echo
echo "8. Stopping both daemons (SIGTERM) and the service."
stop_all

echo
if [ "$rc" -eq 0 ]; then
	echo "demo: OK, node A reached node B's service through stunneld, both ends authenticated."
else
	echo "demo: FAILED (see above)."
	echo "  node A's whole log:"
	sed 's/^/    /' "$tmp/node-a.log"
	echo "  node B's whole log:"
	sed 's/^/    /' "$tmp/node-b.log"
fi
exit "$rc"
