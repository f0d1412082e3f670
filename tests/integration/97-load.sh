#!/bin/sh
# Load through one pair: LOAD_CONNS (default 1000) concurrent connections
# node A (socks) -> mutual TLS -> node B (tls) -> echo target, each
# sending LOAD_BYTES (default 1 MiB) and checking the echo byte by byte.
# Each client (multichaind's SOCKS5 bytes) holds its link open for
# LOAD_HOLD seconds (default 8) after the SOCKS reply, so that all of
# them are open at once, then sends; it has LOAD_TIMEOUT seconds (default
# 60) more to finish.  Checks: every connection succeeds and matches,
# both tunnels saw LOAD_CONNS connections open at the same time, and
# (without sanitizers, which keep freed memory) each worker's peak RSS
# stays under 64 MiB plus the most its connections can hold in buffers
# (four 64 KiB buffers each).  Prints the elapsed time and the peak RSS
# (VmHWM) of both workers.  Bounded: the defaults finish in about 15 s on
# 2 cores (1000 MiB each way).
. "$(dirname "$0")/lib.sh"
CTL=$top_builddir/ctl/stunnelctl
SC=$HELPERS/socks-client
# ASan and UBSan make each connection several times dearer on 2 cores.
if [ "$SANITIZED" -eq 1 ]; then
	N=${LOAD_CONNS:-250}
else
	N=${LOAD_CONNS:-1000}
fi
SIZE=${LOAD_BYTES:-1048576}
HOLD=${LOAD_HOLD:-8}
WAIT=${LOAD_TIMEOUT:-60}	# seconds each client may take after its hold
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $(( N * 2 + 100 )) ] ||
    ulimit -n $(( N * 2 + 100 )) 2>/dev/null ||
    skip "needs $(( N * 2 + 100 )) file descriptors, ulimit -n is $(ulimit -n)"

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
pki_cert ca node-b --ip 127.0.0.2 --dns node-b

PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_bg echo "$HELPERS/echo-server" -l 127.0.0.1:$PE
wait_port 127.0.0.1 $PE || die "echo server did not start"
MAXC=$(( N + 64 ))
conf_global a node-a ca
sed -i 's/log_level = "debug"/log_level = "info"/' "$T/a.conf"
cat >>"$T/a.conf" <<EOF
tunnels = { p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; max_connections = $MAXC; }; };
EOF
conf_global b node-b ca
sed -i 's/log_level = "debug"/log_level = "info"/' "$T/b.conf"
cat >>"$T/b.conf" <<EOF
tunnels = { p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; max_connections = $MAXC; }; };
EOF
# Not -v: thousands of connections at debug level would be the test.
start_bg b "$STUNNELD" -f -c "$T/b.conf"
wait_log b 'started with' 100 || die "node B did not start"
start_bg a "$STUNNELD" -f -c "$T/a.conf"
wait_log a 'started with' 100 || die "node A did not start"
worker_pid() {
	sed -n "s/.*worker $2 started, pid \([0-9]*\).*/\1/p" "$T/$1.log" | tail -1
}
wa=$(worker_pid a p2p_out)
wb=$(worker_pid b p2p_in)
[ -n "$wa" ] && [ -n "$wb" ] || die "no worker pids in the logs"
active() {
	$CTL -s "$T/$1.sock" --json status 2>/dev/null |
	    sed -n 's/.*"connections_active": *\([0-9]*\).*/\1/p' | head -1
}
hwm() { sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
rss() { sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
note "before: worker A RSS $(rss "$wa"), worker B RSS $(rss "$wb")"

mkdir "$T/out"
t0=$(date +%s%3N)
i=0
pids=""
while [ $i -lt "$N" ]; do
	"$SC" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --hold "$HOLD" \
	    --send-bytes "$SIZE" --timeout $(( HOLD + WAIT )) \
	    >"$T/out/$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
t1=$(date +%s%3N)
note "$N clients started in $(( t1 - t0 )) ms"
# Peak of the connections open at once, sampled until the hold ends.
peak_a=0
peak_b=0
end=$(( t0 + HOLD * 1000 ))
while [ "$(date +%s%3N)" -lt "$end" ]; do
	x=$(active a); [ "${x:-0}" -gt "$peak_a" ] && peak_a=$x
	x=$(active b); [ "${x:-0}" -gt "$peak_b" ] && peak_b=$x
	[ "$peak_a" -ge "$N" ] && [ "$peak_b" -ge "$N" ] && break
	sleep 0.2
done
for p in $pids; do
	wait "$p"
done
t2=$(date +%s%3N)
good=$(grep -l -x "sent $SIZE received $SIZE match" "$T"/out/* | wc -l)
if [ "$good" -eq "$N" ]; then
	ok "$N connections x $SIZE bytes echoed and matched"
else
	fail "$good of $N connections matched; e.g.: $(grep -L -x "sent $SIZE received $SIZE match" "$T"/out/* | head -3 | xargs cat | tr '\n' '|')"
fi
[ "$peak_a" -ge "$N" ] && [ "$peak_b" -ge "$N" ] &&
    ok "$N connections open at once on both tunnels" ||
    fail "peak open connections: socks $peak_a, tls $peak_b (wanted $N)"
kill -0 "$wa" 2>/dev/null && kill -0 "$wb" 2>/dev/null ||
    fail "a worker died under load"
if [ "$SANITIZED" -eq 0 ]; then
	bound=$(( 65536 + N * 256 ))	# kB
	ha=$(hwm "$wa" | tr -dc 0-9)
	hb=$(hwm "$wb" | tr -dc 0-9)
	[ "${ha:-0}" -gt 0 ] && [ "$ha" -lt $bound ] && [ "${hb:-0}" -gt 0 ] &&
	    [ "$hb" -lt $bound ] &&
	    ok "peak RSS of each worker under $bound kB (socks $ha kB, tls $hb kB)" ||
	    fail "peak RSS socks ${ha:-?} kB, tls ${hb:-?} kB, bound $bound kB"
fi
mb=$(( N * SIZE / 1048576 ))
note "figures: $N connections x $SIZE bytes ($mb MiB each way through the pair) in $(( t2 - t0 )) ms; peak open socks $peak_a tls $peak_b; peak RSS (VmHWM) socks worker $(hwm "$wa"), tls worker $(hwm "$wb"); now $(rss "$wa"), $(rss "$wb")"
done_test
