#!/bin/sh
# The walk-through of etc/examples/multichain/README.md, run as written: the
# shell blocks the README marks "<!-- test: NAME -->" are extracted and run,
# in a temporary copy of the example directory, so the README and this test
# cannot drift apart.  Between them, this test stands in for multichaind:
# an echo-server on each node's multichaind port (127.0.0.1:7441, 7442,
# 7443) and socks-client (multichaind's exact SOCKS5 bytes) on each node's
# socks tunnel (127.0.0.1:1081, 1082, 1083).
#   pki, check, start: CA, three node certificates, stunneld -t, three daemons
#   links alpha->beta, beta->gamma, gamma->alpha carry data;
#   status: every tunnel running;
#   serial, rotate, serial: beta's new certificate is what a new
#     connection sees, and links to beta still work;
#   revoke: gamma's new connections to alpha and beta get SOCKS reply 0x01,
#     alpha<->beta still work;
#   stop: the daemons exit and remove their pid files.
# Needs only loopback: 127.0.1.x works on Linux without setup.
. "$(dirname "$0")/lib.sh"
need openssl awk
[ "$(uname -s)" = Linux ] || skip "127.0.1.x on loopback needs Linux"
SC=$HELPERS/socks-client
ECHO=$HELPERS/echo-server
[ -x "$SC" ] || die "$SC not built"
[ -x "$ECHO" ] || die "$ECHO not built"
README=$top_srcdir/etc/examples/multichain/README.md
[ -f "$README" ] || die "$README missing"

