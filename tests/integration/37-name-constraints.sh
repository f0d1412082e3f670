#!/bin/sh
# X.509 nameConstraints are honoured, the trust anchor's own included,
# with a plain ca = "file" and no names in the configuration (issue 11).
# Org A's CA is made with "stunnelctl cert ca --permit 127.1.0.0/16
# --permit .org-a.example"; "cert issue" refuses a name outside it, and
# certificates made around it with certtool (as a careless or hostile CA
# operator would) play the impostors:
#  - i5: IP SAN 127.2.0.5, an address of org B;
#  - mapped: IP SAN ::ffff:127.2.0.5 and DNS SAN m.org-a.example (GnuTLS
#    holds no IPv6 SAN to IPv4 ranges, and a socket reaches 127.2.0.5
#    with it);
#  - b1: no SAN, CN node-b1, client key purpose only (GnuTLS holds the CN
#    to DNS constraints only for a TLS server's certificate).
# Node X (127.1.0.1) refuses each of them as a client (its socks tunnel
# dialling an openssl s_server that presents it: reply 0x01) and as a
# server (its tls tunnel accepting gnutls-cli and openssl s_client with
# it), logging the CA (subject and pin) and the name; org A's node A2
# (127.1.0.2) works both ways.  openssl and certtool read the constraints
# and refuse i5 too; stunneld -t refuses "mapped" as a node's own
# certificate.  "cert trust" prints the ca list for org A and B;
# when stunneld -t takes the list form, the printed block is checked.
. "$(dirname "$0")/lib.sh"
need certtool openssl gnutls-cli timeout
CTL=$STUNNELCTL

# --- PKI -----------------------------------------------------------------
$CTL cert ca -d "$T/orga.pki" --cn "Org A CA" --permit 127.1.0.0/16 \
    --permit .org-a.example >"$T/orga.out" 2>&1 ||
    die "cert ca --permit: $(cat "$T/orga.out")"
cp "$T/orga.pki/ca.crt" "$T/orga.crt" && cp "$T/orga.pki/ca.key" "$T/orga.key" &&
    cp "$T/orga.pki/ca.crl" "$T/orga.crl" || die "cannot copy CA A"
$CTL cert ca -d "$T/orgb.pki" --cn "Org B CA" --permit 127.2.0.0/16 \
    --exclude 127.2.9.0/24 >"$T/orgb.out" 2>&1 || die "cert ca B: $(cat "$T/orgb.out")"
pki_cert orga a1.org-a.example --ip 127.1.0.1
pki_cert orga a2.org-a.example --ip 127.1.0.2

grep -q '^permitted: *127.1.0.0/16, .org-a.example$' "$T/orga.out" &&
    grep -q '^excluded: *none$' "$T/orga.out" &&
    $CTL cert show "$T/orgb.pki/ca.crt" | grep -q '^excluded: *127.2.9.0/24$' &&
    ok "cert ca and cert show print the constraints" ||
    fail "cert show: $(cat "$T/orga.out")"
for bad in "--permit 127.1.2.0/16" "--permit 127.1.0.0/40" "--exclude *.org-a.example" \
    "--permit bad..name" "--permit"; do
	# shellcheck disable=SC2086
	$CTL cert ca -d "$T/bad.pki" $bad >"$T/bad.out" 2>&1
	st=$?
	[ "$st" -eq 2 ] && [ ! -e "$T/bad.pki" ] ||
	    fail "cert ca $bad: exit $st: $(cat "$T/bad.out")"
done
ok "bad --permit/--exclude: exit 2, nothing written"
$CTL cert issue x.org-a.example -d "$T/orga.pki" --out "$T" --ip 127.2.0.5 \
    >"$T/issue.out" 2>&1
st=$?
[ "$st" -eq 2 ] && grep -q 'CA "CN=Org A CA" (sha256:.*) may not vouch for 127.2.0.5 (nameConstraints permit 127.1.0.0/16, .org-a.example)' "$T/issue.out" &&
    [ ! -e "$T/x.org-a.example.crt" ] &&
    ok "cert issue refuses a name outside the CA's constraints" ||
    fail "cert issue out of range: exit $st: $(cat "$T/issue.out")"
$CTL cert issue node-a9 -d "$T/orga.pki" --out "$T" --ip 127.1.0.9 \
    >"$T/issue.out" 2>&1
[ $? -eq 2 ] && grep -q 'may not vouch for node-a9' "$T/issue.out" ||
    fail "cert issue node-a9 (a name outside .org-a.example): $(cat "$T/issue.out")"

