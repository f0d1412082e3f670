#!/bin/sh
# The control socket under pressure (SPEC.md): a supervisor out of
# descriptors (ulimit -n 40) with 60 idle clients on its control socket
# does not spin (CPU time under 1 s while they are held for 10 s), does not
# flood its log (under 100 lines), drops the idle clients after 5 s and
# answers stunnelctl status during the flood and after it.  Then, with
# descriptors to spare: the 33rd client is refused at once with the reason
# and stunnelctl exits 1 saying it; a client that sends nothing, or half a
# request, is closed after 5 s, and both closings are logged although the
# second follows the first within the second the log rate limit holds.
. "$(dirname "$0")/lib.sh"
need python3
CTL=$top_builddir/ctl/stunnelctl
TICKS=$(getconf CLK_TCK)

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
conf_global a node-a ca
echo "tunnels = { p2p_out = { mode = \"socks\"; listen = \"127.0.0.1:$(port_free)\"; }; };" >>"$T/a.conf"
A="$CTL -s $T/a.sock"

# cpu PID: user + system time of PID so far, in clock ticks.
cpu() {
	# the command name is in parentheses and may hold spaces: cut there
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# The flood: N idle clients on the control socket, each connected as soon
# as the socket takes it (a full backlog is retried every 50 ms), none
# sending a byte, held until HOLD seconds have passed and the file STOP
# exists (at most 40 s in all).  A client the daemon closes stays closed.
# Prints what became of the clients.
cat >"$T/flood.py" <<'EOF'
import errno, os, select, socket, struct, sys, time
path, n, hold, ready, stop = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
start = time.monotonic()
conns = {}              # socket -> connect time
todo = n
connected = closed = early = 0
reasons = {}
while True:
    now = time.monotonic()
    if now - start >= 40 or (now - start >= hold and os.path.exists(stop)):
        break
    while todo > 0:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except BlockingIOError:         # backlog full: the daemon is not accepting
            s.close()
            break
        conns[s] = time.monotonic()
        todo -= 1
        connected += 1
    if todo < n and not os.path.exists(ready):
        open(ready, "w").close()
    r, _, _ = select.select(list(conns), [], [], 0.05)
    for s in r:
        try:
            got = s.recv(4096)
        except OSError:
            got = b""
        if len(got) >= 12:
            ln, typ = struct.unpack("=IH", got[:6])
            why = got[12:12 + ln].decode(errors="replace")
            reasons[why] = reasons.get(why, 0) + 1
        if time.monotonic() - conns[s] < 4.5:
            early += 1
        closed += 1
        del conns[s]
        s.close()
print("connected %d of %d, closed by the daemon %d (%d before 4.5 s), still open %d, reasons %r"
      % (connected, n, closed, early, len(conns), reasons))
EOF

# --- 1. Out of descriptors: 60 idle clients, limit 40 ---------------------
start_bg a sh -c 'ulimit -n 40 && exec "$0" -f -v -c "$1"' "$STUNNELD" "$T/a.conf"
wait_log a 'started with' 100 || die "node A did not start"
SV=$(cat "$T/a.pid")
$A status >/dev/null || die "status before the flood"
lines0=$(wc -l <"$T/a.log")
cpu0=$(cpu "$SV")
start_bg flood python3 "$T/flood.py" "$T/a.sock" 60 10 "$T/flood.ready" "$T/flood.stop"
n=300
while [ ! -e "$T/flood.ready" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ -e "$T/flood.ready" ] || fail "the flood did not start"
# Once the supervisor is out of descriptors, stunnelctl waits in the
# socket's queue until idle clients are dropped.
wait_log a 'control: accept.*Too many open files' 300
t0=$(date +%s%N)
STUNNELCTL_TIMEOUT=20 $A status >"$T/during.out" 2>&1
st=$?
note "status during the flood took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
touch "$T/flood.stop"
wait_bg flood || fail "flood helper: $(cat "$T/flood.log")"
cpu1=$(cpu "$SV")
lines1=$(wc -l <"$T/a.log")
note "flood: $(cat "$T/flood.log")"
[ $st -eq 0 ] && grep -q '^p2p_out  *socks' "$T/during.out" &&
    ok "status answered during the flood" ||
    fail "status during the flood: exit $st: $(head -3 "$T/during.out")"
used=$((cpu1 - cpu0))
[ $((used * 100 / TICKS)) -lt 100 ] &&
    ok "supervisor CPU time during the flood: $((used * 1000 / TICKS)) ms" ||
    fail "supervisor CPU time during the flood: $((used * 1000 / TICKS)) ms (wanted under 1000)"
[ $((lines1 - lines0)) -lt 100 ] &&
    ok "log lines during the flood: $((lines1 - lines0))" ||
    fail "log lines during the flood: $((lines1 - lines0)) (wanted under 100)"
grep -q 'closed by the daemon [1-9]' "$T/flood.log" &&
    grep -q '(0 before 4.5 s)' "$T/flood.log" &&
    ok "idle clients dropped after their 5 s" ||
    fail "idle clients: $(cat "$T/flood.log")"
$A status >"$T/after.out" 2>&1 && grep -q '^p2p_out  *socks' "$T/after.out" &&
    ok "status answered after the flood" ||
    fail "status after the flood: $(head -3 "$T/after.out")"
stop_stunneld a || fail "node A did not stop cleanly"

# --- 2. Descriptors to spare: the 33rd client, silent and half clients ----
mv "$T/a.log" "$T/a-flood.log"
start_stunneld a "$T/a.conf" || die "node A did not restart"

# 32 idle clients, then stunnelctl as the 33rd: refused at once, with the
# reason.  All 32 must still be open when it is answered, or the refusal
# proves nothing (a slow machine took 5 s for 33 connects: try again).
cat >"$T/limit.py" <<'EOF'
import os, select, signal, socket, struct, subprocess, sys, time
path, ctl = sys.argv[1], sys.argv[2]
signal.alarm(180)       # the whole of it, if the daemon stops answering
for attempt in range(3):
    held = []
    for i in range(32):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # blocking, to wait while the queue is full; SO_SNDTIMEO bounds it
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                     struct.pack("ll", 30, 0))
        s.connect(path)
        held.append(s)
    # some of the 32 may still wait in the socket's queue, but it is first
    # in, first out: stunnelctl is accepted after them, as the 33rd
    p = subprocess.run([ctl, "-s", path, "status"], capture_output=True,
                       text=True, timeout=60,
                       env=dict(os.environ, STUNNELCTL_TIMEOUT="30"))
    r, _, _ = select.select(held, [], [], 0)
    for s in held:
        s.close()
    if r and p.returncode == 0:
        print("attempt %d: %d of the 32 timed out first; again" % (attempt, len(r)))
        continue
    print("exit %d: %s" % (p.returncode, p.stderr.strip()))
    sys.exit(0 if p.returncode == 1 else 1)
