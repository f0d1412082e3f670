# bench/multichain.sh: the MultiChain figures of bench/run.sh, which
# sources it (after its own helpers: start, stop, say, add, pki_cert).
# Real multichaind 2.3.3, two nodes in network namespaces on a bridge
# (tests/integration/multichain-lib.sh), each run twice: directly (plain
# TCP between the nodes' bridge addresses) and behind its stunneld, as the
# MultiChain example sets them up.  bench/README.md describes the figures.
#
# mc_bench runs them, or sets MC_SKIP to the reason it cannot (no
# binaries, no root); mc_table prints them.

MCB=${MULTICHAIN_BIN:-$top_srcdir/../shared/multichain/bin}
MC_DIR=$W/mc
MC_NS=stunneld-bench-$$
CHAIN=stunneldbench
. "$top_srcdir/tests/integration/multichain-lib.sh"
mc_complain() { say "multichain: $*"; }
MC_PLAIN_PORT=7446	# direct: beside the tls tunnel's 7447
MC_SKIP=""
MC_SETUP_FAILED=0
MC_H=0
MC_ITEMS=0
MC_UP=0
MC_ALPHA=""		# the path alpha's multichaind runs for now
MC_ITEM=4096		# bytes of each stream item published while mining

# mc_cleanup: for run.sh's exit trap.
mc_cleanup() {
	[ "$MC_UP" = 1 ] || return 0
	mc_stop alpha
	mc_stop beta
	mc_net_down alpha beta
}

# mc_run NODE PATH ARG...: NODE's multichaind for PATH (direct: on its
# bridge address; stunneld: behind its stunneld), blocks noted in
# $MC_DIR/notify-NODE.
mc_run() {
	_n=$1 _path=$2
	shift 2
	_nf="-blocknotify=$MC_DIR/notify.sh $MC_DIR/notify-$_n %s"
	case $_path in
	direct)		mc_plain "$_n" "$_nf" "$@" ;;
	stunneld)	mc_tunneled "$_n" "$_nf" "$@" ;;
	esac
}

# mc_alpha PATH: alpha's multichaind for PATH, not mining (-gen=0; the
# propagation figure turns mining on by RPC), restarted if it ran for the
# other path.
mc_alpha() {
	[ "$MC_ALPHA" = "$1" ] && return 0
	mc_stop alpha
	MC_ALPHA=""
	mc_run alpha "$1" -gen=0 || return 1
	poll 60 rpc_ready alpha || return 1
	MC_ALPHA=$1
}

# mc_beta PATH: beta's multichaind for PATH, with alpha to dial.
mc_beta() {
	case $1 in
	direct)		mc_run beta "$1" -addnode="$(ip_of alpha):$MC_PLAIN_PORT" ;;
	stunneld)	mc_run beta "$1" -addnode="$(ip_of alpha):7447" ;;
	esac
}

# notified FILE: the time (s, with ns) of the latest line in FILE.
notified() {
	awk '$1 > m { m = $1 } END { if (NR) printf "%.3f", m }' "$1" 2>/dev/null
}

# mc_setup: namespaces, certificates, both stunnelds, the chain on alpha
# with MC_N blocks, beta's first run (its wallet, kept as a template) and
# its connect permission.
mc_setup() {
	mkdir -p "$MC_DIR" || return 1
	MC_UP=1
	mc_net_up alpha beta
	case $? in
	0)	;;
	2)	MC_SKIP=$MC_WHY; return 1 ;;
	*)	say "multichain: $MC_WHY"; return 1 ;;
	esac
	for n in alpha beta; do
		pki_cert "mc-$n" "$(( $(rpc_of $n) - 7400 ))" "ip_address = \"$(ip_of $n)\""
		cat >"$W/mc-$n.conf" <<EOF
