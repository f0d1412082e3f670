#!/bin/sh
# The three-node mesh.  Network namespaces alpha, beta and gamma (10.77.0.1,
# .2, .3), joined by veths to a bridge that lives in a fourth namespace, so
# nothing here touches the host's interfaces.  Each node runs stunneld with
# a socks tunnel (127.0.0.1:1080) and a tls tunnel (10.77.0.N:7447 ->
# 127.0.0.1:7448), and p2p-node standing in for multichaind: it listens on
# 127.0.0.1:7448 and dials each peer's advertised address 10.77.0.M:7447
# through SOCKS5 with multichaind's bytes.  No routes: each certificate
# carries its node's IP.  Six directed links exchange checksummed,
# numbered, acked messages every 20 ms while, one after the other:
#   1. alpha's socks worker is SIGKILLed: alpha's outgoing links come back,
#      the other four lose nothing;
#   2. beta's stunneld restarts: beta's links come back, alpha<->gamma
#      lose nothing;
#   3. gamma's veth is down for 5 s: gamma's links come back after it,
#      alpha<->beta lose nothing;
#   4. gamma is revoked (CRL on alpha and beta, reload-certs): gamma's open
#      links close, its new ones are refused, alpha<->beta lose nothing;
#   5. beta's certificate is rotated under traffic: nothing dropped.
# Corrupt or out-of-order messages must be 0 on every link at all times.
# After each fault a figure line per link: sent/acked/lost/corrupt deltas
# over the fault, and the recovery time.
. "$(dirname "$0")/lib.sh"
need ip awk
[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"
CTL=$top_builddir/ctl/stunnelctl
P2P=$HELPERS/p2p-node
[ -x "$P2P" ] || die "$P2P not built"
[ -x "$CTL" ] || die "$CTL not built"

NODES="alpha beta gamma"
LINKS="alpha:beta alpha:gamma beta:alpha beta:gamma gamma:alpha gamma:beta"
BR=stunneld-t96-$$-br
ns() { echo "stunneld-t96-$$-$1"; }
ip_of() {
	case $1 in
	alpha)	echo 10.77.0.1 ;;
	beta)	echo 10.77.0.2 ;;
	gamma)	echo 10.77.0.3 ;;
	esac
}

ip netns add "$BR" 2>/dev/null || skip "cannot create a network namespace"
CLEANUP_HOOK='for n in $NODES; do ip netns delete "$(ns $n)" 2>/dev/null; done;
    ip netns delete "$BR" 2>/dev/null'
ip -n "$BR" link set lo up || die "lo up in $BR"
ip -n "$BR" link add br0 type bridge || skip "cannot make a bridge"
ip -n "$BR" link set br0 up || die "bridge up"
for n in $NODES; do
	ip netns add "$(ns $n)" || die "cannot create namespace $(ns $n)"
	ip -n "$(ns $n)" link set lo up || die "lo up in $n"
	ip -n "$BR" link add "v-$n" type veth peer name "x-$n" ||
	    skip "cannot make a veth pair"
	ip -n "$BR" link set "x-$n" netns "$(ns $n)" || die "veth to $n"
	ip -n "$BR" link set "v-$n" master br0 up || die "veth of $n on the bridge"
	ip -n "$(ns $n)" link set "x-$n" name eth0 || die "rename veth in $n"
	ip -n "$(ns $n)" addr add "$(ip_of $n)/24" dev eth0 || die "address of $n"
	ip -n "$(ns $n)" link set eth0 up || die "eth0 up in $n"
done
if command -v ping >/dev/null 2>&1; then
	ip netns exec "$(ns alpha)" ping -c 1 -W 5 10.77.0.3 >/dev/null 2>&1 ||
	    die "alpha cannot ping gamma across the bridge"
fi

# PKI: one CA, a certificate per node with its IP as IP SAN, an empty CRL
# that alpha and beta load from the start (each its own copy).
pki_ca ca
for n in $NODES; do
	pki_cert ca "node-$n" --ip "$(ip_of $n)" --dns "node-$n"