# impostor NAME TEMPLATE-LINES: a key and certificate from CA A, made by
# certtool around stunnelctl's check.
impostor() {
	printf '%s\nexpiration_days = 30\nsigning_key\n' "$2" >"$T/$1.tmpl"
	certtool --generate-privkey --key-type ecdsa --outfile "$T/$1.key" \
	    >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$T/$1.key" \
	    --load-ca-certificate "$T/orga.crt" --load-ca-privkey "$T/orga.key" \
	    --template "$T/$1.tmpl" --outfile "$T/$1.crt" >"$T/$1.certtool" 2>&1 ||
	    die "certtool: cannot make $1: $(tail -3 "$T/$1.certtool")"
}
impostor i5 'cn = "127.2.0.5"
ip_address = 127.2.0.5
tls_www_server
tls_www_client'
impostor mapped 'cn = "m.org-a.example"
dns_name = m.org-a.example
ip_address = ::ffff:127.2.0.5
tls_www_server
tls_www_client'
impostor b1 'cn = "node-b1"
tls_www_client'

# --- openssl and certtool read and honour them ---------------------------
text=$(openssl x509 -in "$T/orga.crt" -noout -text)
case $text in
*"X509v3 Name Constraints: critical"*"IP:127.1.0.0/255.255.0.0"*"DNS:.org-a.example"*)
	ok "openssl x509 -text: critical, 127.1.0.0/16, .org-a.example" ;;
*)	fail "openssl x509 -text: $(printf '%s' "$text" | grep -A5 'Name Constraints')" ;;
esac
certtool -i --infile "$T/orga.crt" | tr -d '\t' | grep -A3 'Name Constraints (critical)' |
    tr '\n' '|' | grep -q 'Permitted:|IPAddress: 127.1.0.0/16|DNSname: .org-a.example' &&
    ok "certtool -i: critical, 127.1.0.0/16, .org-a.example" ||
    fail "certtool -i: $(certtool -i --infile "$T/orga.crt" | grep -A4 'Name Constraints')"
openssl verify -CAfile "$T/orga.crt" "$T/a2.org-a.example.crt" >"$T/v.out" 2>&1 &&
    ok "openssl verify: a2 (127.1.0.2, a2.org-a.example) OK" ||
    fail "openssl verify a2: $(cat "$T/v.out")"
for who in i5 mapped; do
	if openssl verify -CAfile "$T/orga.crt" "$T/$who.crt" >"$T/v.out" 2>&1; then
		fail "openssl verify accepts $who"
	elif grep -q 'permitted subtree violation' "$T/v.out"; then
		ok "openssl verify: $who: permitted subtree violation"
	else
		fail "openssl verify $who: $(cat "$T/v.out")"
	fi
done
certtool --verify --load-ca-certificate "$T/orga.crt" \
    --infile "$T/a2.org-a.example.crt" 2>&1 | grep -q 'Chain verification output: Verified' &&
    ok "certtool --verify: a2 verified" || fail "certtool --verify a2"
certtool --verify --load-ca-certificate "$T/orga.crt" --infile "$T/i5.crt" 2>&1 |
    grep -q "Not verified.*violates the signer's constraints" &&
    ok "certtool --verify: i5 violates the signer's constraints" ||
    fail "certtool --verify i5: $(certtool --verify --load-ca-certificate "$T/orga.crt" --infile "$T/i5.crt" 2>&1 | tail -2)"

# --- node X and node A2, plain ca = "file", no names ----------------------
PXS=$(port_free); PX=$(port_free); PAS=$(port_free); PA2=$(port_free)
PE=$(port_free); PO=$(port_free); PM=$(port_free)
start_echo $PE --count-file "$T/count"
conf_global x a1.org-a.example orga
cat >>"$T/x.conf" <<EOF
tunnels = {
	x_out = { mode = "socks"; listen = "127.0.0.1:$PXS"; };
	x_in = { mode = "tls"; listen = "127.1.0.1:$PX"; connect = "127.0.0.1:$PE"; };
};
EOF
conf_global a2 a2.org-a.example orga
cat >>"$T/a2.conf" <<EOF
tunnels = {
	a2_out = { mode = "socks"; listen = "127.0.0.1:$PAS"; };
	a2_in = { mode = "tls"; listen = "127.1.0.2:$PA2"; connect = "127.0.0.1:$PE"; };
};
EOF
grep -q 'names' "$T/x.conf" && die "x.conf has names"
start_stunneld x "$T/x.conf" || die "node X did not start"
start_stunneld a2 "$T/a2.conf" || die "node A2 did not start"

