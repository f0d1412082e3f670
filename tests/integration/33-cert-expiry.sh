#!/bin/sh
# Certificates that end, end their links.  Two pairs of nodes carry a
# live link each (SOCKS client -> socks tunnel -> tls tunnel -> echo,
# 64 bytes checked every 100 ms); then one end of each link gets a
# certificate that expires seconds later (stunnelctl cert issue
# --not-after, loaded with reload-certs, the link opened at once):
#   pair A -> B: the client's certificate (node A's) expires: B's tls
#     tunnel closes the link;
#   pair C -> D: the server's certificate (node D's) expires: C's socks
#     tunnel closes it.
# Each close comes after notAfter (the log line's time), is logged once
# with the peer's identity and "certificate expired", and cuts the SOCKS
# client's stream.  The expiring nodes warn of their own certificate
# (1-day warning at load, once, and once it has passed).  Node E, with a
# certificate valid 6 more days and a tunnel of 2 workers, logs the
# 7-day warning once per tunnel, not again for the same certificate, and
# the 30-day one for a renewed certificate.
#
# The expiring certificate must still be valid at the handshake: a
# machine too slow to connect within the window gets a longer one
# (10 s, then 30 s, then 90 s), never a failure for being slow.
. "$(dirname "$0")/lib.sh"
CTL=$STUNNELCTL

pki_pair
pki_cert ca node-c --ip 127.0.0.1 --dns node-c
pki_cert ca node-d --ip 127.0.0.2 --dns node-d
pki_cert ca node-e --ip 127.0.0.2 --dns node-e
"$CTL" cert issue node-e -d "$T/ca.pki" --out "$T" --force --ip 127.0.0.2 \
    --days 6 >"$T/pki-e6.out" 2>&1 || die "cert issue --days 6: $(cat "$T/pki-e6.out")"

PA=$(port_free); PB=$(port_free); PC=$(port_free); PD=$(port_free)
PE=$(port_free); PX=$(port_free); PY=$(port_free)
start_echo $PE

conf_global a node-a ca
echo "tunnels = { a_out = { mode = \"socks\"; listen = \"127.0.0.1:$PA\"; }; };" >>"$T/a.conf"
conf_global b node-b ca
echo "tunnels = { b_in = { mode = \"tls\"; listen = \"127.0.0.2:$PB\"; connect = \"127.0.0.1:$PE\"; }; };" >>"$T/b.conf"
conf_global c node-c ca
echo "tunnels = { c_out = { mode = \"socks\"; listen = \"127.0.0.1:$PC\"; }; };" >>"$T/c.conf"
conf_global d node-d ca
echo "tunnels = { d_in = { mode = \"tls\"; listen = \"127.0.0.2:$PD\"; connect = \"127.0.0.1:$PE\"; }; };" >>"$T/d.conf"
conf_global e node-e ca
cat >>"$T/e.conf" <<EOF
tunnels = {
	e_in = { mode = "tls"; listen = "127.0.0.2:$PX"; connect = "127.0.0.1:$PE"; workers = 2; };
	e_out = { mode = "socks"; listen = "127.0.0.1:$PY"; };
};
EOF
for n in a b c d e; do
	start_stunneld $n "$T/$n.conf" || die "node $n did not start"
done
wait_log e 'worker e_in#2 started' || die "no second worker on E"

# since NAME LINE: the lines of NAME.log after its first LINE lines.
since() {
	tail -n +"$(($2 + 1))" "$T/$1.log"
}
# lines NAME: how many lines NAME.log has now.
lines() {
	wc -l <"$T/$1.log" | tr -d ' '
}
# tod HH:MM:SS: seconds since midnight.
tod() {
	echo "$1" | awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }'
}

