#!/bin/sh
# The compose example for real (make check-compose; not in "make check"):
# etc/examples/compose/ run by podman-compose with real MultiChain 2.3.3 from
# $MULTICHAIN_BIN or ../shared/multichain/bin.  Root, podman, runc,
# mmdebstrap, podman-compose; skips with the reason without them or the
# MultiChain binaries.
#
#   1. the stunneld image (etc/container/Containerfile) and a node image
#      (etc/examples/compose/node/, the MultiChain binaries copied into a
#      build context of the test's own: never into this tree, never into
#      stunneld's image) are built;
#   2. a copy of the example gets its certificates as README.md says
#      (stunnelctl cert, one per node with its address);
#   3. podman-compose up (Debian's 1.0.3 through podman-compose-compat.py,
#      which adds the Compose features it lacks) starts three nodes and
#      their sidecars, each sidecar in its node's network namespace;
#   4. every node lists the other two as peers, and all three have the
#      same best block at a height of at least 3 (RPC polled, bounded);
#   5. the links are stunneld's: each sidecar's tunnels carry the node's
#      two links, and stunnelctl check in each is 0;
#   6. podman-compose down: every container exits 0.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/podman-lib.sh"

why=$(pm_missing)
[ -z "$why" ] || skip "$why"
need podman-compose flock
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import podman_compose' 2>/dev/null ||
    skip "podman-compose's Python module not importable by /usr/bin/python3"
MCB=${MULTICHAIN_BIN:-$top_srcdir/../shared/multichain/bin}
for b in multichaind multichain-cli multichain-util; do
	[ -x "$MCB/$b" ] || skip "no MultiChain binaries: $MCB/$b missing (set MULTICHAIN_BIN)"
done

pm_setup
PROJ=sdmc$$
NET=${PROJ}_mesh
BR=sdbr$$
PREFIX=10.202.$(( $$ % 250 ))
NODES="alpha beta gamma"
EX=$T/example
NODE_IMAGE=localhost/multichain-node:test
compose() {
	(cd "$EX" && NET_PREFIX=$PREFIX MULTICHAIN_IMAGE=$NODE_IMAGE \
	    STUNNELD_IMAGE=$PM_IMAGE \
	    /usr/bin/python3 "$top_srcdir/tests/container/podman-compose-compat.py" \
	    -p "$PROJ" -f compose.yaml "$@")
}
CLEANUP_HOOK='for n in $NODES; do pm_logs ${PROJ}_${n}_1; pm_logs ${PROJ}_stunneld-${n}_1; done
	for n in $NODES; do pm rm -f -t 0 ${PROJ}_stunneld-${n}_1 >/dev/null 2>&1; done
	for n in $NODES; do pm rm -f -t 0 ${PROJ}_${n}_1 >/dev/null 2>&1; done
	pm_network_rm $NET $BR
	pm volume prune -f >/dev/null 2>&1'

ip_of() {
	case $1 in
	alpha)	echo "$PREFIX.11" ;;
	beta)	echo "$PREFIX.12" ;;
	gamma)	echo "$PREFIX.13" ;;
	esac
}

# --- 1. images ------------------------------------------------------------------
FAULT="1 images"
pm_base
pm_build_image
mkdir -p "$T/node-ctx/bin" &&
cp "$top_srcdir/etc/examples/compose/node/Containerfile" \
    "$top_srcdir/etc/examples/compose/node/multichain-node.sh" "$T/node-ctx/" &&
cp "$MCB/multichaind" "$MCB/multichain-cli" "$MCB/multichain-util" \
    "$T/node-ctx/bin/" || die "$FAULT: cannot make the node's build context"
pm build --network host --build-arg BASE_IMAGE="$PM_SLIM" -t "$NODE_IMAGE" \
    "$T/node-ctx" >"$T/node-build.log" 2>&1 ||
    die "$FAULT: node image: $(tail -5 "$T/node-build.log")"
pm run --rm --network none --entrypoint /bin/sh "$NODE_IMAGE" -c \
    'ldd /usr/local/bin/multichaind /usr/local/bin/multichain-cli | grep "not found"; exit 0' \
    >"$T/node-ldd.log" 2>&1
