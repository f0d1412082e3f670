#!/bin/sh
# Three organisations, each with its own CA and CRL, and each CA scoped to
# its organisation's names in every node's "ca" list: org A 127.1.0.0/16
# and *.org-a.example, org B 127.2.0.0/16 and *.org-b.example (its CRL in
# DER, as step-ca and Vault serve it), org C 127.3.0.0/16 and
# *.org-c.example.  Nodes a1, b1, c1 and c2 each run a socks and a tls
# tunnel on their own address.
#
#  - every link between two nodes works, both directions;
#  - org B's CA issues "evil" a certificate for org A's address
#    127.1.0.1: every node refuses it as a server (SOCKS reply 0x01) and
#    as a client, and logs the CA (subject and SPKI pin) and the name; a
#    node with the old file form of ca (one bundle, every CA vouching for
#    any name) still takes it, which is the hole the list closes;
#  - gnutls-cli and openssl s_client presenting evil's certificate are
#    refused, presenting c1's they are served;
#  - org B's DER CRL revokes: a revoked org B certificate is refused;
#  - org C revokes c2: after reload-certs only c2's links (as client and
#    as server) are closed, c1's link stays up and loses nothing;
#  - org A cannot revoke org C's certificates: its own CRL listing c1's
#    serial leaves c1 alone; org C's CRL, or one forged with org C's name
#    and org A's key, as org A's crl is refused by reload-certs and by
#    stunneld -t with the file and why, and the running credentials stay;
#  - a pin in allow does not lift the scope: evil pinned is still refused;
#  - org C's CRL past its next update on a node with crl_strict: that
#    file alone is warned about, org C's peers alone are refused;
#  - the worked example etc/examples/three-orgs checks out as its README
#    says.
. "$(dirname "$0")/lib.sh"
need certtool openssl gnutls-cli
CTL=$top_builddir/ctl/stunnelctl

# --- the PKI: three CAs, their nodes, evil, and a revoked org B node -------
for o in orga orgb orgc; do
	pki_ca $o
	pki_crl $o
done
pki_cert orga a1 --cn a1.org-a.example --ip 127.1.0.1
pki_cert orgb b1 --cn b1.org-b.example --ip 127.2.0.1
pki_cert orgc c1 --cn c1.org-c.example --ip 127.3.0.1
pki_cert orgc c2 --cn c2.org-c.example --ip 127.3.0.2
pki_cert orgb evil --cn x.org-b.example --ip 127.1.0.1
pki_cert orgb brev --cn brev.org-b.example --ip 127.2.0.7
pki_crl orgb brev
openssl crl -in "$T/orgb.crl" -outform DER -out "$T/orgb.der" ||
    die "openssl crl: cannot write the DER CRL"
cat "$T/orga.crt" "$T/orgb.crt" "$T/orgc.crt" >"$T/all.crt"
PIN_B=$("$CTL" cert pin "$T/orgb.crt") || die "cert pin orgb"

PS=$(port_free); PT=$(port_free); PI=$(port_free); PE=$(port_free)
start_echo $PE

