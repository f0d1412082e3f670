#!/bin/bash
# bench/run.sh [--quick]: stunneld against stunnel4 and direct TCP, on
# loopback, in one run.  "make bench" runs it (BENCH_QUICK=1: --quick).
# bench/README.md explains the figures and keeps the latest table.
#
# Environment: top_srcdir, top_builddir (set by make; default: this
# script's parent directory), BENCH_OUT (the results file, default
# $top_builddir/bench/results-latest.txt), BENCH_REPS, BENCH_KEEP=1 (keep
# the work directory with configs, certificates and logs), BENCH_WORKERS
# (the "workers" of both stunneld tunnels, default 1), BENCH_ONLY=flood
# (only the handshake-flood figures), BENCH_ONLY=redirect (only the
# transparent-mode figures: socks and redirect paths side by side in a
# network namespace with an nftables rule; needs root and nft, skipped
# with the reason otherwise), BENCH_ONLY=trust (only the connections/s of
# stunneld with one ca file and with a 3-anchor ca list),
# BENCH_ONLY=multichain (only the
# real-MultiChain figures, bench/multichain.sh; MULTICHAIN_BIN: where its
# binaries are, default $top_srcdir/../shared/multichain/bin) or
# BENCH_ONLY=callgrind (only instructions per connection, this binary or
# BENCH_NEW against BENCH_OLD, bench/callgrind.sh).
set -u

QUICK=0
WORKERS=${BENCH_WORKERS:-1}
case ${1:-} in
--quick)	QUICK=1 ;;
"")		;;
*)		echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
case ${BENCH_QUICK:-0} in 0|"") ;; *) QUICK=1 ;; esac

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
STUNNELD=$top_builddir/stunneld/stunneld
LOADGEN=$top_builddir/bench/loadgen
SINK=$top_builddir/bench/sink
FLOODER=$top_builddir/tests/integration/helpers/tls-flood
ONLY=${BENCH_ONLY:-}
case $ONLY in ""|flood|redirect|trust|multichain|callgrind) ;; *) echo "BENCH_ONLY: \"flood\", \"redirect\", \"trust\", \"multichain\" or \"callgrind\"" >&2; exit 2 ;; esac
OUT=${BENCH_OUT:-$top_builddir/bench/results-latest.txt}

if [ "$QUICK" = 1 ]; then
	REPS=${BENCH_REPS:-3}; BULK_S=1; CONN_S=1; PINGS=2000; IDLE_N=200
	FLOOD_GOOD=30
	MC_N=50; MC_B=10
else
	REPS=${BENCH_REPS:-5}; BULK_S=5; CONN_S=3; PINGS=10000; IDLE_N=1000
	FLOOD_GOOD=100
	MC_N=200; MC_B=20
fi
MC_REPS=${BENCH_REPS:-3}	# MultiChain repetitions per path
FLOOD_CONC=512		# flood handshakes in flight
FLOOD_BIG=1024		# ... by each of four flooders, against a tunnel of
			# the default max_connections (256)
PRIORITY="NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1"

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

for c in stunnel4 certtool gnutls-cli ss; do
	case $c:$ONLY in stunnel4:multichain|stunnel4:callgrind|stunnel4:redirect) continue ;; esac
	command -v $c >/dev/null 2>&1 || die "$c is not installed (Debian: stunnel4 gnutls-bin iproute2)"
done
for f in "$STUNNELD" "$LOADGEN" "$SINK" "$FLOODER"; do
	[ -x "$f" ] || die "$f is not built (run \"make bench\")"
done

# 1000 idle connections are ~4000 descriptors in each tunnel process pair.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((IDLE_N * 2 + 100)) ] ||
	die "ulimit -n is $(ulimit -n): too low for $IDLE_N idle connections (run as root or raise the hard limit)"