# The impostors' servers: openssl s_server on org B's address.
start_bg srv_i5 openssl s_server -accept "127.2.0.5:$PO" -cert "$T/i5.crt" \
    -key "$T/i5.key" -www -naccept 100
start_bg srv_mapped openssl s_server -accept "127.2.0.5:$PM" \
    -cert "$T/mapped.crt" -key "$T/mapped.key" -www -naccept 100
wait_port 127.2.0.5 $PO || die "s_server i5 did not start"
wait_port 127.2.0.5 $PM || die "s_server mapped did not start"

SC="$HELPERS/socks-client"
# socks_case WHAT PROXYPORT DEST WANT
socks_case() {
	if [ "$4" = 0x00 ]; then
		out=$($SC -p 127.0.0.1:$2 -d "$3" --send-bytes 100 2>&1)
	else
		out=$($SC -p 127.0.0.1:$2 -d "$3" 2>&1)
	fi
	if printf '%s\n' "$out" | grep -q -x "reply $4" &&
	    { [ "$4" != 0x00 ] ||
	    printf '%s\n' "$out" | grep -q 'sent 100 received 100 match'; }; then
		ok "$1: reply $4"
	else
		fail "$1: wanted reply $4, got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
}
CA_RE='CA "CN=Org A CA" \(sha256:[A-Za-z0-9+/=]+\) may not vouch for'

# As a client.
socks_case "X dials A2 (127.1.0.2)" $PXS 127.1.0.2:$PA2 0x00
socks_case "X dials 127.2.0.5, which presents i5" $PXS 127.2.0.5:$PO 0x01
wait_log x "$CA_RE 127\.2\.0\.5 \(nameConstraints permit 127\.1\.0\.0/16, \.org-a\.example\)" &&
    ok "X logs the CA and 127.2.0.5"
socks_case "X dials ::ffff:127.2.0.5, which presents mapped" $PXS \
    "[::ffff:127.2.0.5]:$PM" 0x01
wait_log x "$CA_RE ::ffff:127\.2\.0\.5 " && ok "X logs the CA and ::ffff:127.2.0.5"

# As a server.
socks_case "A2 dials X (127.1.0.1)" $PAS 127.1.0.1:$PX 0x00

# feed MSG: write MSG, then keep the client's input open until its answer
# is in $T/try.out or the client has ended ($T/try.done).
feed() {
	echo "$1"
	_f_n=0
	while [ $_f_n -lt "$WAIT_TENTHS" ] && [ ! -e "$T/try.done" ] &&
	    ! grep -q "^$1" "$T/try.out" 2>/dev/null; do
		sleep 0.1
		_f_n=$((_f_n + 1))
	done
}

# try TOOL CERT: one TLS session to X's tls tunnel sending a line; print
# what came back.
try() {
	msg="hello-$2-$$"
	rm -f "$T/try.done"
	: >"$T/try.out"
	case $1 in
	gnutls)
		feed "$msg" | { timeout 120 gnutls-cli -p "$PX" \
		    --x509cafile "$T/orga.crt" --x509certfile "$T/$2.crt" \
		    --x509keyfile "$T/$2.key" 127.1.0.1 >"$T/try.out" 2>&1
		    touch "$T/try.done"; } ;;
	openssl)
		feed "$msg" | { timeout 120 openssl s_client \
		    -connect "127.1.0.1:$PX" -CAfile "$T/orga.crt" \
		    -verify_return_error -no_ign_eof -cert "$T/$2.crt" \
		    -key "$T/$2.key" >"$T/try.out" 2>&1
		    touch "$T/try.done"; } ;;
	esac
	cat "$T/try.out"
}
for tool in gnutls openssl; do
	for who in i5 mapped b1 a2.org-a.example; do
		before=$(wc -l <"$T/count")
		out=$(try $tool $who)
		after=$(wc -l <"$T/count")
		if [ "$who" = a2.org-a.example ]; then
			printf '%s' "$out" | grep -q "^hello-$who-$$" &&
			    [ "$after" -eq $((before + 1)) ] &&
			    ok "$tool with $who: echoed" ||
			    fail "$tool with $who: no echo: $(printf '%s' "$out" | tail -3)"
		elif printf '%s' "$out" | grep -q "^hello-$who-$$"; then
			fail "$tool with $who: data went through"
		elif [ "$after" -ne "$before" ]; then
			fail "$tool with $who: the target saw a connection"
		else
			ok "$tool with $who: refused, target untouched"
		fi
	done
