#!/bin/sh
# Every SOCKS5 refusal of SPEC gets its reply code, never a silent close:
# BIND/UDP ASSOCIATE 0x07, unknown ATYP 0x08, SOCKS4 0x5b, malformed
# requests 0x01, route deny / no route 0x02, refused 0x05 (first hop and
# far target), timeout 0x06, failed TLS 0x01; RFC 1929 on its own tunnel.
. "$(dirname "$0")/lib.sh"

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
pki_cert ca node-b --ip 127.0.0.2 --ip 127.0.0.5

PA=$(port_free); PR=$(port_free); PAUTH=$(port_free)
PB=$(port_free); PBDEAD=$(port_free); PE=$(port_free)
PCLOSED=$(port_free); PDEADTARGET=$(port_free)
PSILENT=$(port_free); PHANG=$(port_free); PB3=$(port_free)

start_echo $PE
start_server silent 127.0.0.5 $PSILENT --silent
start_server hang 127.0.0.5 $PHANG --no-accept

printf 'secret-pass\n' >"$T/ops.pass"
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA";
	    connect_timeout = 2; handshake_timeout = 2; };
	routed = { mode = "socks"; listen = "127.0.0.1:$PR";
	    routes = (
		{ match = "10.9.9.9:*"; deny = true; },
		{ match = "127.0.0.2:*"; }
	    ); };
	tools_out = { mode = "socks"; listen = "127.0.0.1:$PAUTH";
	    socks_auth = { username = "ops"; password_file = "$T/ops.pass"; }; };
};
EOF
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
	wrong_in = { mode = "tls"; listen = "127.0.0.3:$PB3"; connect = "127.0.0.1:$PE"; };
	dead_in = { mode = "tls"; listen = "127.0.0.2:$PBDEAD";
	    connect = "127.0.0.1:$PDEADTARGET"; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"

SC="$HELPERS/socks-client"

# expect WHAT WANT CMD...: run CMD, its output must contain the line WANT.
expect() {
	what=$1
	want=$2
	shift 2
	out=$("$@" 2>&1)
	if printf '%s\n' "$out" | grep -q -x -F "$want"; then
		ok "$what: $want"
	else
		fail "$what: wanted '$want', got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
}

expect "CONNECT through (control)" "reply 0x00" \
    $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 10
expect "BIND" "reply 0x07" $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --cmd 2
expect "UDP ASSOCIATE" "reply 0x07" $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --cmd 3
expect "unknown command 9" "reply 0x07" $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --cmd 9
# ATYP 5 does not exist.
expect "unknown ATYP" "recv 05080001000000000000" $SC -p 127.0.0.1:$PA \
    --raw 050100 --raw 05010005000102
# SOCKS4 CONNECT to 127.0.0.2:80: "request rejected" 0x5b.
expect "SOCKS4" "recv 005b000000000000" $SC -p 127.0.0.1:$PA \
    --raw 040100507f000002666f6f00
# ATYP 3 with length 0, and port 0.
expect "empty domain" "recv 05010001000000000000" $SC -p 127.0.0.1:$PA \
    --raw 050100 --raw 05010003001f90
expect "port 0" "recv 05010001000000000000" $SC -p 127.0.0.1:$PA \
    --raw 050100 --raw 050100017f0000020000
# A greeting that offers no method we take.
expect "no acceptable method" "recv 05ff" $SC -p 127.0.0.1:$PA --raw 050102

# Nothing listens at the first hop: 0x05.
expect "refused at first hop" "reply 0x05" \
    $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PCLOSED
# The far stunneld cannot reach its target: it says so, 0x05.
expect "far target refused" "reply 0x05" \
    $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PBDEAD
# A SYN that is never answered: connect_timeout, 0x06.
expect "connect timeout" "reply 0x06" \
    $SC -p 127.0.0.1:$PA -d 127.0.0.5:$PHANG --timeout 20
# TCP accepted, but TLS never answered: handshake_timeout, 0x06.
expect "handshake timeout" "reply 0x06" \
    $SC -p 127.0.0.1:$PA -d 127.0.0.5:$PSILENT --timeout 20
# A TLS server that cannot prove 127.0.0.3 (node B's cert names
# 127.0.0.2 and 127.0.0.5): failed TLS, 0x01.
expect "wrong identity" "reply 0x01" $SC -p 127.0.0.1:$PA -d 127.0.0.3:$PB3

# Routes: deny 0x02, no matching route 0x02, allowed one passes.
expect "route deny" "reply 0x02" $SC -p 127.0.0.1:$PR -d 10.9.9.9:7447
expect "no matching route" "reply 0x02" $SC -p 127.0.0.1:$PR -d 10.9.9.8:7447
expect "route allows" "reply 0x00" \
    $SC -p 127.0.0.1:$PR -d 127.0.0.2:$PB --send-bytes 1000

# RFC 1929: no-auth refused with 0xff, wrong password 0x01, right one in.
expect "auth tunnel, no-auth greeting" "method 0xff" \
    $SC -p 127.0.0.1:$PAUTH -d 127.0.0.2:$PB
expect "auth tunnel, wrong password" "auth 0x01" \
    $SC -p 127.0.0.1:$PAUTH -d 127.0.0.2:$PB --user ops --pass nope
expect "auth tunnel, right password" "sent 5000 received 5000 match" \
    $SC -p 127.0.0.1:$PAUTH -d 127.0.0.2:$PB --user ops --pass secret-pass \
    --send-bytes 5000

# Each refusal was logged with its reason.
n=$(grep -c 'refused' "$T/a.log")
[ "$n" -ge 10 ] || fail "only $n refusals logged on node A"
done_test