[ ! -s "$T/node-ldd.log" ] || die "$FAULT: node image lacks libraries: $(cat "$T/node-ldd.log")"
pm run --rm --network none --entrypoint /bin/sh "$PM_IMAGE" -c \
    'command -v multichaind' >/dev/null 2>&1 &&
    fail "$FAULT: multichaind is in stunneld's image"
ok "$FAULT: $PM_IMAGE and $NODE_IMAGE (MultiChain from $MCB)"

# --- 2. the example's certificates, as its README says ---------------------------
FAULT="2 pki"
mkdir -p "$EX" &&
cp "$top_srcdir/etc/examples/compose/compose.yaml" "$EX/" || die "$FAULT: copy"
(
	cd "$EX" || exit 1
	mkdir -p chain pki &&
	"$STUNNELCTL" cert ca -d pki/ca --cn "compose example CA" &&
	for n in $NODES; do
		"$STUNNELCTL" cert issue "$n" -d pki/ca --ip "$(ip_of "$n")" \
		    --out "pki/$n" && cp pki/ca/ca.crt "pki/$n/" || exit 1
	done &&
	chown -R 7447:7447 pki/alpha pki/beta pki/gamma
) >"$T/pki.log" 2>&1 || die "$FAULT: $(tail -3 "$T/pki.log")"
ok "$FAULT: CA and alpha, beta, gamma with IPs $(ip_of alpha), $(ip_of beta), $(ip_of gamma)"

# --- 3. up ------------------------------------------------------------------------
FAULT="3 up"
# The network first, with a bridge name of this test's own (pm_network);
# compose finds it there and uses it.
pm_network "$NET" "$PREFIX.0/24" "$BR"
compose up -d >"$T/compose-up.log" 2>&1 ||
    die "$FAULT: podman-compose up: $(tail -5 "$T/compose-up.log")"
for n in $NODES; do
	s=$(pm_state "${PROJ}_stunneld-${n}_1")
	[ "${s%% *}" = running ] || die "$FAULT: stunneld-$n is '$s': $(pm logs "${PROJ}_stunneld-${n}_1" 2>&1 | tail -5)"
	[ "$(pm_pid "${PROJ}_stunneld-${n}_1" | xargs -I{} readlink /proc/{}/ns/net)" = \
	    "$(pm_pid "${PROJ}_${n}_1" | xargs -I{} readlink /proc/{}/ns/net)" ] ||
	    fail "$FAULT: stunneld-$n is not in $n's network namespace"
done
ok "$FAULT: podman-compose up: 3 nodes, 3 sidecars, each in its node's network namespace"

# mc NODE ARG...: multichain-cli inside NODE's container.
mc() {
	_n=$1
	shift
	pm exec "${PROJ}_${_n}_1" multichain-cli compose -datadir=/data \
	    -rpcport=7446 "$@" 2>/dev/null
}
# peers NODE: the nodes NODE has a link with.  The chain lets anyone
# connect (no address handshake to go by), so a peer is known by its
# address: ADDR:7447 when NODE dialled it, 127.B.C.D:PORT when it came in
# through NODE's tls tunnel (loopback_per_peer: 10.202.7.12 comes from
# 127.202.7.12).
peers() {
	_a=$(mc "$1" getpeerinfo | sed -n 's/.*"addr" : "\([0-9.]*\):.*/\1/p')
	for _o in $NODES; do
		_ip=$(ip_of "$_o")
		echo "$_a" | grep -qx -e "$_ip" -e "127.${_ip#*.}" && echo "$_o"
	done
}
# mesh_up: every node has a link with both others.
mesh_up() {
	for _n in $NODES; do
		[ "$(peers "$_n" | grep -vx "$_n" | wc -l)" -eq 2 ] || return 1
	done
}
# in_sync MIN: the three have the same best block, at height >= MIN.
in_sync() {
	_h=""
	for _n in $NODES; do
		_c=$(mc "$_n" getblockcount)
		[ -n "$_c" ] && [ "$_c" -ge "$1" ] || return 1
		_b=$(mc "$_n" getbestblockhash)
		[ -n "$_b" ] || return 1
		[ -z "$_h" ] || [ "$_h" = "$_b" ] || return 1
		_h=$_b
	done
	SYNC_HEIGHT=$_c
}
# rpc_up: every node answers.
rpc_up() {
	for _n in $NODES; do
		[ -n "$(mc "$_n" getblockcount)" ] || return 1
	done
}

