#!/bin/sh
# Reloads under live traffic.  A link through node A exchanges 64 bytes
# every 100 ms with node B's echo target, byte-checked, across:
# reload-certs with a new certificate (new serial seen by new clients), a
# bad-key reload-certs (exit 1, the file named, the old certificate still
# served), a reload that adds a tunnel and removes another, an invalid
# reload (SIGHUP) that changes nothing, the revocation of node C, whose
# open link alone is closed, and reloads of log_level and shutdown_timeout
# that reach an unchanged tunnel's running worker.
. "$(dirname "$0")/lib.sh"
need openssl
CTL=$top_builddir/ctl/stunnelctl

pki_pair
pki_cert ca node-c --dns node-c
pki_crl ca

PA=$(port_free); PC=$(port_free); PB=$(port_free); PE=$(port_free)
PX=$(port_free); PN=$(port_free); PG=$(port_free)
start_echo $PE

conf_global b node-b ca
# Node B's files are rewritten before each reload-certs whose answer is
# checked here; reload_on_change would reload them too, half a second
# later, and could answer first.  38-reload-on-change tests the watcher.
echo "reload_on_change = false;" >>"$T/b.conf"
cat >"$T/b.tunnels" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
	extra_in = { mode = "tls"; listen = "127.0.0.2:$PX"; connect = "127.0.0.1:$PE"; };
	chg_in = { mode = "tls"; listen = "127.0.0.2:$PG"; connect = "127.0.0.1:$PE"; };
};
EOF
cp "$T/b.conf" "$T/b.global"
cat "$T/b.global" "$T/b.tunnels" >"$T/b.conf"
conf_global a node-a ca
echo "tunnels = { out = { mode = \"socks\"; listen = \"127.0.0.1:$PA\"; }; };" >>"$T/a.conf"
conf_global c node-c ca
echo "tunnels = { out = { mode = \"socks\"; listen = \"127.0.0.1:$PC\"; }; };" >>"$T/c.conf"
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
start_stunneld c "$T/c.conf" || die "node C did not start"
B="$CTL -s $T/b.sock"

# serial: the serial number of the certificate node B serves now.
serial() {
	openssl s_client -connect 127.0.0.2:$PB -cert "$T/node-a.crt" \
	    -key "$T/node-a.key" -CAfile "$T/ca.crt" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null
}
# worker_pid LOG TUNNEL: the newest worker pid of TUNNEL.
worker_pid() {
	sed -n "s/.*worker $2 started, pid \([0-9]*\).*/\1/p" "$T/$1.log" | tail -1
}

start_bg live-a "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --until "$T/stop" \
    --interval 100 --timeout 900
start_bg live-c "$HELPERS/socks-client" -p 127.0.0.1:$PC -d 127.0.0.2:$PB --until "$T/stop" \
    --interval 100 --timeout 900
wait_until "the live links did not come up" \
    'grep -q "reply 0x00" "$T/live-a.log" && grep -q "reply 0x00" "$T/live-c.log"'
wait_until "node B does not list two connections" \
    '[ "$($B --json connections | grep -o "\"client\"" | wc -l)" -eq 2 ]' ||
    note "node B's connections: $($B connections)"

# 1. reload-certs with a re-issued certificate (new key, new serial).
s1=$(serial)
pki_cert ca node-b --ip 127.0.0.2 --dns node-b
out=$($B reload-certs 2>&1)
st=$?
s2=$(serial)
if [ "$st" -eq 0 ] && [ -n "$s1" ] && [ "$s1" != "$s2" ]; then
	ok "reload-certs: exit 0, new clients see $s2 (was $s1): $out"
else
	fail "reload-certs: exit $st, serial $s1 -> $s2: $out"
fi

# 2. A key that does not match: refused, file named, old one served.
cp "$T/node-b.key" "$T/node-b.key.good"
cp "$T/node-c.key" "$T/node-b.key"
out=$($B reload-certs 2>&1)
st=$?
s3=$(serial)
[ "$st" -eq 1 ] && ok "bad key: exit 1" || fail "bad key: exit $st"
case $out in
*"$T/node-b.key: key does not match certificate"*) ok "bad key: $out" ;;
*)	fail "bad key: message does not name the key file: $out" ;;
esac
[ "$s3" = "$s2" ] && ok "bad key: still serving $s3" ||
    fail "bad key: serial changed to $s3"
cp "$T/node-b.key.good" "$T/node-b.key"

