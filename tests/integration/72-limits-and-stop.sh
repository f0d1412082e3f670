#!/bin/sh
# max_connections (an excess SOCKS client gets 0x01), idle_timeout,
# handshake_timeout on the tls side, and a graceful stop: listeners close
# at once, a connection that finishes within shutdown_timeout completes,
# one that does not is cut when it expires, and the daemon exits 0.
. "$(dirname "$0")/lib.sh"
need socat timeout

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
pki_cert ca node-b --ip 127.0.0.2

PA=$(port_free); PI=$(port_free); PB=$(port_free); PE=$(port_free)
PL=$(port_free)
start_bg echo "$HELPERS/echo-server" -l 127.0.0.1:$PE
wait_port 127.0.0.1 $PE || die "echo server did not start"
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
	    connect = "127.0.0.1:$PE"; handshake_timeout = 1; };
	one_in = { mode = "tls"; listen = "127.0.0.2:$PL";
	    connect = "127.0.0.1:$PE"; max_connections = 1; };
};
EOF
conf_global a node-a ca
sed -i 's/^shutdown_timeout = .*/shutdown_timeout = 3;/' "$T/a.conf"
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; max_connections = 2; };
	idle_out = { mode = "socks"; listen = "127.0.0.1:$PI"; idle_timeout = 1; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
SC="$HELPERS/socks-client"

# max_connections = 2: two clients hold their links, the third is refused.
$SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold 3 --send-bytes 1000 >"$T/c1.out" 2>&1 &
c1=$!
$SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold 3 --send-bytes 1000 >"$T/c2.out" 2>&1 &
c2=$!
sleep 1
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB 2>&1)
case $out in
*"reply 0x01"*) ok "third client over max_connections = 2: reply 0x01" ;;
*)	fail "third client: $out" ;;
esac
wait $c1 && wait $c2 && ok "the two admitted clients completed" ||
    fail "admitted clients: $(cat "$T/c1.out" "$T/c2.out")"
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 1000 2>&1)
case $out in
*"sent 1000 received 1000 match"*) ok "a slot is free again" ;;
*)	fail "after the limit: $out" ;;
esac

# tls side over its max_connections: closed before the handshake, logged.
$SC -p 127.0.0.1:$PA -d 127.0.0.2:$PL --hold 3 --send-bytes 10 >"$T/l1.out" 2>&1 &
l1=$!
sleep 1
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PL --send-bytes 10 2>&1)
case $out in
*"reply 0x00"*) fail "second client past the tls tunnel's limit got in" ;;
*)	ok "tls tunnel at max_connections = 1 closed the second client" ;;
esac
wait_log b 'max_connections \(1\) reached: closed a new connection' ||
    fail "closing at the limit not logged"
wait $l1 || fail "the admitted client: $(cat "$T/l1.out")"

# idle_timeout = 1: a link silent for 3 s is closed.
if $SC -p 127.0.0.1:$PI -d 127.0.0.2:$PB --hold 3 --send-bytes 10 \
    >"$T/idle.out" 2>&1; then
	fail "idle link survived idle_timeout: $(cat "$T/idle.out")"
else
	ok "idle link closed"
fi
grep -q 'idle' "$T/a.log" || fail "idle close not logged"

# handshake_timeout = 1 on the tls tunnel: a client that sends nothing is
# dropped by the daemon (socat ends on EOF, long before timeout's 8 s).
timeout 8 socat -u TCP:127.0.0.2:$PB - >/dev/null 2>&1
st=$?
[ "$st" -ne 124 ] && ok "silent TLS client dropped" ||
    fail "silent TLS client still connected after 8 s"

# Graceful stop.
$SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold 1 --send-bytes 100000 \
    >"$T/quick.out" 2>&1 &
quick=$!
$SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold 6 --send-bytes 10 \
    >"$T/slow.out" 2>&1 &
slow=$!
sleep 0.5
kill -TERM "$(cat "$T/a.pid")"
sleep 0.5
[ -z "$(ss -Hltn "src 127.0.0.1:$PA")" ] && ok "listener closed at once" ||
    fail "still listening after SIGTERM"
wait $quick && ok "a connection finishing within shutdown_timeout completed" ||
    fail "quick connection: $(cat "$T/quick.out")"
stop_stunneld a
st=$?
[ "$st" -eq 0 ] && ok "daemon exited 0" || fail "daemon exited $st"
wait_log a "shutdown_timeout reached" 1
if wait $slow; then
	fail "a connection outlived shutdown_timeout"
fi
[ ! -e "$T/a.pidfile" ] || fail "pid file left behind"
done_test
