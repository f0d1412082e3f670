#!/bin/sh
# Transparent mode: nodes that know nothing of stunneld.  Network
# namespaces alpha, beta and gamma (10.78.0.N and fd78::N) and eve
# (10.78.0.9, fd78::9), joined by veths to a bridge in a namespace of its
# own.  In alpha, beta and gamma an unmodified peer program, p2p-node
# without -x, listens on every address at port 7447 (IPv4 and IPv6, one
# process each) and dials its peers' addresses directly, as multichaind
# started by a wrapper that cannot add -proxy.  stunneld runs beside it
# with the configuration of etc/examples/transparent/stunneld.conf
# (redirect tunnels on 127.0.0.1:7440 and [::1]:7440, tls tunnels on
# 0.0.0.0:7448 and [::]:7448 -> the node on loopback; only its paths
# changed), and the rules of etc/examples/transparent/stunneld.nft (those
# of stunneld(8); only the table's name changed) send the node's outgoing
# P2P connections to the redirect tunnels and the incoming ones to the
# tls tunnels.  eve runs p2p-node only: no certificate, no stunneld.
#
# Checked: all twelve directed links (six per family) carry acked
# messages, each through both stunnelds; on the bridge every byte between
# the nodes is a TLS record and no plaintext frame of theirs appears; eve
# reaches no node's P2P port in either family (its TCP is redirected into
# a tls tunnel and refused there); a connection made to a redirect tunnel
# directly is refused with a reset and logged; removing the rules while
# the links are open loses nothing (the open links go on, NAT entries
# and all).
. "$(dirname "$0")/lib.sh"
need ip nft tcpdump python3
[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns and nft"
P2P=$HELPERS/p2p-node
[ -x "$P2P" ] || die "$P2P not built"
EX=$top_srcdir/etc/examples/transparent
[ -f "$EX/stunneld.nft" ] && [ -f "$EX/stunneld.conf" ] ||
    die "no example in $EX"

NODES="alpha beta gamma"
BR=stunneld-t87-$$-br
TABLE=stunneld_t87_$$
MARK=0x5354
ns() { echo "stunneld-t87-$$-$1"; }
num() {
	case $1 in
	alpha)	echo 1 ;;
	beta)	echo 2 ;;
	gamma)	echo 3 ;;
	eve)	echo 9 ;;
	esac
}

ip netns add "$BR" 2>/dev/null || skip "cannot create a network namespace"
CLEANUP_HOOK='for n in $NODES eve; do ip netns delete "$(ns $n)" 2>/dev/null; done;
    ip netns delete "$BR" 2>/dev/null'
ip -n "$BR" link set lo up || die "lo up in $BR"
ip -n "$BR" link add br0 type bridge || skip "cannot make a bridge"
ip -n "$BR" link set br0 up || die "bridge up"
for n in $NODES eve; do
	ip netns add "$(ns $n)" || die "cannot create namespace $(ns $n)"
	ip -n "$(ns $n)" link set lo up || die "lo up in $n"
	ip -n "$BR" link add "v-$n" type veth peer name "x-$n" ||
	    skip "cannot make a veth pair"
	ip -n "$BR" link set "x-$n" netns "$(ns $n)" || die "veth to $n"
	ip -n "$BR" link set "v-$n" master br0 up || die "veth of $n on the bridge"
	ip -n "$(ns $n)" link set "x-$n" name eth0 || die "rename veth in $n"
	ip -n "$(ns $n)" addr add "10.78.0.$(num $n)/24" dev eth0 ||
	    die "address of $n"
	ip -n "$(ns $n)" addr add "fd78::$(num $n)/64" dev eth0 nodad ||
	    die "IPv6 address of $n"
	ip -n "$(ns $n)" link set eth0 up || die "eth0 up in $n"
done

# The rules of the example (and of stunneld(8)), for port 7447.
grep -q '^table inet stunneld {' "$EX/stunneld.nft" ||
    die "$EX/stunneld.nft: no table inet stunneld"
sed "s/^table inet stunneld {/table inet $TABLE {/" "$EX/stunneld.nft" \
    >"$T/rules.nft"