W=$(mktemp -d "${TMPDIR:-/tmp}/stunneld-bench.XXXXXX") || exit 1
PIDS=""
RD_NS=""
cleanup() {
	type mc_cleanup >/dev/null 2>&1 && mc_cleanup
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# the namespace goes with its nftables rule
	[ -z "$RD_NS" ] || ip netns delete "$RD_NS" 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start NAME CMD...: run CMD in the background, output in $W/NAME.log.
start() {
	name=$1; shift
	"$@" >>"$W/$name.log" 2>&1 &
	eval "PID_$name=$!"
	PIDS="$PIDS $!"
}
# stop NAME: SIGTERM, wait.
stop() {
	eval "p=\${PID_$1:-}"
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	PIDS=$(echo "$PIDS" | sed "s/ $p\b//")
	eval "PID_$1="
}

# Listening ports below the ephemeral range (32768-60999 on Debian), so
# the many short connections of the bench never collide with them.
NEXT_PORT=$(( 21000 + $$ % 9000 ))
port() {
	while :; do
		NEXT_PORT=$((NEXT_PORT + 1))
		[ "$NEXT_PORT" -lt 32000 ] || NEXT_PORT=21000
		[ -z "$(ss -Htan "sport = :$NEXT_PORT" 2>/dev/null)" ] && break
	done
}
wait_port() {	# HOST PORT
	for _ in $(seq 100); do
		[ -n "$(ss -Hltn "src $1:$2" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- certificates: one CA, ECDSA P-256, the same files for both tunnels --

pki_ca() {	# [NAME]: $W/NAME.{key,crt}, default "ca"
	n=${1:-ca}
	printf 'cn = "bench-%s"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' "$n" >"$W/$n.tmpl"
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile "$W/$n.key" >/dev/null 2>&1 &&
	certtool --generate-self-signed --load-privkey "$W/$n.key" --template "$W/$n.tmpl" \
	    --outfile "$W/$n.crt" >/dev/null 2>&1 || die "certtool: cannot make the CA $n"
}
pki_cert() {	# NAME SERIAL SAN-LINES
	printf 'cn = "%s"\nserial = %s\nexpiration_days = 30\nsigning_key\ntls_www_server\ntls_www_client\n%b\n' \
	    "$1" "$2" "$3" >"$W/$1.tmpl"
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile "$W/$1.key" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$W/$1.key" --load-ca-certificate "$W/ca.crt" \
	    --load-ca-privkey "$W/ca.key" --template "$W/$1.tmpl" --outfile "$W/$1.crt" \
	    >/dev/null 2>&1 || die "certtool: cannot make $1"
}
pki_ca
# two more organisations' CAs, for the 3-anchor ca list (they sign nothing
# here: the network's CA comes last, so every chain is tried on them first)
pki_ca ca2
pki_ca ca3
pki_cert node-a 2 'ip_address = "127.0.0.1"\ndns_name = "node-a"'
pki_cert node-b 3 'ip_address = "127.0.0.2"\nip_address = "127.0.0.3"\ndns_name = "node-b"'

# --- the three paths -----------------------------------------------------
#  direct:   loadgen -> sink_d (127.0.0.1:P_SD)
#  stunnel4: loadgen -> stunnel client 127.0.0.1:P_SC ==TLS==> stunnel
#            server 127.0.0.3:P_SS -> sink_s (127.0.0.1:P_S4)
#  stunneld: loadgen -SOCKS5-> stunneld A (socks) 127.0.0.1:P_A ==TLS==>
#            stunneld B (tls) 127.0.0.2:P_B -> sink_n (127.0.0.1:P_SN)
#  stunneld3: the same through bench_out3 (P_A3) and bench_in3 (P_B3),
#            whose ca is a list of three scoped anchors instead of a file
# One sink per path, so one path's TIME_WAIT sockets never take another
# path's source ports.
port; P_SD=$NEXT_PORT; port; P_S4=$NEXT_PORT; port; P_SN=$NEXT_PORT
port; P_SC=$NEXT_PORT; port; P_SS=$NEXT_PORT; port; P_A=$NEXT_PORT; port; P_B=$NEXT_PORT
port; P_B2=$NEXT_PORT; port; P_A3=$NEXT_PORT; port; P_B3=$NEXT_PORT

cat >"$W/stunnel-srv.conf" <<EOF
foreground = yes
pid =
debug = 3
[srv]
accept = 127.0.0.3:$P_SS
connect = 127.0.0.1:$P_S4
cert = $W/node-b.crt
key = $W/node-b.key
CAfile = $W/ca.crt
verifyChain = yes
requireCert = yes
sslVersionMin = TLSv1.3
ciphersuites = TLS_AES_128_GCM_SHA256
EOF
cat >"$W/stunnel-cli.conf" <<EOF
foreground = yes
pid =
debug = 3
[cli]
client = yes
accept = 127.0.0.1:$P_SC
connect = 127.0.0.3:$P_SS
cert = $W/node-a.crt
key = $W/node-a.key
CAfile = $W/ca.crt
verifyChain = yes
checkIP = 127.0.0.3
sslVersionMin = TLSv1.3
ciphersuites = TLS_AES_128_GCM_SHA256
EOF
for n in a b; do
	cat >"$W/$n.conf" <<EOF
control_socket = "$W/$n.sock";
pid_file = "$W/$n.pid";
log_level = "error";
shutdown_timeout = 1;
tls = {
	cert = "$W/node-$n.crt";
	key = "$W/node-$n.key";
	ca = "$W/ca.crt";
	priority = "$PRIORITY";
};
EOF
done
# Three organisations' CAs, each with its names, the network's last.
TRUST3="ca = (
	{ file = \"$W/ca2.crt\"; names = [ \"10.2.0.0/16\", \"*.org-b.example\" ]; },
	{ file = \"$W/ca3.crt\"; names = [ \"10.3.0.0/16\", \"*.org-c.example\" ]; },
	{ file = \"$W/ca.crt\"; names = [ \"127.0.0.0/8\", \"node-a\", \"node-b\" ]; }
    );"
cat >>"$W/a.conf" <<EOF
tunnels = { bench_out = { mode = "socks"; listen = "127.0.0.1:$P_A"; max_connections = 2000; workers = $WORKERS; };
  bench_out3 = { mode = "socks"; listen = "127.0.0.1:$P_A3"; max_connections = 2000; workers = $WORKERS;
    tls = { $TRUST3 }; }; };
EOF
# bench_small, only for the flood bigger than max_connections: its default
# limit (256).
cat >>"$W/b.conf" <<EOF
tunnels = { bench_in = { mode = "tls"; listen = "127.0.0.2:$P_B";
    connect = "127.0.0.1:$P_SN"; max_connections = 2000; workers = $WORKERS; };
  bench_small = { mode = "tls"; listen = "127.0.0.2:$P_B2";
    connect = "127.0.0.1:$P_SN"; workers = $WORKERS; };
  bench_in3 = { mode = "tls"; listen = "127.0.0.2:$P_B3";
    connect = "127.0.0.1:$P_SN"; max_connections = 2000; workers = $WORKERS;
    tls = { $TRUST3 }; }; };
EOF
"$STUNNELD" -t -c "$W/a.conf" >"$W/check-a.log" 2>&1 || die "a.conf: $(cat "$W/check-a.log")"
"$STUNNELD" -t -c "$W/b.conf" >"$W/check-b.log" 2>&1 || die "b.conf: $(cat "$W/check-b.log")"

start_sinks() {
	start sink_d "$SINK" -l 127.0.0.1:$P_SD
	start sink_s "$SINK" -l 127.0.0.1:$P_S4
	start sink_n "$SINK" -l 127.0.0.1:$P_SN
	wait_port 127.0.0.1 $P_SD && wait_port 127.0.0.1 $P_S4 && wait_port 127.0.0.1 $P_SN ||
		die "a sink did not start: $(cat "$W"/sink_*.log)"
}
start_tunnels() {
	start stunnel_srv stunnel4 "$W/stunnel-srv.conf"
	start stunnel_cli stunnel4 "$W/stunnel-cli.conf"
	start stunneld_b "$STUNNELD" -f -c "$W/b.conf"
	start stunneld_a "$STUNNELD" -f -c "$W/a.conf"
	wait_port 127.0.0.3 $P_SS && wait_port 127.0.0.1 $P_SC ||
		die "stunnel4 did not start: $(tail -5 "$W"/stunnel_*.log)"
	wait_port 127.0.0.2 $P_B && wait_port 127.0.0.2 $P_B2 && wait_port 127.0.0.1 $P_A &&
	    wait_port 127.0.0.2 $P_B3 && wait_port 127.0.0.1 $P_A3 ||
		die "stunneld did not start: $(tail -5 "$W"/stunneld_*.log)"
	# One connection through each, so that "before" includes whatever a
	# first connection initialises, and a broken path stops us now.
	for p in stunnel4 stunneld stunneld3; do
		lg $p connrate -c 1 -s 0.05 >"$W/warm.out" 2>&1 &&
		    grep -q 'conns=[1-9]' "$W/warm.out" ||
		    die "no connection through $p: $(cat "$W/warm.out")"
	done
}
stop_tunnels() {
	stop stunneld_a; stop stunneld_b; stop stunnel_cli; stop stunnel_srv
}

# lg PATH MODE ARGS...: run loadgen on one path.
lg() {
	path=$1; shift
	mode=$1; shift
	case $path in
	direct)		"$LOADGEN" "$mode" -t 127.0.0.1:$P_SD "$@" ;;
	stunnel4)	"$LOADGEN" "$mode" -t 127.0.0.1:$P_SC "$@" ;;
	stunneld)	"$LOADGEN" "$mode" -t 127.0.0.1:$P_A --socks 127.0.0.2:$P_B "$@" ;;
	stunneld_small)	"$LOADGEN" "$mode" -t 127.0.0.1:$P_A --socks 127.0.0.2:$P_B2 "$@" ;;
	# transparent mode, in $RD_NS: loadgen dials node B's address itself
	# and the nftables rule takes it to the redirect tunnel
	ns_direct)	ip netns exec "$RD_NS" "$LOADGEN" "$mode" -t 127.0.0.1:$P_XS "$@" ;;
	ns_socks)	ip netns exec "$RD_NS" "$LOADGEN" "$mode" -t 127.0.0.1:$P_XA --socks 127.0.0.2:$P_XB "$@" ;;
	ns_redirect)	ip netns exec "$RD_NS" "$LOADGEN" "$mode" -t 127.0.0.2:$P_XB "$@" ;;
	stunneld3)	"$LOADGEN" "$mode" -t 127.0.0.1:$P_A3 --socks 127.0.0.2:$P_B3 "$@" ;;
	esac
}