CA_LIST="ca = (
    { file = \"$T/orga.crt\"; names = [ \"127.1.0.0/16\", \"*.org-a.example\" ];
      crl = \"$T/orga.crl\"; },
    { file = \"$T/orgb.crt\"; names = [ \"127.2.0.0/16\", \"*.org-b.example\" ];
      crl = \"$T/orgb.der\"; },
    { file = \"$T/orgc.crt\"; names = [ \"127.3.0.0/16\", \"*.org-c.example\" ];
      crl = \"$T/orgc.crl\"; }
  );"

# node_conf NAME IP CA-SETTING [TLS-LISTEN]: $T/NAME.conf, a socks tunnel on
# IP:$PS and a tls tunnel on TLS-LISTEN (default IP:$PT) in front of echo.
node_conf() {
	cat >"$T/$1.conf" <<EOF
control_socket = "$T/$1.sock";
pid_file = "$T/$1.pidfile";
log_level = "debug";
shutdown_timeout = 2;
tls = {
  cert = "$T/$1.crt";
  key = "$T/$1.key";
  $3
};
tunnels = {
  p2p_out = { mode = "socks"; listen = "$2:$PS"; };
  p2p_in = { mode = "tls"; listen = "${4:-$2:$PT}"; connect = "127.0.0.1:$PE"; };
};
EOF
}

IP_a1=127.1.0.1; IP_b1=127.2.0.1; IP_c1=127.3.0.1; IP_c2=127.3.0.2
NODES="a1 b1 c1 c2"
for n in $NODES; do
	eval "ip=\$IP_$n"
	node_conf $n $ip "$CA_LIST"
	out=$("$STUNNELD" -t -c "$T/$n.conf" 2>&1) ||
	    die "stunneld -t $n.conf: $out"
	start_stunneld $n "$T/$n.conf" || die "node $n did not start"
done
ok "stunneld -t and a start take the three-anchor list (one CRL in DER)"
# evil: org B's certificate for 127.1.0.1, on that address at another port;
# its own node trusts the bundle.  old: the file form of ca.
node_conf evil 127.2.0.9 "ca = \"$T/all.crt\";" 127.1.0.1:$PI
start_stunneld evil "$T/evil.conf" || die "evil did not start"
cp "$T/a1.crt" "$T/old.crt"; cp "$T/a1.key" "$T/old.key"
node_conf old 127.1.0.9 "ca = \"$T/all.crt\";" 127.1.0.9:$PT
start_stunneld old "$T/old.conf" || die "old did not start"
IP_evil=127.2.0.9; IP_old=127.1.0.9
for n in $NODES evil old; do
	wait_until "node $n's workers did not start" \
	    "[ \$(grep -c 'serving with' '$T/$n.log') -ge 2 ]" 300 || exit 1
done

# link SRC DST-IP:PORT: one connection through SRC's socks tunnel.
link() {
	eval "_src=\$IP_$1"
	"$HELPERS/socks-client" -p "$_src:$PS" -d "$2" --send-bytes 4096 \
	    --timeout 30 2>&1
}

# --- every legitimate link, both directions --------------------------------
for s in $NODES; do
	for d in $NODES; do
		[ $s = $d ] && continue
		eval "dip=\$IP_$d"
		out=$(link $s $dip:$PT)
		printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' ||
		    fail "$s -> $d: $(printf '%s' "$out" | tr '\n' ' ')"
	done
done
[ "$TEST_FAILED" -eq 0 ] && ok "all 12 links between a1, b1, c1 and c2 work"

# --- org B's CA vouching for org A's address: refused by every node -------
PIN_RE=$(printf '%s' "$PIN_B" | sed 's/+/\\+/g')
REFUSAL="CA \"CN=orgb\" \\($PIN_RE, from $T/orgb.crt\\) may not vouch for 127.1.0.1"
for s in $NODES; do
	out=$(link $s 127.1.0.1:$PI)
	if printf '%s\n' "$out" | grep -q -x 'reply 0x01'; then
		wait_log $s " -> 127.1.0.1:$PI: refused \\(SOCKS reply 0x01\\): .*peer refused: $REFUSAL" 300 &&
		    ok "$s as client refuses evil: $(grep -h 'may not vouch' "$T/$s.log" | head -1 | sed 's/.*failed: //')"
	else
		fail "$s -> evil 127.1.0.1:$PI: $(printf '%s' "$out" | tr '\n' ' ')"
	fi
done
out=$(link old 127.1.0.1:$PI)
printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' &&
    ok "the file form of ca (any CA for any name) still takes evil: the hole the list closes" ||
    fail "old -> evil: $(printf '%s' "$out" | tr '\n' ' ')"

SERVER_REFUSAL="TLS handshake with client failed: peer refused: $REFUSAL"
SERVER_FIXED='TLS handshake with client failed: peer refused: CA "CN=orgb"'

for d in $NODES; do
	eval "dip=\$IP_$d"
	out=$(link evil $dip:$PT)
	printf '%s\n' "$out" | grep -q -x 'reply 0x00' &&
	    fail "evil -> $d: accepted"
	wait_log $d "$SERVER_REFUSAL" 300 && ok "$d as server refuses evil"
done

# --- gnutls-cli and openssl s_client as peers -----------------------------
# served TOOL CERT: whether a1's tls tunnel echoes a line to TOOL
# presenting CERT.
served() {
	case $1 in
	gnutls)	printf 'hello-%s\n' "$2" | timeout 30 gnutls-cli \
		    --x509cafile "$T/all.crt" --x509certfile "$T/$2.crt" \
		    --x509keyfile "$T/$2.key" -p $PT 127.1.0.1 >"$T/tool.out" 2>&1 ;;
	openssl) printf 'hello-%s\n' "$2" | timeout 30 openssl s_client -quiet \
		    -ign_eof -CAfile "$T/all.crt" -cert "$T/$2.crt" \
		    -key "$T/$2.key" -connect 127.1.0.1:$PT >"$T/tool.out" 2>&1 ;;
	esac
	grep -q "^hello-$2\$" "$T/tool.out"
}
for tool in gnutls openssl; do
	served $tool c1 && ok "$tool with c1's certificate is served" ||
	    fail "$tool with c1's certificate: $(tail -3 "$T/tool.out")"
	before=$(grep -c -F "$SERVER_FIXED" "$T/a1.log")
	served $tool evil && fail "$tool with evil's certificate is served"
	wait_until "a1 did not log the refusal of $tool" \
	    "[ \$(grep -c -F '$SERVER_FIXED' '$T/a1.log') -gt $before ]" 300 &&
	    ok "$tool with evil's certificate is refused, and logged"
