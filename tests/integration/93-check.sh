#!/bin/sh
# stunnelctl check [--days N], the health verdict of SPEC.md: one node
# with a socks and a tls tunnel.  All well: exit 0 and the one "ok" line
# (text and --json).  A tunnel whose own certificate (stunnelctl cert
# issue --days 3) ends within 7 days: check --days 7 exits 1 with one
# line naming that tunnel and certificate, --days 1 exits 0.  A CRL past
# its next update (made by certtool): exit 1 under crl_strict, a line per
# tunnel; exit 0 without crl_strict.  A worker killed until its tunnel is
# "failed": exit 1 naming that tunnel only.  No daemon: exit 3.
. "$(dirname "$0")/lib.sh"
CTL=$STUNNELCTL

pki_pair
# node-c: the certificate that ends within a week.
"$CTL" cert issue node-c -d "$T/ca.pki" --out "$T" --ip 127.0.0.1 \
    --days 3 --force >"$T/pki-node-c.out" 2>&1 ||
    die "stunnelctl cert issue --days 3: $(tail -1 "$T/pki-node-c.out")"

PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE

# node_conf OUT-TLS [GLOBAL-TLS]: $T/a.conf, node-a's certificate, the
# socks tunnel p2p_out with its own tls settings OUT-TLS and the tls
# tunnel p2p_in; GLOBAL-TLS goes in the global tls block.
node_conf() {
	conf_global a node-a ca "${2-}"
	cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; tls = { $1 }; };
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
	    connect = "127.0.0.1:$PE"; };
};
EOF
}

RUN=0
# restart: (re)start the node on $T/a.conf, logging to $T/aN.log, and wait
# until both workers serve.
restart() {
	[ -f "$T/a.pid" ] && { stop_stunneld a || fail "node a exit $?"; }
	RUN=$((RUN + 1))
	LOG=a$RUN
	start_bg $LOG "$STUNNELD" -f -v -c "$T/a.conf"
	cp "$T/$LOG.pid" "$T/a.pid"
	wait_log $LOG 'started with' 300 || die "$LOG: the node did not start"
	wait_until "$LOG: the two workers do not serve" \
	    "[ \"\$(grep -c 'serving with' '$T/$LOG.log')\" -ge 2 ]" 300 ||
	    die "$LOG: no workers"
}

# run_check ARGS...: check on the node; its output in $OUT, status in $RC.
run_check() {
	OUT=$("$CTL" -s "$T/a.sock" check "$@" 2>&1)
	RC=$?
}

# expect RC TEXT WHAT: the last run_check exited RC and printed TEXT.
expect() {
	if [ "$RC" -eq "$1" ] && [ "$OUT" = "$2" ]; then
		ok "$3: exit $RC, $(printf '%s' "$OUT" | tr '\n' '|')"
	else
		fail "$3: exit $RC (wanted $1), output: $(printf '%s' "$OUT" | tr '\n' '|'), wanted: $(printf '%s' "$2" | tr '\n' '|')"
	fi
}

# 0. Usage errors are exit 2, before any daemon is asked.
"$CTL" -s "$T/a.sock" check p2p_out >/dev/null 2>&1
[ $? -eq 2 ] && ok "check TUNNEL: exit 2" || fail "check TUNNEL: not exit 2"
"$CTL" -s "$T/a.sock" check --days 7d >/dev/null 2>&1
[ $? -eq 2 ] && ok "check --days 7d: exit 2" || fail "check --days 7d: not exit 2"
"$CTL" -s "$T/a.sock" status --days 7 >/dev/null 2>&1
[ $? -eq 2 ] && ok "status --days: exit 2" || fail "status --days: not exit 2"

# 1. No daemon: exit 3, as every command.
run_check
[ "$RC" -eq 3 ] && ok "no daemon: exit 3 ($OUT)" || fail "no daemon: exit $RC: $OUT"
OUT=$("$CTL" -s "$T/a.sock" --json check 2>/dev/null)
RC=$?
[ "$RC" -eq 3 ] && ok "no daemon, --json: exit 3" || fail "no daemon, --json: exit $RC"

# 2. All well.
node_conf ""
restart
run_check
expect 0 "ok: 2 tunnels running" "all well"
run_check --days 300
expect 0 "ok: 2 tunnels running, every certificate valid 300 more days" \
    "all well, --days 300"
run_check --json
expect 0 '{"ok":true,"days":0,"problems":[]}' "all well, --json"

# 3. p2p_out's own certificate, node-c, ends in 3 days.
node_conf "cert = \"$T/node-c.crt\"; key = \"$T/node-c.key\";"
restart
NA=$("$CTL" -s "$T/a.sock" --json status p2p_out |
    sed -n 's/.*"not_after":"\([^"]*\)".*/\1/p')
[ -n "$NA" ] || fail "status --json p2p_out: no cert.not_after"
run_check --days 7
expect 1 "p2p_out: certificate CN=node-c expires $NA, within 7 days" \
    "certificate within 7 days"
run_check --days 1
expect 0 "ok: 2 tunnels running, every certificate valid 1 more day" \
    "certificate valid more than 1 day"
