#!/bin/sh
# Back-pressure: a target that never reads makes the whole chain stop
# reading, back to the SOCKS client; the workers' memory does not grow
# with what the client tries to push.
. "$(dirname "$0")/lib.sh"
need socat
# Under ASan freed memory sits in a quarantine and shows up as RSS; keep it
# out so the figure measures what the relay holds, not the sanitizer.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
export ASAN_OPTIONS

pki_pair

PA=$(port_free); PB=$(port_free); PE=$(port_free)
# The target accepts, then never reads: socat feeds a process that does not
# read its stdin, so socat stops reading the socket once the pipe is full.
start_bg sink socat -u TCP-LISTEN:$PE,bind=127.0.0.1,reuseaddr EXEC:"sleep 600"
wait_port 127.0.0.1 $PE || die "sink did not start"

conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = { p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; }; };
EOF
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = { p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; }; };
EOF
start_stunneld a "$T/a.conf" || die "node A did not start"
start_stunneld b "$T/b.conf" || die "node B did not start"
wait_log a 'worker p2p_out started, pid' && wait_log b 'worker p2p_in started, pid' ||
    die "workers did not start"
wa=$(sed -n 's/.*worker p2p_out started, pid \([0-9]*\).*/\1/p' "$T/a.log")
wb=$(sed -n 's/.*worker p2p_in started, pid \([0-9]*\).*/\1/p' "$T/b.log")
rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}
ra0=$(rss "$wa"); rb0=$(rss "$wb")

# Try to push 256 MiB; the client must get stuck.
start_bg client "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
    --send-bytes 268435456 --timeout 300
# Data flows first (the link is up and node A has taken 1 MiB), then the
# chain is stuck: what node A has taken from the client stops growing, as
# two readings a second apart show.  A machine that pauses for a second
# ends this early, which measures the RSS before the buffers are full and
# so cannot fail the test; without back-pressure the count stops only at
# 256 MiB.
wait_stat a p2p_out bytes_in -ge 1048576 || die "no data went through"
prev=-1
cur=$(stat_of a p2p_out bytes_in)
n=$WAIT_TENTHS
while [ "$cur" != "$prev" ] && [ $n -gt 0 ]; do
	sleep 1
	prev=$cur
	cur=$(stat_of a p2p_out bytes_in)
	n=$((n - 10))
done
[ "$cur" = "$prev" ] || fail "node A's bytes_in still growing: $cur"
ra1=$(rss "$wa"); rb1=$(rss "$wb")
stop_bg client
note "worker RSS: A ${ra0} -> ${ra1} kB, B ${rb0} -> ${rb1} kB; node A took $cur bytes"
if [ "$cur" -ge 268435456 ] || grep -q 'sent 268435456' "$T/client.log"; then
	fail "the client pushed everything: no back-pressure"
else
	ok "the client was held back after $cur bytes"
fi
[ $((ra1 - ra0)) -lt 4096 ] || fail "node A worker grew by $((ra1 - ra0)) kB"
[ $((rb1 - rb0)) -lt 4096 ] || fail "node B worker grew by $((rb1 - rb0)) kB"
done_test