grep -q "meta mark $MARK return" "$T/rules.nft" ||
    die "$EX/stunneld.nft does not leave mark $MARK alone"
rules_add() {
	ip netns exec "$(ns $1)" nft -f "$T/rules.nft"
}
ip netns exec "$(ns alpha)" nft list ruleset >/dev/null 2>&1 ||
    skip "nft does not work in a network namespace"
for n in $NODES; do
	rules_add "$n" || die "cannot install the nftables rules of stunneld(8) in $n"
done
ok "nftables rules installed in alpha, beta and gamma"

pki_ca ca
for n in $NODES; do
	pki_cert ca "node-$n" --ip "10.78.0.$(num $n)" --ip "fd78::$(num $n)"
	mkdir -p "$T/$n" &&
	cp "$T/node-$n.crt" "$T/$n/node.crt" &&
	cp "$T/node-$n.key" "$T/$n/node.key" &&
	cp "$T/ca.crt" "$T/$n/ca.crt" || die "certificates of $n"
	# gamma drops to nobody as the example drops to stunneld: only
	# CAP_NET_ADMIN, kept for the mark, lets its connections out
	if [ "$n" = gamma ]; then
		user='s/^user = .*/user = "nobody";/'
		group='s/^group = .*/group = "nogroup";/'
		chmod 755 "$T/$n" && chmod 644 "$T/$n"/* && chmod o+x "$T" ||
		    die "cannot make gamma's files readable by nobody"
	else
		user='/^user = /d'
		group='/^group = /d'
	fi
	sed -e "s|/etc/stunneld/|$T/$n/|" \
	    -e "s|/run/stunneld/control.sock|$T/$n.sock|" \
	    -e "$user" -e "$group" \
	    "$EX/stunneld.conf" >"$T/$n.conf"
	grep -q "^mark = $MARK;" "$T/$n.conf" ||
	    die "$EX/stunneld.conf does not set mark $MARK"
	out=$("$STUNNELD" -t -c "$T/$n.conf" 2>&1) ||
	    die "stunneld -t $n.conf: $out"
done
case $out in
*warning*) fail "stunneld -t warns with mark set: $out" ;;
esac
# mark = 0 with a redirect tunnel: valid, but -t says what it takes
sed "s/^mark = .*/mark = 0;/" "$T/alpha.conf" >"$T/nomark.conf"
out=$("$STUNNELD" -t -c "$T/nomark.conf" 2>&1)
st=$?
line=$(grep -n '^mark = 0;' "$T/nomark.conf" | cut -d: -f1)
case $st:$out in
0:*"$T/nomark.conf:$line: warning: redirect tunnel \"p2p_out4\" and mark = 0"*"configuration OK"*)
	ok "stunneld -t warns about a redirect tunnel with mark = 0 (and exits 0)" ;;
*)	fail "stunneld -t with mark = 0: exit $st: $out" ;;
esac

# The bridge sees everything between the namespaces from here on.
start_bg tcpdump ip netns exec "$BR" tcpdump -i br0 -U -s 0 -w "$T/br.pcap" tcp
wait_log tcpdump 'listening on' || die "tcpdump did not start"

for n in $NODES; do
	start_bg "$n" ip netns exec "$(ns $n)" "$STUNNELD" -f -c "$T/$n.conf"
done
for n in $NODES; do
	wait_log "$n" 'started with' || die "stunneld on $n did not start"
done
# gamma runs as nobody with CAP_NET_ADMIN alone (bit 12), and so do its workers
gpid=$(bg_pid gamma)
caps=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$gpid/status")
uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$gpid/status")
for w in $(sed -n 's/.*worker .* started, pid \([0-9]*\).*/\1/p' "$T/gamma.log"); do
	wc=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$w/status")
	[ "$wc" = "$caps" ] || fail "gamma's worker $w: CapEff $wc, its supervisor $caps"
done
[ "$uid" = 65534 ] && [ "$caps" = 0000000000001000 ] &&
    ok "gamma's stunneld and its workers run as nobody with CAP_NET_ADMIN only (CapEff $caps)" ||
    fail "gamma's stunneld: uid $uid, CapEff $caps (want 65534, 0000000000001000)"

