#!/bin/sh
# multichain-node: multichaind behind its stunneld sidecar, for the compose
# example (README.md).  The sidecar shares this container's network
# namespace: its socks tunnel is 127.0.0.1:1080 here, its tls tunnel is
# NODE_ADDR:7447, in front of multichaind on 127.0.0.1:7447.
#
#	CHAIN		the chain's name (default: compose)
#	NODE_ADDR	the node's address, advertised to its peers (-externalip)
#	PEERS		the other members' ADDRESS:PORT, comma-separated (-addnode)
#	CREATE		"yes" on the node that creates the chain
#	PARAMS_DIR	where the creator puts the chain's params.dat and the
#			others take it from (default: /chain)
#
# The flags for stunneld: -proxy=127.0.0.1:1080 (every outgoing peer
# connection through the socks tunnel), -listen=1 (-proxy alone turns
# listening off), -bind=127.0.0.1 (only the tls tunnel reaches
# multichaind), -externalip=NODE_ADDR -port=7447 (what it advertises: the
# tls tunnel).  A joining node takes params.dat and asks no seed: the seed
# query would ignore -proxy and go out in plain TCP.
set -eu

: "${CHAIN:=compose}"
: "${PARAMS_DIR:=/chain}"
: "${NODE_ADDR:?the address this node advertises}"
DATADIR=/data
say() { printf 'multichain-node: %s\n' "$*" >&2; }

# Its sidecar's socks tunnel first: a peer multichaind fails to reach
# through it now is tried again only two minutes later.  (LISTEN on
# 127.0.0.1:1080 in this namespace's /proc/net/tcp: no tool needed.)
n=0
until grep -q ' 0100007F:0438 00000000:0000 0A ' /proc/net/tcp; do
	[ "$n" -eq 0 ] && say "waiting for the stunneld sidecar on 127.0.0.1:1080"
	n=$((n + 1))
	[ "$n" -le 3000 ] || { say "no stunneld on 127.0.0.1:1080 after 300 s"; exit 1; }
	sleep 0.1
done

set -- -datadir="$DATADIR" -rpcport=7446 -port=7447 \
    -proxy=127.0.0.1:1080 -listen=1 -bind=127.0.0.1 -externalip="$NODE_ADDR"
for p in $(printf '%s' "${PEERS:-}" | tr ',' ' '); do
	set -- "$@" -addnode="$p"
done

if [ "${CREATE:-no}" = yes ]; then
	if [ ! -f "$DATADIR/$CHAIN/params.dat" ]; then
		# Every member may connect: who reaches the node at all is
		# decided by stunneld's certificates and allow-lists.  With
		# MultiChain's default, grant each new node "connect" instead
		# (etc/examples/multichain/README.md, step 3).
		multichain-util create "$CHAIN" -datadir="$DATADIR" \
		    -default-network-port=7447 -default-rpc-port=7446 \
		    -anyone-can-connect=true -target-block-time=5 \
		    -mine-empty-rounds=-1 >&2
	fi
	multichaind "$CHAIN" "$@" &
	pid=$!
	trap 'kill -TERM $pid 2>/dev/null' TERM INT
	# The first run completes params.dat with the genesis block; from
	# then on it is the chain's, and the other nodes may have it.
	n=0
	until grep -q '^genesis-hash = [0-9a-f]' "$DATADIR/$CHAIN/params.dat" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -le 1200 ] || { say "no genesis block after 120 s"; exit 1; }
		kill -0 "$pid" 2>/dev/null || { say "multichaind exited"; exit 1; }
		sleep 0.1
	done
	cp "$DATADIR/$CHAIN/params.dat" "$PARAMS_DIR/params.dat.new" &&
	    mv -f "$PARAMS_DIR/params.dat.new" "$PARAMS_DIR/params.dat"
	say "params.dat of $CHAIN is in $PARAMS_DIR"
	# wait returns early on a trapped signal: wait again for the exit
	st=0
	wait "$pid" || st=$?
	while kill -0 "$pid" 2>/dev/null; do
		st=0
		wait "$pid" || st=$?
	done
	exit "$st"
fi

if [ ! -f "$DATADIR/$CHAIN/params.dat" ]; then
	say "waiting for $PARAMS_DIR/params.dat (from the node that creates $CHAIN)"
	n=0
	until [ -f "$PARAMS_DIR/params.dat" ]; do
		n=$((n + 1))
		[ "$n" -le 3000 ] || { say "no params.dat after 300 s"; exit 1; }
		sleep 0.1
	done
	mkdir -p "$DATADIR/$CHAIN"
	cp "$PARAMS_DIR/params.dat" "$DATADIR/$CHAIN/params.dat"
fi
exec multichaind "$CHAIN" "$@"