# --- 1. links whose peer's certificate expires -----------------------------
W=10
attempt=1
while :; do
	for n in a b c d; do
		eval "L_$n=$(lines $n)"
	done
	NA_EPOCH=$(( $(date +%s) + W ))
	NA=$(date -u -d "@$NA_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
	for n in a d; do
		"$CTL" cert issue node-$n -d "$T/ca.pki" --out "$T" --force \
		    --ip 127.0.0.2 --ip 127.0.0.1 --dns node-$n --not-after "$NA" \
		    >"$T/pki-short-$n.out" 2>&1 ||
		    die "cert issue --not-after $NA: $(cat "$T/pki-short-$n.out")"
		out=$("$CTL" -s "$T/$n.sock" reload-certs 2>&1) ||
		    die "reload-certs on $n: $out"
	done
	start_bg client-ab "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --ping 1 \
	    --until "$T/never" --interval 100 --timeout $((W + 90))
	cab=$(bg_pid client-ab)
	start_bg client-cd "$HELPERS/socks-client" -p 127.0.0.1:$PC -d 127.0.0.2:$PD --ping 1 \
	    --until "$T/never" --interval 100 --timeout $((W + 90))
	ccd=$(bg_pid client-cd)
	# Both links up (SOCKS reply 0x00) or refused; bounded by the clients'
	# own timeout.
	n=0
	while [ $n -lt $(( (W + 100) * 10 )) ]; do
		grep -q '^reply' "$T/client-ab.log" 2>/dev/null &&
		    grep -q '^reply' "$T/client-cd.log" 2>/dev/null && break
		kill -0 $cab 2>/dev/null || kill -0 $ccd 2>/dev/null || break
		sleep 0.1
		n=$((n + 1))
	done
	if grep -q '^reply 0x00' "$T/client-ab.log" &&
	    grep -q '^reply 0x00' "$T/client-cd.log"; then
		break
	fi
	# Refused: the certificate had already expired at the handshake.
	since b "$L_b" | grep -q 'peer refused: certificate expired' ||
	    since c "$L_c" | grep -q 'peer refused: certificate expired' ||
	    die "links through A -> B / C -> D not set up: $(cat "$T/client-ab.log" "$T/client-cd.log")"
	stop_bg client-ab
	stop_bg client-cd
	[ $attempt -lt 3 ] || die "no link within a ${W}s window, $attempt times"
	note "the handshake came after a ${W}s window: trying a longer one"
	# A link that did come up left a session ticket at its socks end,
	# and a resumed session would carry the old certificate: the socks
	# nodes start afresh (node A with a certificate still valid).
	stop_stunneld a
	stop_stunneld c
	pki_cert ca node-a --ip 127.0.0.1 --dns node-a
	start_stunneld a "$T/a.conf" || die "node A did not start again"
	start_stunneld c "$T/c.conf" || die "node C did not start again"
	attempt=$((attempt + 1))
	W=$((W * 3))
done
ok "links A -> B and C -> D up; node A's and node D's certificates end at $NA"

# Wait for each close, and for the own-certificate warnings at the end,
# up to a minute after notAfter; the clients see their stream cut.
DEADLINE=$((NA_EPOCH + 60))
# wait_since NAME REGEX: wait until NAME.log has a line matching REGEX
# since the attempt began, or DEADLINE passes.
wait_since() {
	while [ "$(date +%s)" -le $DEADLINE ]; do
		since $1 "$(eval echo \$L_$1)" | grep -q -e "$2" && return 0
		sleep 0.1
	done
	return 1
}
wait_since b "certificate expired: peer node-a"
wait_since c "certificate expired: peer node-d"
for p in $cab $ccd; do
	while kill -0 $p 2>/dev/null && [ "$(date +%s)" -le $DEADLINE ]; do
		sleep 0.1
	done
	kill $p 2>/dev/null
done
wait_bg client-ab
st_ab=$?
wait_bg client-cd
st_cd=$?

# check_close NODE PEERID CLIENTOUT CLIENTSTATUS WHAT
check_close() {
	since $1 "$(eval echo \$L_$1)" >"$T/$1.since"
	grep "certificate expired: peer $2" "$T/$1.since" >"$T/$1.closes"
	count=$(wc -l <"$T/$1.closes" | tr -d ' ')
	if [ "$count" -ne 1 ]; then
		fail "$5: $count lines naming peer $2 and \"certificate expired\" in $1.log (wanted 1)"
		return
	fi
	line=$(cat "$T/$1.closes")
	printf '%s\n' "$line" | grep -q -F "(valid until $NA)" ||
	    fail "$5: the log line does not say valid until $NA: $line"
	printf '%s\n' "$line" | grep -q ': closed: certificate expired' ||
	    fail "$5: the link was not closed in relay: $line"
	# After notAfter: the line's clock time is past it (the certificate
	# is valid through its notAfter second).
	stamp=$(printf '%s\n' "$line" | cut -c1-8)
	diff=$(( ($(tod "$stamp") - $(tod "$(date -d "@$NA_EPOCH" +%H:%M:%S)") + 86400) % 86400 ))
	if [ "$diff" -ge 1 ] && [ "$diff" -lt 43200 ]; then
		ok "$5: closed ${diff}s after notAfter, logged once: ${line#*info: }"
	else
		fail "$5: closed at $stamp, not after notAfter $NA: $line"
	fi
	pings=$(sed -n 's/^ping closed at \([0-9]*\)$/\1/p' "$3")
	if [ "$4" -ne 0 ] && [ -n "$pings" ] && [ "$pings" -gt 0 ]; then
		ok "$5: the SOCKS client's stream was cut after $pings round trips"
	else
		fail "$5: SOCKS client (exit $4): $(cat "$3")"
	fi
}
check_close b node-a "$T/client-ab.log" $st_ab "client certificate (tls side)"
check_close c node-d "$T/client-cd.log" $st_cd "server certificate (socks side)"

# The node whose certificate expired was told so by an alert.
since a "$L_a" | grep -q 'peer sent alert: Certificate is expired' &&
    since d "$L_d" | grep -q 'peer sent alert: Certificate is expired' &&
    ok "nodes A and D got the certificate-expired alert" ||
    fail "no certificate-expired alert seen by node A or D"

# The expiring nodes' own warnings: 1 day at the load, once, then expired.
for n in a d; do
	since $n "$(eval echo \$L_$n)" >"$T/$n.since"
	w1=$(grep -c 'expires within 1 day,' "$T/$n.since")
	wx=$(grep -c 'expires within \(7\|30\) days' "$T/$n.since")
	wait_since $n 'is past its end'
	wend=$(since $n "$(eval echo \$L_$n)" | grep -c 'is past its end')
	if [ "$w1" -eq 1 ] && [ "$wx" -eq 0 ] && [ "$wend" -eq 1 ]; then
		ok "node $n: its own certificate: the 1-day warning once, then expired once"
	else
		fail "node $n: own-certificate warnings: 1 day $w1, 7/30 days $wx, expired $wend (wanted 1, 0, 1)"
	fi
done

# --- 2. the node's own certificate: 6 days left -----------------------------
# One warning per tunnel (e_in has two workers), the nearest threshold, and
# none again when the same certificate is reloaded.  Every worker answers
# reload-certs only once it has started, so after the answer each one's
# warnings at start are in the log.
out=$("$CTL" -s "$T/e.sock" reload-certs 2>&1) || fail "reload-certs on E: $out"
w7=$(grep -c 'expires within 7 days' "$T/e.log")
w30=$(grep -c 'expires within 30 days' "$T/e.log")
win=$(grep 'expires within 7 days' "$T/e.log" | grep -c 'worker e_in\[')
wout=$(grep 'expires within 7 days' "$T/e.log" | grep -c 'worker e_out\[')
if [ "$w7" -eq 2 ] && [ "$win" -eq 1 ] && [ "$wout" -eq 1 ] && [ "$w30" -eq 0 ]; then
	ok "node E (6 days left): the 7-day warning once per tunnel, not again on reload-certs, none for 30 days"
else
	fail "node E: 7-day warnings $w7 (e_in $win, e_out $wout), 30-day $w30 (wanted 2 (1, 1), 0)"
fi
grep 'expires within 7 days' "$T/e.log" | head -1 | sed 's/^/  /'
"$CTL" cert issue node-e -d "$T/ca.pki" --out "$T" --force --ip 127.0.0.2 \
    --days 20 >"$T/pki-e20.out" 2>&1 || fail "cert issue --days 20: $(cat "$T/pki-e20.out")"
out=$("$CTL" -s "$T/e.sock" reload-certs 2>&1) || fail "reload-certs on E: $out"
w30=$(grep -c 'expires within 30 days' "$T/e.log")
[ "$w30" -eq 2 ] && ok "a renewed certificate (20 days): the 30-day warning once per tunnel" ||
    fail "renewed certificate: $w30 30-day warnings (wanted 2)"

for n in a b c d e; do
	stop_stunneld $n || fail "node $n exited with status $?"
done
done_test