# p2p-node NAME FAMILY: the node's peer program of one family (4 or 6),
# its name NAME (NAME6 for IPv6), dialling the other nodes directly.
p2p_start() {
	peers=""
	for m in $NODES; do
		[ "$m" = "$1" ] && continue
		if [ "$2" = 4 ]; then
			peers="$peers -p $m=10.78.0.$(num $m):7447"
		else
			peers="$peers -p ${m}6=[fd78::$(num $m)]:7447"
		fi
	done
	if [ "$2" = 4 ]; then l=0.0.0.0:7447; me=$1; else l="[::]:7447"; me=${1}6; fi
	# shellcheck disable=SC2086
	start_bg "p2p-$me" ip netns exec "$(ns $1)" "$P2P" -n "$me" -l "$l" \
	    -s "$T/$me.status" -i 50 $peers
}
for n in $NODES; do
	p2p_start "$n" 4
	p2p_start "$n" 6
done

# field FILE out|in PEER KEY: a counter of a p2p-node status file.
field() {
	awk -v k="$2" -v p="$3" -v f="$4" '$1 == k && $2 == p {
	    for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }' \
	    "$1" 2>/dev/null
}
LINKS4="alpha:beta alpha:gamma beta:alpha beta:gamma gamma:alpha gamma:beta"
links() {
	for l in $LINKS4; do
		echo "$l"
		echo "${l%:*}6:${l#*:}6"
	done
}
acked() { v=$(field "$T/${1%:*}.status" out "${1#*:}" acked); echo "${v:-0}"; }
stat_sum() {
	v=$(field "$T/${1%:*}.status" out "${1#*:}" "$2"); echo "${v:-0}"
}

# all_acked N: every directed link has at least N acks.
all_acked() {
	for l in $(links); do
		[ "$(acked "$l")" -ge "$1" ] || return 1
	done
	return 0
}
wait_until "every pair exchanging acked messages over IPv4 and IPv6" \
    'all_acked 20' || die "the transparent mesh did not come up: $(cat "$T"/*.status)"
ok "all twelve directed links (IPv4 and IPv6) carry acked messages"

for n in $NODES; do
	for m in $NODES; do
		[ "$m" = "$n" ] && continue
		grep -q -- "-> 10.78.0.$(num $m):7447: connected to" "$T/$n.log" ||
		    fail "$n's redirect tunnel did not carry its IPv4 link to $m"
		grep -q -- "-> \[fd78::$(num $m)\]:7447: connected to" "$T/$n.log" ||
		    fail "$n's redirect tunnel did not carry its IPv6 link to $m"
	done
done
[ "$TEST_FAILED" -eq 0 ] && ok "each link goes node -> redirect tunnel -> TLS -> tls tunnel -> node"

# --- eve: no certificate, plain TCP to every node's P2P port ----------------
start_bg p2p-eve ip netns exec "$(ns eve)" "$P2P" -n eve -l 10.78.0.9:7447 \
    -s "$T/eve.status" -i 50 -p alpha=10.78.0.1:7447 -p beta=10.78.0.2:7447 \
    -p gamma=10.78.0.3:7447
start_bg p2p-eve6 ip netns exec "$(ns eve)" "$P2P" -n eve6 -l "[fd78::9]:7447" \
    -s "$T/eve6.status" -i 50 -p alpha=[fd78::1]:7447 -p beta=[fd78::2]:7447 \
    -p gamma=[fd78::3]:7447
# eve_tried: each of eve's six dials has been closed on it three times.
eve_tried() {
	for f in eve eve6; do
		for m in $NODES; do
			r=$(field "$T/$f.status" out "$m" reconnects)
			[ "${r:-0}" -ge 3 ] || return 1
		done
	done
	return 0
}
wait_until "eve's plain links closed three times each" eve_tried ||
    die "eve's dials are not closed: $(cat "$T/eve.status" "$T/eve6.status")"
bad=0
for f in eve eve6; do
	for m in $NODES; do
		a=$(field "$T/$f.status" out "$m" acked)
		[ "${a:-0}" -eq 0 ] || { fail "$f got $a acks from $m"; bad=1; }
	done
