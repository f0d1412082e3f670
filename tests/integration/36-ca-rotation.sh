#!/bin/sh
# Staged rotation of one organisation's CA.  Org A's anchor file holds
# its old and its new CA (both "CN=orga", as a rotation keeps the name),
# and its crl file the CRL of each; org B has one CA.  a1 still has a
# certificate from the old CA, a2 one from the new, b1 is org B's.
#
#  - the file form (one bundle, one crl) loads both CAs and both CRLs;
#  - with both CAs listed, every link works, certificates from either CA;
#  - links held open: a1 -> b1, b1 -> a1 (old CA), a2 -> b1, b1 -> a2 (new);
#  - the old CA and its CRL are removed from the files and b1 and a2 run
#    reload-certs: exactly the two links with a1's old-CA certificate are
#    closed, each logged once with the reason; the other two lose nothing;
#  - afterwards a1 cannot link to b1, a2 can.
. "$(dirname "$0")/lib.sh"
CTL=$top_builddir/ctl/stunnelctl

for d in orga-old orga-new; do
	"$CTL" cert ca -d "$T/$d.pki" --cn orga >"$T/pki-$d.out" 2>&1 ||
	    die "cert ca $d: $(tail -1 "$T/pki-$d.out")"
done
pki_ca orgb
pki_cert orga-old a1 --cn a1.org-a.example --ip 127.1.0.1
pki_cert orga-new a2 --cn a2.org-a.example --ip 127.1.0.2
pki_cert orgb b1 --cn b1.org-b.example --ip 127.2.0.1
pki_crl orgb
cat "$T/orga-old.pki/ca.crt" "$T/orga-new.pki/ca.crt" >"$T/orga.crt"
cat "$T/orga-old.pki/ca.crl" "$T/orga-new.pki/ca.crl" >"$T/orga.crl"
[ "$(grep -c 'BEGIN X509 CRL' "$T/orga.crl")" -eq 2 ] ||
    die "the two CRLs of org A are not PEM"

# The file form takes the same rotation: one bundle, both CRLs (each
# checked against the CA that signed it, not the first of that name).
conf_global filed a1 orga "crl = \"$T/orga.crl\";"
echo 'tunnels = { t = { mode = "socks"; listen = "127.1.0.1:1"; }; };' >>"$T/filed.conf"
out=$("$STUNNELD" -t -c "$T/filed.conf" 2>&1) &&
    ok "the file form takes both CAs named orga and both their CRLs" ||
    fail "stunneld -t with both CAs of org A in one file: $out"

PS=$(port_free); PT=$(port_free); PE=$(port_free)
start_echo $PE

# node_conf NAME IP: $T/NAME.conf, socks on IP:$PS, tls on IP:$PT.
node_conf() {
	cat >"$T/$1.conf" <<EOF
control_socket = "$T/$1.sock";
pid_file = "$T/$1.pidfile";
log_level = "debug";
shutdown_timeout = 2;
tls = {
  cert = "$T/$1.crt";
  key = "$T/$1.key";
  ca = (
    { file = "$T/orga.crt"; names = [ "127.1.0.0/16", "*.org-a.example" ];
      crl = "$T/orga.crl"; },
    { file = "$T/orgb.crt"; names = [ "127.2.0.0/16", "*.org-b.example" ];
      crl = "$T/orgb.crl"; }
  );
};
tunnels = {
  p2p_out = { mode = "socks"; listen = "$2:$PS"; };
  p2p_in = { mode = "tls"; listen = "$2:$PT"; connect = "127.0.0.1:$PE"; };
};
EOF
}

IP_a1=127.1.0.1; IP_a2=127.1.0.2; IP_b1=127.2.0.1
NODES="a1 a2 b1"
for n in $NODES; do
	eval "ip=\$IP_$n"
	node_conf $n $ip
	start_stunneld $n "$T/$n.conf" || die "node $n did not start"
done
for n in $NODES; do
	wait_until "node $n's workers did not start" \
	    "[ \$(grep -c 'serving with' '$T/$n.log') -ge 2 ]" 300 || exit 1
done

