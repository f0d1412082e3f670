#!/bin/sh
# stunnel4 as the other end, both ways: stunneld's socks tunnel dialling a
# stunnel server (plain TLS, no ALPN status byte), and a stunnel client
# dialling stunneld's tls tunnel.  Mutual verification on both sides.
. "$(dirname "$0")/lib.sh"
need stunnel4

pki_pair
pki_cert ca node-c

PA=$(port_free); PE=$(port_free); PS=$(port_free)
PB=$(port_free); PC=$(port_free)
start_echo $PE

# stunnel server on 127.0.0.2 with node B's certificate.
cat >"$T/stunnel-srv.conf" <<EOF
foreground = yes
pid =
debug = 5
[srv]
accept = 127.0.0.2:$PS
connect = 127.0.0.1:$PE
cert = $T/node-b.crt
key = $T/node-b.key
CAfile = $T/ca.crt
verifyChain = yes
requireCert = yes
sslVersionMin = TLSv1.3
EOF
# stunnel client presenting node C, checking node B's IP.
cat >"$T/stunnel-cli.conf" <<EOF
foreground = yes
pid =
debug = 5
[cli]
client = yes
accept = 127.0.0.1:$PC
connect = 127.0.0.2:$PB
cert = $T/node-c.crt
key = $T/node-c.key
CAfile = $T/ca.crt
verifyChain = yes
checkIP = 127.0.0.2
sslVersionMin = TLSv1.3
EOF
start_bg stunnel-srv stunnel4 "$T/stunnel-srv.conf"
start_bg stunnel-cli stunnel4 "$T/stunnel-cli.conf"
wait_port 127.0.0.2 $PS && wait_port 127.0.0.1 $PC || die "stunnel did not start"

conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = { p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; }; };
EOF
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = { p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
    connect = "127.0.0.1:$PE"; allow = [ "node-c" ]; }; };
EOF
start_stunneld a "$T/a.conf" || die "node A did not start"
start_stunneld b "$T/b.conf" || die "node B did not start"

N=4194304
# stunnel ends the whole connection soon after the TLS peer's close_notify
# and can drop echo data still in flight (seen: 48 KiB of 4 MiB), so this
# client half-closes only once the echo is complete.  stunneld's own
# half-close is proved in 20-socks-echo.sh.
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PS \
    --send-bytes $N --late-shut 2>&1)
case $out in
*"reply 0x00"*"sent $N received $N match"*)
	ok "stunneld socks -> stunnel server: 4 MiB echoed" ;;
*)	fail "stunneld socks -> stunnel server: $out" ;;
esac
grep -q -i 'certificate accepted.*node-a\|peer certificate.*node-a\|CN=node-a' \
    "$T/stunnel-srv.log" || fail "stunnel server did not see node-a's certificate"

out=$("$HELPERS/socks-client" -p 127.0.0.1:$PC --direct --send-bytes $N 2>&1)
case $out in
*"sent $N received $N match"*)
	ok "stunnel client -> stunneld tls: 4 MiB echoed" ;;
*)	fail "stunnel client -> stunneld tls: $out" ;;
esac
grep -q 'node-c' "$T/b.log" || fail "node B did not log node-c as the peer"

done_test