done

# --- org B's DER CRL revokes -----------------------------------------------
served gnutls brev && fail "the certificate revoked by the DER CRL is served"
wait_log a1 'TLS handshake with client failed: peer refused: certificate revoked' 300 &&
    ok "org B's DER CRL revokes brev"

# --- org C revokes c2: only c2's links go -----------------------------------
# hold NAME SRC DST-IP: a ping link NAME from SRC to DST-IP:$PT.
hold() {
	eval "_src=\$IP_$2"
	start_bg $1 "$HELPERS/socks-client" -p "$_src:$PS" -d "$3:$PT" \
	    --ping 20 --interval 50 --until "$T/stop-$1" --timeout 900
}
hold l1 c1 127.1.0.1		# c1 -> a1: stays
hold l2 c2 127.2.0.1		# c2 -> b1: closed by b1
hold l3 a1 127.3.0.2		# a1 -> c2: closed by a1
wait_stat a1 p2p_in connections_active -ge 1 || die "link c1 -> a1 did not come up"
wait_stat b1 p2p_in connections_active -ge 1 || die "link c2 -> b1 did not come up"
wait_stat a1 p2p_out connections_active -ge 1 || die "link a1 -> c2 did not come up"
pki_crl orgc c2
for n in a1 b1 c1; do
	out=$("$CTL" -s "$T/$n.sock" reload-certs 2>&1) ||
	    fail "$n: reload-certs: $out"
done
wait_log b1 "peer no longer accepted after reload-certs: certificate revoked" 300 &&
    ok "b1 closed c2's link: $(grep 'no longer accepted' "$T/b1.log" | head -1 | sed 's/.*: \(127[^ ]*\) /\1 /')"
wait_log a1 "127.3.0.2[^)]*\\): peer no longer accepted after reload-certs: certificate revoked" 300 &&
    ok "a1 closed its link to c2"
wait_bg l2; grep -q 'ping closed at' "$T/l2.log" || fail "l2: $(tail -1 "$T/l2.log")"
wait_bg l3; grep -q 'ping closed at' "$T/l3.log" || fail "l3: $(tail -1 "$T/l3.log")"
out=$(link c2 127.1.0.1:$PT)
printf '%s\n' "$out" | grep -q -x 'reply 0x01' &&
    ok "c2 cannot open a new link" || fail "c2 -> a1 after revocation: $out"
out=$(link c1 127.2.0.1:$PT)
printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' ||
    fail "c1 -> b1 after c2's revocation: $out"

