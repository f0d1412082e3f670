#!/bin/sh
# A flood of active, unauthenticated TLS handshakes does not lock out a
# good peer.  tls-flood keeps 200 handshakes in flight against node B's
# tls tunnel from 127.0.0.3, each sending a ClientHello and leaving once
# node B has answered (signed) it, without a certificate, for at most 30 s.
# (Fewer than node B's max_connections, 256.)
# Node B limits that address once its handshakes keep failing; meanwhile
# a legitimate peer connects through node A (from 127.0.0.1) once per
# 100 ms and exchanges a little data, and every one of its connections
# must succeed.  No timing is asserted (make bench measures the connect
# times); the flooder's address, and only it, must have been limited.
#
# Then a flood bigger than the tunnel: node C has max_connections 32, and
# tls-flood --stall keeps 200 handshakes from 127.0.0.3 in progress that
# do not fail by themselves (each waits for its ClientHello's last byte,
# and node C's handshake_timeout is longer than the test), so the tunnel
# is full for as long as that address is not limited, as in a flood's
# first moments.  A good connection that finds the tunnel full closes the
# oldest handshake of the address with the most in progress instead of
# being closed itself (which counts as a failure of that address, so it
# is limited after 16): again every good connection must succeed, and
# only the flood's handshakes are closed for it.
. "$(dirname "$0")/lib.sh"

NGOOD=40
# 200 flood sockets here, as many in node B.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 600 ] ||
    skip "cannot raise the fd limit to 600 (hard limit $(ulimit -Hn))"

pki_pair
PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global b node-b ca
sed -i 's/^log_level = "debug";/log_level = "info";/' "$T/b.conf"
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
};
EOF
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = { p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; }; };
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
SC="$HELPERS/socks-client"

# good N [PORT]: one connection of the good peer to node B (or to
# 127.0.0.2:PORT); "ok" or why not.
good() {
	out=$("$SC" -p 127.0.0.1:$PA -d 127.0.0.2:${2:-$PB} --send-bytes 1000 \
	    --timeout 30 2>&1)
	case $out in
	*"reply 0x00"*"sent 1000 received 1000 match"*) echo ok ;;
	*)	echo "connection $1: $(printf '%s' "$out" | tr '\n' '|')" ;;
	esac
}
[ "$(good 0)" = ok ] || die "the good peer does not connect before the flood"

# good_during NAME COUNT WHAT [PORT]: COUNT good connections, one per
# 100 ms (to node B, or PORT), while the flood NAME (start_bg) runs; then
# the flood is told to stop and waited for.  Every good connection must
# succeed ("all COUNT good connections succeeded WHAT"), node A must
# refuse none, and at least one must end while the flood still runs.
good_during() {
	_gd_pid=$(bg_pid "$1")
	i=1
	bad=0
	during=0
	while [ "$i" -le "$2" ]; do
		r=$(good "$i" ${4:-})
		if [ "$r" != ok ]; then
			fail "$3: $r"
			bad=$((bad + 1))
		fi
		kill -0 "$_gd_pid" 2>/dev/null && during=$((during + 1))
		sleep 0.1	# pacing, not a wait for an outcome
		i=$((i + 1))
	done
	touch "$T/stop-flood"
	wait_bg "$1"
	note "$1: $(grep '^flood:' "$T/$1.log")"
	note "$during of $2 good connections ended while the flood was still running"
	[ "$bad" -eq 0 ] && ok "all $2 good connections succeeded $3"
	[ "$during" -gt 0 ] || fail "the flood ended before the good peer connected"
	grep -q 'refused (SOCKS reply' "$T/a.log" &&
	    fail "node A refused a good connection: $(grep 'refused (SOCKS reply' "$T/a.log" | head -3)"
	return 0
}

# The flood, bounded by count and time (it stops by itself), and told to
# stop once the good peer is done.
start_bg flood "$HELPERS/tls-flood" -t 127.0.0.2:$PB -b 127.0.0.3 -c 200 \
    -n 1000000 -s 30 --until "$T/stop-flood"
# 100 handshakes answered: the flood is on.
wait_log flood '^flooding' 300 || die "the flood did not get going"
good_during flood "$NGOOD" "during the flood"

# Node B limited the flooder once enough of its handshakes had failed;
# only it.
grep -q 'from 127\.0\.0\.3, an address whose handshakes keep failing' "$T/b.log" ||
    fail "node B never limited the flooding address"
grep -q 'from 127\.0\.0\.1, an address whose handshakes keep failing' "$T/b.log" &&
    fail "node B limited the good peer's address"

# After the flood the tunnel serves as before.
[ "$(good after)" = ok ] && ok "a good connection after the flood" ||
    fail "no good connection after the flood"

# --- floods bigger than max_connections -----------------------------------

NGOOD2=20
PC=$(port_free)
conf_global c node-b ca
sed -i 's/^log_level = "debug";/log_level = "info";/' "$T/c.conf"
cat >>"$T/c.conf" <<EOF
tunnels = {
	p2p_small = { mode = "tls"; listen = "127.0.0.2:$PC";
	    connect = "127.0.0.1:$PE"; max_connections = 32;
	    handshake_timeout = 120; };
};
EOF
start_stunneld c "$T/c.conf" || die "node C did not start"
[ "$(good 0 $PC)" = ok ] || die "the good peer does not connect to node C"

rm -f "$T/stop-flood"
start_bg stall "$HELPERS/tls-flood" -t 127.0.0.2:$PC -b 127.0.0.3 -c 200 \
    --stall -s 30 --until "$T/stop-flood"
# The tunnel is full: node C has closed a connection at its limit.
wait_log c 'max_connections \(32\) reached' 300 ||
    die "the stalled flood did not fill node C's tunnel"
good_during stall "$NGOOD2" "with node C's tunnel full" $PC

# Room was made by closing flood handshakes, never the good peer's.
note "node C: $(grep 'to make room' "$T/c.log" | sed 's/.*reached: //' |
    tr '\n' '|')"
grep -q 'closed a handshake in progress from 127\.0\.0\.3, the address with the most' "$T/c.log" ||
    fail "node C closed no handshake of the stalled flood to make room"
grep -q 'closed a handshake in progress from 127\.0\.0\.1, the address with the most' "$T/c.log" &&
    fail "node C closed a handshake of the good peer to make room"
[ "$(good after $PC)" = ok ] && ok "a good connection to node C after the floods" ||
    fail "no good connection to node C after the floods"
done_test