# 3. reload: extra_in goes, new_in comes, p2p_in stays as it is,
# chg_in (max_connections changed) gets a new worker on the same socket.
p2p_pid=$(worker_pid b p2p_in)
chg_pid=$(worker_pid b chg_in)
cat >"$T/b.tunnels" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
	new_in = { mode = "tls"; listen = "127.0.0.2:$PN"; connect = "127.0.0.1:$PE"; };
	chg_in = { mode = "tls"; listen = "127.0.0.2:$PG"; connect = "127.0.0.1:$PE";
	    max_connections = 7; };
};
EOF
cat "$T/b.global" "$T/b.tunnels" >"$T/b.conf"
out=$($B reload 2>&1)
st=$?
[ "$st" -eq 0 ] && ok "reload: $out" || fail "reload: exit $st: $out"
case $out in
*"1 added, 1 removed, 1 changed, 1 unchanged"*) ;;
*)	fail "reload: unexpected summary: $out" ;;
esac
wait_port 127.0.0.2 $PN || fail "new_in does not listen"
wait_unport 127.0.0.2 $PX || fail "extra_in still listens"
[ "$(worker_pid b p2p_in)" = "$p2p_pid" ] && kill -0 "$p2p_pid" &&
    ok "p2p_in kept its worker $p2p_pid" || fail "p2p_in worker was replaced"
$B status new_in >/dev/null || fail "status new_in"
wait_until "chg_in kept its worker $chg_pid" \
    '[ "$(worker_pid b chg_in)" != "$chg_pid" ]'
[ "$(worker_pid b chg_in)" != "$chg_pid" ] &&
    $B status chg_in | grep -q 'max connections: *7' &&
    ok "chg_in restarted with its new definition" ||
    fail "chg_in: $($B status chg_in)"
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PG --send-bytes 1000 \
    2>&1 | grep -q 'sent 1000 received 1000 match' || fail "chg_in does not serve"
$B status extra_in >/dev/null 2>&1 && fail "extra_in still in status"

# 4. An invalid file on SIGHUP: refused with FILE:LINE, nothing changes.
cp "$T/b.conf" "$T/b.conf.good"
echo "bogus_key = 1;" >>"$T/b.conf"
kill -HUP "$(cat "$T/b.pid")"
wait_log b "b.conf:[0-9]+: unknown key \"bogus_key\"" &&
    ok "SIGHUP with a bad file: refused, FILE:LINE logged"
out=$($B reload 2>&1)
[ $? -eq 1 ] && case $out in *"b.conf:"*"bogus_key"*) true ;; *) false ;; esac &&
    ok "reload with a bad file: exit 1 with FILE:LINE" ||
    fail "reload with a bad file: $out"
cp "$T/b.conf.good" "$T/b.conf"
wait_port 127.0.0.2 $PN 10 || fail "new_in gone after a refused reload"

# 5. Revoke node C: its link closes, node A's does not.
pki_crl ca node-c
out=$($B reload-certs 2>&1) || fail "reload-certs after revocation: $out"
case $out in
*"1 connection closed"*) ok "revocation: $out" ;;
*)	fail "revocation: $out" ;;
esac
wait_bg live-c
case $(cat "$T/live-c.log") in
*"ping closed"*) ok "node C's open link was closed" ;;
*)	fail "node C's link: $(cat "$T/live-c.log")" ;;
esac
grep -q 'peer no longer accepted after reload-certs: certificate revoked' \
    "$T/b.log" || fail "revocation close not logged with its reason"
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PC -d 127.0.0.2:$PB 2>&1)
case $out in
*"reply 0x00"*) fail "node C still gets in" ;;
*)	ok "node C's new connection refused" ;;
esac

# SIGUSR1 does what reload-certs does.
before=$(grep -c 'reload-certs: tunnel p2p_in: reloaded' "$T/b.log")
kill -USR1 "$(cat "$T/b.pid")"
wait_log b 'SIGUSR1: reloading certificates'
wait_until "SIGUSR1 did not reload" \
    '[ "$(grep -c "reload-certs: tunnel p2p_in: reloaded" "$T/b.log")" -gt "$before" ]' &&
    ok "SIGUSR1 reloaded the certificates"

