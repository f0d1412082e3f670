#!/bin/sh
# Bad input, nothing lost (issue #5, item 6): every row of
# tests/hostile-inputs.txt (truncated greetings, NMETHODS 0 and 255, ATYP 3
# of length 0 and 255, ports in names, embedded NULs, zoned IPv6 literals,
# TLS garbage, a peer closing mid-handshake, a 10 MiB control message,
# deeply nested and 1 MiB configuration values) gets its clear refusal,
# while a ping link flows through the same two workers; at the end the
# link has lost no byte, no worker died or was restarted, and the tunnel
# serves as before.
. "$(dirname "$0")/lib.sh"
need python3

TABLE=$top_srcdir/tests/hostile-inputs.txt
[ -f "$TABLE" ] || die "no $TABLE"
HS=3

pki_pair
PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE";
	    handshake_timeout = $HS; };
};
EOF
# Routes make every refusal deterministic: only 127.0.0.2 is reachable,
# anything else (a 255-byte name, ::1) gets 0x02 without a DNS lookup.
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; handshake_timeout = $HS;
	    routes = ( { match = "127.0.0.2:*"; } ); };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
SC="$HELPERS/socks-client"
CTL="$top_builddir/ctl/stunnelctl"

# The link next to the hostile inputs: through A's socks worker and B's
# tls worker, which get the socks and tls rows.
ping_start 127.0.0.1:$PA 127.0.0.2:$PB b p2p_in

cat >"$T/run.py" <<'EOF'
import os, re, select, socket, ssl, struct, subprocess, sys, time

env = os.environ
T, SC, HS = env["T"], env["SC"], int(env["HS"])
SOCKS = env["SOCKS"]
TLS_HOST, TLS_PORT = env["TLS"].rsplit(":", 1)
CTL_SOCK, STUNNELD = env["CTLSOCK"], env["STUNNELD"]

