#!/bin/sh
# loopback_per_peer: a tls tunnel connects to its loopback target from a
# loopback address of each peer's own (10.78.0.2 -> 127.78.0.2), so node
# software that tells peers apart by address:port (multichaind drops all
# but one "duplicate" 127.0.0.1:PORT) sees them apart.  In a network
# namespace of the test's own, with the peers' addresses on its lo (not
# in 127.0.0.0/8, so they count as peers from elsewhere): TLS clients
# (Python's ssl, with a node certificate) connect from 10.78.0.2 and
# 10.78.0.3; the target answers each with the address it sees.  With
# loopback_per_peer = false every peer is 127.0.0.1.
. "$(dirname "$0")/lib.sh"
need ip python3
[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"

NS=stunneld-t34-$$
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
CLEANUP_HOOK='ip netns delete "$NS" 2>/dev/null'
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up || die "lo up in $NS"
for a in 10.78.0.1 10.78.0.2 10.78.0.3; do
	in_ns ip addr add "$a/32" dev lo || die "address $a"
done

pki_ca ca
pki_cert ca node-b --ip 10.78.0.1
pki_cert ca node-a --ip 10.78.0.2

PB=7447
PO=7448
PE=7449
# The target: tells each connection the address it came from.
cat >"$T/target.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
print("listening", flush=True)
while True:
    c, peer = s.accept()
    c.sendall(("seen %s\n" % peer[0]).encode())
    c.close()
EOF
# The peer: a TLS client with a node certificate, from a chosen address.
cat >"$T/peer.py" <<'EOF'
import socket, ssl, sys
src, port, crt, key, ca = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_cert_chain(crt, key)
ctx.load_verify_locations(ca)
ctx.check_hostname = False
raw = socket.create_connection(("10.78.0.1", int(port)), timeout=60,
    source_address=(src, 0))
with ctx.wrap_socket(raw) as t:
    line = b""
    while not line.endswith(b"\n"):
        b = t.recv(256)
        if not b:
            break
        line += b
    print(line.decode().strip() or "nothing")
EOF
start_bg target ip netns exec "$NS" python3 "$T/target.py" $PE
wait_log target '^listening' || die "the target did not start"

conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "10.78.0.1:$PB";
	    connect = "127.0.0.1:$PE"; };
	p2p_off = { mode = "tls"; listen = "10.78.0.1:$PO";
	    connect = "127.0.0.1:$PE"; loopback_per_peer = false; };
};
EOF
start_bg b ip netns exec "$NS" "$STUNNELD" -f -v -c "$T/b.conf"
wait_log b 'started with' || die "node B did not start"
wait_until "node B does not listen" \
    "in_ns ss -Hltn 'src 10.78.0.1:$PO' | grep -q ." ||
    die "node B's tunnels are not up"

# peer SRC PORT: what the target saw of a connection from SRC via PORT.
peer() {
	in_ns timeout 120 python3 "$T/peer.py" "$1" "$2" "$T/node-a.crt" \
	    "$T/node-a.key" "$T/ca.crt" 2>&1 | tail -1
}

got=$(peer 10.78.0.2 $PB)
[ "$got" = "seen 127.78.0.2" ] && ok "peer 10.78.0.2 reaches the target as 127.78.0.2" ||
    fail "peer 10.78.0.2: target answered '$got' (wanted 'seen 127.78.0.2')"
got=$(peer 10.78.0.3 $PB)
[ "$got" = "seen 127.78.0.3" ] && ok "peer 10.78.0.3 reaches the target as 127.78.0.3" ||
    fail "peer 10.78.0.3: target answered '$got' (wanted 'seen 127.78.0.3')"
got=$(peer 10.78.0.2 $PO)
[ "$got" = "seen 127.0.0.1" ] && ok "with loopback_per_peer = false the target sees 127.0.0.1" ||
    fail "loopback_per_peer = false: target answered '$got' (wanted 'seen 127.0.0.1')"
grep -q 'cannot connect from its loopback address' "$T/b.log" &&
    fail "node B could not bind a peer's loopback address"

# An address that cannot be bound (here: lo keeps only 127.0.0.1/32, so
# 127.78.0.2 is not local): the connection goes on from the default one.
in_ns ip addr del 127.0.0.1/8 dev lo || die "127.0.0.1/8 off lo"
in_ns ip addr add 127.0.0.1/32 dev lo || die "127.0.0.1/32 on lo"
got=$(peer 10.78.0.2 $PB)
[ "$got" = "seen 127.0.0.1" ] && ok "a loopback address that cannot be bound: from 127.0.0.1 instead" ||
    fail "unbindable 127.78.0.2: target answered '$got' (wanted 'seen 127.0.0.1')"
grep -q '10.78.0.2:[0-9]*: cannot connect from its loopback address 127.78.0.2' "$T/b.log" &&
    ok "the log says the peer's loopback address could not be had" ||
    fail "no log line for the unbindable 127.78.0.2"
done_test