# 6. A reload that changes only global settings reaches the workers it
# keeps: p2p_in's worker logs at the new level at once, with the same pid
# and node A's link still open.  "warn" with -v is notice: a connection
# through p2p_in then leaves no info or debug line of that worker.
# lines_from N PID: the info and debug lines of worker PID after line N.
lines_from() {
	tail -n +"$(($1 + 1))" "$T/b.log" | grep -E "worker p2p_in\[$2\] (info|debug):"
}
# one_link: one connection through p2p_in, and wait until it is gone.
one_link() {
	"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
	    --send-bytes 1000 2>&1 | grep -q 'sent 1000 received 1000 match' ||
	    fail "p2p_in does not serve after the reload"
	wait_until "p2p_in still lists the closed connection" \
	    '[ "$($B --json connections p2p_in | grep -o "\"client\"" | wc -l)" -eq 1 ]'
}
p2p_pid=$(worker_pid b p2p_in)
sed 's/^log_level = .*/log_level = "warn";/' "$T/b.global" >"$T/b.quiet"
cat "$T/b.quiet" "$T/b.tunnels" >"$T/b.conf"
out=$($B reload 2>&1) || fail "reload to log_level warn: $out"
case $out in
*"0 added, 0 removed, 0 changed, 3 unchanged"*) ;;
*)	fail "log_level reload: unexpected summary: $out" ;;
esac
# p2p_in's worker answers in order: once it has, it has the new level
$B status p2p_in >/dev/null || fail "status p2p_in after the reload"
n0=$(wc -l <"$T/b.log")
one_link
if [ -z "$(lines_from "$n0" "$p2p_pid")" ]; then
	ok "log_level warn reached p2p_in's running worker"
else
	fail "p2p_in's worker still logs below warn: $(lines_from "$n0" "$p2p_pid" | head -3)"
fi
# Back to debug, and shutdown_timeout 7 (from 2), in a reload that also
# changes chg_in, whose link is held open: its old worker drains for the
# new 7 s, whether the reload's SIGTERM or its settings reach it first.
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PG \
    --hold-until "$T/stop3" --timeout 900 >"$T/hold3.out" 2>&1 &
hold3=$!
wait_until "the link to chg_in did not come up" 'grep -q "reply 0x00" "$T/hold3.out"'
chg_pid=$(worker_pid b chg_in)
sed 's/^shutdown_timeout = .*/shutdown_timeout = 7;/' "$T/b.global" >"$T/b.loud"
sed 's/max_connections = 7;/max_connections = 8;/' "$T/b.tunnels" >"$T/b.tunnels2"
cat "$T/b.loud" "$T/b.tunnels2" >"$T/b.conf"
out=$($B reload 2>&1) || fail "reload to log_level debug: $out"
case $out in
*"0 added, 0 removed, 1 changed, 2 unchanged"*) ;;
*)	fail "second settings reload: unexpected summary: $out" ;;
esac
$B status p2p_in >/dev/null || fail "status p2p_in after the second reload"
wait_log b "worker chg_in\[$chg_pid\] info: (stopping: waiting up to 7s|shutdown_timeout 7s from the reload)" &&
    ok "chg_in's old worker drains for the new shutdown_timeout"
touch "$T/stop3"
wait $hold3
n1=$(wc -l <"$T/b.log")
one_link
wait_until "p2p_in's worker does not log at debug again" \
    '[ -n "$(lines_from "$n1" "$p2p_pid" | grep " debug: ")" ]' &&
    ok "log_level debug reached p2p_in's running worker"
[ "$(worker_pid b p2p_in)" = "$p2p_pid" ] && kill -0 "$p2p_pid" &&
    ok "p2p_in kept its worker $p2p_pid across both" ||
    fail "p2p_in's worker was replaced by a settings-only reload"

touch "$T/stop"
wait_bg live-a
out=$(cat "$T/live-a.log")
case $out in
*"ping "*" ok"*) ok "node A's live link through all of it: $out" ;;
*)	fail "node A's live link: $out" ;;
esac

# 7. The new shutdown_timeout is the one p2p_in's running worker drains
# with when node B stops.
"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
    --hold-until "$T/stop2" --timeout 900 >"$T/hold.out" 2>&1 &
hold=$!
wait_until "the held link did not come up" 'grep -q "reply 0x00" "$T/hold.out"'
kill -TERM "$(cat "$T/b.pid")"
wait_log b "worker p2p_in\[$p2p_pid\] info: stopping: waiting up to 7s for" &&
    ok "shutdown_timeout 7 reached p2p_in's running worker"
touch "$T/stop2"
wait $hold
stop_stunneld b || fail "node B exited with status $?"
done_test
