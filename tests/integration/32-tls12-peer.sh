#!/bin/sh
# A TLS 1.2 client, let in by the priority string stunneld.conf(5)
# documents for it, completes its handshake at once, before the tls tunnel
# has reached its target: the server's Finished is not held back with the
# session ticket a TLS 1.3 stunneld peer gets.  The target here never
# answers a SYN (its accept queue is full), so a held Finished would come
# only after connect_timeout, when node B has logged that it cannot reach
# the target: each handshake must be done while that line is not there.
. "$(dirname "$0")/lib.sh"
need python3

pki_ca ca
pki_cert ca node-b --ip 127.0.0.2
pki_cert ca node-a

PB=$(port_free)
PT=$(port_free)
# The target: backlog 0 and its queue filled, so new SYNs are dropped.
cat >"$T/blackhole.py" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(0)
fill = []
for i in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
print("ready", flush=True)
time.sleep(600)
EOF
start_bg blackhole python3 "$T/blackhole.py" $PT
wait_log blackhole '^ready' || die "the black hole target did not start"

conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = { p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
    connect = "127.0.0.1:$PT"; connect_timeout = 10;
    tls = { priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"; }; }; };
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"

# handshake VERSION: seconds a client capped at VERSION takes to finish
# its handshake, and the version it got.
handshake() {
	python3 - "$1" "$PB" "$T" <<'EOF'
import socket, ssl, sys, time
ver, port, t = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.maximum_version = getattr(ssl.TLSVersion, ver)
ctx.check_hostname = False
ctx.load_verify_locations(t + "/ca.crt")
ctx.load_cert_chain(t + "/node-a.crt", t + "/node-a.key")
s = socket.create_connection(("127.0.0.2", port), timeout=60)
t0 = time.monotonic()
c = ctx.wrap_socket(s)
print("%.2f %s" % (time.monotonic() - t0, c.version()))
EOF
}

for v in TLSv1_2 TLSv1_3; do
	out=$(handshake $v 2>&1)
	gaveup=$(grep -c "cannot reach 127.0.0.1:$PT" "$T/b.log")
	case $out in
	[0-9]*.[0-9]*" TLSv1."[23])
		[ "$gaveup" -eq 0 ] &&
		    ok "$v client: handshake done in ${out% *} s (${out#* }), target not reached yet" ||
		    fail "$v client: handshake done in ${out% *} s, only after node B gave up on the target" ;;
	*)	fail "$v client: $out" ;;
	esac
done
wait_log b 'cannot reach 127.0.0.1:'"$PT"'.*' ||
    fail "the tunnel did not give up on the black hole target"

done_test