# Results: R_<figure>_<path> holds the values of the repetitions.
add() { eval "R_$1_$2=\"\${R_$1_$2:-} $3\""; }
# field KEY LINE: the value of key=value in LINE.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# measure FIG PATH KEY MODE ARGS...: one repetition of one figure.
measure() {
	fig=$1 path=$2 key=$3; shift 3
	out=$(lg "$path" "$@" 2>"$W/lg.err")
	rc=$?
	v=$(field "$key" "$out")
	if [ $rc -ne 0 ] || [ -z "$v" ]; then
		say "$fig/$path failed: $(head -3 "$W/lg.err")"
		add "$fig" "$path" FAIL
		return 1
	fi
	errs=$(field errors "$out")
	if [ -n "$errs" ] && [ "$errs" != 0 ]; then
		say "$fig/$path: $errs connections failed: $(head -2 "$W/lg.err")"
	fi
	add "$fig" "$path" "$v"
	say "  $fig $path: $v"
}

# rss_kib PID...: the sum of VmRSS over PIDs and all their descendants.
rss_kib() {
	all=" $* "
	grow=1
	while [ $grow = 1 ]; do
		grow=0
		for kid in $(ps -e -o pid=,ppid= | awk -v s="$all" \
		    'index(s, " " $2 " ") && !index(s, " " $1 " ") { print $1 }'); do
			all="$all$kid "
			grow=1
		done
	done
	t=0
	for p in $all; do
		r=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$p/status 2>/dev/null)
		t=$((t + ${r:-0}))
	done
	echo $t
}
side_pids() {
	case $1 in
	stunnel4)	echo "$PID_stunnel_cli $PID_stunnel_srv" ;;
	stunneld)	echo "$PID_stunneld_a $PID_stunneld_b" ;;
	esac
}

