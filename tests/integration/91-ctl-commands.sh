#!/bin/sh
# stunnelctl against a running daemon: status and connections (text and
# JSON with SPEC's keys), counters that move with traffic, metrics in
# strict Prometheus text format, exit codes 0/1/2/3, another user refused,
# ten clients at once, a malformed and an oversized message answered with
# an error while the daemon keeps serving, and stop removing the socket
# and the pid file.
. "$(dirname "$0")/lib.sh"
need python3
CTL=$top_builddir/ctl/stunnelctl

pki_pair
PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global b node-b ca
echo "tunnels = { p2p_in = { mode = \"tls\"; listen = \"127.0.0.2:$PB\"; connect = \"127.0.0.1:$PE\"; }; };" >>"$T/b.conf"
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; };
	spare_out = { mode = "socks"; listen = "127.0.0.1:$(port_free)"; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
A="$CTL -s $T/a.sock"

# The socket: mode 0600.
mode=$(stat -c %a "$T/a.sock")
[ "$mode" = 600 ] && ok "control socket mode 0600" || fail "control socket mode $mode"

# Counters move with traffic.
jget() {	# jget JSON-FILE PYTHON-EXPR
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
$A --json status p2p_out >"$T/s0.json" || fail "status --json"
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 100000 \
    >/dev/null 2>&1 || fail "traffic"
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:1 >/dev/null 2>&1
$A --json status p2p_out >"$T/s1.json" || fail "status --json"
t0=$(jget "$T/s0.json" 'd["tunnels"][0]["connections_total"]')
t1=$(jget "$T/s1.json" 'd["tunnels"][0]["connections_total"]')
b1=$(jget "$T/s1.json" 'd["tunnels"][0]["bytes_in"]')
r1=$(jget "$T/s1.json" 'd["tunnels"][0]["socks_refused"]')
# bytes are payload only: no SOCKS reply or status byte counted
[ "$t1" -eq $((t0 + 2)) ] && [ "$b1" -eq 100000 ] && [ "$r1" -ge 1 ] &&
    ok "counters moved: connections $t0 -> $t1, bytes_in $b1, socks_refused $r1" ||
    fail "counters: total $t0 -> $t1, bytes_in $b1, socks_refused $r1"

# SPEC's keys, in every tunnel of the JSON status.
$A --json status >"$T/all.json" || fail "status --json (all)"
python3 - "$T/all.json" <<'EOF' && ok "status JSON has SPEC's keys" || fail "status JSON keys"
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["name", "mode", "listen", "state", "pid", "restarts",
        "connections_active", "connections_total", "bytes_in", "bytes_out",
        "handshakes_failed", "socks_refused", "cert", "certs_loaded_at"]
assert len(d["tunnels"]) == 2, d
for t in d["tunnels"]:
    for k in keys:
        assert k in t, (k, t)
    assert t["state"] == "running" and t["pid"] > 0, t
    for k in ("subject", "not_after", "days_left"):
        assert k in t["cert"], (k, t)
    assert t["cert"]["subject"] == "CN=node-a", t
    assert 360 <= t["cert"]["days_left"] <= 366, t
EOF

# The human table has one line per tunnel, aligned.
$A status >"$T/status.txt" || fail "status"
[ "$(wc -l <"$T/status.txt")" -eq 3 ] && grep -q '^p2p_out  *socks  *127.0.0.1:' "$T/status.txt" &&
    ok "status table" || fail "status table: $(cat "$T/status.txt")"

# connections, with a link held open (until the test lets it go).
start_bg held "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold-until "$T/go" \
    --send-bytes 10
wait_log held 'reply 0x00' || fail "the held link did not come up"
$A --json connections >"$T/conns.json" || fail "connections --json"
python3 - "$T/conns.json" <<'EOF' && ok "connections JSON" || fail "connections JSON: $(cat "$T/conns.json")"
import json, sys
d = json.load(open(sys.argv[1]))
c = [x for x in d["connections"] if x["state"] == "relay"]
assert len(c) == 1, d
c = c[0]
for k in ("tunnel", "client", "destination", "peer", "bytes_in", "bytes_out", "age_seconds"):
    assert k in c, k
assert c["tunnel"] == "p2p_out" and c["peer"].startswith("node-b"), c
EOF
$A connections | grep -q 'node-b' && ok "connections table names the peer" ||
    fail "connections table"
touch "$T/go"
wait_bg held || fail "the held link: $(cat "$T/held.log")"

# metrics: strict text exposition format.
$A metrics >"$T/metrics.txt" || fail "metrics"
python3 - "$T/metrics.txt" <<'EOF' && ok "metrics pass the strict format check" || fail "metrics format"
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r'^(%s)(\{%s(?:,%s)*\})? (-?[0-9.e+]+|NaN|\+Inf|-Inf)$' % (name, label, label))
families, typed, current = set(), {}, None
need = {"stunneld_connections_active", "stunneld_bytes_total",
        "stunneld_handshakes_failed_total", "stunneld_cert_expiry_timestamp_seconds",
        "stunneld_connections_total"}
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("# HELP "):
        fam = line.split()[2]
        assert fam not in families, "family twice: " + fam
        families.add(fam)
        current = fam
    elif line.startswith("# TYPE "):
        _, _, fam, typ = line.split()
        assert fam == current and typ in ("counter", "gauge"), line
        typed[fam] = typ
    else:
        m = sample.match(line)
        assert m, "bad line: " + line
        assert m.group(1) == current and current in typed, "sample outside its family: " + line
        if typed[current] == "counter":
            assert current.endswith("_total"), "counter without _total: " + current
assert need <= families, need - families
assert 'stunneld_bytes_total{tunnel="p2p_out",direction="in"}' in open(sys.argv[1]).read()
EOF

# Exit codes: 2 usage, 1 refused, 3 no daemon.
$A bogus >/dev/null 2>&1; st=$?
[ $st -eq 2 ] && ok "usage error: 2" || fail "usage error: $st"
$A status nope >/dev/null 2>&1; st=$?
[ $st -eq 1 ] && ok "unknown tunnel: 1" || fail "unknown tunnel: $st"
$CTL -s "$T/nothing.sock" status >/dev/null 2>&1; st=$?
[ $st -eq 3 ] && ok "no daemon: 3" || fail "no daemon: $st"

# Another user is refused (and logged); root is served.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	chmod 666 "$T/a.sock"	# let nobody reach SO_PEERCRED
	setpriv --reuid=65534 --regid=65534 --clear-groups $A status \
	    >"$T/nobody.out" 2>&1
	st=$?
	chmod 600 "$T/a.sock"
	[ $st -eq 1 ] && grep -q 'permission denied' "$T/nobody.out" &&
	    ok "uid 65534 refused (exit $st)" || fail "uid 65534 got: $(cat "$T/nobody.out")"
	wait_log a 'control: refused uid 65534'
else
	note "not root: the other-user case is not run"
fi

# Ten clients at once all get answers.
i=0
while [ $i -lt 10 ]; do
	start_bg par$i $A --json status
	i=$((i + 1))
done
i=0
while [ $i -lt 10 ]; do
	wait_bg par$i
	i=$((i + 1))
done
i=0
good=0
while [ $i -lt 10 ]; do
	python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["tunnels"]) == 2' \
	    "$T/par$i.log" 2>/dev/null && good=$((good + 1))
	i=$((i + 1))
