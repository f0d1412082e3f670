#!/bin/sh
# multichaind for node gamma, behind this node's stunneld (see ../README.md).
# Documentation: the tests stand in for multichaind, they do not run this.
#
#   -proxy=127.0.0.1:1083     outgoing peer connections enter tunnel p2p_out
#   -listen=1 -bind=127.0.0.1 -port=7443
#                            listen on loopback only; tunnel p2p_in
#                            (127.0.1.3:7443) passes authenticated peers on
#   -externalip=127.0.1.3     advertise 127.0.1.3:7443, which is tunnel p2p_in
#   -rpcport, -datadir       only because three nodes share one machine
#
# CHAIN is the chain's name ("mcdemo" unless set), DATADIR this node's
# MultiChain directory.
: "${CHAIN:=mcdemo}"
: "${DATADIR:=$HOME/.multichain-gamma}"
mkdir -p "$DATADIR" || exit 1
exec multichaind "$CHAIN@127.0.1.1:7441" -datadir="$DATADIR" -rpcport=7453 \
    -proxy=127.0.0.1:1083 -listen=1 -bind=127.0.0.1 -port=7443 -externalip=127.0.1.3