done
for n in $NODES; do
	for f in "$n" "${n}6"; do
		if awk '$1 == "in" && $2 ~ /^eve/ { found = 1 } END { exit !found }' \
		    "$T/$f.status"; then
			fail "$f's node heard from eve: $(grep ' eve' "$T/$f.status")"
			bad=1
		fi
	done
	grep -q "10\.78\.0\.9:[0-9]*: closed in TLS_HANDSHAKE" "$T/$n.log" ||
	    { fail "$n's tls tunnel did not refuse eve over IPv4"; bad=1; }
	grep -q "\[fd78::9\]:[0-9]*: closed in TLS_HANDSHAKE" "$T/$n.log" ||
	    { fail "$n's tls tunnel did not refuse eve over IPv6"; bad=1; }
done
[ "$bad" -eq 0 ] && ok "eve reaches no node's P2P port: every plain connection ends in a tls tunnel's refused handshake (IPv4 and IPv6)"
stop_bg p2p-eve
stop_bg p2p-eve6

# --- a connection that was not redirected -----------------------------------
# try_direct HOST: connect to alpha's redirect tunnel itself and say how
# the connection ended: "reset", "eof" or "data".
try_direct() {
	ip netns exec "$(ns alpha)" python3 - "$1" <<'EOF'
import socket, sys
try:
    # on loopback the reset may come before connect() returns
    s = socket.create_connection((sys.argv[1], 7440), timeout=30)
    s.sendall(b"plain bytes to the redirect port")
    d = s.recv(100)
    print("eof" if d == b"" else "data")
except (ConnectionResetError, BrokenPipeError):
    print("reset")
EOF
}
for h in 127.0.0.1 ::1; do
	res=$(try_direct "$h" 2>&1)
	[ "$res" = reset ] && ok "a direct connection to the redirect tunnel on $h is reset" ||
	    fail "a direct connection to the redirect tunnel on $h: $res"
done
wait_log alpha 'refused \(connection reset\): not redirected: the original destination is this listener' ||
    fail "the refusal of a non-redirected connection is not logged"
[ "$(grep -c 'not redirected' "$T/alpha.log")" -eq 2 ] ||
    fail "not one log line per non-redirected connection: $(grep 'not redirected' "$T/alpha.log")"

# --- the bridge saw TLS only --------------------------------------------------
all_acked 40 || wait_until "forty acks per link" 'all_acked 40'
stop_bg tcpdump
# Every TCP stream between two nodes, reassembled per direction, must be a
# sequence of TLS records from its first byte; a stream cut by the end of
# the capture may end inside its last record.  No p2p-node frame (hello
# "H" LEN NAME) may appear in any packet between them.
out=$(python3 - "$T/br.pcap" <<'EOF'
import struct, sys
nodes = {bytes([10, 78, 0, n]) for n in (1, 2, 3)}
nodes |= {bytes.fromhex("fd78" + "00" * 13 + "%02x" % n) for n in (1, 2, 3)}
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
linktype = struct.unpack(e + "I", data[20:24])[0]
off, streams, pkts = 24, {}, 0
hellos = [b"H" + bytes([len(n)]) + n.encode()
          for n in ("alpha", "beta", "gamma", "alpha6", "beta6", "gamma6")]
bad = []
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if linktype != 1 or len(pkt) < 14:
        continue
    et = struct.unpack(">H", pkt[12:14])[0]
    p = pkt[14:]
    if et == 0x0800:
        ihl = (p[0] & 15) * 4
        src, dst, proto, ip_len = p[12:16], p[16:20], p[9], struct.unpack(">H", p[2:4])[0]
        seg = p[ihl:ip_len]
    elif et == 0x86dd:
        src, dst, proto, plen = p[8:24], p[24:40], p[6], struct.unpack(">H", p[4:6])[0]
        seg = p[40:40 + plen]
    else:
        continue
    if proto != 6 or src not in nodes or dst not in nodes:
        continue
    sport, dport, seq = struct.unpack(">HHI", seg[:8])
    flags, doff = seg[13], (seg[12] >> 4) * 4
    payload = seg[doff:]
    pkts += 1
    for h in hellos:
        if h in payload:
            bad.append("plaintext frame %r in a packet" % h)
    k = (src, sport, dst, dport)
    st = streams.setdefault(k, {"isn": None, "segs": {}})
    if flags & 2:
        st["isn"] = seq + 1
    if payload:
        st["segs"].setdefault(seq, payload)
records = nbytes = gaps = 0
for k, st in streams.items():
    if st["isn"] is None:
        if st["segs"]:
            bad.append("stream without its SYN in the capture")
        continue
    buf, nxt = b"", st["isn"]
    for seq in sorted(st["segs"], key=lambda s: (s - st["isn"]) % 2**32):
        seg = st["segs"][seq]
        rel = (seq - nxt) % 2**32
        if rel > 2**31:
            seg = seg[(nxt - seq) % 2**32:]
        elif rel > 0:
            gaps += 1
            break
        buf += seg
        nxt = (nxt + len(seg)) % 2**32
    i = 0
    while i + 5 <= len(buf):
        ct, vmaj, ln = buf[i], buf[i + 1], struct.unpack(">H", buf[i + 3:i + 5])[0]
        if ct not in (20, 21, 22, 23) or vmaj != 3 or ln > 16384 + 256:
            bad.append("not a TLS record at byte %d of a stream to port %d: %s"
                       % (i, k[3], buf[i:i + 8].hex()))
            break
        i += 5 + ln
        records += 1
    nbytes += len(buf)
if not streams:
    bad.append("no packets between the nodes")
for b in bad[:5]:
    print("BAD", b)
print("streams %d packets %d bytes %d records %d gaps %d"
      % (len(streams), pkts, nbytes, records, gaps))
EOF
)
case $out in
*BAD*)	fail "capture on the bridge: $out" ;;
*"records 0"*) fail "capture on the bridge: no TLS records: $out" ;;
*)	ok "the bridge carried TLS records only between the nodes, no plaintext frame: $out" ;;
esac

