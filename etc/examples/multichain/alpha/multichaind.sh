#!/bin/sh
# multichaind for node alpha, behind this node's stunneld (see ../README.md).
# Arguments are passed on to multichaind (-daemon: in the background); the
# walk-through test runs it so.
#
#   -proxy=127.0.0.1:1081     outgoing peer connections enter tunnel p2p_out
#   -listen=1 -bind=127.0.0.1 -port=7441
#                            listen on loopback only (-proxy alone would turn
#                            listening off); tunnel p2p_in (127.0.1.1:7441)
#                            passes authenticated peers on
#   -externalip=127.0.1.1     advertise 127.0.1.1:7441, which is tunnel p2p_in
#   -addnode=127.0.1.2:7442 -addnode=127.0.1.3:7443
#                            every other member: the mesh comes up at once
#   -rpcport, -datadir       only because three nodes share one machine
#
# CHAIN is the chain's name ("mcdemo" unless set), DATADIR this node's
# MultiChain directory.  alpha created the chain (multichain-util create,
# README step 3).
: "${CHAIN:=mcdemo}"
: "${DATADIR:=$HOME/.multichain-alpha}"
mkdir -p "$DATADIR" || exit 1
exec multichaind "$CHAIN" -datadir="$DATADIR" -rpcport=7451 \
    -proxy=127.0.0.1:1081 -listen=1 -bind=127.0.0.1 -port=7441 -externalip=127.0.1.1 \
    -addnode=127.0.1.2:7442 -addnode=127.0.1.3:7443 "$@"
