#!/bin/sh
# metrics_listen (SPEC.md "Health and metrics for orchestrators"): one
# node with a socks tunnel (p2p_out) and a tls tunnel (p2p_in), a ping
# link from one to the other, and the HTTP endpoint on 127.0.0.1.
#  1. GET /metrics: 200, Prometheus text 0.0.4, the very series of
#     "stunnelctl metrics"; GET /healthz: 200 and check's "ok" line, and
#     /healthz?days=N 503 with check --days N's lines, word for word.
#  2. Handshake failures by reason: a client without a certificate
#     (verify), one that says nothing (timeout), one that speaks no TLS
#     (protocol), each counted once under its reason.
#  3. What is refused: 404, 405 with Allow: GET, 400 (bare LF, no Host,
#     garbage), 413 (a body), 414, 431, 505, with curl and raw bytes; a
#     silent client gets 408 and is closed after its 5 s.
#  4. A flood of idle clients and garbage senders: curl still gets
#     /metrics, the supervisor's CPU time stays under 1 s, the log under
#     200 lines.  Out of descriptors (ulimit -n, idle control clients):
#     accepting pauses, and /metrics is answered once they are dropped.
#  5. A real Prometheus (skipped without /usr/bin/prometheus) scrapes the
#     endpoint: its HTTP API returns stunneld_connections_active for both
#     tunnels, with their names as labels, and the target is up.
. "$(dirname "$0")/lib.sh"
need curl socat python3
TICKS=$(getconf CLK_TCK)

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --ip 127.0.0.2
PA=$(port_free); PB=$(port_free); PE=$(port_free); PM=$(port_free)
start_echo $PE
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
metrics_listen = "127.0.0.1:$PM";
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; };
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
	    connect = "127.0.0.1:$PE"; handshake_timeout = 1; };
};
EOF
URL=http://127.0.0.1:$PM
CTL="$STUNNELCTL -s $T/a.sock"

# cpu PID: user + system time of PID so far, in clock ticks.
cpu() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# raw NAME BYTES: send BYTES (printf format) to the endpoint as they are;
# the answer in $T/NAME.out, its status line (CR removed) printed.
raw() {
	printf "$2" | socat -t 10 -T 20 - "TCP:127.0.0.1:$PM" >"$T/$1.out" 2>&1
	head -n 1 "$T/$1.out" | tr -d '\r'
}

# expect_status WHAT GOT WANTED
expect_status() {
	[ "$2" = "$3" ] && ok "$1: $2" || fail "$1: \"$2\", wanted \"$3\""
}

# series FILE: the series (name and labels) of the Prometheus text FILE.
series() {
	grep -v '^#' "$1" | sed 's/ [^ ]*$//' | sort
}

start_stunneld a "$T/a.conf" || die "node a did not start"
wait_log a "metrics_listen: serving /metrics and /healthz on 127.0.0.1:$PM" ||
    die "the endpoint is not served"
wait_until "the two workers do not serve" \
    "[ \"\$(grep -c 'serving with' '$T/a.log')\" -ge 2 ]" || die "no workers"
ping_start "127.0.0.1:$PA" "127.0.0.2:$PB" a p2p_out
wait_stat a p2p_in connections_active -eq 1 || die "p2p_in does not count the link"

# --- 1. /metrics and /healthz -----------------------------------------------
code=$(curl -sS --max-time 20 -o "$T/metrics.txt" -D "$T/metrics.head" \
    -w '%{http_code}' "$URL/metrics")
expect_status "GET /metrics" "$code" 200
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T/metrics.head" &&
    ok "GET /metrics: Content-Type text/plain; version=0.0.4" ||
    fail "GET /metrics: $(grep -i content-type "$T/metrics.head")"
grep -qi '^Connection: close' "$T/metrics.head" &&
    ok "GET /metrics: Connection: close" || fail "GET /metrics: no Connection: close"
for s in 'stunneld_connections_active{tunnel="p2p_out"} 1' \
    'stunneld_connections_active{tunnel="p2p_in"} 1' \
    'stunneld_tunnel_running{tunnel="p2p_in"} 1' \
    '# TYPE stunneld_handshake_failures_total counter' \
    'stunneld_handshake_failures_total{tunnel="p2p_in",reason="verify"} 0' \
    "stunneld_tunnel_info{tunnel=\"p2p_in\",mode=\"tls\",listen=\"127.0.0.2:$PB\"} 1"; do
	grep -qxF "$s" "$T/metrics.txt" && ok "/metrics: $s" ||
	    fail "/metrics has no line: $s"
