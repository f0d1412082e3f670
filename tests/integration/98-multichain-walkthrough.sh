#!/bin/sh
# The walk-through of etc/examples/multichain/README.md, run as written,
# with the real multichaind: the shell blocks the README marks
# "<!-- test: NAME -->" are extracted and run, in a temporary copy of the
# example directory (HOME a directory of the test's own, for the nodes'
# datadirs), so the README and this test cannot drift apart.  Three
# stunnelds and three multichainds on this machine's loopback, as the
# README has them:
#   pki, check, start: CA, three node certificates, stunneld -t, three daemons;
#   create, params, join, grant, gammajoin, gammagrant: alpha creates the
#     chain, beta and gamma join with its params.dat (no seed query: it
#     would ignore -proxy) and are granted connect; every node then lists
#     the other two (getpeerinfo) and all three agree on the best block;
#   status: every tunnel running;
#   serial, rotate, serial: beta's new certificate is what a new
#     connection sees, and the chain stays linked;
#   revoke: gamma loses its peers, and its new connections to alpha and
#     beta get SOCKS reply 0x01; alpha and beta stay linked;
#   stop: multichaind and the daemons exit and remove their pid files.
# Skipped, with the reason, without the MultiChain binaries
# (MULTICHAIN_BIN, default ../shared/multichain/bin) or their libraries.
# Needs only loopback: 127.0.1.x works on Linux without setup.
. "$(dirname "$0")/lib.sh"
need openssl awk
[ "$(uname -s)" = Linux ] || skip "127.0.1.x on loopback needs Linux"
MCB=${MULTICHAIN_BIN:-$top_srcdir/../shared/multichain/bin}
MC_DIR=$T
MC_NS=""		# no namespaces: the example's loopback addresses
CHAIN=mcdemo
NODES="alpha beta gamma"
. "$(dirname "$0")/multichain-lib.sh"
mc_complain() { fail "$@"; }
why=$(mc_missing)
[ -z "$why" ] || skip "$why"
SC=$HELPERS/socks-client
[ -x "$SC" ] || die "$SC not built"
README=$top_srcdir/etc/examples/multichain/README.md
[ -f "$README" ] || die "$README missing"

# The example's fixed ports must be free.
for a in 127.0.0.1:1081 127.0.0.1:1082 127.0.0.1:1083 \
    127.0.0.1:7441 127.0.0.1:7442 127.0.0.1:7443 \
    127.0.0.1:7451 127.0.0.1:7452 127.0.0.1:7453 \
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
PATH=$top_builddir/stunneld:$top_builddir/ctl:$MCB:$PATH
HOME=$T/home
export PATH HOME
mkdir -p "$HOME" || die "mkdir $HOME"
# the README's datadirs
mc_datadir() { echo "$HOME/.multichain-$1"; }

