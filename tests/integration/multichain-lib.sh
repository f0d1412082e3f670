# multichain-lib.sh: real MultiChain nodes in network namespaces, for
# tests/integration/multichain-chain.sh and the multichain section of
# bench/run.sh, or side by side on this machine's loopback, for
# 98-multichain-walkthrough.sh.  Sourced; it starts nothing.  The caller
# sets:
#
#	MCB	the directory of multichaind, multichain-cli, multichain-util
#	MC_DIR	a work directory: datadirs mc-NODE (unless the caller
#		redefines mc_datadir), logs mcd-NODE.log, maddr-NODE
#	MC_NS	the prefix of the namespaces: MC_NS-NODE, bridge MC_NS-br;
#		empty: no namespaces, every node runs here
#	CHAIN	the chain's name
#	NODES	the nodes of the mesh (for mesh_up)
#
# and defines mc_complain MSG (how a problem that need not stop the
# caller is reported).  Nodes are alpha, beta, gamma and delta, at
# 10.79.0.1 to .4 on a bridge, P2P port 7447, RPC 7451 to 7454.

MC_BR=$MC_NS-br
ns() { echo "$MC_NS-$1"; }
# mc_in NODE CMD...: CMD in NODE's namespace (here without MC_NS).
mc_in() {
	_mi_n=$1
	shift
	if [ -n "$MC_NS" ]; then
		ip netns exec "$(ns "$_mi_n")" "$@"
	else
		"$@"
	fi
}
# mc_datadir NODE: NODE's MultiChain directory.
mc_datadir() { echo "$MC_DIR/mc-$1"; }
ip_of() {
	case $1 in
	alpha)	echo 10.79.0.1 ;;
	beta)	echo 10.79.0.2 ;;
	gamma)	echo 10.79.0.3 ;;
	delta)	echo 10.79.0.4 ;;
	esac
}
rpc_of() {
	case $1 in
	alpha)	echo 7451 ;;
	beta)	echo 7452 ;;
	gamma)	echo 7453 ;;
	delta)	echo 7454 ;;
	esac
}
now_ms() { date +%s%3N; }
ms_s() { printf '%d.%03ds' $(( $1 / 1000 )) $(( $1 % 1000 )); }

# mc_missing: why real MultiChain nodes cannot run here (the binaries,
# their libraries, root for the namespaces); prints nothing if they can.
mc_missing() {
	for _b in multichaind multichain-cli multichain-util; do
		if [ ! -x "$MCB/$_b" ]; then
			echo "no MultiChain binaries: $MCB/$_b missing (set MULTICHAIN_BIN)"
			return
		fi
	done
	for _c in ldd ${MC_NS:+ip}; do
		command -v "$_c" >/dev/null 2>&1 || { echo "$_c not installed"; return; }
	done
	_m=$(ldd "$MCB/multichaind" "$MCB/multichain-cli" "$MCB/multichain-util" 2>&1 |
	    awk '/not found/ { print $1 }' | sort -u | tr '\n' ' ')
	[ -z "$_m" ] || { echo "MultiChain runtime libraries missing: $_m"; return; }
	[ -z "$MC_NS" ] || [ "$(id -u)" -eq 0 ] || echo "needs root for ip netns"
}

# mc_net_up NODE...: the bridge namespace and one namespace per NODE, its
# eth0 on the bridge with the node's address.  Returns 2 if namespaces,
# bridges or veth pairs cannot be made here, 1 on another failure; MC_WHY
# says what.
mc_net_up() {
	MC_WHY=""
	ip netns add "$MC_BR" 2>/dev/null ||
	    { MC_WHY="cannot create a network namespace"; return 2; }
	ip -n "$MC_BR" link set lo up || { MC_WHY="lo up in $MC_BR"; return 1; }
	ip -n "$MC_BR" link add br0 type bridge ||
	    { MC_WHY="cannot make a bridge"; return 2; }
	ip -n "$MC_BR" link set br0 up || { MC_WHY="bridge up"; return 1; }
	for _n in "$@"; do
		ip netns add "$(ns "$_n")" ||
		    { MC_WHY="cannot create namespace $(ns "$_n")"; return 1; }
		ip -n "$(ns "$_n")" link set lo up || { MC_WHY="lo up in $_n"; return 1; }
		ip -n "$MC_BR" link add "v-$_n" type veth peer name "x-$_n" ||
		    { MC_WHY="cannot make a veth pair"; return 2; }
		ip -n "$MC_BR" link set "x-$_n" netns "$(ns "$_n")" &&
		ip -n "$MC_BR" link set "v-$_n" master br0 up &&
		ip -n "$(ns "$_n")" link set "x-$_n" name eth0 &&
		ip -n "$(ns "$_n")" addr add "$(ip_of "$_n")/24" dev eth0 &&
		ip -n "$(ns "$_n")" link set eth0 up ||
		    { MC_WHY="cannot put $_n on the bridge"; return 1; }
	done
}

# mc_net_down NODE...: delete the namespaces of mc_net_up.
mc_net_down() {
	for _n in "$@"; do
		ip netns delete "$(ns "$_n")" 2>/dev/null
	done
	ip netns delete "$MC_BR" 2>/dev/null
}