done
[ $good -eq 10 ] && ok "ten concurrent clients answered" || fail "$good of 10 answered"

# A stuck worker does not hang the answer: it is marked stale.  The
# daemon gives a worker 2 s; stunnelctl's own limit is 30 s, which a hung
# answer would reach (and fail), so 25 s tells the two apart on any machine.
spare=$(sed -n 's/.*worker spare_out started, pid \([0-9]*\).*/\1/p' "$T/a.log" | tail -1)
kill -STOP "$spare"
start=$(date +%s)
$A --json status >"$T/stale.json"; st=$?
took=$(( $(date +%s) - start ))
kill -CONT "$spare"
python3 - "$T/stale.json" <<'EOF2' && [ $st -eq 0 ] && [ $took -lt 25 ] &&
import json, sys
d = {t["name"]: t for t in json.load(open(sys.argv[1]))["tunnels"]}
assert d["spare_out"]["stale"] is True and d["spare_out"]["connections_active"] is None, d
assert d["p2p_out"]["stale"] is False and d["p2p_out"]["connections_total"] >= 2, d
EOF2
    ok "stopped worker reported stale in ${took}s, the other one in full" ||
    fail "stale worker: exit $st after ${took}s: $(cat "$T/stale.json")"
$A status | grep -q '^spare_out .*running' || fail "spare_out not running again"

# Garbage and a 10 MiB message: an error, and the daemon serves on.
python3 - "$T/a.sock" <<'EOF' >"$T/garbage.out" 2>&1 && ok "bad messages answered: $(tr '\n' ' ' <"$T/garbage.out")" || fail "bad messages: $(cat "$T/garbage.out")"
import socket, struct, sys
def talk(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sys.argv[1])
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    got = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except ConnectionResetError:
        pass
    s.close()
    return got
def fail_reply(got):
    assert len(got) >= 12, got
    ln, typ, ver, seq = struct.unpack("=IHHI", got[:12])
    assert typ == 101, typ          # PROTO_REP_FAIL
    return got[12:12 + ln].decode()
print(fail_reply(talk(b"GET / HTTP/1.0\r\n\r\n" * 4)))
print(fail_reply(talk(struct.pack("=IHHI", 10 * 1024 * 1024, 101, 1, 1) + b"x" * 65536)))
print(fail_reply(talk(struct.pack("=IHHI", 0, 1, 99, 1))))
EOF
$A status p2p_out >/dev/null && ok "daemon still answers" || fail "daemon stopped answering"
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 1000 \
    2>&1 | grep -q 'match' || fail "tunnel broken after bad control input"

# stop: exit 0, the daemon exits 0, socket and pid file gone.
out=$($A stop 2>&1); st=$?
[ $st -eq 0 ] && ok "stop: $out" || fail "stop: exit $st: $out"
stop_st=0
wait "$(cat "$T/a.pid")" || stop_st=$?
rm -f "$T/a.pid"
[ $stop_st -eq 0 ] && ok "daemon exited 0" || fail "daemon exited $stop_st"
[ ! -e "$T/a.sock" ] && [ ! -e "$T/a.pidfile" ] && ok "socket and pid file removed" ||
    fail "left behind: $(ls "$T"/a.sock "$T"/a.pidfile 2>/dev/null)"
$A status >/dev/null 2>&1; st=$?
[ $st -eq 3 ] && ok "after stop: 3" || fail "after stop: $st"
done_test