# The daemons detach: stop them on exit by their pid files, whatever
# happened (multichaind first, its debug.log kept for the failure report).
CLEANUP_HOOK='for n in $NODES; do mc_stop $n;
	[ -f "$(mc_datadir $n)/$CHAIN/debug.log" ] &&
	    cp "$(mc_datadir $n)/$CHAIN/debug.log" "$T/debug-$n.log"; done;
    for f in "$MC"/run/*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done;
    sleep 0.5; for f in "$MC"/run/*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done'

# block NAME: the shell block after "<!-- test: NAME -->" in the README
# (indented as a list item's, or not).
block() {
	awk -v name="$1" '
	    $0 ~ "^ *<!-- test: " name " -->$" { want = 1; next }
	    want && /^ *```sh$/ { on = 1; want = 0; ind = index($0, "`") - 1; next }
	    on && /^ *```$/ { exit }
	    on { print substr($0, ind + 1) }' "$README"
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
for b in $(sed -n 's/^ *<!-- test: \([a-z]*\) -->$/\1/p' "$README"); do
	case " pki check start create params join grant gammajoin gammagrant status serial rotate revoke stop " in
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

# link FROM TO EXPECT: a new connection as multichaind on FROM makes it
# to TO's advertised address, through FROM's socks tunnel: EXPECT is the
# SOCKS reply ("reply 0x00": TO's stunneld reached TO's multichaind).  It
# sends nothing after the reply: multichaind would take bytes that are
# not its protocol for misbehaviour.
link() {
	out=$("$SC" -p "127.0.0.1:$(socks_of "$1")" \
	    -d "$(ip_of "$2"):$(p2p_of "$2")" 2>&1)
	if printf '%s\n' "$out" | grep -q -x "$3"; then
		ok "$1 -> $2: a new connection gets $3"
	else
		fail "$1 -> $2: expected $3, got: $(echo $out)"
	fi
}
# note_addr NODE: note NODE's MultiChain address (for lists, mesh_up).
note_addr() {
	first_address "$1" >"$MC_DIR/maddr-$1" && [ -s "$MC_DIR/maddr-$1" ]
}
# counts: every node's block count, for a failure message.
counts() {
	for _n in $NODES; do
		printf '%s %s, ' "$_n" "$(count "$_n")"
	done
}

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

# --- the chain: alpha creates it, beta and gamma join ---------------------
run create || die "cannot create the chain on alpha"
poll 60 rpc_ready alpha || die "alpha's multichaind does not answer (see debug-alpha.log)"
note_addr alpha || die "alpha has no address"
grep -q '^genesis-hash = [0-9a-f]\{64\}' "$(mc_datadir alpha)/$CHAIN/params.dat" ||
    die "alpha's params.dat has no genesis hash after its first run"
run params || die "cannot copy params.dat to beta"
s=$(awk '{ print $1 }' "$T/params.log" | grep -E '^[0-9a-f]{64}$' | sort -u | wc -l)
[ "$s" -eq 1 ] && ok "params.dat copied to beta unchanged (one sum twice)" ||
    fail "params.dat sums: $(cat "$T/params.log")"
# joining: alpha's grant needs beta's address, which its RPC gives
for n in beta gamma; do
	case $n in
	beta)	run join && poll 60 rpc_ready beta && note_addr beta &&
		    run grant ;;
	gamma)	run gammajoin && poll 60 rpc_ready gamma && note_addr gamma &&
		    run gammagrant ;;
	esac || die "$n could not join (see $n's block logs, debug-$n.log)"
	if poll 60 lists "$n" alpha; then
		ok "$n joined by params.dat: alpha and $n list each other $(ms_s $POLL_MS) after the grant"
	else
		die "$n has no link with alpha 60s after the grant"
	fi
done
# (multichaind -daemon writes to the output of the block that started it)
grep -q 'Retrieving blockchain parameters' "$T/join.log" "$T/gammajoin.log" &&
    fail "a joining node queried the seed (a plain connection)"
if poll 120 mesh_up; then
	ok "every node lists the other two (getpeerinfo), $(ms_s $POLL_MS) after gamma's link with alpha"
else
	for n in $NODES; do
		note "$n's peers: $(peers $n | tr '\n' ' ')"
	done
	fail "the three nodes do not all list each other within 120s"
fi
h=$(count alpha)
if poll 60 in_sync "${h:-1}" $NODES; then
	ok "alpha, beta and gamma agree on the best block (height $(count beta), from alpha's $h)"
else
	fail "no common best block at height >= $h: $(counts)"
fi

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
if poll 30 mesh_up; then
	ok "after the rotation every node still lists the other two"
else
	fail "after beta's rotation the mesh is not whole: $(for n in $NODES; do printf '%s: %s; ' $n "$(peers $n | tr '\n' ' ')"; done)"
fi

run revoke
grep -q -E '^revoked serial' "$T/revoke.log" || fail "cert revoke did not say revoked"
if poll 60 lists_none gamma alpha beta; then
	ok "revoked gamma lost its links with alpha and beta ($(ms_s $POLL_MS))"
else
	fail "gamma still lists alpha or beta after the revocation: $(peers gamma | tr '\n' ' ')"
fi
lists_none alpha gamma && lists_none beta gamma ||
    fail "alpha or beta still lists gamma after the revocation"
lists alpha beta && lists beta alpha ||
    fail "alpha and beta no longer list each other after gamma's revocation"
link gamma alpha "reply 0x01"
link gamma beta "reply 0x01"
link alpha gamma "reply 0x01"
link alpha beta "reply 0x00"
link beta alpha "reply 0x00"

run stop
# multichaind takes a few seconds; the tunnels' connections end with it,
# and shutdown_timeout (10 s) is well inside the bound.
for n in alpha beta gamma; do
	wait_until "$n: multichaind still running after stop" \
	    "[ ! -f '$(mc_datadir $n)/$CHAIN/multichain.pid' ]" &&
	wait_until "$n: still running (run/$n.pid) after stop" "[ ! -f run/$n.pid ]" &&
	    ok "$n stopped (multichaind and stunneld)"
done

done_test
