# bench/callgrind.sh: the instruction counts of bench/run.sh
# (BENCH_ONLY=callgrind), which sources it after its own helpers (start,
# say, port, add, field, the certificates in $W).  Wall-clock figures are
# noise on a machine that others load; valgrind's callgrind counts the
# instructions a process executes, which load does not change.
#
# The workload: CG_CONNS connections, one after another (so that no run
# batches events differently from another), each a socks-client sending
# CG_BYTES through stunneld A (socks) to stunneld B (tls) to the sink and
# reading the echo back; both daemons run under callgrind.  Each binary
# runs it twice, with CG_WARM and with CG_WARM + CG_CONNS connections, on
# fresh daemons: the difference of the workers' instructions, divided by
# CG_CONNS, is what one connection costs, without start, stop and what the
# first connections set up.  The supervisors are left out: they take no
# part in a connection, and what they do while idle grows with the time
# a run takes, not with its connections.
#
# BENCH_OLD, BENCH_NEW: the stunneld binaries to compare (NEW: this
# build's; without OLD only NEW is measured).  BENCH_REPS: runs per binary
# and count (default 1: the counts repeat to a fraction of a per cent).

CG_CONNS=${BENCH_CG_CONNS:-200}
CG_WARM=${BENCH_CG_WARM:-10}
CG_BYTES=${BENCH_CG_BYTES:-65536}
CG_REPS=${BENCH_REPS:-1}
CG_NEW=${BENCH_NEW:-$STUNNELD}
CG_OLD=${BENCH_OLD:-}
CG_SC=$top_builddir/tests/integration/helpers/socks-client
CG_FAILED=0

# cg_conf NODE: the configuration of daemon NODE (a: socks, b: tls), as
# the main bench's but one tunnel each, no sandbox (valgrind's own system
# calls would meet the worker's seccomp filter) and its own ports.
cg_conf() {
	cat >"$W/cg-$1.conf" <<EOF
control_socket = "$W/cg-$1.sock";
pid_file = "$W/cg-$1.pid";
log_level = "error";
shutdown_timeout = 1;
sandbox = false;
tls = {
	cert = "$W/node-$1.crt";
	key = "$W/node-$1.key";
	ca = "$W/ca.crt";
	priority = "$PRIORITY";
};
EOF
	case $1 in
	a)	echo "tunnels = { cg_out = { mode = \"socks\"; listen = \"127.0.0.1:$CG_PA\"; }; };" ;;
	b)	echo "tunnels = { cg_in = { mode = \"tls\"; listen = \"127.0.0.2:$CG_PB\"; connect = \"127.0.0.1:$CG_PS\"; }; };" ;;
	esac >>"$W/cg-$1.conf"
}

# cg_listens HOST PORT: whether something listens there.
cg_listens() {
	[ -n "$(ss -Hltn "src $1:$2" 2>/dev/null)" ]
}

# cg_stop: SIGTERM both daemons of cg_run and wait for them (their
# workers write their counts as they exit, the supervisor waits for them).
cg_stop() {
	for _d in a b; do
		eval "_p=\${_pid_$_d:-}"
		[ -n "$_p" ] || continue
		kill -TERM "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
		PIDS=$(echo "$PIDS" | sed "s/ $_p\b//")
	done
}

# cg_run BINARY N DIR: both daemons of BINARY under callgrind, N
# connections through them, the daemons stopped; the counts in DIR/cg.*,
# the workers' instructions in CG_SUM, those of stunneld's own code (not
# GnuTLS, libc...) in CG_OWN.  Returns 1 if anything failed.
cg_run() {
	_bin=$1 _n=$2 _dir=$3
	_pid_a="" _pid_b=""
	rm -rf "$_dir"
	mkdir -p "$_dir" || return 1
	for _d in b a; do
		valgrind --tool=callgrind --callgrind-out-file="$_dir/cg.$_d.%p" \
		    "$_bin" -f -c "$W/cg-$_d.conf" >"$_dir/$_d.log" 2>&1 &
		eval "_pid_$_d=$!"
		PIDS="$PIDS $!"
	done
	_i=0
	until cg_listens 127.0.0.1 $CG_PA && cg_listens 127.0.0.2 $CG_PB; do
		_i=$((_i + 1))
		if [ $_i -ge 1200 ]; then
			say "callgrind: the daemons did not start: $(tail -3 "$_dir"/?.log)"
			cg_stop
			return 1
		fi
		sleep 0.1
	done
	_i=0
	while [ $_i -lt "$_n" ]; do
		_out=$("$CG_SC" -p 127.0.0.1:$CG_PA -d 127.0.0.2:$CG_PB \
		    --send-bytes "$CG_BYTES" --timeout 300 2>&1)
		case $_out in
		*"received $CG_BYTES match"*) ;;
		*)	say "callgrind: connection $_i: $(echo "$_out" | tr '\n' '|')"
			cg_stop
			return 1 ;;
		esac
		_i=$((_i + 1))
	done
	cg_stop
	# one file per process, cg.NODE.PID; the supervisors' PIDs are ours
	CG_SUM=0 CG_OWN=0
	for _f in "$_dir"/cg.*; do
		case $_f in
		*".$_pid_a"|*".$_pid_b")	continue ;;
		esac
		_v=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$_f")
		[ -n "$_v" ] || { say "callgrind: no summary in $_f"; return 1; }
		CG_SUM=$((CG_SUM + _v))
		_v=$(callgrind_annotate --threshold=100 --auto=no "$_f" |
		    awk -v o="[$_bin]" 'index($0, o) { gsub(",", "", $1); s += $1 } END { print s + 0 }')
		CG_OWN=$((CG_OWN + _v))
	done
	[ "$CG_SUM" -gt 0 ] || { say "callgrind: no worker counts in $_dir"; return 1; }
}

