#!/bin/sh
# stunnelctl cert: the offline PKI.  A CA and node certificates made with
# "cert ca" and "cert issue" (modes, no overwrite without --force, openssl
# agrees on the chain, the SANs and the pin; "cert show" fields), then a
# real pair: node A (socks) -> node B (tls, crl from "cert ca") carries
# data, "cert revoke" of node A + "stunnelctl reload-certs" on B closes
# A's open link and refuses its new connections; "cert crl" signs the CRL
# again with its revocations and a new next update.  Usage errors exit 2.
. "$(dirname "$0")/lib.sh"
need openssl stat
CTL=$STUNNELCTL

# The CA lives in $T itself, so conf_global finds ca.crt and ca.crl there.

# --- usage errors: exit 2 ------------------------------------------------
for args in "" "bogus" "ca extra" "ca --json" "ca --days" "ca --days 0" \
    "issue" "issue a --ip 300.1.1.1" "issue a --ip node-a" \
    "issue a --days x" "issue a --valid-from 2021-02-30" "issue a/b" \
    "issue a --dns bad,name" "issue a --bogus" "revoke" "revoke a b" \
    "issue a --not-after 2030-01-01" "issue a --not-after 2030-01-01T00:00:00" \
    "issue a --not-after 2030-01-01T00:00:00.5Z" \
    "issue a --not-after 2030-01-01T00:00:00+2:00" \
    "issue a --days 3 --not-after 2030-01-01T00:00:00Z" \
    "issue a --valid-from 2030-01-02 --not-after 2030-01-01T23:59:59Z" \
    "crl x" "crl --days 0" "crl --days x" "crl --cn x" \
    "show" "pin" "pin a b" "pin --json a"; do
	# shellcheck disable=SC2086
	$CTL cert $args >"$T/usage.out" 2>&1
	st=$?
	[ "$st" -eq 2 ] || fail "cert $args: exit $st, not 2: $(cat "$T/usage.out")"
done
$CTL --json cert pin "$T/x.crt" >/dev/null 2>&1
st=$?
[ "$st" -eq 2 ] && ok "usage errors exit 2" || fail "--json cert: exit $st"
$CTL cert -h | grep -q 'cert issue NAME' || fail "cert -h does not show issue"
$CTL cert pin "$T/nonexistent.crt" 2>"$T/err.out"
st=$?
[ "$st" -eq 1 ] && grep -q "^stunnelctl: $T/nonexistent.crt: " "$T/err.out" &&
    ok "missing file: exit 1, file named" ||
    fail "missing file: exit $st: $(cat "$T/err.out")"

# --- cert ca -------------------------------------------------------------
$CTL cert ca -d "$T" >"$T/ca.out" 2>&1 || die "cert ca: $(cat "$T/ca.out")"
mode() {
	stat -c %a "$1"
}
[ "$(mode "$T/ca.key")" = 600 ] && [ "$(mode "$T/ca.crt")" = 644 ] &&
    [ "$(mode "$T/ca.crl")" = 644 ] && ok "ca.key 0600, ca.crt and ca.crl 0644" ||
    fail "CA modes: $(ls -l "$T"/ca.*)"
grep -q "pin: *sha256:" "$T/ca.out" || fail "cert ca does not print the pin"
openssl x509 -in "$T/ca.crt" -noout -subject | grep -q 'CN *= *stunneld network CA' ||
    fail "default CA name: $(openssl x509 -in "$T/ca.crt" -noout -subject)"
ext=$(openssl x509 -in "$T/ca.crt" -noout -ext basicConstraints,keyUsage)
case $ext in
*"CA:TRUE"*"Certificate Sign, CRL Sign"*) ok "CA: CA:TRUE, keyCertSign + cRLSign" ;;
*)	fail "CA extensions: $ext" ;;
esac
$CTL cert show "$T/ca.crt" | grep -E -q '^days left: +(3649|3650)$' ||
    fail "CA lifetime: $($CTL cert show "$T/ca.crt")"