# mc_tunnels NODE: the tunnels block of NODE's stunneld.conf, as the
# MultiChain example has it: socks 127.0.0.1:1080, tls ADDR:7447 to
# multichaind on 127.0.0.1:7447, no routes.
mc_tunnels() {
	cat <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:1080"; };
	p2p_in = { mode = "tls"; listen = "$(ip_of "$1"):7447"; connect = "127.0.0.1:7447"; };
};
EOF
}

# mc NODE CMD...: multichain-cli on NODE; the result on stdout.
mc() {
	_n=$1
	shift
	mc_in "$_n" "$MCB/multichain-cli" "$CHAIN" \
	    -datadir="$(mc_datadir "$_n")" -rpcport="$(rpc_of "$_n")" "$@" 2>/dev/null
}

# mc_start NODE ARG...: multichaind on NODE (it detaches; its pid is in
# DATADIR/CHAIN/multichain.pid), output appended to $MC_DIR/mcd-NODE.log.
mc_start() {
	_n=$1
	shift
	echo "--- $(date +%T) multichaind $*" >>"$MC_DIR/mcd-$_n.log"
	mc_in "$_n" "$MCB/multichaind" "$CHAIN" \
	    -datadir="$(mc_datadir "$_n")" -rpcport="$(rpc_of "$_n")" -daemon "$@" \
	    >>"$MC_DIR/mcd-$_n.log" 2>&1
}

# mc_tunneled NODE ARG...: multichaind behind NODE's stunneld, with the
# flags of the MultiChain example.
mc_tunneled() {
	_n=$1
	shift
	mc_start "$_n" -proxy=127.0.0.1:1080 -bind=127.0.0.1 -listen=1 \
	    -externalip="$(ip_of "$_n")" -port=7447 "$@"
}

# mc_plain NODE ARG...: multichaind on NODE's bridge address, no stunneld,
# port MC_PLAIN_PORT (7447; another while NODE's stunneld listens there).
mc_plain() {
	_n=$1
	shift
	mc_start "$_n" -bind="$(ip_of "$_n")" -listen=1 \
	    -port="${MC_PLAIN_PORT:-7447}" "$@"
}

# mc_stop NODE: SIGTERM to NODE's multichaind and wait (60 s) for it.
mc_stop() {
	_f=$(mc_datadir "$1")/$CHAIN/multichain.pid
	_p=$(cat "$_f" 2>/dev/null) || return 0
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null || return 0
	for _ in $(seq 1 300); do
		kill -0 "$_p" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$_p" 2>/dev/null
	mc_complain "multichaind on $1 (pid $_p) did not stop within 60s"
	return 1
}

# poll BOUND_S FUNC ARG...: call FUNC until it succeeds, every POLL_STEP
# seconds (0.5), at most BOUND_S seconds.  POLL_MS: how long it took.
poll() {
	_bound=$1
	shift
	_t0=$(now_ms)
	_end=$(( _t0 + _bound * 1000 ))
	while :; do
		if "$@"; then
			POLL_MS=$(( $(now_ms) - _t0 ))
			return 0
		fi
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep "${POLL_STEP:-0.5}"
	done
	POLL_MS=$(( $(now_ms) - _t0 ))
	return 1
}

# peers NODE: the MultiChain addresses NODE has a handshake with.
peers() {
	mc "$1" getpeerinfo | sed -n 's/.*"handshake" : "\([^"]*\)".*/\1/p' | sort -u
}
npeers() {
	mc "$1" getpeerinfo | grep -c '"id" :'
}
count() { mc "$1" getblockcount; }
best() { mc "$1" getbestblockhash; }
# in_sync MIN NODE...: every NODE has the same best block, at height >= MIN.
in_sync() {
	_min=$1
	shift
	_h=""
	for _n in "$@"; do
		_c=$(count "$_n")
		[ -n "$_c" ] && [ "$_c" -ge "$_min" ] || return 1
		_b=$(best "$_n")
		[ -n "$_b" ] || return 1
		[ -z "$_h" ] || [ "$_h" = "$_b" ] || return 1
		_h=$_b
	done
}
rpc_ready() { [ -n "$(count "$1")" ]; }
# first_address NODE: the node's own address (the first in its wallet).
first_address() {
	mc "$1" getaddresses | sed -n 's/^ *"\([1-9A-HJ-NP-Za-km-z]\{25,\}\)".*/\1/p' | head -1
}

# maddr NODE: NODE's address as the caller noted it in MC_DIR/maddr-NODE.
maddr() { cat "$MC_DIR/maddr-$1"; }
# lists NODE OTHER...: NODE has a handshake with every OTHER.
lists() {
	_n=$1
	shift
	_p=$(peers "$_n")
	for _o in "$@"; do
		echo "$_p" | grep -qx "$(maddr "$_o")" || return 1
	done
	return 0
}
# lists_none NODE OTHER...: NODE has a handshake with no OTHER.
lists_none() {
	_n=$1
	shift
	_p=$(peers "$_n")
	for _o in "$@"; do
		echo "$_p" | grep -qx "$(maddr "$_o")" && return 1
	done
	return 0
}
# mesh_up: every node of NODES lists every other.
mesh_up() {
	for _n in $NODES; do
		lists "$_n" $(echo $NODES | tr ' ' '\n' | grep -vx "$_n") || return 1
	done
}
