#!/bin/sh
# A TLS peer whose stream ends without close_notify (a crash, or a FIN
# injected on the path) must not look like a complete stream: the target
# behind the tls tunnel sees a reset, not a clean end.  With close_notify
# it sees a clean end.
. "$(dirname "$0")/lib.sh"
need python3

pki_pair
PB=$(port_free); PE=$(port_free)

# The target: tells, for each connection, how it ended.
start_bg target python3 -c '
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
print("listening", flush=True)
while True:
    c, _ = srv.accept()
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                print("clean end after %d bytes" % n, flush=True)
                break
            n += len(b)
            print("received %d" % n, flush=True)
    except ConnectionResetError:
        print("reset after %d bytes" % n, flush=True)
    c.close()
' "$PE"
wait_log target listening || die "target did not start"

conf_global b node-b ca
echo "tunnels = { p2p_in = { mode = \"tls\"; listen = \"127.0.0.2:$PB\"; connect = \"127.0.0.1:$PE\"; }; };" >>"$T/b.conf"
start_stunneld b "$T/b.conf" || die "node B did not start"

# client MODE K: send 1000 bytes over TLS, then, once the target has them
# (its K-th "received 1000"), end with close_notify ("clean") or by
# closing the TCP socket alone ("cut").
client() {
	python3 - "$1" "$PB" "$T" "$2" <<'EOF'
import socket, ssl, sys, time
mode, port, t, k = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(t + "/ca.crt")
ctx.load_cert_chain(t + "/node-a.crt", t + "/node-a.key")
raw = socket.create_connection(("127.0.0.2", port))
s = ctx.wrap_socket(raw, server_hostname="127.0.0.2")
s.sendall(b"x" * 1000)
end = time.monotonic() + 60
while time.monotonic() < end:
    with open(t + "/target.log") as f:
        if sum(1 for l in f if l.strip() == "received 1000") >= k:
            break
    time.sleep(0.05)
else:
    sys.exit("the target did not get the 1000 bytes")
if mode == "clean":
    s.unwrap()
    raw.close()
else:
    # the TCP connection ends, TLS does not: no close_notify is sent
    socket.socket(fileno=s.detach()).close()
EOF
}
client clean 1 || fail "clean client"
wait_log target 'clean end after 1000 bytes' && ok "close_notify: the target sees a clean end"
client cut 2 || fail "cut client"
wait_log target 'reset after 1000 bytes' && ok "no close_notify: the target sees a reset"
wait_log b 'without close_notify' || fail "the cut is not logged"
[ "$(grep -c 'after 1000 bytes' "$T/target.log")" -eq 2 ] ||
    fail "target saw: $(cat "$T/target.log")"
done_test