# idle PATH: KiB of RSS per idle connection, with IDLE_N open.
measure_idle() {
	path=$1
	sleep 0.5
	before=$(rss_kib $(side_pids "$path"))
	rm -f "$W/idle.fifo"; mkfifo "$W/idle.fifo"
	lg "$path" idle -n "$IDLE_N" <"$W/idle.fifo" >"$W/idle.out" 2>"$W/lg.err" &
	lpid=$!
	exec 9>"$W/idle.fifo"
	for _ in $(seq 1200); do
		grep -q '^up' "$W/idle.out" && break
		kill -0 $lpid 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^up' "$W/idle.out"; then
		sleep 0.5
		after=$(rss_kib $(side_pids "$path"))
		v=$(awk -v a="$after" -v b="$before" -v n="$IDLE_N" \
		    'BEGIN { printf "%.1f", (a - b) / n }')
		add mem "$path" "$v"
		say "  mem $path: $v KiB/conn ($before -> $after KiB)"
	else
		add mem "$path" FAIL
		say "mem/$path failed: $(head -3 "$W/lg.err")"
	fi
	exec 9>&-
	wait $lpid 2>/dev/null
}

# flood_rep: one repetition of the handshake-flood figures on the stunneld
# path, with fresh daemons: the good peer's connect times alone, then
# during a flood of unauthenticated handshakes from another address.
flood_rep() {
	stop_tunnels
	start_tunnels
	out=$(lg stunneld paced -n "$FLOOD_GOOD" -i 100 2>"$W/lg.err")
	fquiet_line=$out
	rm -f "$W/flood.stop" "$W/flood.out"
	"$FLOODER" -t 127.0.0.2:$P_B -b 127.0.0.3 -c "$FLOOD_CONC" -s 30 \
	    --until "$W/flood.stop" >"$W/flood.out" 2>&1 &
	fpid=$!
	for _ in $(seq 300); do
		grep -q '^flooding' "$W/flood.out" && break
		kill -0 $fpid 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^flooding' "$W/flood.out"; then
		out=$(lg stunneld paced -n "$FLOOD_GOOD" -i 100 2>>"$W/lg.err")
	else
		out=""
		say "flood did not start: $(cat "$W/flood.out")"
	fi
	touch "$W/flood.stop"
	wait $fpid 2>/dev/null
	fl=$(grep '^flood:' "$W/flood.out")
	fflood_line=$out
	# Four flooders of FLOOD_BIG against bench_small (256), the good peer
	# starting with them: a flood's first moments, before its addresses
	# are limited, are when it can fill the tunnel.
	rm -f "$W/flood.stop"
	bpids=""
	for a in 3 4 5 6; do
		"$FLOODER" -t 127.0.0.2:$P_B2 -b 127.0.0.$a -c "$FLOOD_BIG" -s 30 \
		    --until "$W/flood.stop" >"$W/flood$a.out" 2>&1 &
		bpids="$bpids $!"
	done
	fbig_line=$(lg stunneld_small paced -n "$FLOOD_GOOD" -i 100 2>>"$W/lg.err")
	touch "$W/flood.stop"
	for p in $bpids; do wait $p 2>/dev/null; done
	for phase in quiet flood big; do
		case $phase in
		quiet)	l=$fquiet_line ;;
		flood)	l=$fflood_line ;;
		big)	l=$fbig_line ;;
		esac
		p50=$(field p50_ms "$l"); p99=$(field p99_ms "$l")
		nf=$(field failed "$l")
		if [ -n "$p50" ]; then
			add fl_p50 $phase "$p50"; add fl_p99 $phase "$p99"
			add fl_fail $phase "$nf"
		else
			add fl_p50 $phase FAIL; add fl_p99 $phase FAIL
			add fl_fail $phase FAIL
		fi
		say "  good peer, $phase: ${l:-failed: $(head -2 "$W/lg.err")}"
	done
	# "flood: answered A refused R errors E in MS ms: H handshakes/s"
	set -- $fl
	if [ $# -ge 11 ] && [ "$9" -gt 0 ] 2>/dev/null; then
		add fl_hs flood "${11}"
		add fl_ref flood "$(awk -v r="$5" -v ms="$9" 'BEGIN { printf "%.0f", r * 1000 / ms }')"
	else
		add fl_hs flood FAIL; add fl_ref flood FAIL
	fi
	say "  $fl"
	# the four together: answered/s and closed early/s, summed
	bh=0; br=0; bok=1
	for a in 3 4 5 6; do
		set -- $(grep '^flood:' "$W/flood$a.out")
		if [ $# -ge 11 ] && [ "$9" -gt 0 ] 2>/dev/null; then
			bh=$((bh + ${11}))
			br=$(awk -v t="$br" -v r="$5" -v ms="$9" 'BEGIN { printf "%.0f", t + r * 1000 / ms }')
		else
			bok=0
		fi
		say "  127.0.0.$a: $*"
	done
	if [ $bok = 1 ]; then add fl_hs big "$bh"; add fl_ref big "$br"
	else add fl_hs big FAIL; add fl_ref big FAIL; fi
}

# --- transparent mode: the redirect path beside the socks path -------------
#  in the network namespace $RD_NS, with one nftables rule:
#  ns_direct:   loadgen -> sink_x (127.0.0.1:P_XS)
#  ns_socks:    loadgen -SOCKS5-> stunneld ax (socks 127.0.0.1:P_XA) ==TLS==>
#               stunneld bx (tls 127.0.0.2:P_XB) -> sink_x
#  ns_redirect: loadgen -> 127.0.0.2:P_XB, redirected by the rule to
#               stunneld ax (redirect 127.0.0.1:P_XR) ==TLS==> bx -> sink_x
# Both stunneld paths share the daemons, the sink and the namespace, so
# their difference is the SOCKS exchange against SO_ORIGINAL_DST.
RD_SKIP=""
rd_wait_port() {	# HOST PORT
	for _ in $(seq 100); do
		[ -n "$(ip netns exec "$RD_NS" ss -Hltn "src $1:$2" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}
rd_setup() {
	[ "$(id -u)" = 0 ] || { RD_SKIP="needs root (a network namespace and an nftables rule)"; return 1; }
	command -v nft >/dev/null 2>&1 || { RD_SKIP="nft is not installed (Debian: nftables)"; return 1; }
	RD_NS=stunneld-bench-$$
	ip netns add "$RD_NS" 2>/dev/null || { RD_NS=""; RD_SKIP="cannot create a network namespace"; return 1; }
	ip -n "$RD_NS" link set lo up || { RD_SKIP="cannot bring lo up in the namespace"; return 1; }
	port; P_XS=$NEXT_PORT; port; P_XA=$NEXT_PORT; port; P_XR=$NEXT_PORT; port; P_XB=$NEXT_PORT
	cat >"$W/rd.nft" <<EOF
table inet stunneld_bench {
	chain out {
		type nat hook output priority -100; policy accept;
		meta mark 0x5354 return
		ip daddr 127.0.0.2 tcp dport $P_XB redirect to :$P_XR
	}
}
EOF
	ip netns exec "$RD_NS" nft -f "$W/rd.nft" >"$W/rd-nft.log" 2>&1 ||
		{ RD_SKIP="cannot install the nftables rule: $(head -1 "$W/rd-nft.log")"; return 1; }
	sed -e "s|$W/a.sock|$W/ax.sock|" -e "s|$W/a.pid|$W/ax.pid|" -e '/^tunnels = /,$d' \
	    "$W/a.conf" >"$W/ax.conf"
	cat >>"$W/ax.conf" <<EOF
mark = 0x5354;
tunnels = {
  x_socks = { mode = "socks"; listen = "127.0.0.1:$P_XA"; max_connections = 2000; workers = $WORKERS; };
  x_redirect = { mode = "redirect"; listen = "127.0.0.1:$P_XR"; max_connections = 2000; workers = $WORKERS; };
};
EOF
	sed -e "s|$W/b.sock|$W/bx.sock|" -e "s|$W/b.pid|$W/bx.pid|" -e '/^tunnels = /,$d' \
	    "$W/b.conf" >"$W/bx.conf"
	cat >>"$W/bx.conf" <<EOF
tunnels = { x_in = { mode = "tls"; listen = "127.0.0.2:$P_XB";
    connect = "127.0.0.1:$P_XS"; max_connections = 2000; workers = $WORKERS; }; };
EOF
	"$STUNNELD" -t -c "$W/ax.conf" >"$W/check-ax.log" 2>&1 || die "ax.conf: $(cat "$W/check-ax.log")"
	"$STUNNELD" -t -c "$W/bx.conf" >"$W/check-bx.log" 2>&1 || die "bx.conf: $(cat "$W/check-bx.log")"
	start sink_x ip netns exec "$RD_NS" "$SINK" -l 127.0.0.1:$P_XS
	start stunneld_bx ip netns exec "$RD_NS" "$STUNNELD" -f -c "$W/bx.conf"
	start stunneld_ax ip netns exec "$RD_NS" "$STUNNELD" -f -c "$W/ax.conf"
	rd_wait_port 127.0.0.1 $P_XS && rd_wait_port 127.0.0.2 $P_XB &&
	    rd_wait_port 127.0.0.1 $P_XA && rd_wait_port 127.0.0.1 $P_XR ||
		die "the namespace's sink or stunneld did not start: $(tail -n 5 "$W"/stunneld_?x.log "$W/sink_x.log")"
	for p in ns_socks ns_redirect; do
		lg $p connrate -c 1 -s 0.05 >"$W/warm.out" 2>&1 &&
		    grep -q 'conns=[1-9]' "$W/warm.out" ||
		    die "no connection through $p: $(cat "$W/warm.out")"
	done
	return 0
}
rd_bench() {
	if ! rd_setup; then
		say "transparent mode skipped: $RD_SKIP"
		return 0
	fi
	for rep in $(seq "$REPS"); do
		say "transparent mode, repetition $rep of $REPS"
		if [ $((rep % 2)) = 1 ]; then paths="ns_direct ns_socks ns_redirect"
		else paths="ns_direct ns_redirect ns_socks"; fi
		for p in $paths; do measure rconn1 $p rate connrate -c 1 -s "$CONN_S"; sleep 1; done
		for p in $paths; do measure rconn16 $p rate connrate -c 16 -s "$CONN_S"; sleep 1; done
		for p in $paths; do
			out=$(lg $p pingpong -k "$PINGS" 2>"$W/lg.err")
			p50=$(field p50_us "$out")
			add rp50 $p "${p50:-FAIL}"
			say "  pingpong $p: p50 ${p50:-failed} us"
		done
		eval "d=\${R_rp50_ns_direct##* }"
		for p in ns_socks ns_redirect; do
			eval "v=\${R_rp50_$p##* }"
			case "$d $v" in
			*FAIL*)	add rp50add $p FAIL ;;
			*)	add rp50add $p "$(awk -v a="$v" -v b="$d" 'BEGIN { printf "%.1f", a - b }')" ;;
			esac
		done
	done
	stop stunneld_ax; stop stunneld_bx; stop sink_x
}

. "$top_srcdir/bench/multichain.sh"
. "$top_srcdir/bench/callgrind.sh"

# --- run -------------------------------------------------------------------

T_START=$(date +%s)
[ "$ONLY" = callgrind ] ||
    say "$( [ $QUICK = 1 ] && echo quick || echo full ) run: $REPS repetitions, bulk ${BULK_S}s, connections ${CONN_S}s, $PINGS pings, $IDLE_N idle; work dir $W"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

case $ONLY in multichain|callgrind|redirect) ;; *)
# The raw limits first, on a quiet system as far as we are concerned.
GNUTLS_GCM=""; OPENSSL_GCM=""
if [ "$ONLY" != trust ]; then
say "gnutls-cli --benchmark-ciphers (AES-128-GCM)"
gnutls-cli --benchmark-ciphers >"$W/gnutls-bench.out" 2>&1 &
gb=$!
for _ in $(seq 300); do
	# The name is printed first, the figure when its run is over.
	grep -q -E 'AES-128-GCM +[0-9.]+ +[A-Za-z]+/sec' "$W/gnutls-bench.out" && break
	kill -0 $gb 2>/dev/null || break
	sleep 0.1