# --- the rules go while the links are open -----------------------------------
# As stunneld(8) says: flush the two redirect chains and keep the table,
# whose "track" chain keeps connection tracking on.  Without a rule that
# needs it the kernel stops tracking, forgets the address translation of
# the open links and resets them (deleting the table does that too).
for l in $(links); do
	echo "$l $(acked "$l") $(stat_sum "$l" lost) $(stat_sum "$l" reconnects) $(stat_sum "$l" corrupt)"
done >"$T/before"
for n in $NODES; do
	ip netns exec "$(ns $n)" nft flush chain inet "$TABLE" out &&
	ip netns exec "$(ns $n)" nft flush chain inet "$TABLE" in ||
	    fail "cannot remove the rules in $n"
	ip netns exec "$(ns $n)" nft list table inet "$TABLE" | grep -q redirect &&
	    fail "the redirect rules are still there in $n"
done
# more_acks N: every link has N more acks than in $T/before.
more_acks() {
	while read -r l a _ _ _; do
		[ "$(acked "$l")" -ge $((a + $1)) ] || return 1
	done <"$T/before"
	return 0
}
wait_until "forty more acks per link with the rules gone" 'more_acks 40' ||
    fail "links stalled once the rules were removed"
bad=0
while read -r l a lost rec cor; do
	if [ "$(stat_sum "$l" lost)" -ne "$lost" ] ||
	    [ "$(stat_sum "$l" reconnects)" -ne "$rec" ] ||
	    [ "$(stat_sum "$l" corrupt)" -ne "$cor" ]; then
		fail "$l after the rules went: lost $lost -> $(stat_sum "$l" lost), reconnects $rec -> $(stat_sum "$l" reconnects), corrupt $cor -> $(stat_sum "$l" corrupt)"
		bad=1
	fi
done <"$T/before"
for f in "$T"/alpha.status "$T"/beta.status "$T"/gamma.status \
    "$T"/alpha6.status "$T"/beta6.status "$T"/gamma6.status; do
	awk '$1 == "in" { for (i = 3; i < NF; i += 2) if ($i == "corrupt" && $(i + 1) != 0) exit 1 }' "$f" ||
	    { fail "corrupt messages received: $(cat "$f")"; bad=1; }
done
[ "$bad" -eq 0 ] && ok "rules removed with twelve links open: each goes on (40 more acks), nothing lost, no reconnect"

done_test