# --- org A cannot revoke org C's certificates --------------------------------
printf 'crl_next_update = 30\ncrl_number = 9\n' >"$T/crl.tmpl"
# its own CRL, listing c1's serial: it revokes org A's certificates only
certtool --generate-crl --load-ca-certificate "$T/orga.pki/ca.crt" \
    --load-ca-privkey "$T/orga.pki/ca.key" --load-certificate "$T/c1.crt" \
    --template "$T/crl.tmpl" --outfile "$T/orga-c1.crl" >"$T/certtool.out" 2>&1 ||
    die "certtool: $(tail -3 "$T/certtool.out")"
cp "$T/orga.crl" "$T/orga.crl.good"
cp "$T/orga-c1.crl" "$T/orga.crl"
"$CTL" -s "$T/a1.sock" reload-certs >/dev/null 2>&1 || fail "a1: reload-certs with org A's CRL"
out=$(link a1 127.3.0.1:$PT)
printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' &&
    ok "org A's CRL listing c1's serial does not revoke c1" ||
    fail "a1 -> c1 with org A's CRL naming c1: $out"

# org C's CRL, and one with org C's name signed by org A, as org A's crl
certtool --generate-crl --load-ca-certificate "$T/orgc.pki/ca.crt" \
    --load-ca-privkey "$T/orga.pki/ca.key" --load-certificate "$T/c1.crt" \
    --template "$T/crl.tmpl" --outfile "$T/forged.crl" >"$T/certtool.out" 2>&1 ||
    die "certtool: $(tail -3 "$T/certtool.out")"
LINE=$(grep -n "orga.crl" "$T/a1.conf" | cut -d: -f1)
for bad in orgc.crl forged.crl; do
	cp "$T/$bad" "$T/orga.crl"
	want="$T/a1.conf:$LINE: $T/orga.crl: CRL not signed by the CA of this entry ($T/orga.crt)"
	out=$("$CTL" -s "$T/a1.sock" reload-certs 2>&1)
	st=$?
	case $out in
	*"$want"*) [ $st -eq 1 ] && ok "reload-certs refuses $bad as org A's crl: $out" ||
		fail "reload-certs with $bad exits $st" ;;
	*)	fail "reload-certs with $bad as org A's crl: $st $out" ;;
	esac
	out=$("$STUNNELD" -t -c "$T/a1.conf" 2>&1) && fail "stunneld -t takes $bad"
	case $out in
	*"$want"*) ;;
	*)	fail "stunneld -t with $bad: $out" ;;
	esac
done
out=$(link a1 127.3.0.1:$PT)
printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' ||
    fail "a1 -> c1 after the refused reloads: $out"
cp "$T/orga.crl.good" "$T/orga.crl"

# --- a pin does not lift the scope ------------------------------------------
# a7's tls tunnel allows two pins: evil's and c1's.  evil is still refused
# (its CA may not vouch for 127.1.0.1), c1 comes in, b1 is not allowed.
pki_cert orga a7 --cn a7.org-a.example --ip 127.1.0.7
IP_a7=127.1.0.7
PIN_EVIL=$("$CTL" cert pin "$T/evil.crt") && PIN_C1=$("$CTL" cert pin "$T/c1.crt") ||
    die "cert pin"
node_conf a7 $IP_a7 "$CA_LIST"
sed -i "s|connect = \"127.0.0.1:$PE\"; };|connect = \"127.0.0.1:$PE\"; allow = [ \"$PIN_EVIL\", \"$PIN_C1\" ]; };|" \
    "$T/a7.conf"
grep -q "allow = " "$T/a7.conf" || die "a7.conf has no allow"
start_stunneld a7 "$T/a7.conf" || die "a7 did not start"
before=$(grep -c -F "$SERVER_FIXED" "$T/a7.log")
out=$(link evil 127.1.0.7:$PT)
printf '%s\n' "$out" | grep -q -x 'reply 0x00' && fail "evil -> a7 (pinned): accepted"
wait_log a7 "$SERVER_REFUSAL" 300 && ok "evil's pin in a7's allow does not let it in"
out=$(link c1 127.1.0.7:$PT)
printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' &&
    ok "c1, pinned, comes in to a7" || fail "c1 -> a7 (pinned): $out"