done
grep -q '^stunneld_cert_expiry_timestamp_seconds{tunnel="p2p_out"} [1-9][0-9]*$' \
    "$T/metrics.txt" && ok "/metrics: the node certificate's expiry" ||
    fail "/metrics: no stunneld_cert_expiry_timestamp_seconds for p2p_out"
$CTL metrics >"$T/ctl-metrics.txt" || fail "stunnelctl metrics: exit $?"
series "$T/metrics.txt" >"$T/http.series"
series "$T/ctl-metrics.txt" >"$T/ctl.series"
if cmp -s "$T/http.series" "$T/ctl.series" &&
    [ "$(grep '^#' "$T/metrics.txt")" = "$(grep '^#' "$T/ctl-metrics.txt")" ]; then
	ok "/metrics and stunnelctl metrics: the same $(wc -l <"$T/http.series") series, HELP and TYPE"
else
	fail "/metrics and stunnelctl metrics differ: $(diff "$T/http.series" "$T/ctl.series" | head -5)"
fi

code=$(curl -sS --max-time 20 -o "$T/healthz.txt" -w '%{http_code}' "$URL/healthz")
expect_status "GET /healthz" "$code" 200
[ "$(cat "$T/healthz.txt")" = "ok: 2 tunnels running" ] &&
    ok "/healthz: ok: 2 tunnels running" || fail "/healthz: $(cat "$T/healthz.txt")"
# node-a's certificate is valid for about a year: 400 days is too many.
code=$(curl -sS --max-time 20 -o "$T/healthz400.txt" -w '%{http_code}' \
    "$URL/healthz?days=400")
expect_status "GET /healthz?days=400" "$code" 503
$CTL check --days 400 >"$T/check400.txt"
st=$?
[ $st -eq 1 ] || fail "check --days 400: exit $st"
if cmp -s "$T/healthz400.txt" "$T/check400.txt" &&
    [ "$(wc -l <"$T/healthz400.txt")" -eq 2 ]; then
	ok "/healthz?days=400: check --days 400's words: $(head -1 "$T/healthz400.txt")"
else
	fail "/healthz?days=400: $(cat "$T/healthz400.txt") | check: $(cat "$T/check400.txt")"
fi
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/healthz?days=30")
expect_status "GET /healthz?days=30" "$code" 200
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/healthz?days=x")
expect_status "GET /healthz?days=x" "$code" 400

# --- 2. Handshake failures by reason ------------------------------------------
# metric NAME-AND-LABELS: its value on /metrics now (empty if none).
metric() {
	curl -sS --max-time 20 "$URL/metrics" | grep -F "$1 " | sed 's/.* //'
}
wait_metric() {
	wait_until "$1 is not $2 (it is $(metric "$1"))" "[ \"\$(metric '$1')\" = '$2' ]"
}
# no client certificate: refused by us
NFAILED=2
if command -v gnutls-cli >/dev/null 2>&1; then
	gnutls-cli --insecure --port $PB 127.0.0.2 </dev/null >"$T/nocert.log" 2>&1
	wait_metric 'stunneld_handshake_failures_total{tunnel="p2p_in",reason="verify"}' 1 &&
	    ok "no client certificate: reason verify"
	NFAILED=3
else
	note "gnutls-cli not installed: the verify reason is not checked"
fi
# silent past handshake_timeout (1 s)
python3 - "$PB" <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.2", int(sys.argv[1])))
s.settimeout(30)
try:
    s.recv(100)
except OSError:
    pass
EOF
SILENT=$!
BG_PIDS="$BG_PIDS $SILENT"
wait_metric 'stunneld_handshake_failures_total{tunnel="p2p_in",reason="timeout"}' 1 &&
    ok "a silent TLS client: reason timeout"
wait "$SILENT"
bg_forget "$SILENT"
# plain text instead of TLS
printf 'GET / HTTP/1.0\r\n\r\n' | socat -t 5 -T 10 - TCP:127.0.0.2:$PB >/dev/null 2>&1
wait_metric 'stunneld_handshake_failures_total{tunnel="p2p_in",reason="protocol"}' 1 &&
    ok "no TLS at all: reason protocol"
[ "$(metric 'stunneld_handshakes_failed_total{tunnel="p2p_in"}')" = $NFAILED ] &&
    ok "stunneld_handshakes_failed_total: the $NFAILED together" ||
    fail "stunneld_handshakes_failed_total{tunnel=\"p2p_in\"} is $(metric 'stunneld_handshakes_failed_total{tunnel="p2p_in"}'), wanted $NFAILED"

# --- 3. What is refused --------------------------------------------------------
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/nothing")
expect_status "GET /nothing" "$code" 404
code=$(curl -sS --max-time 20 -o /dev/null -D "$T/post.head" -w '%{http_code}' \
    -X POST --data x "$URL/metrics")