control_socket = "$W/mc-$n.sock";
pid_file = "$W/mc-$n.pid";
log_level = "error";
shutdown_timeout = 1;
tls = {
	cert = "$W/mc-$n.crt";
	key = "$W/mc-$n.key";
	ca = "$W/ca.crt";
};
EOF
		mc_tunnels "$n" >>"$W/mc-$n.conf"
		"$STUNNELD" -t -c "$W/mc-$n.conf" >"$W/check-mc-$n.log" 2>&1 ||
		    { say "multichain: mc-$n.conf: $(cat "$W/check-mc-$n.log")"; return 1; }
		start "mcsd_$n" ip netns exec "$(ns $n)" "$STUNNELD" -f -c "$W/mc-$n.conf"
	done
	mc_listens() {
		[ -n "$(ip netns exec "$(ns "$1")" ss -Hltn "src 127.0.0.1:1080")" ] &&
		[ -n "$(ip netns exec "$(ns "$1")" ss -Hltn "src $(ip_of "$1"):7447")" ]
	}
	for n in alpha beta; do
		poll 30 mc_listens $n ||
		    { say "multichain: stunneld on $n did not start: $(tail -3 "$W/mcsd_$n.log")"; return 1; }
	done
	printf '#!/bin/sh\necho "$(date +%%s.%%N) $2" >>"$1"\n' >"$MC_DIR/notify.sh" &&
	    chmod +x "$MC_DIR/notify.sh" || return 1

	mkdir -p "$MC_DIR/mc-alpha" || return 1
	ip netns exec "$(ns alpha)" "$MCB/multichain-util" create "$CHAIN" \
	    -datadir="$MC_DIR/mc-alpha" -default-network-port=7447 \
	    -default-rpc-port="$(rpc_of alpha)" -target-block-time=2 \
	    -mine-empty-rounds=-1 >"$MC_DIR/mcutil.log" 2>&1 ||
	    { say "multichain: multichain-util create: $(tail -3 "$MC_DIR/mcutil.log")"; return 1; }
	mc_plain alpha && poll 60 rpc_ready alpha ||
	    { say "multichain: alpha does not start: $(tail -3 "$MC_DIR/mcd-alpha.log")"; return 1; }
	mkdir -p "$MC_DIR/mc-beta/$CHAIN" &&
	    cp "$MC_DIR/mc-alpha/$CHAIN/params.dat" "$MC_DIR/mc-beta/$CHAIN/" || return 1
	mc_plain beta && poll 60 rpc_ready beta ||
	    { say "multichain: beta does not start: $(tail -3 "$MC_DIR/mcd-beta.log")"; return 1; }
	a=$(first_address beta)
	mc_stop beta
	[ -n "$a" ] && [ -n "$(mc alpha grant "$a" connect)" ] ||
	    { say "multichain: no connect permission for beta ('$a')"; return 1; }
	cp -a "$MC_DIR/mc-beta" "$MC_DIR/mc-beta.template" || return 1
	: >"$MC_DIR/notify-alpha"

	# The blocks carry stream items, MC_ITEM bytes each, a few per block,
	# so that a sync moves data and not only headers.
	[ -n "$(mc alpha create stream bench true)" ] ||
	    { say "multichain: cannot create a stream on alpha"; return 1; }
	hex=$(head -c "$MC_ITEM" /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	say "multichain: mining $MC_N blocks on alpha (one per 2 s)"
	end=$(( $(now_ms) + (MC_N * 5 + 120) * 1000 ))
	below() {
		_c=$(count alpha)
		[ -z "$_c" ] || [ "$_c" -lt "$MC_N" ]
	}
	i=0
	while below; do
		[ "$(now_ms)" -lt "$end" ] ||
		    { say "multichain: alpha has $(count alpha) blocks after $((MC_N * 5 + 120)) s"; return 1; }
		i=$((i + 1))
		mc alpha publish bench "k$i" "$hex" >/dev/null
		sleep 0.5
	done
	mempool_empty() {
		mc alpha getmempoolinfo | grep -q '"size" : 0'
	}
	poll 60 mempool_empty ||
	    { say "multichain: alpha's mempool does not empty"; return 1; }
	MC_H=$(count alpha)
	MC_ITEMS=$i
	mc_stop alpha
	say "multichain: alpha has $MC_H blocks, $MC_ITEMS stream items of $MC_ITEM bytes"
}

