#!/bin/sh
# multichaind for node gamma, behind this node's stunneld (see ../README.md).
# Arguments are passed on to multichaind (-daemon: in the background); the
# walk-through test runs it so.
#
#   -proxy=127.0.0.1:1083     outgoing peer connections enter tunnel p2p_out
#   -listen=1 -bind=127.0.0.1 -port=7443
#                            listen on loopback only (-proxy alone would turn
#                            listening off); tunnel p2p_in (127.0.1.3:7443)
#                            passes authenticated peers on
#   -externalip=127.0.1.3     advertise 127.0.1.3:7443, which is tunnel p2p_in
#   -addnode=127.0.1.1:7441 -addnode=127.0.1.2:7442
#                            every other member: the mesh comes up at once
#   -rpcport, -datadir       only because three nodes share one machine
#
# CHAIN is the chain's name ("mcdemo" unless set), DATADIR this node's
# MultiChain directory.  The node joins with the chain's params.dat copied
# from a member into DATADIR/CHAIN (README step 3), never with CHAIN@SEED:
# that first contact would ignore -proxy and go out in plain TCP.
: "${CHAIN:=mcdemo}"
: "${DATADIR:=$HOME/.multichain-gamma}"
if [ ! -f "$DATADIR/$CHAIN/params.dat" ]; then
	echo "$0: no $DATADIR/$CHAIN/params.dat: copy it from a member first" >&2
	exit 1
fi
exec multichaind "$CHAIN" -datadir="$DATADIR" -rpcport=7453 \
    -proxy=127.0.0.1:1083 -listen=1 -bind=127.0.0.1 -port=7443 -externalip=127.0.1.3 \
    -addnode=127.0.1.1:7441 -addnode=127.0.1.2:7442 "$@"