done
kill $gb 2>/dev/null; wait $gb 2>/dev/null
GNUTLS_GCM=$(awk '$1 == "AES-128-GCM" { print $2 " " $3; exit }' "$W/gnutls-bench.out")
if command -v openssl >/dev/null 2>&1; then
	say "openssl speed -evp aes-128-gcm (16 KiB blocks)"
	OPENSSL_GCM=$(openssl speed -seconds 2 -bytes 16384 -evp aes-128-gcm 2>/dev/null |
	    awk '/^(AES-128-GCM|aes-128-gcm)/ { v = $NF; sub(/k$/, "", v); printf "%.2f GB/sec", v / 1e6 }')
fi
fi

start_sinks
start_tunnels

if [ "$ONLY" = trust ]; then
# Only the 3-anchor figures: the two stunneld paths, alternating.
for rep in $(seq "$REPS"); do
	say "repetition $rep of $REPS (one ca file / 3-anchor ca list)"
	if [ $((rep % 2)) = 1 ]; then paths="stunneld stunneld3"; else paths="stunneld3 stunneld"; fi
	for p in $paths; do measure conn1 $p rate connrate -c 1 -s "$CONN_S"; sleep 1; done
	for p in $paths; do measure conn16 $p rate connrate -c 16 -s "$CONN_S"; sleep 1; done