expect_status "POST /metrics (curl)" "$code" 413
code=$(curl -sS --max-time 20 -o /dev/null -D "$T/delete.head" -w '%{http_code}' \
    -X DELETE "$URL/metrics")
expect_status "DELETE /metrics" "$code" 405
grep -q '^Allow: GET' "$T/delete.head" && ok "405 says Allow: GET" ||
    fail "405 without Allow: GET: $(cat "$T/delete.head")"
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -I "$URL/healthz")
expect_status "HEAD /healthz" "$code" 405
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' \
    -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' a)" "$URL/metrics")
expect_status "a 5000-byte header (curl)" "$code" 431
LONG=$(head -c 300 /dev/zero | tr '\0' a)
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/$LONG")
expect_status "a 301-byte target (curl)" "$code" 414

expect_status "raw: GET /metrics" \
    "$(raw ok 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 200 OK"
expect_status "raw: HTTP/1.0 without Host" \
    "$(raw ok10 'GET /healthz HTTP/1.0\r\n\r\n')" "HTTP/1.1 200 OK"
expect_status "raw: bare LF" \
    "$(raw lf 'GET /metrics HTTP/1.1\nHost: x\n\n')" "HTTP/1.1 400 Bad Request"
expect_status "raw: HTTP/1.1 without Host" \
    "$(raw nohost 'GET /metrics HTTP/1.1\r\n\r\n')" "HTTP/1.1 400 Bad Request"
expect_status "raw: two Hosts" \
    "$(raw twohost 'GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')" \
    "HTTP/1.1 400 Bad Request"
expect_status "raw: a TLS ClientHello" \
    "$(raw tls '\026\003\001\002\000\001\000\001\374\003\003')" "HTTP/1.1 400 Bad Request"
expect_status "raw: a body" \
    "$(raw body 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello')" \
    "HTTP/1.1 413 Content Too Large"
expect_status "raw: chunked" \
    "$(raw chunked 'GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" \
    "HTTP/1.1 413 Content Too Large"
expect_status "raw: PUT" \
    "$(raw put 'PUT /healthz HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 405 Method Not Allowed"
expect_status "raw: HTTP/2.0" \
    "$(raw h2 'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n')" "HTTP/1.1 505 HTTP Version Not Supported"
python3 -c 'import sys; sys.stdout.write("GET /metrics HTTP/1.1\r\nHost: x\r\n" + "X-H: " + "v" * 5000 + "\r\n\r\n")' >"$T/big.req"
socat -t 10 -T 20 - "TCP:127.0.0.1:$PM" <"$T/big.req" >"$T/big.out" 2>&1
expect_status "raw: a 5 KB head" "$(head -n 1 "$T/big.out" | tr -d '\r')" \
    "HTTP/1.1 431 Request Header Fields Too Large"
python3 -c 'import sys; sys.stdout.write("GET /metrics HTTP/1.1\r\nHost: x\r\n" + "".join("X-%d: v\r\n" % i for i in range(40)) + "\r\n")' >"$T/many.req"
socat -t 10 -T 20 - "TCP:127.0.0.1:$PM" <"$T/many.req" >"$T/many.out" 2>&1
expect_status "raw: 41 headers" "$(head -n 1 "$T/many.out" | tr -d '\r')" \
    "HTTP/1.1 431 Request Header Fields Too Large"
# a client that sends nothing: 408 and closed, not before its 5 s
python3 - "$PM" >"$T/silent.out" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.settimeout(60)
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
took = time.monotonic() - t0
print("%s after %.1f s%s" % (got.split(b"\r\n")[0].decode(), took,
      "" if took >= 4.5 else " (before 4.5 s)"))
EOF
case $(cat "$T/silent.out") in
"HTTP/1.1 408 Request Timeout after "*" s") ok "a silent client: $(cat "$T/silent.out")" ;;
*)	fail "a silent client: $(cat "$T/silent.out")" ;;
esac