# cg_measure NAME BINARY: the per-connection figure of BINARY, CG_REPS times.
cg_measure() {
	for _r in $(seq "$CG_REPS"); do
		cg_run "$2" "$CG_WARM" "$W/cg-$1-lo" && lo=$CG_SUM lo_own=$CG_OWN &&
		    cg_run "$2" $((CG_WARM + CG_CONNS)) "$W/cg-$1-hi" && hi=$CG_SUM hi_own=$CG_OWN || {
			add cg "$1" FAIL
			add cgown "$1" FAIL
			CG_FAILED=1
			continue
		}
		v=$(( (hi - lo) / CG_CONNS ))
		vo=$(( (hi_own - lo_own) / CG_CONNS ))
		add cg "$1" "$v"
		add cgown "$1" "$vo"
		say "  callgrind $1: $lo instructions with $CG_WARM connections, $hi with $((CG_WARM + CG_CONNS)): $v per connection, $vo of them in stunneld's own code"
	done
}

# cg_bench: the figures, new binary first.
cg_bench() {
	command -v valgrind >/dev/null 2>&1 ||
	    die "valgrind is not installed (Debian: valgrind)"
	[ -x "$CG_SC" ] || die "$CG_SC is not built (run \"make bench\")"
	[ -z "$CG_OLD" ] || [ -x "$CG_OLD" ] || die "BENCH_OLD: $CG_OLD is not executable"
	port; CG_PA=$NEXT_PORT; port; CG_PB=$NEXT_PORT; port; CG_PS=$NEXT_PORT
	cg_conf a
	cg_conf b
	start cg_sink "$SINK" -l 127.0.0.1:$CG_PS
	wait_port 127.0.0.1 $CG_PS || die "the sink did not start"
	say "callgrind: $CG_CONNS connections of $CG_BYTES bytes (after $CG_WARM), new: $CG_NEW"
	cg_measure new "$CG_NEW"
	if [ -n "$CG_OLD" ]; then
		say "callgrind: old: $CG_OLD"
		cg_measure old "$CG_OLD"
	fi
}

# cg_table: the figures.
cg_table() {
	echo "Instructions per connection (valgrind --tool=callgrind, the workers of both"
	echo "stunneld daemons): $CG_CONNS connections one after another, each a SOCKS5"
	echo "connect through the socks tunnel to the tls tunnel to the sink, $CG_BYTES bytes"
	echo "sent and echoed; (count with $((CG_WARM + CG_CONNS)) - count with $CG_WARM) / $CG_CONNS."
	echo "new: $CG_NEW"
	[ -n "$CG_OLD" ] && echo "old: $CG_OLD"
	fmt='%-34s | %-24s | %-24s | %s\n'
	printf "$fmt" "instructions per connection" "new (each run)" "old (each run)" "new / old (medians)"
	printf "$fmt" "----------------------------------" "------------------------" "------------------------" "-------------------"
	for fig in cg cgown; do
		case $fig in
		cg)	label="all (stunneld and its libraries)" ;;
		cgown)	label="in stunneld's own code" ;;
		esac
		eval "vn=\${R_${fig}_new:-}"
		vo="-" ratio="-"
		if [ -n "$CG_OLD" ]; then
			eval "vo=\${R_${fig}_old:-}"
			n=$(median $fig new) o=$(median $fig old)
			if [ -n "$n" ] && [ -n "$o" ] && [ "$o" != 0 ]; then
				ratio=$(awk -v n="$n" -v o="$o" 'BEGIN { printf "%.4f (%+.2f%%)", n / o, (n - o) * 100 / o }')
			else
				ratio="failed"
			fi
		fi
		printf "$fmt" "$label" "${vn# }" "${vo# }" "$ratio"
	done
	[ "$CG_FAILED" = 0 ] || echo "some callgrind runs failed (see above)"
}