done
pki_crl ca
for n in $NODES; do
	conf_global "$n" "node-$n" ca
	case $n in
	gamma)	sed -i "\\|crl = |d" "$T/$n.conf" ;;
	*)	cp "$T/ca.crl" "$T/crl-$n.crl"
		sed -i "s|\"$T/ca.crl\"|\"$T/crl-$n.crl\"|" "$T/$n.conf"
		grep -q "crl = \"$T/crl-$n.crl\"" "$T/$n.conf" ||
		    die "$n.conf does not name its CRL copy" ;;
	esac
	cat >>"$T/$n.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:1080"; };
	p2p_in = { mode = "tls"; listen = "$(ip_of $n):7447"; connect = "127.0.0.1:7448"; };
};
EOF
done

for n in $NODES; do
	start_bg "$n" ip netns exec "$(ns $n)" "$STUNNELD" -f -v -c "$T/$n.conf"
done
for n in $NODES; do
	wait_log "$n" 'started with' || die "stunneld on $n did not start"
done
for n in $NODES; do
	peers=""
	for m in $NODES; do
		[ "$m" = "$n" ] || peers="$peers -p $m=$(ip_of $m):7447"
	done
	# shellcheck disable=SC2086
	start_bg "p2p-$n" ip netns exec "$(ns $n)" "$P2P" -n "$n" \
	    -l 127.0.0.1:7448 -x 127.0.0.1:1080 -s "$T/$n.status" -i 20 $peers
done

now_ms() { date +%s%3N; }