pin_before=$($CTL cert pin "$T/ca.crt")
$CTL cert ca -d "$T" >"$T/ca2.out" 2>&1
st=$?
if [ "$st" -eq 1 ] && grep -q "$T/ca.key" "$T/ca2.out" &&
    [ "$($CTL cert pin "$T/ca.crt")" = "$pin_before" ]; then
	ok "a second cert ca is refused, the CA is untouched"
else
	fail "second cert ca: exit $st: $(cat "$T/ca2.out")"
fi
$CTL cert ca -d "$T/ca2" --cn "test CA 2" --days 10 >/dev/null &&
    $CTL cert ca -d "$T/ca2" --force >/dev/null &&
    $CTL cert show "$T/ca2/ca.crt" | grep -q '^subject: *CN=stunneld network CA$' &&
    ok "cert ca --force replaces a CA" || fail "cert ca --force"
$CTL cert show "$T/ca.crl" >"$T/crl0.out"
grep -q '^issuer: *CN=stunneld network CA$' "$T/crl0.out" &&
    grep -E -q '^next update: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$T/crl0.out" &&
    grep -q '^revoked: *none$' "$T/crl0.out" &&
    ok "the new CRL is empty and signed by the CA" ||
    fail "cert show ca.crl: $(cat "$T/crl0.out")"

# --- cert issue ----------------------------------------------------------
$CTL cert issue node-a -d "$T" --ip 127.0.0.1 >"$T/issue-a.out" 2>&1 ||
    die "cert issue node-a: $(cat "$T/issue-a.out")"
$CTL cert issue node-b -d "$T" --ip 127.0.0.2 --ip ::1 --dns node-b.test \
    >"$T/issue-b.out" 2>&1 || die "cert issue node-b: $(cat "$T/issue-b.out")"
[ "$(mode "$T/node-a.key")" = 600 ] && [ "$(mode "$T/node-a.crt")" = 644 ] &&
    ok "node-a.key 0600, node-a.crt 0644" ||
    fail "node modes: $(ls -l "$T"/node-a.*)"
grep -q '^subject: *CN=node-a$' "$T/issue-a.out" &&
    grep -q '^SANs: *DNS:node-a, IP:127.0.0.1$' "$T/issue-a.out" &&
    grep -q '^not after: ' "$T/issue-a.out" && grep -q '^pin: *sha256:' "$T/issue-a.out" ||
    fail "cert issue output: $(cat "$T/issue-a.out")"

# No overwrite without --force; the message names the file.
sum_before=$(sha256_of "$T/node-a.key")
$CTL cert issue node-a -d "$T" --ip 127.0.0.1 >"$T/again.out" 2>&1
st=$?
if [ "$st" -eq 1 ] && grep -q "^stunnelctl: $T/node-a.key: " "$T/again.out" &&
    [ "$(sha256_of "$T/node-a.key")" = "$sum_before" ]; then
	ok "re-issue without --force refused: $(cat "$T/again.out")"
else
	fail "re-issue without --force: exit $st: $(cat "$T/again.out")"
fi

out=$(openssl verify -CAfile "$T/ca.crt" "$T/node-a.crt" "$T/node-b.crt" 2>&1)
[ "$(printf '%s\n' "$out" | grep -c ': OK$')" -eq 2 ] &&
    ok "openssl verify: both node certificates chain to the CA" ||
    fail "openssl verify: $out"
san=$(openssl x509 -in "$T/node-b.crt" -noout -ext subjectAltName 2>&1)
case $san in
*"DNS:node-b, DNS:node-b.test, IP Address:127.0.0.2, IP Address:0:0:0:0:0:0:0:1"*)
	ok "SANs as openssl sees them: $(printf '%s' "$san" | tail -1)" ;;
*)	fail "node-b SANs: $san" ;;
esac
ext=$(openssl x509 -in "$T/node-a.crt" -noout -ext \
    basicConstraints,keyUsage,extendedKeyUsage,subjectKeyIdentifier,authorityKeyIdentifier 2>&1)
ext_ok=1
for want in "CA:FALSE" "Digital Signature" \
    "TLS Web Server Authentication, TLS Web Client Authentication" \
    "Subject Key Identifier" "Authority Key Identifier"; do
	case $ext in
	*"$want"*) ;;
	*)	ext_ok=0; fail "node extensions: no $want in: $ext" ;;
	esac