out=$(link b1 127.1.0.7:$PT)
printf '%s\n' "$out" | grep -q -x 'reply 0x00' && fail "b1 -> a7 (not pinned): accepted"
wait_log a7 "b1.org-b.example,127.2.0.1 not in allow list|127.2.0.1,b1.org-b.example not in allow list" 300 &&
    ok "b1, not pinned, is not allowed into a7"
stop_stunneld a7

# --- one organisation's CRL out of date: warned and, strict, refused alone --
# a8 (org A, 127.1.0.8) has crl_strict on, and org C's CRL in its list is
# past its next update: it warns about that file only, refuses c1 and
# still links to b1, whose CRL is in date.
printf 'crl_this_update_date = "@1577836800"\ncrl_next_update_date = "@1577923200"\ncrl_number = 5\n' \
    >"$T/old.tmpl"
certtool --generate-crl --load-ca-certificate "$T/orgc.pki/ca.crt" \
    --load-ca-privkey "$T/orgc.pki/ca.key" --template "$T/old.tmpl" \
    --outfile "$T/orgc-old.crl" >"$T/certtool.out" 2>&1 ||
    die "certtool: $(tail -3 "$T/certtool.out")"
pki_cert orga a8 --cn a8.org-a.example --ip 127.1.0.8
IP_a8=127.1.0.8
node_conf a8 $IP_a8 "$(printf '%s' "$CA_LIST" | sed "s|$T/orgc.crl|$T/orgc-old.crl|")
  crl_strict = true;"
start_stunneld a8 "$T/a8.conf" || die "a8 did not start"
wait_log a8 "CRL $T/orgc-old.crl is past its next update \(2020-01-02T00:00:00Z\): peers whose chain it covers are refused \(crl_strict\)" 300 &&
    ok "a8 warns about org C's CRL: $(grep 'past its next update' "$T/a8.log" | head -1 | sed 's/.*warning: //')"
grep 'past its next update' "$T/a8.log" | grep -q -v orgc-old.crl &&
    fail "a8 warns about another CRL: $(grep 'past its next update' "$T/a8.log")"
out=$(link a8 127.3.0.1:$PT)
printf '%s\n' "$out" | grep -q -x 'reply 0x01' &&
    wait_log a8 "the CRL of CN=orgc is past its next update \(2020-01-02T00:00:00Z\) and crl_strict is on" 300 &&
    ok "a8 refuses c1 (crl_strict, org C's CRL out of date)" ||
    fail "a8 -> c1 with org C's CRL out of date: $out"
out=$(link a8 127.2.0.1:$PT)
printf '%s\n' "$out" | grep -q -x 'sent 4096 received 4096 match' &&
    ok "a8 still links to b1: only org C's peers are refused" ||
    fail "a8 -> b1: $out"
stop_stunneld a8

# --- the worked example, etc/examples/three-orgs, as its README says -----
EX=$T/ex
cp -R "$top_srcdir/etc/examples/three-orgs" "$EX" && chmod -R u+w "$EX" ||
    die "cannot copy the example"
for b in pki trust check; do
	awk -v name="$b" '
	    $0 == "<!-- test: " name " -->" { want = 1; next }
	    want && /^```sh$/ { on = 1; want = 0; next }
	    on && /^```$/ { exit }
	    on { print }' "$EX/README.md" >"$T/block-$b.sh"
	[ -s "$T/block-$b.sh" ] || fail "example README: no block $b"
	(cd "$EX" && PATH=$top_builddir/stunneld:$top_builddir/ctl:$PATH &&
	    export PATH && sh -e "$T/block-$b.sh") >"$T/block-$b.out" 2>&1 ||
	    fail "example block $b: $(tail -3 "$T/block-$b.out")"
done
[ "$(grep -c ': configuration OK$' "$T/block-check.out")" -eq 3 ] &&
    ok "etc/examples/three-orgs: its README's steps make three valid nodes" ||
    fail "example check: $(cat "$T/block-check.out")"

touch "$T/stop-l1"
wait_bg l1
case $(tail -n 1 "$T/l1.log") in
"ping "*" ok")	ok "c1's link through all of it: $(tail -n 1 "$T/l1.log")" ;;
*)		fail "l1: $(tail -n 1 "$T/l1.log")" ;;
esac

done_test