# The example's fixed ports must be free.
for a in 127.0.0.1:1081 127.0.0.1:1082 127.0.0.1:1083 \
    127.0.0.1:7441 127.0.0.1:7442 127.0.0.1:7443 \
    127.0.1.1:7441 127.0.1.2:7442 127.0.1.3:7443; do
	if [ -n "$(ss -Hltn "src $a" 2>/dev/null)" ] ||
	    [ -n "$(ss -Hltn "src 0.0.0.0:${a##*:}" 2>/dev/null)" ]; then
		skip "port $a of the example is in use"
	fi
done

MC=$T/mc
cp -R "$top_srcdir/etc/examples/multichain" "$MC" || die "cannot copy the example"
chmod -R u+w "$MC"
cd "$MC" || die "cd $MC"
PATH=$top_builddir/stunneld:$top_builddir/ctl:$PATH
export PATH

# The daemons detach: stop them on exit by their pid files, whatever
# happened.
CLEANUP_HOOK='for f in "$MC"/run/*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done;
    sleep 0.5; for f in "$MC"/run/*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done'

# block NAME: the shell block after "<!-- test: NAME -->" in the README.
block() {
	awk -v name="$1" '
	    $0 == "<!-- test: " name " -->" { want = 1; next }
	    want && /^```sh$/ { on = 1; want = 0; next }
	    on && /^```$/ { exit }
	    on { print }' "$README"
}

# run NAME: run block NAME in $MC, output in $T/NAME.log; fail unless every
# command in it succeeds.
run() {
	block "$1" >"$T/block-$1.sh"
	[ -s "$T/block-$1.sh" ] || die "README has no block \"test: $1\""
	note "README block $1: $(grep -c . "$T/block-$1.sh") commands"
	if (cd "$MC" && sh -e -x "$T/block-$1.sh") >"$T/$1.log" 2>&1; then
		ok "README block $1 ran"
	else
		fail "README block $1 failed (see $1.log)"
		return 1
	fi
}

# Every block the README marks exists, and this test runs them all.
for b in $(sed -n 's/^<!-- test: \([a-z]*\) -->$/\1/p' "$README"); do
	case " pki check start status serial rotate revoke stop " in
	*" $b "*) ;;
	*)	fail "README block \"$b\" is not run by this test" ;;
	esac
done

ip_of() {
	case $1 in
	alpha)	echo 127.0.1.1 ;;
	beta)	echo 127.0.1.2 ;;
	gamma)	echo 127.0.1.3 ;;
	esac
}
p2p_of() {
	case $1 in
	alpha)	echo 7441 ;;
	beta)	echo 7442 ;;
	gamma)	echo 7443 ;;
	esac
}
socks_of() {
	case $1 in
	alpha)	echo 1081 ;;
	beta)	echo 1082 ;;
	gamma)	echo 1083 ;;
	esac
}

# link FROM TO EXPECT: multichaind on FROM dials TO's advertised address
# through FROM's socks tunnel; EXPECT is "reply 0x00" (then the data must
# come back intact) or a refusal reply.
link() {
	out=$("$SC" -p "127.0.0.1:$(socks_of "$1")" \
	    -d "$(ip_of "$2"):$(p2p_of "$2")" --send-bytes 20000 2>&1)
	case $3 in
	"reply 0x00")
		if printf '%s\n' "$out" | grep -q -x 'reply 0x00' &&
		    printf '%s\n' "$out" | grep -q '^sent 20000 received 20000 match$'; then
			ok "$1 -> $2: connected, 20000 bytes echoed intact"
		else
			fail "$1 -> $2: expected a working link, got: $(echo $out)"
		fi ;;
	*)
		if printf '%s\n' "$out" | grep -q -x "$3"; then
			ok "$1 -> $2: refused with $3"
		else
			fail "$1 -> $2: expected $3, got: $(echo $out)"
		fi ;;
	esac
}

# The stand-ins for multichaind, one per node, on its loopback P2P port.
for n in alpha beta gamma; do
	start_server "echo-$n" 127.0.0.1 "$(p2p_of $n)"
done

run pki || die "cannot make the PKI"
for n in alpha beta gamma; do
	[ -f "$n/$n.crt" ] && [ -f "$n/$n.key" ] && [ -f "$n/ca.crt" ] &&
	    [ -f "$n/ca.crl" ] || fail "$n: certificate, key, ca.crt or ca.crl missing"
	openssl x509 -noout -text -in "$n/$n.crt" | grep -q "IP Address:$(ip_of $n)" ||
	    fail "$n.crt has no IP SAN $(ip_of $n)"
done
run check || die "stunneld -t refuses the example"
grep -q 'configuration OK' "$T/check.log" || fail "stunneld -t did not say OK"
run start || die "the daemons did not start"
for n in alpha beta gamma; do
	# The detached daemon writes its pid just after the parent returns.
	wait_until "$n: no pid file run/$n.pid" "[ -s run/$n.pid ]" &&
	    { kill -0 "$(cat "run/$n.pid")" 2>/dev/null ||
	    fail "$n: no running daemon in run/$n.pid"; }
	wait_until "$n: no control socket run/$n.sock" "[ -S run/$n.sock ]"
	wait_port "$(ip_of $n)" "$(p2p_of $n)" || fail "$n: tls tunnel not listening"
	wait_port 127.0.0.1 "$(socks_of $n)" || fail "$n: socks tunnel not listening"
done

link alpha beta "reply 0x00"
link beta gamma "reply 0x00"
link gamma alpha "reply 0x00"

run status
n_running=$(grep -c -E '^p2p_(in|out) .* running' "$T/status.log")
if [ "$n_running" -eq 6 ]; then
	ok "stunnelctl status: 6 tunnels running"
else
	fail "stunnelctl status: $n_running of 6 tunnels running"
fi

# serial: line 1 what beta presents, line 2 beta/beta.crt.
run serial
s=$(grep '^serial=' "$T/serial.log")
old_seen=$(echo "$s" | sed -n 1p)
old_file=$(echo "$s" | sed -n 2p)
if [ -n "$old_seen" ] && [ "$old_seen" = "$old_file" ]; then
	ok "beta presents its certificate ($old_seen)"
else
	fail "beta presents \"$old_seen\", its file has \"$old_file\""
fi

run rotate
grep -q -i 'reloaded' "$T/rotate.log" || fail "reload-certs on beta did not say reloaded"
run serial
s=$(grep '^serial=' "$T/serial.log")
new_seen=$(echo "$s" | sed -n 1p)
new_file=$(echo "$s" | sed -n 2p)
if [ -n "$new_seen" ] && [ "$new_seen" = "$new_file" ] &&
    [ "$new_seen" != "$old_seen" ]; then
	ok "after rotation a new connection sees beta's new certificate ($new_seen)"
else
	fail "after rotation beta presents \"$new_seen\" (file \"$new_file\", old \"$old_seen\")"
fi
link alpha beta "reply 0x00"
link gamma beta "reply 0x00"

run revoke
grep -q -E '^revoked serial' "$T/revoke.log" || fail "cert revoke did not say revoked"
link gamma alpha "reply 0x01"
link gamma beta "reply 0x01"
link alpha gamma "reply 0x01"
link alpha beta "reply 0x00"
link beta alpha "reply 0x00"

run stop
# No connection is open, so each exits at once; shutdown_timeout (10 s)
# is well inside the bound.
for n in alpha beta gamma; do
	wait_until "$n: still running (run/$n.pid) after stop" "[ ! -f run/$n.pid ]" &&
	    ok "$n stopped"
done

done_test