# --- 4. peers and blocks ------------------------------------------------------------
FAULT="4 chain"
t0=$(date +%s)
# Every wait here is bounded by WAIT_TENTHS polls, each a few RPC calls.
wait_until "a node's RPC does not answer" rpc_up || die "$FAULT: rpc"
wait_until "the three nodes do not all list each other as peers" mesh_up ||
    die "$FAULT: peers: alpha [$(peers alpha | tr '\n' ' ')] beta [$(peers beta | tr '\n' ' ')] gamma [$(peers gamma | tr '\n' ' ')]"
ok "$FAULT: every node lists the other two as peers ($(( $(date +%s) - t0 ))s after up)"
wait_until "the nodes do not agree on a best block at height 3 or more" \
    "in_sync 3" || die "$FAULT: blocks: $(for n in $NODES; do printf '%s %s ' $n "$(mc $n getblockcount)"; done)"
ok "$FAULT: the three agree on the best block at height $SYNC_HEIGHT"

# --- 5. through stunneld -------------------------------------------------------------
FAULT="5 stunneld"
cstat() {
	pm exec "${PROJ}_stunneld-$1_1" stunnelctl --json status "$2" 2>/dev/null |
	    sed -n "s/.*\"$3\": *\([0-9a-z]*\).*/\1/p"
}
for n in $NODES; do
	o=$(cstat "$n" p2p_out connections_active)
	i=$(cstat "$n" p2p_in connections_active)
	[ $(( ${o:-0} + ${i:-0} )) -ge 2 ] ||
	    fail "$FAULT: $n: ${o:-?} links out, ${i:-?} in through its sidecar, wanted 2 in all"
	out=$(pm exec "${PROJ}_stunneld-${n}_1" stunnelctl check 2>&1) ||
	    fail "$FAULT: stunnelctl check in stunneld-$n: $out"
	note "$FAULT: $n: $o out (p2p_out), $i in (p2p_in); check: $out"
done
# Nothing reaches multichaind but through the sidecar: it listens on
# loopback only.
for n in $NODES; do
	in_net "${PROJ}_${n}_1" ss -Hltn 'sport = :7447' >"$T/ss-$n.log" 2>&1
	grep -q "127.0.0.1:7447" "$T/ss-$n.log" && grep -q "$(ip_of "$n"):7447" "$T/ss-$n.log" &&
	    [ "$(wc -l <"$T/ss-$n.log")" -eq 2 ] ||
	    fail "$FAULT: $n listens on 7447 at: $(tr '\n' ' ' <"$T/ss-$n.log")"
done
ok "$FAULT: each node's two links go through its sidecar; multichaind on 127.0.0.1:7447 only, the tls tunnel on the node's address"

# --- 6. down -----------------------------------------------------------------------------
FAULT="6 down"
# Sidecars first, then the nodes (multichaind takes 3 to 5 s).
compose stop >"$T/compose-stop.log" 2>&1 ||
    fail "$FAULT: podman-compose stop: $(tail -3 "$T/compose-stop.log")"
for n in $NODES; do
	for c in "${PROJ}_stunneld-${n}_1" "${PROJ}_${n}_1"; do
		s=$(pm_state "$c")
		[ "$s" = "exited 0" ] || fail "$FAULT: $c: '$s' after stop, wanted 'exited 0'"
	done
	pm logs "${PROJ}_stunneld-${n}_1" 2>&1 | grep -q 'stopped$' ||
	    fail "$FAULT: stunneld-$n logged no 'stopped'"
done
for n in $NODES; do
	pm_logs "${PROJ}_${n}_1"
	pm_logs "${PROJ}_stunneld-${n}_1"
done
compose down >"$T/compose-down.log" 2>&1 ||
    fail "$FAULT: podman-compose down: $(tail -3 "$T/compose-down.log")"
ok "$FAULT: podman-compose stop: every container exited 0; down"

done_test
