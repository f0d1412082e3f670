#!/bin/sh
# Two stunnelds whose priority strings allow TLS 1.2 only.  A TLS 1.2
# session ticket comes inside the handshake (the server skips its TLS 1.3
# ticket step) and a resumed session gets no new one, so the client uses
# it again: one full handshake, then resumed ones.  Every connection
# works, data flows both ways, and the status byte still carries the far
# end's outcome: the SOCKS reply is 0x00 only once the far end reached its
# target, and 0x05 when that target refuses.  A ticket the server no
# longer takes (it restarted with a new ticket key) costs one full
# handshake.
. "$(dirname "$0")/lib.sh"

pki_pair

PA=$(port_free)
PB=$(port_free); PD=$(port_free)
PE=$(port_free); PC=$(port_free)	# PC: nothing listens there

start_echo $PE --count-file "$T/count"

TLS12='tls = { priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1"; };'
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; $TLS12 };
};
EOF
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	echo_in = { mode = "tls"; listen = "127.0.0.2:$PB";
	    connect = "127.0.0.1:$PE"; allow = [ "node-a" ]; $TLS12 };
	dead_in = { mode = "tls"; listen = "127.0.0.2:$PD";
	    connect = "127.0.0.1:$PC"; allow = [ "node-a" ]; $TLS12 };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"

SC="$HELPERS/socks-client"
N=6

# Several connections in a row, each 200000 bytes echoed back and checked.
i=1
while [ "$i" -le "$N" ]; do
	out=$("$SC" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 200000 \
	    --timeout 30 2>&1)
	case $out in
	*"reply 0x00"*"sent 200000 received 200000 match"*)
		ok "connection $i: reply 0x00, 200000 bytes each way match" ;;
	*)	fail "connection $i: $(printf '%s' "$out" | tr '\n' '|')" ;;
	esac
	i=$((i + 1))
done
n=$(grep -c -- "-> 127.0.0.2:$PB: connected to node-b[^ ]* (.*TLS1.2.*far end reached its target" "$T/a.log")
[ "$n" -eq "$N" ] && ok "all $N connections: TLS 1.2, far end reached its target" ||
    fail "$n of $N connections logged as TLS 1.2 with the far end's status"
grep -q 'TLS1.3' "$T/a.log" "$T/b.log" && fail "a TLS 1.3 session in a log"
[ "$(wc -l <"$T/count")" -eq "$N" ] ||
    fail "the echo server saw $(wc -l <"$T/count") connections, want $N"

# Reconnects resume with the ticket the first handshake brought (a TLS
# 1.2 server renews none on resumption, so the client uses it again): a
# full handshake, then only resumed ones, none with a new key exchange.
note "handshakes: $(grep -- "-> 127.0.0.2:$PB: connected to" "$T/a.log" |
    sed -e 's/.*, resumed.*/resumed/' -e 's/.*connected to.*/full/' | tr '\n' ' ')"
r=$(grep -c -- "-> 127.0.0.2:$PB: connected to node-b[^ ]* (.*, resumed, no new key exchange)" "$T/a.log")
[ "$r" -eq $((N - 1)) ] &&
    ok "connections 2..$N resumed the TLS 1.2 session (ticket), no new key exchange logged" ||
    fail "$r of $((N - 1)) reconnects resumed"
grep -q 'session ticket not sent' "$T/b.log" &&
    fail "node B tried to send a TLS 1.3 ticket on a TLS 1.2 session"
grep -q 'handshake with .* failed' "$T/a.log" "$T/b.log" &&
    fail "a handshake failed: $(grep -h 'handshake with .* failed' "$T/a.log" "$T/b.log" | head -3)"

# Two connections open at once, both resuming, a ping stream each.
start_bg p1 "$SC" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --ping 20 --interval 20 \
    --timeout 30
out=$("$SC" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --ping 20 --interval 20 \
    --timeout 30 2>&1)
wait_bg p1
case $out in
*"reply 0x00"*"ping 20 ok"*) ok "overlapping connection: 20 round trips" ;;
*)	fail "overlapping connection: $(printf '%s' "$out" | tr '\n' '|')" ;;
esac
grep -q 'ping 20 ok' "$T/p1.log" && ok "first overlapping connection: 20 round trips" ||
    fail "first overlapping connection: $(tr '\n' '|' <"$T/p1.log")"

# The far end cannot reach its target: its status byte says refused, and
# the SOCKS reply is 0x05, not a success.  Twice: the second resumes.
for k in 1 2; do
	out=$("$SC" -p 127.0.0.1:$PA -d 127.0.0.2:$PD --timeout 30 2>&1)
	if printf '%s\n' "$out" | grep -q -x -F "reply 0x05"; then
		ok "far target refused ($k): reply 0x05"
	else
		fail "far target refused ($k): wanted 'reply 0x05', got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
done
wait_log a "far end node-b[^ ]* could not reach its target \\(0x05\\)" 100
n=$(grep -c "127.0.0.2:$PD: refused (SOCKS reply 0x05): far end node-b[^ ]* could not reach its target (0x05)" "$T/a.log")
[ "$n" -eq 2 ] && ok "node A logged the far end's status byte twice" ||
    fail "node A logged $n refusals with the far end's status, want 2"
grep -q -- "-> 127.0.0.1:$PC: target failed: cannot reach" "$T/b.log" ||
    fail "node B did not log its failed target"

# Node B restarts with a new ticket key: node A's ticket is refused, so
# one full handshake (which brings a new ticket), then resumed again.
stop_stunneld b || fail "node B did not exit 0 on SIGTERM"
mv "$T/b.log" "$T/b-first.log"
start_stunneld b "$T/b.conf" || die "node B did not restart"
before=$(grep -c -- "-> 127.0.0.2:$PB: connected to" "$T/a.log")
for k in 1 2; do
	out=$("$SC" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 1000 \
	    --timeout 30 2>&1)
	case $out in
	*"reply 0x00"*"sent 1000 received 1000 match"*)
		ok "after B's restart, connection $k" ;;
	*)	fail "after B's restart, connection $k: $(printf '%s' "$out" | tr '\n' '|')" ;;
	esac
done
hs=$(grep -- "-> 127.0.0.2:$PB: connected to" "$T/a.log" | sed "1,${before}d" |
    sed -e 's/.*, resumed.*/resumed/' -e 's/.*connected to.*/full/' | tr '\n' ' ')
[ "$hs" = "full resumed " ] &&
    ok "the stale ticket cost one full handshake, then resumed" ||
    fail "after B's restart: handshakes '$hs', want 'full resumed'"
stop_stunneld a || fail "node A did not exit 0 on SIGTERM"
stop_stunneld b || fail "node B did not exit 0 on SIGTERM"
done_test