done
stop_tunnels
elif [ "$ONLY" != flood ]; then
PATHS_A="direct stunnel4 stunneld"
PATHS_B="direct stunneld stunnel4"
for rep in $(seq "$REPS"); do
	say "repetition $rep of $REPS"
	if [ $((rep % 2)) = 1 ]; then paths=$PATHS_A; else paths=$PATHS_B; fi
	for p in $paths; do measure bulk1 $p mibps bulk -n 1 -s "$BULK_S"; sleep 0.3; done
	for p in $paths; do measure bulk8 $p mibps bulk -n 8 -s "$BULK_S"; sleep 0.3; done
	# the 3-anchor path next to the one-file path, in turn first and last
	if [ $((rep % 2)) = 1 ]; then cpaths="$paths stunneld3"; else cpaths="stunneld3 $paths"; fi
	for p in $cpaths; do measure conn1 $p rate connrate -c 1 -s "$CONN_S"; sleep 1; done
	for p in $cpaths; do measure conn16 $p rate connrate -c 16 -s "$CONN_S"; sleep 1; done
	for p in $paths; do
		out=$(lg $p pingpong -k "$PINGS" 2>"$W/lg.err")
		p50=$(field p50_us "$out"); p99=$(field p99_us "$out")
		if [ -n "$p50" ]; then
			add p50 $p "$p50"; add p99 $p "$p99"
			say "  pingpong $p: p50 $p50 us, p99 $p99 us"
		else
			add p50 $p FAIL; add p99 $p FAIL
			say "pingpong/$p failed: $(head -3 "$W/lg.err")"
		fi
	done
	# Added latency, paired within the repetition.
	eval "d=\${R_p50_direct##* }"
	for p in stunnel4 stunneld; do
		eval "v=\${R_p50_$p##* }"
		case "$d $v" in
		*FAIL*)	add p50add $p FAIL ;;
		*)	add p50add $p "$(awk -v a="$v" -v b="$d" 'BEGIN { printf "%.1f", a - b }')" ;;
		esac
	done
done

# Memory: fresh daemons for each repetition, so no repetition starts from
# memory an earlier one left in allocator caches.
for rep in $(seq "$REPS"); do
	say "idle connections, repetition $rep of $REPS"
	stop_tunnels
	start_tunnels
	if [ $((rep % 2)) = 1 ]; then measure_idle stunnel4; measure_idle stunneld
	else measure_idle stunneld; measure_idle stunnel4; fi
done
fi

# Handshake flood: fresh daemons for each repetition, so that no
# repetition starts with the flooder's address already limited.
if [ "$ONLY" != trust ]; then
for rep in $(seq "$REPS"); do
	say "handshake flood, repetition $rep of $REPS"
	flood_rep
done
stop_tunnels
fi
;; esac

# Instructions per connection, old and new binary.
[ "$ONLY" = callgrind ] && cg_bench

# Transparent mode: redirect beside socks, in a namespace of its own.
case $ONLY in ""|redirect) rd_bench ;; esac

# Real MultiChain: directly and through stunneld.
case $ONLY in ""|multichain) mc_bench ;; esac
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the table ---------------------------------------------------------------