run_check
expect 0 "ok: 2 tunnels running" "certificate not expired"
run_check --json --days 7
expect 1 "{\"ok\":false,\"days\":7,\"problems\":[{\"tunnel\":\"p2p_out\",\"problem\":\"cert-expiring\",\"message\":\"certificate CN=node-c expires $NA, within 7 days\"}]}" \
    "certificate within 7 days, --json"

# 4. A CRL past its next update (2020-01-02), on both tunnels.
if command -v certtool >/dev/null 2>&1; then
	cat >"$T/crl.tmpl" <<EOF
crl_this_update_date = "@1577836800"
crl_next_update_date = "@1577923200"
crl_number = 2
EOF
	certtool --generate-crl --load-ca-privkey "$T/ca.pki/ca.key" \
	    --load-ca-certificate "$T/ca.pki/ca.crt" --template "$T/crl.tmpl" \
	    --outfile "$T/old.crl" >"$T/certtool.out" 2>&1 ||
	    die "certtool --generate-crl: $(tail -3 "$T/certtool.out")"
	LINE="CRL past its next update 2020-01-02T00:00:00Z (crl_strict: the peers it covers are refused)"

	node_conf "" "crl = \"$T/old.crl\"; crl_strict = true;"
	restart
	run_check
	expect 1 "p2p_out: $LINE
p2p_in: $LINE" "expired CRL, crl_strict"
	run_check --json
	case $OUT in
	'{"ok":false,"days":0,"problems":[{"tunnel":"p2p_out","problem":"crl-expired",'*'{"tunnel":"p2p_in","problem":"crl-expired",'*)
		[ "$RC" -eq 1 ] && ok "expired CRL, crl_strict, --json: exit 1" ||
		    fail "expired CRL, crl_strict, --json: exit $RC" ;;
	*)	fail "expired CRL, crl_strict, --json: exit $RC: $OUT" ;;
	esac

	# Only p2p_out strict: only p2p_out's line.
	node_conf "crl_strict = true;" "crl = \"$T/old.crl\"; crl_strict = false;"
	restart
	run_check
	expect 1 "p2p_out: $LINE" "expired CRL, crl_strict on p2p_out only"

	node_conf "" "crl = \"$T/old.crl\"; crl_strict = false;"
	restart
	run_check
	expect 0 "ok: 2 tunnels running" "expired CRL, no crl_strict"
	# status still says the CRL is out of date: check saw it and let it be.
	"$CTL" -s "$T/a.sock" --json status p2p_in | grep -q '"expired":true' &&
	    ok "status --json: the CRL is expired all the same" ||
	    fail "status --json: the CRL is not shown expired"
else
	note "certtool not installed: the expired CRL is not checked"
fi

# 5. p2p_out's worker killed until the tunnel is "failed" (5 quick deaths
# in a row; the back-offs are 1, 2, 4 and 8 s, then 16 s while failed).
node_conf ""
restart
# worker_pid: the pid of p2p_out's newest worker.
worker_pid() {
	sed -n "s/.*worker p2p_out started, pid \([0-9]*\).*/\1/p" \
	    "$T/$LOG.log" | tail -1
}
w=$(worker_pid)
[ -n "$w" ] || die "cannot find p2p_out's worker"
failed=0
for i in 1 2 3 4 5 6; do
	kill -KILL "$w" || die "cannot kill worker $w"
	wait_log $LOG "worker p2p_out \(pid $w\) killed by signal 9" 300 ||
	    die "the death of $w was not logged"
	if grep -q "worker p2p_out (pid $w) .*(tunnel marked failed)" \
	    "$T/$LOG.log"; then
		failed=1
		break
	fi
	# Wait for the next worker, and for status to show it running.
	wait_until "no worker of p2p_out after pid $w" \
	    "[ \"\$(worker_pid)\" != $w ]" 300 || die "p2p_out not restarted"
	w=$(worker_pid)
	wait_until "p2p_out's worker $w not in status" \
	    "[ \"\$(stat_of a p2p_out pid)\" = $w ]" 300 ||
	    die "status does not show worker $w"
done
[ $failed -eq 1 ] || die "p2p_out not marked failed after $i deaths"
ok "p2p_out marked failed after $i deaths"
run_check
case $OUT in
"p2p_out: not running: failed ("*" restarts)")
	[ "$RC" -eq 1 ] && ok "failed tunnel: exit 1, $OUT" ||
	    fail "failed tunnel: exit $RC, $OUT" ;;
*)	fail "failed tunnel: exit $RC, output: $(printf '%s' "$OUT" | tr '\n' '|')" ;;
esac
run_check --json
case $OUT in
'{"ok":false,"days":0,"problems":[{"tunnel":"p2p_out","problem":"not-running","message":"not running: failed ('*' restarts)"}]}')
	[ "$RC" -eq 1 ] && ok "failed tunnel, --json: exit 1" ||
	    fail "failed tunnel, --json: exit $RC" ;;
*)	fail "failed tunnel, --json: exit $RC: $OUT" ;;
esac

# 6. The daemon gone: exit 3 again.
stop_stunneld a || fail "node a exit $?"
run_check
[ "$RC" -eq 3 ] && ok "daemon stopped: exit 3" || fail "daemon stopped: exit $RC: $OUT"
done_test
