#!/bin/sh
# max_connections (an excess SOCKS client gets 0x01), idle_timeout,
# handshake_timeout on the tls side, and a graceful stop: listeners close
# at once, a connection that finishes within shutdown_timeout completes,
# one that does not is cut when it expires, and the daemon exits 0.
. "$(dirname "$0")/lib.sh"
need socat timeout

pki_pair

PA=$(port_free); PI=$(port_free); PB=$(port_free); PE=$(port_free)
PL=$(port_free)
start_echo $PE
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
sed -i 's/^shutdown_timeout = .*/shutdown_timeout = 10;/' "$T/a.conf"
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; max_connections = 2; };
	idle_out = { mode = "socks"; listen = "127.0.0.1:$PI"; idle_timeout = 1; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
SC="$HELPERS/socks-client"

# Held links (--hold-until FILE) last until the test creates FILE, so each
# check below runs while they are certainly open, however slow the machine.

# max_connections = 2: two clients hold their links, the third is refused.
start_bg c1 $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold-until "$T/go-c" --send-bytes 1000
start_bg c2 $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold-until "$T/go-c" --send-bytes 1000
wait_log c1 'reply 0x00' && wait_log c2 'reply 0x00' ||
    fail "the two clients under the limit were not admitted"
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB 2>&1)
case $out in
*"reply 0x01"*) ok "third client over max_connections = 2: reply 0x01" ;;
*)	fail "third client: $out" ;;
esac
touch "$T/go-c"
wait_bg c1 && wait_bg c2 && ok "the two admitted clients completed" ||
    fail "admitted clients: $(cat "$T/c1.log" "$T/c2.log")"
# The slots are free once node A has closed both links (the clients see
# their EOF a moment before).
wait_stat a p2p_out connections_active -eq 0
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 1000 2>&1)
case $out in
*"sent 1000 received 1000 match"*) ok "a slot is free again" ;;
*)	fail "after the limit: $out" ;;
esac

# tls side over its max_connections: closed before the handshake, logged.
start_bg l1 $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PL --hold-until "$T/go-l" --send-bytes 10
wait_log l1 'reply 0x00' || fail "the first client of one_in was not admitted"
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PL --send-bytes 10 2>&1)
case $out in
*"reply 0x00"*) fail "second client past the tls tunnel's limit got in" ;;
*)	ok "tls tunnel at max_connections = 1 closed the second client" ;;
esac
wait_log b 'max_connections \(1\) reached: closed a new connection' ||
    fail "closing at the limit not logged"
touch "$T/go-l"
wait_bg l1 || fail "the admitted client: $(cat "$T/l1.log")"

# idle_timeout = 1: a silent link is closed, and logged; the client, held
# until then, finds it closed when it sends.
start_bg idle $SC -p 127.0.0.1:$PI -d 127.0.0.2:$PB --hold-until "$T/go-i" --send-bytes 10
wait_log a 'closed: idle timeout' || fail "idle close not logged"
touch "$T/go-i"
if wait_bg idle; then
	fail "idle link survived idle_timeout: $(cat "$T/idle.log")"
else
	ok "idle link closed"
fi

# handshake_timeout = 1 on the tls tunnel: a client that sends nothing is
# dropped by the daemon (socat ends on EOF; timeout's 60 s is only there
# for a daemon that never drops it).
timeout 60 socat -u TCP:127.0.0.2:$PB - >/dev/null 2>&1
st=$?
[ "$st" -ne 124 ] && ok "silent TLS client dropped" ||
    fail "silent TLS client still connected after 60 s"

# Graceful stop: both links are up before SIGTERM; the quick one sends its
# data once the worker has begun draining (shutdown_timeout = 10 leaves it
# time on any machine), the slow one only after the daemon has exited.
start_bg quick $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold-until "$T/go-quick" \
    --send-bytes 100000
start_bg slow $SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold-until "$T/go-slow" \
    --send-bytes 10
wait_log quick 'reply 0x00' && wait_log slow 'reply 0x00' ||
    fail "the links for the graceful stop did not come up"
kill -TERM "$(cat "$T/a.pid")"
wait_log a 'stopping: waiting up to 10s for 2 connections' ||
    fail "the worker did not start draining"
# The worker closes its listener before it logs that it drains.
listening 127.0.0.1 $PA && fail "still listening after SIGTERM" ||
    ok "listener closed at once"
touch "$T/go-quick"
wait_bg quick && ok "a connection finishing within shutdown_timeout completed" ||
    fail "quick connection: $(cat "$T/quick.log")"
stop_stunneld a
st=$?
[ "$st" -eq 0 ] && ok "daemon exited 0" || fail "daemon exited $st"
grep -q "shutdown_timeout reached: closing 1 connection" "$T/a.log" ||
    fail "the cut at shutdown_timeout not logged"
touch "$T/go-slow"
if wait_bg slow; then
	fail "a connection outlived shutdown_timeout"
fi
[ ! -e "$T/a.pidfile" ] || fail "pid file left behind"
done_test