# stats VALUES...: "median min max" (FAIL values dropped; "" if none left).
stats() {
	printf '%s\n' "$@" | grep -v -e FAIL -e '^$' | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR == 0) exit;
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		print m, v[1], v[NR] }'
}
cell() {	# FIG PATH -> "median [min-max]"
	eval "vals=\${R_$1_$2:-}"
	[ -n "$vals" ] || { echo "-"; return; }
	s=$(stats $vals)
	nf=$(printf '%s\n' $vals | grep -c FAIL)
	[ -n "$s" ] || { echo "FAILED"; return; }
	set -- $s
	c=$(awk -v m="$1" -v a="$2" -v b="$3" 'BEGIN {
		f = (m >= 100 || m <= -100) ? "%.0f" : "%.1f";
		printf f " [" f "-" f "]", m, a, b }')
	[ "$nf" = 0 ] || c="$c ($nf failed)"
	echo "$c"
}
median() { eval "vals=\${R_$1_$2:-}"; [ -n "$vals" ] && stats $vals | cut -d' ' -f1; }

ROWS="bulk1 bulk8 conn1 conn16 p50 p99 p50add mem"
label() {
	case $1 in
	bulk1)	echo "bulk, 1 stream (MiB/s)" ;;
	bulk8)	echo "bulk, 8 streams total (MiB/s)" ;;
	conn1)	echo "new connections/s, sequential" ;;
	conn16)	echo "new connections/s, 16 concurrent" ;;
	p50)	echo "64 B ping-pong RTT p50 (us)" ;;
	p99)	echo "64 B ping-pong RTT p99 (us)" ;;
	p50add)	echo "p50 added latency vs direct (us)" ;;
	mem)	echo "RSS per idle connection (KiB)" ;;
	esac
}
target() {	# "op value" on the ratio stunneld/stunnel4
	case $1 in
	bulk1)	echo ">= 1.3" ;;
	conn1)	echo ">= 2" ;;
	p50add)	echo "<= 0.7" ;;
	mem)	echo "<= 0.25" ;;
	*)	echo "" ;;
	esac
}

table() {
	fmt='%-34s | %-22s | %-22s | %-22s | %-7s | %-7s | %s\n'
	printf "$fmt" "figure (median [min-max])" direct stunnel4 stunneld "ratio" target "met?"
	printf "$fmt" "----------------------------------" "----------------------" \
	    "----------------------" "----------------------" "-------" "-------" "----"
	for r in $ROWS; do
		a=$(median $r stunnel4); b=$(median $r stunneld)
		ratio=-
		if [ -n "$a" ] && [ -n "$b" ]; then
			ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {
				if (a == 0) print "-"; else printf "%.2f", b / a }')
		fi
		tg=$(target $r); met=""
		if [ -n "$tg" ]; then
			if [ "$ratio" = - ]; then met="n/a"
			else met=$(awk -v r="$ratio" -v op="${tg% *}" -v t="${tg#* }" 'BEGIN {
				ok = (op == ">=") ? (r >= t) : (r <= t); print ok ? "yes" : "NO" }')
			fi
		fi
		case $r in p50add|mem) d="-" ;; *) d=$(cell $r direct) ;; esac
		printf "$fmt" "$(label $r)" "$d" "$(cell $r stunnel4)" "$(cell $r stunneld)" \
		    "$ratio" "${tg:--}" "$met"
	done
	echo
	echo "Raw limits on this machine:"
	echo "  loopback TCP, single stream:      $(cell bulk1 direct) MiB/s (the direct column above)"
	echo "  gnutls-cli --benchmark-ciphers:   AES-128-GCM ${GNUTLS_GCM:-not measured}"
	[ -z "$OPENSSL_GCM" ] ||
	echo "  openssl speed -evp aes-128-gcm:   ${OPENSSL_GCM} (16 KiB blocks; stunnel4's library)"
}

# Transparent mode: the redirect path beside the socks path.
rd_table() {
	echo "Transparent mode (stunneld only, in a network namespace): the socks path as above,"
	echo "and the redirect path, where loadgen dials node B's address itself and an nftables"
	echo "rule redirects it to a redirect tunnel (SO_ORIGINAL_DST instead of SOCKS5); same"
	echo "daemons, same sink, the same run."
	if [ -n "$RD_SKIP" ]; then
		echo "  skipped: $RD_SKIP"
		return
	fi
	fmt='%-34s | %-22s | %-22s | %-22s | %-7s\n'
	printf "$fmt" "figure (median [min-max])" direct socks redirect "ratio"
	printf "$fmt" "----------------------------------" "----------------------" \
	    "----------------------" "----------------------" "-------"
	for r in rconn1 rconn16 rp50 rp50add; do
		a=$(median $r ns_socks); b=$(median $r ns_redirect)
		ratio=-
		if [ -n "$a" ] && [ -n "$b" ]; then
			ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {
				if (a == 0) print "-"; else printf "%.2f", b / a }')
		fi
		case $r in
		rconn1)	l="new connections/s, sequential" ;;
		rconn16) l="new connections/s, 16 concurrent" ;;
		rp50)	l="64 B ping-pong RTT p50 (us)" ;;
		rp50add) l="p50 added latency vs direct (us)" ;;
		esac
		case $r in rp50add) d="-" ;; *) d=$(cell $r ns_direct) ;; esac
		printf "$fmt" "$l" "$d" "$(cell $r ns_socks)" "$(cell $r ns_redirect)" "$ratio"
	done
	echo "ratio = redirect / socks; a redirected connection must cost no more than a SOCKS one"
}

