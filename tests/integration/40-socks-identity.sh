#!/bin/sh
# The socks tunnel checks who it talks to: without routes the server must
# prove the requested address (IP SAN); a route's peer (name or sha256 pin)
# replaces that; a server from another CA, or one naming another node, is
# refused with reply 0x01 and its target never sees the connection.
. "$(dirname "$0")/lib.sh"
need openssl

pki_pair
pki_ca otherca
pki_cert ca node-c --ip 127.0.0.3 --dns node-c
pki_cert otherca stranger --ip 127.0.0.4 --dns node-b

pin() {
	openssl x509 -in "$1" -pubkey -noout |
	    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
}
PIN_B=$(pin "$T/node-b.crt")
PIN_C=$(pin "$T/node-c.crt")

PA=$(port_free); PR=$(port_free); PE=$(port_free)
PB=$(port_free); PFAKE=$(port_free); PSTR=$(port_free)
start_echo $PE --count-file "$T/count"

# Node B serves on 127.0.0.2 (its own address) and, impersonating node C,
# on 127.0.0.3 with its own certificate.
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	b_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
	fake_c = { mode = "tls"; listen = "127.0.0.3:$PFAKE"; connect = "127.0.0.1:$PE"; };
};
EOF
conf_global s stranger otherca
cat >>"$T/s.conf" <<EOF
tunnels = {
	s_in = { mode = "tls"; listen = "127.0.0.4:$PSTR"; connect = "127.0.0.1:$PE"; };
};
EOF
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; };
	routed = { mode = "socks"; listen = "127.0.0.1:$PR";
	    routes = (
		{ match = "127.0.0.3:$PFAKE"; peer = "node-b"; },
		{ match = "127.0.0.7:*"; connect = "127.0.0.2:*"; },
		{ match = "127.0.0.8:*"; connect = "127.0.0.2:*"; peer = "node-c"; },
		{ match = "127.0.0.9:1"; connect = "127.0.0.2:$PB"; peer = "sha256:$PIN_B"; },
		{ match = "127.0.0.9:2"; connect = "127.0.0.2:$PB"; peer = "sha256:$PIN_C"; },
		{ match = "127.0.0.9:3"; connect = "127.0.0.3:$PFAKE"; peer = "*.example"; },
		{ match = "*:4"; connect = "127.0.0.2:$PB"; peer = "*"; }
	    ); };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld s "$T/s.conf" || die "stranger did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"

SC="$HELPERS/socks-client"

# case WHAT PROXYPORT DEST WANT: one SOCKS CONNECT with 100 bytes of data;
# with WANT 0x00 the target must see one more connection, otherwise none.
case_() {
	before=$(wc -l <"$T/count")
	if [ "$4" = 0x00 ]; then
		out=$($SC -p 127.0.0.1:$2 -d "$3" --send-bytes 100 2>&1)
	else
		out=$($SC -p 127.0.0.1:$2 -d "$3" 2>&1)
	fi
	after=$(wc -l <"$T/count")
	if ! printf '%s\n' "$out" | grep -q -x "reply $4"; then
		fail "$1: wanted reply $4, got: $(printf '%s' "$out" | tr '\n' '|')"
		return
	fi
	if [ "$4" = 0x00 ]; then
		printf '%s\n' "$out" | grep -q 'sent 100 received 100 match' ||
		    fail "$1: no echo: $out"
		[ "$after" -eq $((before + 1)) ] || fail "$1: target not reached once"
	else
		[ "$after" -eq "$before" ] || fail "$1: target saw a connection"
	fi
	ok "$1: reply $4"
}

case_ "server proves the requested IP" $PA 127.0.0.2:$PB 0x00
case_ "server names another node (127.0.0.2, asked .3)" $PA 127.0.0.3:$PFAKE 0x01
case_ "server from another CA, right IP" $PA 127.0.0.4:$PSTR 0x01
case_ "route peer = node-b replaces the IP check" $PR 127.0.0.3:$PFAKE 0x00
case_ "route connect rewrites host, proves the new host" $PR 127.0.0.7:$PB 0x00
case_ "route peer node-c, server is node-b" $PR 127.0.0.8:$PB 0x01
case_ "route peer sha256 pin of node-b" $PR 127.0.0.9:1 0x00
case_ "route peer sha256 pin of node-c, server is node-b" $PR 127.0.0.9:2 0x01
case_ "route peer *.example, server is node-b" $PR 127.0.0.9:3 0x01
case_ "route peer * (any cert from ca), port rewrite" $PR 127.0.0.1:4 0x00

grep -q 'does not name 127.0.0.3' "$T/a.log" ||
    fail "node A did not log why 127.0.0.3 was refused"
done_test