# snap FILE: one line per directed link, from the senders' and receivers'
# status files: FROM TO sent acked lost corrupt reconnects up rcorrupt
# recv late link_first_ack down_since fails link_acked (columns 1..15).
snap() {
	awk '
	function v(x) { return x == "" ? "0" : x }
	FNR == 1 { node = FILENAME; sub(/.*\//, "", node); sub(/\.status$/, "", node) }
	$1 == "out" { k = node " " $2; keys[k] = 1
		for (i = 3; i < NF; i += 2) o[k, $i] = $(i + 1) }
	$1 == "in" { k = $2 " " node
		for (i = 3; i < NF; i += 2) r[k, $i] = $(i + 1) }
	END { for (k in keys)
		printf "%s %s %s %s %s %s %s %s %s %s %s %s %s %s\n", k,
		    v(o[k, "sent"]), v(o[k, "acked"]), v(o[k, "lost"]),
		    v(o[k, "corrupt"]), v(o[k, "reconnects"]), v(o[k, "up"]),
		    v(r[k, "corrupt"]), v(r[k, "recv"]), v(r[k, "late"]),
		    v(o[k, "link_first_ack"]), v(o[k, "down_since"]),
		    v(o[k, "fails"]), v(o[k, "link_acked"]) }
	' "$T/alpha.status" "$T/beta.status" "$T/gamma.status" 2>/dev/null |
	    sort >"$1"
}
COLS="sent:3 acked:4 lost:5 corrupt:6 reconnects:7 up:8 rcorrupt:9 recv:10 late:11 first_ack:12 down_since:13 fails:14 link_acked:15"
# get FILE FROM:TO FIELD
get() {
	col=$(for c in $COLS; do [ "${c%:*}" = "$3" ] && echo "${c#*:}"; done)
	x=$(awk -v f="${2%:*}" -v t="${2#*:}" -v c="$col" \
	    '$1 == f && $2 == t { print $c }' "$1")
	echo "${x:-0}"
}
# d FIELD LINK: FIELD's growth from $T/s0 to $T/s1.
d() {
	echo $(( $(get "$T/s1" "$2" "$1") - $(get "$T/s0" "$2" "$1") ))
}
short() { echo "$1" | sed 's/alpha/a/; s/beta/b/; s/gamma/g/; s/:/>/'; }

# figures FAULT: the per-link line of a fault (s0 before, s1 after).
figures() {
	line=""
	for l in $LINKS; do
		line="$line $(short "$l") sent $(d sent "$l") acked $(d acked "$l") lost $(d lost "$l") corrupt $(( $(d corrupt "$l") + $(d rcorrupt "$l") )) reconnects $(d reconnects "$l");"
	done
	note "figures: $1:$line"
}

# Nothing here is judged by a clock: a window lasts until its links have
# carried ACKS acks (two seconds' worth at 20 ms), so a slow machine
# watches longer instead of failing; the bounds on the waits (BOUND s)
# are reached only when links never come back.
ACKS=100
BOUND=$((WAIT_TENTHS / 10))

# untouched WINDOW_S LINK...: the links kept going from s0 to s1: no loss,
# no reconnect, at least ACKS acks (settle waited for them), up at the end.
untouched() {
	w=$1
	shift
	bad=0
	for l in "$@"; do
		a=$(d acked "$l")
		if [ "$(d lost "$l")" -ne 0 ] || [ "$(d reconnects "$l")" -ne 0 ] ||
		    [ "$a" -lt "$ACKS" ] || [ "$(get "$T/s1" "$l" up)" -ne 1 ]; then
			fail "$FAULT: $(short "$l") should be untouched: acked +$a (want >= $ACKS) lost +$(d lost "$l") reconnects +$(d reconnects "$l") up $(get "$T/s1" "$l" up)"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] && ok "$FAULT: untouched over ${w}s: $(for l in "$@"; do printf '%s (+%s acks) ' "$(short "$l")" "$(d acked "$l")"; done)"
}

# clean: nothing corrupt or out of order anywhere, ever (in $T/s1).
clean() {
	for l in $LINKS; do
		c=$(get "$T/s1" "$l" corrupt)
		r=$(get "$T/s1" "$l" rcorrupt)
		[ "$c" -eq 0 ] && [ "$r" -eq 0 ] ||
		    fail "$FAULT: $(short "$l"): $c corrupt acks, $r corrupt messages"
	done
}

# wait_new_links T0 BOUND_S LINK...: wait until each link is up on a link
# established after the fault (more reconnects than in s0) and acked on
# it.  Sets REC to the recovery time in ms (fault at T0 -> latest first
# ack on the new links).
wait_new_links() {
	t0=$1
	bound=$2
	shift 2
	end=$(( $(now_ms) + bound * 1000 ))
	while :; do
		snap "$T/sw"
		pending=""
		REC=0
		for l in "$@"; do
			fa=$(get "$T/sw" "$l" first_ack)
			if [ "$(get "$T/sw" "$l" reconnects)" -gt "$(get "$T/s0" "$l" reconnects)" ] &&
			    [ "$(get "$T/sw" "$l" up)" -eq 1 ] && [ "$fa" -gt "$t0" ]; then
				[ $(( fa - t0 )) -gt "$REC" ] && REC=$(( fa - t0 ))
			else
				pending="$pending $(short "$l")"
			fi
		done
		[ -z "$pending" ] && return 0
		if [ "$(now_ms)" -gt "$end" ]; then
			fail "$FAULT: links not re-established within ${bound}s:$pending"
			return 1
		fi
		sleep 0.2
	done
}

# wait_acks SNAP BOUND_S LINK...: wait until each link is up and has
# more acks than in SNAP (MORE more, default 1).  Sets REC to the ms this
# took.
wait_acks() {
	base=$1
	bound=$2
	shift 2
	t=$(now_ms)
	end=$(( t + bound * 1000 ))
	while :; do
		snap "$T/sw"
		pending=""
		for l in "$@"; do
			[ "$(get "$T/sw" "$l" up)" -eq 1 ] &&
			    [ "$(get "$T/sw" "$l" acked)" -ge $(( $(get "$base" "$l" acked) + ${MORE:-1} )) ] ||
			    pending="$pending $(short "$l")"
		done
		REC=$(( $(now_ms) - t ))
		[ -z "$pending" ] && return 0
		if [ "$(now_ms)" -gt "$end" ]; then
			fail "$FAULT: no acks within ${bound}s on:$pending"
			return 1
		fi
		sleep 0.2
	done
}

# settle LINK...: after a fault, watch the links for ACKS more acks (from
# a snapshot taken now) before s1 ends the window: a disturbance that
# follows the recovery shows in it.
settle() {
	snap "$T/ss"
	MORE=$ACKS
	wait_acks "$T/ss" "$BOUND" "$@"
	MORE=1
}

# ms_s MS: "1.234s"
ms_s() { printf '%d.%03ds' $(( $1 / 1000 )) $(( $1 % 1000 )); }

# --- the mesh comes up ------------------------------------------------------
FAULT=setup
snap "$T/s0"	# no status files yet: all zero
wait_acks "$T/s0" "$BOUND" $LINKS || die "the mesh did not come up"
ok "setup: the six links are up and acked (waited $(ms_s $REC))"
settle $LINKS
snap "$T/s0"
t0=$(now_ms)
settle $LINKS
snap "$T/s1"
untouched $(( ($(now_ms) - t0) / 1000 )) $LINKS
clean
[ "$TEST_FAILED" -eq 0 ] || die "the mesh does not run cleanly without faults"

# worker_pid NODE TUNNEL: the newest worker pid of TUNNEL on NODE.
worker_pid() {
	sed -n "s/.*worker $2 started, pid \([0-9]*\).*/\1/p" "$T/$1.log" | tail -1
}

# --- 1. SIGKILL of alpha's socks worker --------------------------------------
FAULT="1 SIGKILL alpha's socks worker"
wpid=$(worker_pid alpha p2p_out)
[ -n "$wpid" ] && kill -0 "$wpid" || die "$FAULT: no worker pid in alpha.log"
snap "$T/s0"
t0=$(now_ms)
kill -KILL "$wpid"
wait_new_links "$t0" "$BOUND" alpha:beta alpha:gamma &&
    ok "$FAULT: alpha>beta and alpha>gamma re-established, recovery $(ms_s $REC)"
rec1=$REC
settle $LINKS
snap "$T/s1"
w=$(( ($(now_ms) - t0) / 1000 ))
untouched "$w" beta:alpha beta:gamma gamma:alpha gamma:beta
clean
[ "$(worker_pid alpha p2p_out)" != "$wpid" ] || fail "$FAULT: no new worker logged"
figures "$FAULT (recovery $(ms_s $rec1))"

# --- 2. restart of beta's stunneld -------------------------------------------
FAULT="2 restart beta's stunneld"
snap "$T/s0"
t0=$(now_ms)
stop_stunneld beta
st=$?
[ "$st" -eq 0 ] || fail "$FAULT: stunneld on beta exited $st on SIGTERM"
start_bg beta2 ip netns exec "$(ns beta)" "$STUNNELD" -f -v -c "$T/beta.conf"
wait_log beta2 'started with' || die "$FAULT: stunneld on beta did not start again"
t1=$(now_ms)
wait_new_links "$t0" "$BOUND" alpha:beta beta:alpha beta:gamma gamma:beta &&
    ok "$FAULT: beta's four links re-established, recovery $(ms_s $REC) (stunneld down for $(ms_s $(( t1 - t0 ))))"
rec2=$REC
settle $LINKS
snap "$T/s1"
w=$(( ($(now_ms) - t0) / 1000 ))
untouched "$w" alpha:gamma gamma:alpha
clean
figures "$FAULT (recovery $(ms_s $rec2))"

# --- 3. gamma's link down for 5 s -------------------------------------------
FAULT="3 gamma's veth down for 5s"
snap "$T/s0"
t0=$(now_ms)
ip -n "$(ns gamma)" link set eth0 down || fail "$FAULT: link down"
# The outage is the fault itself, so these sleeps stay: what was already
# across the veth is delivered within the first second (2 s here, for a
# slow machine), and the 3 s after it must see no ack on gamma's links;
# a slow machine only makes fewer acks on the others, and one is enough.
sleep 2
snap "$T/sd0"
sleep 3
snap "$T/sdown"
ip -n "$(ns gamma)" link set eth0 up || fail "$FAULT: link up"
t1=$(now_ms)
ip -n "$(ns gamma)" addr show dev eth0 | grep -q 'inet 10.77.0.3/' ||
    fail "$FAULT: gamma lost its address"
# The fault was real: from 2 s into the outage to its end, no ack on
# gamma's links, while alpha<->beta went on.
for l in alpha:gamma gamma:alpha beta:gamma gamma:beta alpha:beta beta:alpha; do
	a=$(( $(get "$T/sdown" "$l" acked) - $(get "$T/sd0" "$l" acked) ))
	case $l in
	*gamma*) [ "$a" -eq 0 ] ||
		fail "$FAULT: $(short "$l") got $a acks while gamma was cut off" ;;
	*)	[ "$a" -gt 0 ] ||
		fail "$FAULT: $(short "$l") got no ack while gamma was cut off" ;;
	esac