sys.exit(1)
EOF
python3 "$T/limit.py" "$T/a.sock" "$CTL" >"$T/limit.out" 2>&1 &&
    grep -q 'exit 1: stunnelctl: too many control clients' "$T/limit.out" &&
    ok "33rd client refused: $(tail -1 "$T/limit.out")" ||
    fail "33rd client: $(cat "$T/limit.out")"

# A client that sends nothing, and one that sends half a request header:
# each closed after 5 s (not before), told why; the daemon answers on.
python3 - "$T/a.sock" <<'EOF' >"$T/silent.out" 2>&1 &&
import signal, socket, struct, sys, time
signal.alarm(90)
def wait_closed(s, t0):
    s.settimeout(30)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    took = time.monotonic() - t0
    assert took >= 4.5, "closed after %.1f s" % took
    assert len(got) >= 12 and struct.unpack("=IH", got[:6])[1] == 101, got
    return "%.1f s, %s" % (took, got[12:].decode())
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
a.connect(sys.argv[1])
ta = time.monotonic()
b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
b.connect(sys.argv[1])
tb = time.monotonic()
b.sendall(struct.pack("=IHHI", 0, 1, 1, 1)[:6])
print("silent: " + wait_closed(a, ta))
print("half: " + wait_closed(b, tb))
EOF
    ok "silent and half clients closed: $(tr '\n' ' ' <"$T/silent.out")" ||
    fail "silent and half clients: $(cat "$T/silent.out")"
$A status >/dev/null && ok "status answered after them" || fail "status after the idle clients"
# Both closings are logged: the second, within the second of the first,
# is held back and written with its count once that second is over; no
# third closing comes to carry it out.
n=300
while [ "$(grep -c 'control: closed a client .*within 5 s' "$T/a.log")" -lt 2 ] &&
    [ $n -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
[ $n -gt 0 ] &&
    ok "both closings logged: $(grep 'control: closed a client .*within 5 s' "$T/a.log" | tail -1 | sed 's/.*info: //')" ||
    fail "closings logged: $(grep 'control: closed a client' "$T/a.log")"
done_test
