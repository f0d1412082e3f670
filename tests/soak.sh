#!/bin/sh
# soak.sh: `make soak` (not part of make check).  One socks -> tls pair for
# SOAK_SECONDS (default 600): LINKS long-lived links exchanging 64 bytes
# every 100 ms, byte-checked, while bulk transfers of 4 MiB come and go and
# reload-certs runs every minute on both nodes.  At the end: every link
# intact, every transfer matched, and the workers' memory flat (growth
# printed, at most SOAK_RSS_KB, default 8192 KiB, between the first and
# the last sample).
. "$(dirname "$0")/integration/lib.sh"

SECS=${SOAK_SECONDS:-600}
LINKS=${SOAK_LINKS:-50}
MAX_GROWTH=${SOAK_RSS_KB:-8192}
CTL=$top_builddir/ctl/stunnelctl

pki_pair
PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global a node-a ca
sed -i 's/^log_level = .*/log_level = "info";/' "$T/a.conf"
echo "tunnels = { p2p_out = { mode = \"socks\"; listen = \"127.0.0.1:$PA\"; }; };" >>"$T/a.conf"
conf_global b node-b ca
sed -i 's/^log_level = .*/log_level = "info";/' "$T/b.conf"
echo "tunnels = { p2p_in = { mode = \"tls\"; listen = \"127.0.0.2:$PB\"; connect = \"127.0.0.1:$PE\"; }; };" >>"$T/b.conf"
start_stunneld a "$T/a.conf" || die "node A did not start"
start_stunneld b "$T/b.conf" || die "node B did not start"
wa=$(sed -n 's/.*worker p2p_out started, pid \([0-9]*\).*/\1/p' "$T/a.log")
wb=$(sed -n 's/.*worker p2p_in started, pid \([0-9]*\).*/\1/p' "$T/b.log")
rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

note "soak: $LINKS links, ${SECS}s"
i=0
while [ $i -lt "$LINKS" ]; do
	start_bg link$i "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
	    --until "$T/stop" --interval 100 --timeout $((SECS + 120))
	i=$((i + 1))
done

start=$(date +%s)
bulk=0
badbulk=0
ra0=""
while [ $(( $(date +%s) - start )) -lt "$SECS" ]; do
	"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
	    --send-bytes 4194304 >"$T/bulk.out" 2>&1 || badbulk=$((badbulk + 1))
	bulk=$((bulk + 1))
	el=$(( $(date +%s) - start ))
	if [ $((el % 60)) -lt 2 ] && [ "$el" -ge 10 ]; then
		$CTL -s "$T/a.sock" reload-certs >/dev/null || fail "reload-certs on A"
		$CTL -s "$T/b.sock" reload-certs >/dev/null || fail "reload-certs on B"
		note "t=${el}s: RSS A $(rss "$wa") kB, B $(rss "$wb") kB; $bulk transfers"
		[ -n "$ra0" ] || { ra0=$(rss "$wa"); rb0=$(rss "$wb"); }
		sleep 2
	fi
	sleep 1
done
touch "$T/stop"
i=0
while [ $i -lt "$LINKS" ]; do
	wait_bg link$i
	i=$((i + 1))
done
good=$(grep -l 'ping [0-9]* ok' "$T"/link*.log | wc -l)
[ "$good" -eq "$LINKS" ] && ok "all $LINKS links intact" ||
    fail "$((LINKS - good)) links broke: $(grep -h -v 'ok\|reply\|method' "$T"/link*.log | head -3)"
[ "$badbulk" -eq 0 ] && ok "$bulk transfers of 4 MiB matched" ||
    fail "$badbulk of $bulk transfers failed"
ra1=$(rss "$wa"); rb1=$(rss "$wb")
: "${ra0:=$ra1}" "${rb0:=$rb1}"
note "RSS A ${ra0} -> ${ra1} kB, B ${rb0} -> ${rb1} kB"
[ $((ra1 - ra0)) -le "$MAX_GROWTH" ] && [ $((rb1 - rb0)) -le "$MAX_GROWTH" ] &&
    ok "memory flat" || fail "memory grew by more than $MAX_GROWTH kB"
done_test
