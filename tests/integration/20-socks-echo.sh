#!/bin/sh
# Node A (socks tunnel) -> mutual TLS -> node B (tls tunnel) -> targets.
# Real SOCKS5 clients: curl --socks5-hostname and socks-client sending
# multichaind's exact bytes.  16 MiB each way, compared by hash; half-close
# with data flowing after EOF; ATYP 1 and 4; host names resolved off the
# event loop on both sides ("localhost", from /etc/hosts, no DNS traffic).
. "$(dirname "$0")/lib.sh"
need curl sha256sum

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
pki_cert ca node-b --ip 127.0.0.2 --ip ::1 --dns node-b.test --dns localhost

PA=$(port_free)
PE=$(port_free); PH=$(port_free); PX=$(port_free)
PB1=$(port_free); PB2=$(port_free); PB3=$(port_free); PB4=$(port_free)

start_echo $PE
start_server http 127.0.0.1 $PH --http
start_server after 127.0.0.1 $PX --after-eof 300000

conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; };
};
EOF
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	echo_in = { mode = "tls"; listen = "127.0.0.2:$PB1";
	    connect = "127.0.0.1:$PE"; allow = [ "node-a" ]; };
	http_in = { mode = "tls"; listen = "127.0.0.2:$PB2";
	    connect = "127.0.0.1:$PH"; };
	after_in = { mode = "tls"; listen = "[::1]:$PB3";
	    connect = "127.0.0.1:$PX"; };
	named_in = { mode = "tls"; listen = "127.0.0.1:$PB4";
	    connect = "localhost:$PE"; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"

SIXTEEN=16777216

# multichaind's bytes: 05 01 00, then CONNECT ATYP 3 "127.0.0.2".
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB1 \
    --send-bytes $SIXTEEN 2>&1)
case $out in
*"reply 0x00"*"sent $SIXTEEN received $SIXTEEN match"*)
	ok "multichaind bytes: 16 MiB echoed through A -> B, pattern matches" ;;
*)	fail "multichaind-style client: $out" ;;
esac

# ATYP 1 and ATYP 4 (the tls tunnel on ::1 proves it with its IP SAN).
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB1 --atyp 1 \
    --send-bytes 100000 2>&1)
case $out in
*"sent 100000 received 100000 match"*) ok "ATYP 1" ;;
*)	fail "ATYP 1: $out" ;;
esac

# Half-close: we shut down writing after 1 MiB; the far service echoes it,
# then sends 300000 more bytes after our EOF; all must arrive, then EOF.
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d "[::1]:$PB3" --atyp 4 \
    --send-bytes 1048576 --expect-after-eof 300000 2>&1)
case $out in
*"sent 1048576 received 1348576 match"*)
	ok "ATYP 4 + half-close: 300000 bytes after client EOF arrived" ;;
*)	fail "half-close via ::1: $out" ;;
esac

# A ticket is kept as soon as it arrives, not when its connection ends: a
# second connection that starts while the first is still open resumes too.
# (Both resume: the half-close connection above left a ticket for [::1].)
# The first is held until the second is done.
start_bg held "$HELPERS/socks-client" -p 127.0.0.1:$PA -d "[::1]:$PB3" --atyp 4 \
    --hold-until "$T/go" --send-bytes 10 --expect-after-eof 300000
wait_log a "\\[::1\\]:$PB3: connected to .*resumed"
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d "[::1]:$PB3" --atyp 4 \
    --send-bytes 1000 --expect-after-eof 300000 2>&1)
n=$(grep -c -- "-> \\[::1\\]:$PB3: connected to .*resumed" "$T/a.log")
case $out in
*"sent 1000 received 301000 match"*)
	[ "$n" -eq 2 ] && ok "a connection overlapping another one resumed its session" ||
	    fail "overlapping connection: $n resumed sessions to [::1]:$PB3, want 2" ;;
*)	fail "overlapping connection: $out" ;;
esac
kill -0 "$(bg_pid held)" 2>/dev/null || fail "the held connection ended too early: $(cat "$T/held.log")"
touch "$T/go"
wait_bg held || fail "the held connection: $(cat "$T/held.log")"

# A host name in the request (ATYP 3 "localhost"): resolved in the
# resolver thread, the server proves it with its DNS SAN; node B's own
# connect target is a name too.
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d localhost:$PB4 \
    --send-bytes 100000 2>&1)
case $out in
*"sent 100000 received 100000 match"*) ok "names resolved on both sides" ;;
*)	fail "localhost: $out" ;;
esac
grep -q -- '-> RESOLVING' "$T/a.log" && grep -q -- '-> RESOLVING' "$T/b.log" ||
    fail "a name was not resolved through the resolver"

# curl, uploading 16 MiB (POST echoed back) and downloading 16 MiB (GET).
head -c $SIXTEEN /dev/urandom >"$T/up.bin"
curl -sS --max-time 300 --socks5-hostname 127.0.0.1:$PA \
    --data-binary @"$T/up.bin" -H 'Content-Type: application/octet-stream' \
    -o "$T/up.back" "http://127.0.0.2:$PB2/" 2>"$T/curl-up.err" ||
    fail "curl POST: $(cat "$T/curl-up.err")"
if [ "$(sha256_of "$T/up.bin")" = "$(sha256_of "$T/up.back" 2>/dev/null)" ]; then
	ok "curl POST 16 MiB: sha256 equal"
else
	fail "curl POST: hash differs"
fi
"$HELPERS/echo-server" --gen $SIXTEEN >"$T/down.expected"
curl -sS --max-time 300 --socks5-hostname 127.0.0.1:$PA \
    -o "$T/down.bin" "http://127.0.0.2:$PB2/$SIXTEEN" 2>"$T/curl-down.err" ||
    fail "curl GET: $(cat "$T/curl-down.err")"
if [ "$(sha256_of "$T/down.expected")" = "$(sha256_of "$T/down.bin" 2>/dev/null)" ]; then
	ok "curl GET 16 MiB: sha256 equal"
else
	fail "curl GET: hash differs"
fi

# The second connection to the same node resumed its TLS 1.3 session
# (ticket from the far stunneld), with a fresh X25519 key exchange.
grep -q -- '-> 127.0.0.2:'"$PB2"': connected to .*resumed, key exchange X25519' "$T/a.log" &&
    ok "session resumed with a new X25519 key exchange" ||
    fail "no resumed session in node A's log"

# Both ends logged who authenticated whom.
grep -q 'node-b' "$T/a.log" || fail "node A did not log the server identity"
grep -q 'node-a' "$T/b.log" || fail "node B did not log the client identity"

stop_stunneld a || fail "node A did not exit 0 on SIGTERM"
stop_stunneld b || fail "node B did not exit 0 on SIGTERM"
[ ! -e "$T/a.pidfile" ] || fail "pid file left behind"
done_test