# --- 4. Floods -------------------------------------------------------------------
# flood.py HOST PORT IDLE GARBAGE HOLD READY STOP [UNIX-PATH UNIX-IDLE]:
# IDLE clients that never send a byte (each reconnected 0.2 s after it is
# closed) and GARBAGE clients that send junk and reconnect when answered,
# at most 3000 connections in all, until HOLD seconds have passed and
# STOP exists (40 s at most); with UNIX-PATH, UNIX-IDLE idle control
# clients too (connected as the socket's queue takes them, never again).
cat >"$T/flood.py" <<'EOF'
import os, random, select, socket, sys, time
host, port, nidle, ngarb, hold, ready, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6], sys.argv[7]
upath = sys.argv[8] if len(sys.argv) > 8 else None
nunix = int(sys.argv[9]) if len(sys.argv) > 9 else 0
start = time.monotonic()
budget = 3000
conns = {}       # socket -> kind
made = closed = 0
status = {}
def connect(kind):
    global budget, made
    if budget <= 0:
        return
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(upath if kind == "unix" else (host, port))
    except BlockingIOError:
        if kind == "unix":      # the queue is full: not connected
            s.close()
            return False
    except OSError:
        s.close()
        return False
    budget -= 1
    made += 1
    if kind == "garbage":
        try:
            s.send(bytes(random.getrandbits(8) for _ in range(64)) + b"\x00")
        except OSError:
            pass
    conns[s] = kind
    return True
later = []      # (time, kind) of reconnections due
unix_todo = nunix
for _ in range(nidle):
    connect("idle")
for _ in range(ngarb):
    connect("garbage")
open(ready, "w").close()
while True:
    now = time.monotonic()
    if now - start >= 40 or (now - start >= hold and os.path.exists(stop)):
        break
    while unix_todo > 0 and connect("unix"):
        unix_todo -= 1
    for t, kind in [x for x in later if x[0] <= now]:
        later.remove((t, kind))
        connect(kind)
    r, _, _ = select.select(list(conns), [], [], 0.05)
    for s in r:
        kind = conns.pop(s)
        try:
            got = s.recv(4096)
        except OSError:
            got = b""
        if got.startswith(b"HTTP/1.1 "):
            st = got[9:12].decode(errors="replace")
            status[st] = status.get(st, 0) + 1
        s.close()
        closed += 1
        if kind == "garbage":
            connect(kind)
        elif kind == "idle":
            later.append((time.monotonic() + 0.2, kind))
print("made %d connections, %d closed by the daemon, %d open at the end, answers %r"
      % (made, closed, len(conns), status))
EOF

# 4a. Descriptors to spare: 60 idle clients and 10 garbage senders.
SV=$(cat "$T/a.pid")
lines0=$(wc -l <"$T/a.log")
cpu0=$(cpu "$SV")
start_bg flood python3 "$T/flood.py" 127.0.0.1 $PM 60 10 6 "$T/flood.ready" "$T/flood.stop"
wait_file "$T/flood.ready" || die "the flood did not start"
t0=$(date +%s%N)
code=$(curl -sS --max-time 20 -o "$T/during.txt" -w '%{http_code}' "$URL/metrics")
note "GET /metrics during the flood took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_status "GET /metrics during the flood" "$code" 200
grep -q '^stunneld_connections_active{tunnel="p2p_out"} 1$' "$T/during.txt" &&
    ok "the answer during the flood is complete" ||
    fail "the answer during the flood: $(head -c 300 "$T/during.txt")"
touch "$T/flood.stop"
wait_bg flood || fail "flood: $(cat "$T/flood.log")"
cpu1=$(cpu "$SV")
lines1=$(wc -l <"$T/a.log")
note "flood: $(cat "$T/flood.log")"
grep -q "answers .*'400'" "$T/flood.log" && ok "the garbage senders got 400" ||
    fail "the garbage senders got no 400: $(cat "$T/flood.log")"
used=$((cpu1 - cpu0))
[ $((used * 100 / TICKS)) -lt 100 ] &&
    ok "supervisor CPU time during the flood: $((used * 1000 / TICKS)) ms" ||
    fail "supervisor CPU time during the flood: $((used * 1000 / TICKS)) ms (wanted under 1000)"
[ $((lines1 - lines0)) -lt 200 ] &&
    ok "log lines during the flood: $((lines1 - lines0))" ||
    fail "log lines during the flood: $((lines1 - lines0)) (wanted under 200)"
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/healthz")
expect_status "GET /healthz after the flood" "$code" 200

# --- 5. A real Prometheus -------------------------------------------------------
PROM=${PROMETHEUS:-/usr/bin/prometheus}
if [ -x "$PROM" ]; then
	PP=$(port_free)
	mkdir "$T/prom"
	cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: stunneld
    static_configs:
      - targets: ['127.0.0.1:$PM']
