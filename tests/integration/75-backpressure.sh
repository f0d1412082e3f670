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

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
pki_cert ca node-b --ip 127.0.0.2

PA=$(port_free); PB=$(port_free); PE=$(port_free)
# The target accepts, then never reads: socat feeds a process that does not
# read its stdin, so socat stops reading the socket once the pipe is full.
start_bg sink socat -u TCP-LISTEN:$PE,bind=127.0.0.1,reuseaddr EXEC:"sleep 60"
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

# Try to push 256 MiB; the client must get stuck (its own timeout ends it).
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
    --send-bytes 268435456 --timeout 4 >"$T/client.out" 2>&1 &
cpid=$!
sleep 3
ra1=$(rss "$wa"); rb1=$(rss "$wb")
wait $cpid
st=$?
note "worker RSS: A ${ra0} -> ${ra1} kB, B ${rb0} -> ${rb1} kB (client exit $st)"
if grep -q 'sent 268435456' "$T/client.out"; then
	fail "the client pushed everything: no back-pressure"
else
	ok "the client was held back"
fi
[ $((ra1 - ra0)) -lt 4096 ] || fail "node A worker grew by $((ra1 - ra0)) kB"
[ $((rb1 - rb0)) -lt 4096 ] || fail "node B worker grew by $((rb1 - rb0)) kB"
done_test