done
wait_acks "$T/sdown" "$BOUND" alpha:gamma gamma:alpha beta:gamma gamma:beta &&
    ok "$FAULT: gamma's links carry acks again $(ms_s $REC) after link up"
rec3=$REC
settle $LINKS
snap "$T/s1"
w=$(( ($(now_ms) - t0) / 1000 ))
untouched "$w" alpha:beta beta:alpha
clean
figures "$FAULT (recovery $(ms_s $rec3) after link up, $(ms_s $(( t1 - t0 + rec3 )) ) after the fault)"

# --- 4. revocation of gamma ---------------------------------------------------
FAULT="4 revoke gamma"
# Let gamma's links settle on fresh, acked links first.
wait_acks "$T/s1" "$BOUND" alpha:gamma gamma:alpha beta:gamma gamma:beta
pki_crl ca node-gamma
snap "$T/s0"
t0=$(now_ms)
for n in alpha beta; do
	cp "$T/ca.crl" "$T/crl-$n.crl.new" && mv "$T/crl-$n.crl.new" "$T/crl-$n.crl"
	out=$($CTL -s "$T/$n.sock" reload-certs 2>&1)
	st=$?
	if [ "$st" -eq 0 ]; then
		note "$FAULT: reload-certs on $n: $(echo "$out" | tr '\n' ' ')"
	else
		fail "$FAULT: reload-certs on $n: exit $st: $out"
	fi