EOF
	start_bg prometheus "$PROM" --config.file="$T/prometheus.yml" \
	    --storage.tsdb.path="$T/prom" --web.listen-address=127.0.0.1:$PP \
	    --log.level=warn
	wait_port 127.0.0.1 $PP 600 || die "prometheus does not listen: $(tail -5 "$T/prometheus.log")"
	Q="http://127.0.0.1:$PP/api/v1/query?query=stunneld_connections_active"
	wait_until "prometheus has no stunneld_connections_active of both tunnels" \
	    "curl -sS --max-time 5 '$Q' >'$T/prom-query.json' 2>/dev/null &&
	     grep -q '\"tunnel\":\"p2p_out\"' '$T/prom-query.json' &&
	     grep -q '\"tunnel\":\"p2p_in\"' '$T/prom-query.json'" 900 &&
	    ok "prometheus: stunneld_connections_active for p2p_out and p2p_in"
	python3 - "$T/prom-query.json" "127.0.0.1:$PM" <<'EOF' >"$T/prom-check.out" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "success", d
res = {r["metric"]["tunnel"]: r for r in d["data"]["result"]}
assert set(res) == {"p2p_out", "p2p_in"}, res
for name, r in res.items():
    m = r["metric"]
    assert m["__name__"] == "stunneld_connections_active", m
    assert m["job"] == "stunneld" and m["instance"] == sys.argv[2], m
    assert r["value"][1] == "1", r
print("labels and values as expected:", sorted(res))
EOF
	[ $? -eq 0 ] && ok "prometheus: $(cat "$T/prom-check.out")" ||
	    fail "prometheus: $(cat "$T/prom-check.out")"
	curl -sS --max-time 5 "http://127.0.0.1:$PP/api/v1/targets" >"$T/prom-targets.json"
	grep -q '"health":"up"' "$T/prom-targets.json" &&
	    grep -q '"lastError":""' "$T/prom-targets.json" &&
	    ok "prometheus: the target is up, no scrape error" ||
	    fail "prometheus targets: $(head -c 600 "$T/prom-targets.json")"
	Q2="http://127.0.0.1:$PP/api/v1/query?query=stunneld_handshake_failures_total%7Breason%3D%22timeout%22%7D"
	curl -sS --max-time 5 "$Q2" | grep -q '"tunnel":"p2p_in"},"value":\[[0-9.]*,"1"\]' &&
	    ok "prometheus: stunneld_handshake_failures_total{reason=\"timeout\"} 1 for p2p_in" ||
	    fail "prometheus: $(curl -sS --max-time 5 "$Q2")"
	stop_bg prometheus
else
	note "SKIP (part 5 only): $PROM not installed (Debian package prometheus)"
fi

ping_check

# 4b. Out of descriptors: the node again under ulimit -n 40, 60 idle
# control clients and 20 idle HTTP clients.
stop_stunneld a || fail "node a exit $?"
mv "$T/a.log" "$T/a-1.log"
start_bg a sh -c 'ulimit -n 40 && exec "$0" -f -v -c "$1"' "$STUNNELD" "$T/a.conf"
wait_log a "metrics_listen: serving" || die "node a did not restart"
wait_until "the two workers do not serve" \
    "[ \"\$(grep -c 'serving with' '$T/a.log')\" -ge 2 ]" || die "no workers"
SV=$(cat "$T/a.pid")
lines0=$(wc -l <"$T/a.log")
cpu0=$(cpu "$SV")
rm -f "$T/flood.ready" "$T/flood.stop"
start_bg flood python3 "$T/flood.py" 127.0.0.1 $PM 20 0 8 "$T/flood.ready" \
    "$T/flood.stop" "$T/a.sock" 60
wait_file "$T/flood.ready" || die "the flood did not start"
wait_log a 'metrics_listen: accept paused.*Too many open files' &&
    ok "out of descriptors: metrics_listen pauses accepting"
code=$(curl -sS --max-time 30 -o "$T/emfile.txt" -w '%{http_code}' "$URL/metrics")
expect_status "GET /metrics out of descriptors" "$code" 200
touch "$T/flood.stop"
wait_bg flood || fail "flood: $(cat "$T/flood.log")"
cpu1=$(cpu "$SV")
lines1=$(wc -l <"$T/a.log")
note "flood: $(cat "$T/flood.log")"
used=$((cpu1 - cpu0))
[ $((used * 100 / TICKS)) -lt 100 ] &&
    ok "supervisor CPU time out of descriptors: $((used * 1000 / TICKS)) ms" ||
    fail "supervisor CPU time out of descriptors: $((used * 1000 / TICKS)) ms (wanted under 1000)"
[ $((lines1 - lines0)) -lt 200 ] &&
    ok "log lines out of descriptors: $((lines1 - lines0))" ||
    fail "log lines out of descriptors: $((lines1 - lines0)) (wanted under 200)"
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/healthz")
expect_status "GET /healthz after it" "$code" 200
stop_stunneld a || fail "node a exit $?"
done_test