def unhex(s):
    s = re.sub(r"\{([0-9a-fA-F]{2})\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)), s)
    return s

# Every limit below is far past the handshake_timeout (HS) that ends the
# slowest row: only a daemon that never answers reaches one.
def run_socks(inp):
    args = [SC, "-p", SOCKS, "--timeout", str(HS + 30)]
    for chunk in inp.split():
        args += ["--raw", unhex(chunk)]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return " ; ".join(l.strip() for l in p.stdout.decode(errors="replace").splitlines())

def read_to_close(s, limit):
    """Read until EOF; return (outcome, bytes received)."""
    got = b""
    end = time.monotonic() + limit
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return "open", got
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            return "open", got
        except (ConnectionResetError, BrokenPipeError):
            return "closed", got
        if not b:
            return "closed", got
        got += b

def run_tls(inp):
    t0 = time.monotonic()
    s = socket.create_connection((TLS_HOST, int(TLS_PORT)), timeout=30)
    extra = ""
    if inp == "real-hello-close":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        o = ctx.wrap_bio(inc, out, server_side=False)
        try:
            o.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = out.read()
        s.sendall(hello)
        s.settimeout(HS + 30)
        try:
            flight = s.recv(65536)
        except socket.timeout:
            flight = b""
        s.close()
        return "closed", "sent a %d-byte ClientHello, got %d bytes back, then closed" % (len(hello), len(flight))
    if inp == "no-client-cert":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            t = ctx.wrap_socket(s)
            t.settimeout(HS + 30)
            b = t.recv(100)
            return ("closed" if not b else "data"), "handshake done, then %r" % b[:20]
        except (ssl.SSLError, ConnectionResetError, socket.timeout, OSError) as e:
            r = "open" if isinstance(e, socket.timeout) else "closed"
            return r, "%s" % (str(e)[:100],)
    data = bytes.fromhex(unhex(inp))
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    r, got = read_to_close(s, HS + 30)
    s.close()
    took = time.monotonic() - t0
    if got[:1] == b"\x15":
        extra = "TLS alert %s, " % got[:7].hex()
    elif got:
        extra = "%d bytes (%s), " % (len(got), got[:8].hex())
    return r, "%s%s after %.2fs" % (extra, r, took)

def run_control(inp):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(CTL_SOCK)
    if inp == "huge-10mib":
        n = 10 * 1024 * 1024
        data = struct.pack("=IHHI", n, 1, 1, 1) + b"x" * n
    elif inp == "long-name":
        data = struct.pack("=IHHI", 8000, 1, 1, 1) + b"a" * 8000
    else:
        data = bytes.fromhex(unhex(inp))
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    r, got = read_to_close(s, 30)
    s.close()
    if len(got) >= 12:
        ln, typ, ver, seq = struct.unpack("=IHHI", got[:12])
        msg = got[12:12 + ln].decode(errors="replace")
        return ("FAIL " if typ == 101 else "type %d " % typ) + msg
    return r + (" (%d stray bytes)" % len(got) if got else "")

def config_text(kind, arg):
    g = {"control_socket": '"%s/cfg.sock"' % T, "log_level": '"info"'}
    tls_extra, listen, extra = "", '"127.0.0.1:7447"', ""
    if kind == "deep-groups":
        n = int(arg)
        extra = "x = " + "{ y = " * n + "1" + "; }" * n + ";\n"
    elif kind == "deep-lists":
        n = int(arg)
        extra = "x = " + "(" * n + "1" + ")" * n + ";\n"
    elif kind == "string-1mib":
        big = '"' + "a" * (1 << 20) + '"'
        if arg == "priority":
            tls_extra = "priority = %s;" % big
        else:
            g[arg] = big
    elif kind == "listen":
        listen = arg
    elif kind == "raw-nul":
        extra = "shutdown_timeout = \x005;\n"
    text = "".join("%s = %s;\n" % kv for kv in g.items())
    text += 'tls = { cert = "%s/node-a.crt"; key = "%s/node-a.key"; ca = "%s/ca.crt"; %s };\n' % (T, T, T, tls_extra)
    text += 'tunnels = { t_in = { mode = "tls"; listen = %s; connect = "127.0.0.1:9"; }; };\n' % listen
    return text + extra

def run_config(name, inp):
    kind, _, arg = inp.partition(" ")
    path = os.path.join(T, name + ".conf")
    with open(path, "wb") as f:
        f.write(config_text(kind, arg.strip()).encode("latin-1"))
    p = subprocess.run([STUNNELD, "-t", "-c", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode(errors="replace")
    if p.returncode < 0:
        return "killed by signal %d" % -p.returncode, out, path
    return "exit %d" % p.returncode, out, path

fails = 0
rows = 0
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    name, target, inp, want = [x.strip() for x in line.split(" | ")]
    rows += 1
    good = False
    try:
        if target == "socks":
            got = run_socks(inp)
            good = got == want
            shown = got
        elif target == "tls":
            r, shown = run_tls(inp)
            good = r == want
        elif target == "control":
            got = run_control(inp)
            shown = got
            if want.startswith("FAIL"):
                text = want[4:].strip().lower()
                good = got.startswith("FAIL ") and text in got.lower()
            else:
                good = got == want
        elif target == "config":
            st, out, path = run_config(name, inp)
            first = out.splitlines()[0] if out else ""
            shown = "%s, %d bytes of output: %s" % (st, len(out), first[:100] + ("..." if len(first) > 100 else ""))
            w = want.split(None, 2)
            good = st == "%s %s" % (w[0], w[1])
            if good and len(w) > 2:
                rest = w[2]
                text = rest[len("FILE:LINE"):].strip() if rest.startswith("FILE:LINE") else rest
                pat = re.compile("^" + re.escape(path) + r":[0-9]+: ")
                good = any(pat.match(l) and text.lower() in l.lower() for l in out.splitlines())
        else:
            shown = "unknown target " + target
    except Exception as e:
        shown = "exception %r" % (e,)
    if good:
        print("ok: %s [%s]: %s" % (name, target, shown), flush=True)
    else:
        fails += 1
        print("FAIL: %s [%s]: wanted '%s', got '%s'" % (name, target, want, shown), flush=True)
print("rows %d failed %d" % (rows, fails))
sys.exit(1 if fails else 0)
EOF

T=$T SC=$SC HS=$HS SOCKS=127.0.0.1:$PA TLS=127.0.0.2:$PB CTLSOCK=$T/a.sock \
    STUNNELD=$STUNNELD python3 "$T/run.py" "$TABLE" >"$T/rows.out" 2>&1
st=$?
sed "s/^/$TEST_NAME: /" "$T/rows.out"
[ $st -eq 0 ] && ok "$(tail -1 "$T/rows.out")" || fail "hostile rows: $(tail -1 "$T/rows.out")"

# The daemons serve on: the control socket of both, a fresh link.
$CTL -s "$T/b.sock" --json status >"$T/b.json" || fail "node B control socket"
$CTL -s "$T/a.sock" --json status >"$T/a.json" || fail "node A control socket"
python3 - "$T/a.json" "$T/b.json" <<'EOF' && ok "both workers running, never restarted" || fail "workers: $(cat "$T/a.json" "$T/b.json")"
import json, sys
for f in sys.argv[1:]:
    for t in json.load(open(f))["tunnels"]:
        assert t["state"] == "running" and t["restarts"] == 0, t
        print("%s: connections_total %d, handshakes_failed %d, socks_refused %d" % (
            t["name"], t["connections_total"], t["handshakes_failed"], t["socks_refused"]))
EOF
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 100000 2>&1)
case $out in
*"sent 100000 received 100000 match"*) ok "a fresh link echoes 100000 bytes" ;;
*)	fail "fresh link: $(printf '%s' "$out" | tr '\n' '|')" ;;
esac

# The link next to it lost no byte.
ping_check
grep -E 'killed by signal|restarting|dumped core' "$T/a.log" "$T/b.log" &&
    fail "a worker died"
n=$(grep -c 'malformed' "$T/a.log")
[ "$n" -ge 5 ] && ok "node A logged $n malformed SOCKS messages" ||
    fail "node A logged only $n malformed SOCKS messages"
done_test