# mc_sync PATH: one repetition of the sync figure: beta from its
# template (genesis block only) syncs alpha's MC_H blocks over PATH.
mc_sync() {
	path=$1
	if ! mc_alpha "$path"; then
		say "multichain: alpha does not start for $path"
		add mcsync "$path" FAIL; add mcxfer "$path" FAIL
		return 1
	fi
	rm -rf "$MC_DIR/mc-beta" "$MC_DIR/notify-beta"
	cp -a "$MC_DIR/mc-beta.template" "$MC_DIR/mc-beta" || return 1
	: >"$MC_DIR/notify-beta"
	t0=$(now_ms)
	mc_beta "$path"
	synced() { [ "$(count beta)" = "$MC_H" ]; }
	if POLL_STEP=0.05 poll 300 synced && in_sync "$MC_H" alpha beta; then
		# The last block's note, if it came, is the end; else the poll.
		t1=$(now_ms)
		noted() { [ "$(wc -l <"$MC_DIR/notify-beta")" -ge "$MC_H" ]; }
		POLL_STEP=0.05 poll 5 noted && t1=$(notified "$MC_DIR/notify-beta" | tr -d .)
		first=$(awk 'NR == 1 || $1 < m { m = $1 } END { if (NR) printf "%.3f", m }' \
		    "$MC_DIR/notify-beta" | tr -d .)
		v=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
		x=FAIL
		[ -z "$first" ] ||
		    x=$(awk -v a="$t1" -v b="$first" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
		add mcsync "$path" "$v"; add mcxfer "$path" "$x"
		say "  sync $MC_H blocks $path: ${v} s from start, ${x} s from the first block"
	else
		say "multichain: beta ($(count beta)) did not sync alpha's $MC_H blocks over $path in 300 s"
		add mcsync "$path" FAIL; add mcxfer "$path" FAIL
	fi
	mc_stop beta
}

# mc_prop PATH: one repetition of the propagation figure: alpha and beta
# linked over PATH, alpha mines MC_B blocks; for each, the time from
# alpha's block note to beta's.
mc_prop() {
	path=$1
	fail_prop() { say "multichain: $*"; add mcprop "$path" FAIL; mc_stop beta; }
	mc_alpha "$path" || { fail_prop "alpha does not start for $path"; return 1; }
	mc_beta "$path"
	h=$(count alpha)
	linked() { in_sync "$h" alpha beta && [ "$(npeers beta)" -ge 1 ]; }
	poll 120 linked || { fail_prop "beta not linked to alpha over $path"; return 1; }
	off=$(wc -l <"$MC_DIR/notify-alpha")
	mc alpha setgenerate true >/dev/null
	mined() { [ "$(wc -l <"$MC_DIR/notify-alpha")" -ge $(( off + MC_B )) ]; }
	poll $(( MC_B * 6 + 60 )) mined
	mc alpha setgenerate false >/dev/null
	h=$(count alpha)
	POLL_STEP=0.1 poll 60 in_sync "$h" alpha beta ||
	    { fail_prop "beta at $(count beta), alpha at $h after mining over $path"; return 1; }
	# The first MC_B blocks alpha noted, each matched to beta's note.
	tail -n +$(( off + 1 )) "$MC_DIR/notify-alpha" | head -n "$MC_B" >"$MC_DIR/prop-a"
	d=$(awk 'NR == FNR { a[$2] = $1; next }
	    ($2 in a) { printf "%.1f\n", ($1 - a[$2]) * 1000 }' \
	    "$MC_DIR/prop-a" "$MC_DIR/notify-beta" | sort -g)
	n=$(echo "$d" | grep -c .)
	if [ "$n" -lt "$MC_B" ]; then
		fail_prop "$path: only $n of alpha's $MC_B blocks noted on beta"
		return 1
	fi
	echo "$d" | sed "s/^/$path /" >>"$MC_DIR/prop-all"
	m=$(echo "$d" | awk '{ v[NR] = $1 } END {
	    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	add mcprop "$path" "$m"
	say "  propagation $path: median $m ms over $n blocks (min $(echo "$d" | head -1), max $(echo "$d" | tail -1))"
	mc_stop beta
}

mc_bench() {
	T_MC=$(date +%s)
	MC_SKIP=$(mc_missing)
	if [ -n "$MC_SKIP" ]; then
		say "multichain: skipped: $MC_SKIP"
		return 0
	fi
	if ! mc_setup; then
		if [ -n "$MC_SKIP" ]; then
			say "multichain: skipped: $MC_SKIP"
			return 0
		fi
		MC_SETUP_FAILED=1
		return 1
	fi
	for rep in $(seq "$MC_REPS"); do
		say "multichain sync, repetition $rep of $MC_REPS"
		if [ $((rep % 2)) = 1 ]; then paths="direct stunneld"; else paths="stunneld direct"; fi
		for p in $paths; do mc_sync $p; done
	done
	for rep in $(seq "$MC_REPS"); do
		say "multichain propagation, repetition $rep of $MC_REPS"
		if [ $((rep % 2)) = 1 ]; then paths="stunneld direct"; else paths="direct stunneld"; fi
		for p in $paths; do mc_prop $p; done
	done
	mc_stop alpha
	MC_ALPHA=""
	MC_SECS=$(( $(date +%s) - T_MC ))
}

# pooled PATH: "median p90 (n)" of every propagation delay of PATH.
pooled() {
	awk -v p="$1" '$1 == p { print $2 }' "$MC_DIR/prop-all" 2>/dev/null | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		i = int(NR * 0.9 + 0.999); printf "%.1f / %.1f ms (%d blocks)", m, v[i], NR }'
}

mc_table() {
	if [ -n "$MC_SKIP" ]; then
		echo "MultiChain: skipped: $MC_SKIP"
		return
	fi
	if [ "$MC_SETUP_FAILED" = 1 ]; then
		echo "MultiChain: FAILED to set up the chain (see the log)"
		return
	fi
	fmt='%-42s | %-22s | %-22s | %s\n'
	echo "MultiChain 2.3.3 (real multichaind), two nodes in network namespaces on a bridge;"
	echo "direct: plain TCP between them; stunneld: each behind its stunneld as in"
	echo "etc/examples/multichain (SOCKS5 + TLS, stunneld's default priority)."
	echo "$MC_REPS repetitions per path; the chain: $MC_H blocks, one per 2 s, with $MC_ITEMS"
	echo "stream items of $MC_ITEM bytes; propagation: $MC_B blocks per repetition. ${MC_SECS:-?} s in all."
	printf "$fmt" "figure (median [min-max])" direct stunneld ratio
	printf "$fmt" "------------------------------------------" "----------------------" \
	    "----------------------" "-----"
	for r in mcsync mcxfer mcprop; do
		case $r in
		mcsync)	l="sync $MC_H blocks, from start (s)" ;;
		mcxfer)	l="sync $MC_H blocks, from first block (s)" ;;
		mcprop)	l="block propagation, median (ms)" ;;
		esac
		a=$(median $r direct); b=$(median $r stunneld)
		ratio=-
		if [ -n "$a" ] && [ -n "$b" ]; then
			ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {
				if (a == 0) print "-"; else printf "%.2f", b / a }')
		fi
		printf "$fmt" "$l" "$(cell $r direct)" "$(cell $r stunneld)" "$ratio"
	done
	echo "every block pooled, median / p90: direct $(pooled direct), stunneld $(pooled stunneld)"
}