done
# gamma's open links close (the time it took is printed).
end=$(( t0 + BOUND * 1000 ))
while :; do
	snap "$T/sw"
	pending=""
	for l in alpha:gamma gamma:alpha beta:gamma gamma:beta; do
		[ "$(get "$T/sw" "$l" up)" -eq 0 ] &&
		    [ "$(get "$T/sw" "$l" down_since)" -gt "$t0" ] ||
		    pending="$pending $(short "$l")"
	done
	[ -z "$pending" ] && break
	if [ "$(now_ms)" -gt "$end" ]; then
		fail "$FAULT: still open ${BOUND}s after reload-certs:$pending"
		break
	fi
	sleep 0.2
done
closed=0
for l in alpha:gamma gamma:alpha beta:gamma gamma:beta; do
	ds=$(get "$T/sw" "$l" down_since)
	[ $(( ds - t0 )) -gt "$closed" ] && closed=$(( ds - t0 ))
done
[ -z "$pending" ] && ok "$FAULT: gamma's four open links closed within $(ms_s $closed)"
grep -q 'revoked' "$T/alpha.log" && grep -q 'revoked' "$T/beta2.log" ||
    fail "$FAULT: the revocation closes are not logged on alpha and beta"
# Its new links are refused: each link's next three dials fail (the
# back-off is at most 2 s), none is established, no message from gamma or
# to gamma is acked.
snap "$T/sr0"
tr0=$(now_ms)
end=$(( tr0 + BOUND * 1000 ))
while :; do
	snap "$T/sr1"
	pending=""
	for l in alpha:gamma gamma:alpha beta:gamma gamma:beta; do
		[ $(( $(get "$T/sr1" "$l" fails) - $(get "$T/sr0" "$l" fails) )) -ge 3 ] ||
		    pending="$pending $(short "$l")"
	done
	[ -z "$pending" ] && break
	if [ "$(now_ms)" -gt "$end" ]; then
		fail "$FAULT: fewer than 3 failed dials in ${BOUND}s:$pending"
		break
	fi
	sleep 0.2
