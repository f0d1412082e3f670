#!/bin/sh
# Load through one pair: LOAD_CONNS (default 1000; 250 under sanitizers)
# connections node A (socks) -> mutual TLS -> node B (tls) -> echo
# target, all open at once, each echoing LOAD_BYTES (default 1 MiB).
# One process (helpers/socks-load) opens them with multichaind's SOCKS5
# bytes and holds every one open once it has its reply: that is the
# barrier at which both tunnels must show LOAD_CONNS active connections,
# however long the machine took to get there.  Then the test lets the
# load generator send and check the bytes.  Checks: every connection
# succeeds and matches, both tunnels had LOAD_CONNS open at once, and
# (without sanitizers, which keep freed memory) each worker's peak RSS
# stays under 64 MiB plus the most its connections can hold in buffers
# (four 64 KiB buffers each).  Prints the time of each phase and the
# peak RSS (VmHWM) of both workers.  Bounded: each phase has
# LOAD_TIMEOUT seconds (default 300), which only a real failure reaches.
. "$(dirname "$0")/lib.sh"
CTL=$top_builddir/ctl/stunnelctl
LOAD=$HELPERS/socks-load
# ASan and UBSan make each connection several times dearer on 2 cores.
if [ "$SANITIZED" -eq 1 ]; then
	N=${LOAD_CONNS:-250}
else
	N=${LOAD_CONNS:-1000}
fi
SIZE=${LOAD_BYTES:-1048576}
WAIT=${LOAD_TIMEOUT:-300}	# seconds for each phase of the load generator
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $(( N * 2 + 100 )) ] ||
    ulimit -n $(( N * 2 + 100 )) 2>/dev/null ||
    skip "needs $(( N * 2 + 100 )) file descriptors, ulimit -n is $(ulimit -n)"

pki_pair

PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
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
wait_log b 'started with' 600 || die "node B did not start"
start_bg a "$STUNNELD" -f -c "$T/a.conf"
wait_log a 'started with' 600 || die "node A did not start"
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

start_bg load "$LOAD" -p 127.0.0.1:$PA -d 127.0.0.2:$PB -n "$N" \
    --send-bytes "$SIZE" --go "$T/go" --timeout "$WAIT"
# The barrier: every connection has its SOCKS reply and is held open.
wait_log load '^ready ' $(( WAIT * 10 + 100 )) || die "the load generator never got its replies"
note "$(grep '^ready ' "$T/load.log")"
grep -q "^ready $N of $N " "$T/load.log" ||
    fail "not every connection was accepted: $(grep -v '^ready ' "$T/load.log" | head -3 | tr '\n' '|')"
peak_a=$(active a)
peak_b=$(active b)
[ "${peak_a:-0}" -ge "$N" ] && [ "${peak_b:-0}" -ge "$N" ] &&
    ok "$N connections open at once on both tunnels" ||
    fail "open connections while all were held: socks ${peak_a:-?}, tls ${peak_b:-?} (wanted $N)"
: >"$T/go"
wait_log load '^echoed ' $(( WAIT * 10 + 100 )) || die "the load generator did not finish"
lp=$(cat "$T/load.pid")
wait "$lp"
load_rc=$?
rm -f "$T/load.pid"
note "$(grep '^echoed ' "$T/load.log")"
if [ "$load_rc" -eq 0 ] && grep -q "^echoed $N of $N " "$T/load.log"; then
	ok "$N connections x $SIZE bytes echoed and matched"
else
	fail "load generator exit $load_rc: $(grep -v -e '^ready ' -e '^echoed ' "$T/load.log" | head -3 | tr '\n' '|')"
fi
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
note "figures: $N connections x $SIZE bytes ($mb MiB each way through the pair); open at once socks $peak_a tls $peak_b; peak RSS (VmHWM) socks worker $(hwm "$wa"), tls worker $(hwm "$wb"); now $(rss "$wa"), $(rss "$wb")"
done_test