done
[ $ext_ok -eq 1 ] &&
    ok "node extensions: CA:FALSE, digitalSignature, serverAuth+clientAuth, SKI, AKI"
openssl x509 -in "$T/node-a.key" -noout 2>/dev/null &&
    fail "node-a.key holds a certificate"
openssl pkey -in "$T/node-a.key" -noout -text 2>/dev/null | grep -q 'P-256' &&
    ok "node key is ECDSA P-256" || fail "node key is not ECDSA P-256"
serial_a=$(openssl x509 -in "$T/node-a.crt" -noout -serial | sed 's/^serial=//')
case $serial_a in
[0-7][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F])
	ok "serial: 16 bytes, positive ($serial_a)" ;;
*)	fail "serial: $serial_a" ;;
esac

# The pin is openssl's SHA-256 of the SPKI, and "cert show" has the fields.
for n in ca node-a node-b; do
	want=sha256:$(openssl x509 -in "$T/$n.crt" -pubkey -noout |
	    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
	got=$($CTL cert pin "$T/$n.crt")
	[ "$got" = "$want" ] || fail "pin of $n: $got, openssl: $want"
done
ok "cert pin = openssl's SPKI sha256 ($($CTL cert pin "$T/node-a.crt"))"
$CTL cert show "$T/node-a.crt" >"$T/show.out"
# base64 has "+" and "/": quote them for the regular expression
pin_re=$($CTL cert pin "$T/node-a.crt" | sed 's/[+/.]/\\&/g')
for re in '^subject: +CN=node-a$' '^issuer: +CN=stunneld network CA$' \
    "^serial: +$serial_a\$" '^SANs: +DNS:node-a, IP:127.0.0.1$' \
    '^not before: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    '^not after: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    '^days left: +(364|365)$' "^pin: +$pin_re\$"; do
	grep -E -q -- "$re" "$T/show.out" || fail "cert show: no line /$re/"
done
ok "cert show: subject, issuer, serial, SANs, dates, days left, pin"

# --cn, --out, --valid-from/--days (an expired certificate), --force.
$CTL cert issue pinned -d "$T" --cn node-p --out "$T/out" >/dev/null 2>&1 &&
    [ -f "$T/out/pinned.key" ] && [ -f "$T/out/pinned.crt" ] &&
    openssl x509 -in "$T/out/pinned.crt" -noout -subject -ext subjectAltName |
    tr '\n' ' ' | grep -q 'CN *= *node-p.*DNS:node-p *$' &&
    ok "--cn node-p --out: CN and DNS SAN node-p, files pinned.* in OUTDIR" ||
    fail "--cn/--out: $(ls "$T/out" 2>&1)"
$CTL cert issue old -d "$T" --valid-from 2020-01-01 --days 30 >/dev/null &&
    $CTL cert show "$T/old.crt" >"$T/old.out" &&
    grep -q '^not before: *2020-01-01T00:00:00Z$' "$T/old.out" &&
    grep -q '^not after: *2020-01-31T00:00:00Z$' "$T/old.out" &&
    grep -q '^days left: *expired$' "$T/old.out" &&
    ! openssl x509 -in "$T/old.crt" -noout -checkend 0 >/dev/null &&
    ok "--valid-from 2020-01-01 --days 30: expired" ||
    fail "expired certificate: $(cat "$T/old.out")"
$CTL cert issue oldsec -d "$T" --valid-from 2020-01-01 \
    --not-after 2020-01-01T12:34:56+02:00 >/dev/null &&
    $CTL cert show "$T/oldsec.crt" >"$T/oldsec.out" &&
    grep -q '^not after: *2020-01-01T10:34:56Z$' "$T/oldsec.out" &&
    ok "--not-after 2020-01-01T12:34:56+02:00: not after 10:34:56Z" ||
    fail "--not-after: $(cat "$T/oldsec.out")"
$CTL cert issue node-c -d "$T" --dns node-c >/dev/null || fail "issue node-c"
pin_c1=$($CTL cert pin "$T/node-c.crt")
serial_c1=$(openssl x509 -in "$T/node-c.crt" -noout -serial)
$CTL cert issue node-c -d "$T" --dns node-c --force >/dev/null &&
    [ "$($CTL cert pin "$T/node-c.crt")" != "$pin_c1" ] &&
    [ "$(openssl x509 -in "$T/node-c.crt" -noout -serial)" != "$serial_c1" ] &&
    [ "$(mode "$T/node-c.key")" = 600 ] &&
    ok "--force: new key and new serial (rotation)" ||
    fail "--force rotation"
ls "$T"/*.tmp* >/dev/null 2>&1 && fail "temporary files left: $(ls "$T"/*.tmp*)"

# --- a real pair: A (socks) -> B (tls, crl = ca.crl, allow node-a) ------
PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
	    connect = "127.0.0.1:$PE"; allow = [ "node-a" ]; };
};
EOF
grep -q "crl = \"$T/ca.crl\"" "$T/b.conf" || fail "node B has no crl"
conf_global a node-a ca
echo "tunnels = { p2p_out = { mode = \"socks\"; listen = \"127.0.0.1:$PA\"; }; };" \
    >>"$T/a.conf"
"$STUNNELD" -t -c "$T/b.conf" >"$T/t.out" 2>&1 || fail "stunneld -t: $(cat "$T/t.out")"
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"

out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
    --send-bytes 1000000 2>&1)
case $out in
*"reply 0x00"*"sent 1000000 received 1000000 match"*)
	ok "A -> B with cert-made certificates: 1 MB echoed" ;;
*)	fail "A -> B: $out" ;;
esac
start_bg live-a "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --until "$T/stop" \
    --interval 100 --timeout 600
live_a=$(bg_pid live-a)
# The link is up at both ends before node A's certificate is revoked.
wait_until "node A's live link did not come up" 'grep -q "reply 0x00" "$T/live-a.log"' &&
    wait_stat b p2p_in connections_active -eq 1

# --- revoke node A -------------------------------------------------------
$CTL cert revoke node-a -d "$T" >"$T/revoke.out" 2>&1
st=$?
if [ "$st" -eq 0 ] && grep -q "$serial_a" "$T/revoke.out" &&
    grep -q 'stunnelctl reload-certs' "$T/revoke.out"; then
	ok "cert revoke node-a: $(head -1 "$T/revoke.out")"
else
	fail "cert revoke: exit $st: $(cat "$T/revoke.out")"
fi
[ "$(mode "$T/ca.crl")" = 644 ] || fail "ca.crl mode $(mode "$T/ca.crl")"
if command -v certtool >/dev/null 2>&1; then
	certtool --verify-crl --load-ca-certificate "$T/ca.crt" \
	    --infile "$T/ca.crl" >"$T/certtool.out" 2>&1 &&
	    ok "certtool --verify-crl accepts the CRL" ||
	    fail "certtool --verify-crl: $(tail -3 "$T/certtool.out")"
fi
openssl crl -in "$T/ca.crl" -CAfile "$T/ca.crt" -noout 2>&1 | grep -q 'verify OK' ||
    fail "openssl crl: signature not verified"
entries() {
	openssl crl -in "$T/ca.crl" -noout -text | grep -c 'Serial Number:'
}
crlnum() {
	openssl crl -in "$T/ca.crl" -noout -crlnumber | sed 's/.*=//'
}
n1=$(crlnum)
$CTL cert revoke "$T/node-a.crt" -d "$T" >"$T/revoke2.out" 2>&1 ||
    fail "second revoke: $(cat "$T/revoke2.out")"
$CTL cert revoke old -d "$T" >/dev/null 2>&1 || fail "revoke old (expired)"
[ "$(entries)" -eq 2 ] && [ "$(openssl crl -in "$T/ca.crl" -noout -text |
    grep -c "Serial Number: $serial_a")" -eq 1 ] &&
    [ "$(crlnum)" != "$n1" ] &&
    ok "revoking twice keeps one entry; entries kept; CRL number $n1 -> $(crlnum)" ||
    fail "CRL after two revokes: $(openssl crl -in "$T/ca.crl" -noout -text)"
$CTL cert show "$T/ca.crl" | grep -q "$serial_a" ||
    fail "cert show ca.crl does not list node-a's serial"

# cert crl: the same revocations (and their dates) signed again, the next
# CRL number, the next update --days from now; a CRL past its next update
# is renewed the same way.
revoked_list() {
	openssl crl -in "$T/ca.crl" -noout -text | grep -A1 'Serial Number:'
}
n2=$(crlnum)
list2=$(revoked_list)
$CTL cert crl -d "$T" --days 7 >"$T/crl.out" 2>&1
st=$?
nu=$(date -u -d "$(openssl crl -in "$T/ca.crl" -noout -nextupdate |
    sed 's/^nextUpdate=//')" +%s)
left=$((nu - $(date +%s)))
if [ "$st" -eq 0 ] && [ "$(revoked_list)" = "$list2" ] &&
    [ "$(crlnum)" != "$n2" ] && [ "$left" -le $((7 * 86400)) ] &&
    [ "$left" -gt $((7 * 86400 - 3600)) ] &&
    openssl crl -in "$T/ca.crl" -CAfile "$T/ca.crt" -noout 2>&1 |
    grep -q 'verify OK'; then
	ok "cert crl --days 7: $(head -1 "$T/crl.out" | sed 's/.*: //')"
else
	fail "cert crl: exit $st, next update in $left s: $(cat "$T/crl.out")"
fi
[ "$(mode "$T/ca.crl")" = 644 ] || fail "ca.crl mode $(mode "$T/ca.crl") after cert crl"

# Not this CA's certificate, or the CA itself: refused, CRL untouched.
$CTL cert ca -d "$T/other" >/dev/null && $CTL cert issue stranger -d "$T/other" >/dev/null ||
    fail "other CA"
sum=$(sha256_of "$T/ca.crl")
$CTL cert revoke "$T/other/stranger.crt" -d "$T" >"$T/stranger.out" 2>&1
st=$?
[ "$st" -eq 1 ] && grep -q 'not issued by this CA' "$T/stranger.out" &&
    [ "$(sha256_of "$T/ca.crl")" = "$sum" ] &&
    ok "revoke of another CA's certificate refused" ||
    fail "revoke stranger: exit $st: $(cat "$T/stranger.out")"
$CTL cert revoke ca -d "$T" >/dev/null 2>&1 && fail "the CA revoked itself"

# reload-certs on B: A's open link closes, its new connections are refused.
out=$($CTL -s "$T/b.sock" reload-certs 2>&1)
st=$?
[ "$st" -eq 0 ] && ok "reload-certs on B: $out" || fail "reload-certs: exit $st: $out"
wait_until "node A's open link is still open" '! kill -0 $live_a 2>/dev/null'
touch "$T/stop"
wait_bg live-a
case $(cat "$T/live-a.log") in
*"ping closed"*) ok "node A's open link was closed" ;;
*)	fail "node A's open link: $(cat "$T/live-a.log")" ;;
esac
out=$("$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 100 2>&1)
case $out in
*"reply 0x01"*) ok "node A's new connection refused: reply 0x01" ;;
*)	fail "node A after revocation: $out" ;;
esac
grep -q 'certificate revoked' "$T/b.log" || fail "B did not log 'certificate revoked'"

stop_stunneld a || fail "node A did not exit 0"
stop_stunneld b || fail "node B did not exit 0"
# --crl-uri names where the CRL is published (a CRL distribution point).
$CTL cert issue published -d "$T" --out "$T/pub" \
    --crl-uri http://ca.example/net.crl >/dev/null 2>&1 ||
    fail "cert issue --crl-uri"
openssl x509 -in "$T/pub/published.crt" -noout -ext crlDistributionPoints \
    2>/dev/null | grep -q 'URI:http://ca.example/net.crl' &&
    ok "--crl-uri: CRL distribution point in the certificate" ||
    fail "--crl-uri: no CRL distribution point"
$CTL cert issue other -d "$T" --out "$T/pub" --crl-uri ldap://x >/dev/null 2>&1
[ $? -eq 2 ] || fail "--crl-uri with an ldap:// URI is not a usage error"
done_test