# Trust scoped per CA: stunneld with one ca file and with three scoped
# anchors (the network's CA last), in the same run.
trust_table() {
	fmt='%-34s | %-22s | %-22s | %s\n'
	echo "Trust scoped per CA: both stunneld tunnels with ca a list of three { file; names; }"
	echo "anchors (the network's CA last, so each chain is first tried on the other two)"
	echo "against the same tunnels with ca one file, in the same repetitions."
	printf "$fmt" "figure (median [min-max])" "one ca file" "3-anchor ca list" "ratio"
	printf "$fmt" "----------------------------------" "----------------------" "----------------------" "-----"
	for r in conn1 conn16; do
		a=$(median $r stunneld); b=$(median $r stunneld3)
		ratio=-
		[ -n "$a" ] && [ -n "$b" ] && ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {
			if (a == 0) print "-"; else printf "%.2f", b / a }')
		printf "$fmt" "$(label $r)" "$(cell $r stunneld)" "$(cell $r stunneld3)" "$ratio"
	done
}

# The handshake flood, stunneld only: the good peer alone, and during it.
flood_table() {
	fmt='%-40s | %-22s | %-22s | %-22s\n'
	echo "Handshake flood on stunneld's tls tunnel: tls-flood keeps $FLOOD_CONC handshakes"
	echo "without a certificate in flight from 127.0.0.3 (each sends one ClientHello and"
	echo "leaves once answered); the good peer (loadgen paced) makes $FLOOD_GOOD connections,"
	echo "one per 100 ms, through the socks tunnel from 127.0.0.1: connect + SOCKS5 +"
	echo "TLS to node B + the far end's status byte, then a 1-byte round trip."
	echo "Over the limit: four flooders of $FLOOD_BIG from 127.0.0.3-6 against a tunnel of"
	echo "max_connections 256, the good peer starting with them."
	printf "$fmt" "figure (median [min-max])" "good peer alone" "during the flood" "flood over the limit"
	printf "$fmt" "----------------------------------------" "----------------------" "----------------------" "----------------------"
	printf "$fmt" "good peer connect time p50 (ms)" "$(cell fl_p50 quiet)" "$(cell fl_p50 flood)" "$(cell fl_p50 big)"
	printf "$fmt" "good peer connect time p99 (ms)" "$(cell fl_p99 quiet)" "$(cell fl_p99 flood)" "$(cell fl_p99 big)"
	printf "$fmt" "good peer connections lost" "$(cell fl_fail quiet)" "$(cell fl_fail flood)" "$(cell fl_fail big)"
	printf "$fmt" "flood handshakes answered/s" "-" "$(cell fl_hs flood)" "$(cell fl_hs big)"
	printf "$fmt" "flood connections closed unanswered/s" "-" "$(cell fl_ref flood)" "$(cell fl_ref big)"
}

{
	rev=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown)
	kind=$( [ $QUICK = 1 ] && echo QUICK || echo full )
	[ "$ONLY" = callgrind ] && kind=callgrind
	echo "stunneld bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $kind run, source $rev"
	echo "$(uname -sr), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)),"
	gnutls="GnuTLS $(gnutls-cli --version 2>/dev/null | sed -n 's/.*gnutls-cli \([0-9.]*\).*/\1/p' | head -1)"
	if [ "$ONLY" = multichain ] || [ "$ONLY" = callgrind ]; then
		echo "stunneld: $gnutls; load average $LOAD_BEFORE before, $LOAD_AFTER after"
		[ "$ONLY" = callgrind ] && echo "$(valgrind --version); TLS 1.3, AES-128-GCM, ECDSA P-256, mutual verification"
	elif [ "$ONLY" = redirect ]; then
		echo "stunneld: $gnutls; $REPS repetitions per figure; connections ${CONN_S} s per run;" \
		    "$PINGS round trips; load average $LOAD_BEFORE before, $LOAD_AFTER after"
		echo
		rd_table
	else
		echo "stunnel4: $(stunnel4 -version 2>&1 | sed -n 's/^\(stunnel [0-9.]*\).*/\1/p' | head -1), $(stunnel4 -version 2>&1 | sed -n 's/^Compiled with \(.*\)/\1/p' | head -1);" \
		    "stunneld: $gnutls"
		echo "$REPS repetitions per figure; bulk ${BULK_S} s; connections ${CONN_S} s per run;" \
		    "$PINGS round trips; $IDLE_N idle connections; load average $LOAD_BEFORE before, $LOAD_AFTER after"
		echo "TLS 1.3, AES-128-GCM, ECDSA P-256 certificates, mutual verification on both paths;" \
		    "stunneld workers per tunnel: $WORKERS"
		echo "ratio = stunneld / stunnel4 (of the medians); targets from the issue"
		echo
		if [ "$ONLY" = trust ]; then
			trust_table
		else
			if [ "$ONLY" != flood ]; then
				table
				echo
				trust_table
				echo
			fi
			flood_table
		fi
		if [ -z "$ONLY" ]; then
			echo
			rd_table
		fi
	fi
	case $ONLY in ""|multichain) echo; mc_table ;; callgrind) echo; cg_table ;; esac
} >"$W/table.txt"

mkdir -p "$(dirname "$OUT")"
cp "$W/table.txt" "$OUT"
echo
cat "$W/table.txt"
echo
say "written to $OUT ($(($(date +%s) - T_START)) s)"
# Missed targets are information; a measurement that failed is an error.
if grep -q -i 'failed' "$W/table.txt"; then
	say "some measurements failed (see above)"
	exit 1
fi
exit 0