done
wait_log x "$CA_RE node-b1 \(nameConstraints permit 127\.1\.0\.0/16, \.org-a\.example\)" &&
    ok "X logs the CA and node-b1"
[ "$(grep -c -E "$CA_RE 127\.2\.0\.5 " "$T/x.log")" -ge 3 ] ||
    fail "X did not log the CA and 127.2.0.5 for each refusal of i5"

# A node whose own certificate its CA may not vouch for is told at -t
# (GnuTLS alone would pass "mapped"; every stunneld peer refuses it).
conf_global own mapped orga
echo 'tunnels = { t = { mode = "tls"; listen = "127.1.0.3:1"; connect = "127.0.0.1:1"; }; };' >>"$T/own.conf"
"$STUNNELD" -t -c "$T/own.conf" >"$T/own.out" 2>&1
st=$?
[ "$st" -eq 1 ] && grep -E -q "^$T/own.conf:[0-9]*: $T/mapped.crt: $CA_RE ::ffff:127.2.0.5 " "$T/own.out" &&
    ok "stunneld -t: own certificate outside its CA's constraints" ||
    fail "stunneld -t with mapped as own certificate: exit $st: $(cat "$T/own.out")"

# --- cert trust: the ca list from the CA certificates ----------------------
$CTL cert trust "$T/orga.crt" --crl "$T/orga.crl" "$T/orgb.pki/ca.crt" \
    >"$T/trust.out" 2>"$T/trust.err" || fail "cert trust: $(cat "$T/trust.err")"
grep -q -F "{ file = \"$T/orga.crt\"; names = [ \"127.1.0.0/16\", \".org-a.example\" ]; crl = \"$T/orga.crl\"; }," "$T/trust.out" &&
    grep -q -F "{ file = \"$T/orgb.pki/ca.crt\"; names = [ \"127.2.0.0/16\" ]; }" "$T/trust.out" &&
    grep -q -F "excluded by its nameConstraints (enforced from the certificate): 127.2.9.0/24" "$T/trust.out" &&
    grep -q '^ca = ($' "$T/trust.out" && grep -q '^);$' "$T/trust.out" &&
    ok "cert trust prints both anchors with their names" ||
    fail "cert trust: $(cat "$T/trust.out")"
$CTL cert trust "$T/orga.crt" --crl "$T/orgb.pki/ca.crl" >/dev/null 2>"$T/trust.err"
[ $? -eq 1 ] && grep -q 'not signed by the CA of' "$T/trust.err" ||
    fail "cert trust with another CA's CRL: $(cat "$T/trust.err")"
$CTL cert trust --crl "$T/orga.crl" >/dev/null 2>&1
[ $? -eq 2 ] || fail "cert trust --crl first: not a usage error"
$CTL cert trust "$T/a1.org-a.example.crt" >/dev/null 2>"$T/trust.err"
[ $? -eq 1 ] && grep -q 'not a CA certificate' "$T/trust.err" ||
    fail "cert trust on a node certificate: $(cat "$T/trust.err")"

# stunneld -t on the printed block, once the daemon takes the list form
# (the branch that adds it may not be merged yet: then only the text is
# checked above).
# with_ca FILE BLOCK-FILE: x.conf with its ca line replaced by BLOCK-FILE.
with_ca() {
	grep -v '^	ca = ' "$T/x.conf" | sed "/^tls = {/r $2" >"$1"
}
printf '\tca = ( { file = "%s"; } );\n' "$T/orga.crt" >"$T/probe.block"
with_ca "$T/probe.conf" "$T/probe.block"
sed -i '/^	crl = /d' "$T/probe.conf"
if "$STUNNELD" -t -c "$T/probe.conf" >"$T/probe.out" 2>&1; then
	with_ca "$T/trust.conf" "$T/trust.out"
	sed -i '/^	crl = /d' "$T/trust.conf"
	"$STUNNELD" -t -c "$T/trust.conf" >"$T/t.out" 2>&1 &&
	    ok "stunneld -t accepts the block cert trust printed" ||
	    fail "stunneld -t on the cert trust block: $(cat "$T/t.out")"
else
	note "stunneld -t does not take the ca list form yet ($(head -1 "$T/probe.out")): only the text of cert trust was checked"
fi
done_test