# link SRC DST: one connection from SRC's socks tunnel to DST's tls tunnel.
link() {
	eval "_src=\$IP_$1; _dst=\$IP_$2"
	"$HELPERS/socks-client" -p "$_src:$PS" -d "$_dst:$PT" \
	    --send-bytes 4096 --timeout 30 2>&1
}
linked() {
	link "$1" "$2" | grep -q -x 'sent 4096 received 4096 match'
}

for s in $NODES; do
	for d in $NODES; do
		[ $s = $d ] && continue
		linked $s $d || fail "$s -> $d with both CAs of org A listed"
	done
done
[ "$TEST_FAILED" -eq 0 ] &&
    ok "both CAs of org A listed: every link works, old and new certificates"

# hold NAME SRC DST: a ping link NAME from SRC to DST, open until stopped.
hold() {
	eval "_src=\$IP_$2; _dst=\$IP_$3"
	start_bg $1 "$HELPERS/socks-client" -p "$_src:$PS" -d "$_dst:$PT" \
	    --ping 20 --interval 50 --until "$T/stop-$1" --timeout 900
}
hold old_in a1 b1		# b1 serves a1's old certificate
hold old_out b1 a1		# b1 dials a1, which shows its old certificate
hold new_in a2 b1
hold new_out b1 a2
wait_stat b1 p2p_in connections_active -eq 2 || die "b1 does not serve both links"
wait_stat b1 p2p_out connections_active -eq 2 || die "b1 does not hold both links out"
wait_stat a1 p2p_in connections_active -eq 1 || die "a1 does not serve b1"
wait_stat a2 p2p_in connections_active -eq 1 || die "a2 does not serve b1"

# The old CA leaves org A's files; b1 and a2 reload (a1 cannot: its own
# certificate is the old CA's, it must be reissued first).
cp "$T/orga-new.pki/ca.crt" "$T/orga.crt.new" && mv -f "$T/orga.crt.new" "$T/orga.crt"
cp "$T/orga-new.pki/ca.crl" "$T/orga.crl.new" && mv -f "$T/orga.crl.new" "$T/orga.crl"
for n in b1 a2; do
	out=$("$CTL" -s "$T/$n.sock" reload-certs 2>&1) ||
	    fail "$n: reload-certs: $out"
done
WHY='peer no longer accepted after reload-certs: not signed by the CA'
wait_until "b1 did not close both old-CA links" \
    "[ \$(grep -c '$WHY' '$T/b1.log') -eq 2 ]" 300 &&
    ok "b1 closed the two links of a1's old-CA certificate: $(grep "$WHY" "$T/b1.log" | sed 's/.*: \(127[^ ]* ([^)]*)\):.*/\1/' | tr '\n' ' ')"
grep "$WHY" "$T/b1.log" | grep -v -q 'a1.org-a.example' &&
    fail "b1 closed a link that is not a1's: $(grep "$WHY" "$T/b1.log")"
wait_bg old_in; grep -q 'ping closed at' "$T/old_in.log" ||
    fail "a1 -> b1: $(tail -1 "$T/old_in.log")"
wait_bg old_out; grep -q 'ping closed at' "$T/old_out.log" ||
    fail "b1 -> a1: $(tail -1 "$T/old_out.log")"
grep -q "$WHY" "$T/a2.log" && fail "a2 closed a link: $(grep "$WHY" "$T/a2.log")"
[ "$(stat_of b1 p2p_in connections_active)" = 1 ] ||
    fail "b1 serves $(stat_of b1 p2p_in connections_active) links, not a2's one"

linked a1 b1 && fail "a1's old-CA certificate still links to b1"
linked a2 b1 && ok "a2 (new CA) links to b1 after the old CA went" ||
    fail "a2 -> b1 after the old CA went"
for l in new_in new_out; do
	touch "$T/stop-$l"
	wait_bg $l
	case $(tail -n 1 "$T/$l.log") in
	"ping "*" ok")	ok "$l (new CA) untouched: $(tail -n 1 "$T/$l.log")" ;;
	*)		fail "$l: $(tail -n 1 "$T/$l.log")" ;;
	esac
done

done_test
