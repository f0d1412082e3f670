#!/bin/sh
# multichaind for node alpha, behind this node's stunneld (see ../README.md).
# Documentation: the tests stand in for multichaind, they do not run this.
#
#   -proxy=127.0.0.1:1081     outgoing peer connections enter tunnel p2p_out
#   -listen=1 -bind=127.0.0.1 -port=7441
#                            listen on loopback only; tunnel p2p_in
#                            (127.0.1.1:7441) passes authenticated peers on
#   -externalip=127.0.1.1     advertise 127.0.1.1:7441, which is tunnel p2p_in
#   -rpcport, -datadir       only because three nodes share one machine
#
# CHAIN is the chain's name ("mcdemo" unless set), DATADIR this node's
# MultiChain directory.
: "${CHAIN:=mcdemo}"
: "${DATADIR:=$HOME/.multichain-alpha}"
mkdir -p "$DATADIR" || exit 1
exec multichaind "$CHAIN" -datadir="$DATADIR" -rpcport=7451 \
    -proxy=127.0.0.1:1081 -listen=1 -bind=127.0.0.1 -port=7441 -externalip=127.0.1.1