done
secs=$(ms_s $(( $(now_ms) - tr0 )))
for l in alpha:gamma gamma:alpha beta:gamma gamma:beta; do
	ra=$(( $(get "$T/sr1" "$l" acked) - $(get "$T/sr0" "$l" acked) ))
	rr=$(( $(get "$T/sr1" "$l" recv) - $(get "$T/sr0" "$l" recv) ))
	rc=$(( $(get "$T/sr1" "$l" reconnects) - $(get "$T/s0" "$l" reconnects) ))
	rf=$(( $(get "$T/sr1" "$l" fails) - $(get "$T/sr0" "$l" fails) ))
	if [ "$ra" -eq 0 ] && [ "$rr" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$rf" -ge 3 ] &&
	    [ "$(get "$T/sr1" "$l" up)" -eq 0 ]; then
		ok "$FAULT: $(short "$l") refused over $secs ($rf failed attempts, no ack, no link)"
	else
		fail "$FAULT: $(short "$l") after revocation: +$ra acks, +$rr received, +$rc links, +$rf failed attempts"
	fi
done
grep -q 'reply 0x01' "$T/p2p-gamma.log" ||
    fail "$FAULT: gamma's dials are not refused with a TLS failure (0x01)"
settle alpha:beta beta:alpha
snap "$T/s1"
w=$(( ($(now_ms) - t0) / 1000 ))
untouched "$w" alpha:beta beta:alpha
clean
figures "$FAULT (gamma's links closed $(ms_s $closed) after reload-certs)"

# --- 5. rotation of beta's certificate under traffic -------------------------
FAULT="5 rotate beta's certificate"
serial() {
	ip netns exec "$(ns alpha)" openssl s_client -connect 10.77.0.2:7447 \
	    -cert "$T/node-alpha.crt" -key "$T/node-alpha.key" \
	    -CAfile "$T/ca.crt" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null
}
s_old=""
command -v openssl >/dev/null 2>&1 && s_old=$(serial)
snap "$T/s0"
t0=$(now_ms)
pki_cert ca node-beta --ip 10.77.0.2 --dns node-beta
out=$($CTL -s "$T/beta.sock" reload-certs 2>&1)
st=$?
[ "$st" -eq 0 ] && note "$FAULT: reload-certs on beta: $(echo "$out" | tr '\n' ' ')" ||
    fail "$FAULT: reload-certs on beta: exit $st: $out"
if [ -n "$s_old" ]; then
	s_new=$(serial)
	[ -n "$s_new" ] && [ "$s_new" != "$s_old" ] &&
	    ok "$FAULT: new handshakes see beta's $s_new (was $s_old)" ||
	    fail "$FAULT: beta serves '$s_new', was '$s_old'"
fi
# A new zero-configuration link to beta proves its IP with the new
# certificate (the p2p-node behind it sees a link without hello, and
# does not count it).
out=$(ip netns exec "$(ns alpha)" "$HELPERS/socks-client" -p 127.0.0.1:1080 \
    -d 10.77.0.2:7447 2>&1)
case $out in
*"reply 0x00"*) ok "$FAULT: a new SOCKS link from alpha to beta succeeds" ;;
*)	fail "$FAULT: a new SOCKS link from alpha to beta: $out" ;;
esac
settle alpha:beta beta:alpha
snap "$T/s1"
w=$(( ($(now_ms) - t0) / 1000 ))
untouched "$w" alpha:beta beta:alpha
clean
figures "$FAULT (no recovery needed)"

# The nodes' own view at the end.
for n in $NODES; do
	note "status of p2p-node $n: $(tr '\n' ';' <"$T/$n.status")"
done
for l in $LINKS; do
	late=$(get "$T/s1" "$l" late)
	[ "$late" -eq 0 ] || note "$(short "$l"): $late messages arrived late on an old link"
done
done_test
