#!/bin/sh
# A CRL past its next update.  Node A (socks) links to node B (tls, two
# workers).  With such a CRL on both: each logs one warning at load that
# names the file and the next update, status (table, detail, JSON) and
# metrics show it, the CRL still revokes, and the link works.  With
# crl_strict on B (global tls) the client's handshake is refused; on A
# (the tunnel's own tls) the server is, with SOCKS reply 0x01; each log
# says why; renewed with stunnelctl cert crl, B takes A again.  Fresh
# CRLs with crl_strict: the link works, no warning.  A CRL whose next
# update passes while B runs: the warning comes at that moment, status
# turns to expired, and new links are refused.
#
# The out-of-date CRLs are made by certtool from the CA that stunnelctl
# wrote, with the next update chosen to the second.
. "$(dirname "$0")/lib.sh"
need certtool
CTL=$top_builddir/ctl/stunnelctl

pki_pair
pki_cert ca revoked --ip 127.0.0.1
pki_crl ca			# $T/ca.crl: stunnelctl's, in date for a year

# crl_make FILE NEXT_UPDATE [CERT...]: a CRL of ca revoking CERT..., issued
# a day before NEXT_UPDATE (unix time), written atomically.
crl_make() {
	_out=$1
	_nu=$2
	shift 2
	_n=$(($(cat "$T/.crlnum" 2>/dev/null || echo 1) + 1))
	echo "$_n" >"$T/.crlnum"
	cat >"$T/crl.tmpl" <<EOF
crl_this_update_date = "@$((_nu - 86400))"
crl_next_update_date = "@$_nu"
crl_number = $_n
EOF
	set -- $(for c in "$@"; do printf ' --load-certificate %s' "$T/$c.crt"; done)
	certtool --generate-crl --load-ca-privkey "$T/ca.pki/ca.key" \
	    --load-ca-certificate "$T/ca.pki/ca.crt" --template "$T/crl.tmpl" \
	    "$@" --outfile "$_out.tmp" >"$T/certtool.out" 2>&1 &&
	    mv -f "$_out.tmp" "$_out" ||
	    die "certtool --generate-crl: $(tail -3 "$T/certtool.out")"
}

OLD=1577923200			# 2020-01-02T00:00:00Z
OLD_TEXT=2020-01-02T00:00:00Z
crl_make "$T/old.crl" $OLD revoked

PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE

# node_conf NAME CERT CRL STRICT TUNNEL-TLS: $T/NAME.conf, one tunnel (B:
# tls with two workers, A: socks), global crl_strict STRICT and the
# tunnel's own tls settings TUNNEL-TLS.
node_conf() {
	case $1 in
	b)	tun="p2p_in = { mode = \"tls\"; listen = \"127.0.0.2:$PB\";
		    connect = \"127.0.0.1:$PE\"; workers = 2; tls = { $5 }; };" ;;
	a)	tun="p2p_out = { mode = \"socks\"; listen = \"127.0.0.1:$PA\";
		    tls = { $5 }; };" ;;
	esac
	conf_global "$1" "$2" ca "crl = \"$3\"; crl_strict = $4;"
	echo "tunnels = { $tun };" >>"$T/$1.conf"
}

# restart NAME LOGNAME: (re)start node NAME, logging to $T/LOGNAME.log.
restart() {
	[ -f "$T/$1.pid" ] && stop_stunneld "$1"
	[ -f "$T/$2.log" ] && die "restart: $2.log already used"
	start_bg "$2" "$STUNNELD" -f -v -c "$T/$1.conf"
	cp "$T/$2.pid" "$T/$1.pid"
	wait_log "$2" 'started with' 300 || die "node $1 did not start"
	wait_log "$2" 'serving with' 300 || die "node $1's worker did not start"
}

# link: one connection A -> B -> echo; prints the socks-client lines.
link() {
	"$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PB \
	    --send-bytes 65536 --timeout 30 2>&1
}

# expect_link WHAT: the link works.
expect_link() {
	out=$(link)
	case $out in
	*"reply 0x00"*"sent 65536 received 65536 match"*) ok "$1: link works" ;;
	*)	fail "$1: link failed: $(printf '%s' "$out" | tr '\n' '|')" ;;
	esac
}

# expect_refused WHAT LOG REGEX: the link gets SOCKS reply 0x01 and LOG
# says why.
expect_refused() {
	out=$(link)
	if printf '%s\n' "$out" | grep -q -x -F "reply 0x01"; then
		ok "$1: SOCKS reply 0x01"
	else
		fail "$1: wanted reply 0x01, got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
	wait_log "$2" "$3" 300 && ok "$1: $2.log: $(grep -E "$3" "$T/$2.log" | tail -1 | sed 's/.*: refused/refused/')"
}

# json_crl NAME: the "crl" value of node NAME's status document.
json_crl() {
	$CTL -s "$T/$1.sock" --json status | sed -n 's/.*"crl":\([^}]*}\{0,1\}\).*/\1/p'
}

WARN_OLD="CRL $T/old.crl is past its next update \($OLD_TEXT\)"

# 1. Both nodes on the out-of-date CRL, no crl_strict.
node_conf b node-b "$T/old.crl" false ""
node_conf a node-a "$T/old.crl" false ""
restart b b1
restart a a1
for node in a1 b1; do
	wait_log $node "$WARN_OLD: it still revokes, and peers are accepted" 300 &&
	    ok "$node: warning at load: $(grep -E "$WARN_OLD" "$T/$node.log" | head -1 | sed 's/.*warning: //')"
done
expect_link "expired CRLs, no crl_strict"
# B's two workers both serve; one warning between them.
tries=300
while [ "$(grep -c 'serving with' "$T/b1.log")" -lt 2 ] && [ $tries -gt 0 ]; do
	sleep 0.1
	tries=$((tries - 1))
done
[ $tries -gt 0 ] || fail "b: its second worker did not start"
[ "$(grep -c -E "$WARN_OLD" "$T/b1.log")" -eq 1 ] &&
    ok "b: one warning for its two workers" ||
    fail "b: $(grep -c -E "$WARN_OLD" "$T/b1.log") warnings for two workers"

out=$($CTL -s "$T/b.sock" status)
case $out in
*"p2p_in: CRL past its next update $OLD_TEXT (peers still accepted: crl_strict is off)"*)
	ok "status: the table says so" ;;
*)	fail "status: no line about the CRL: $out" ;;
esac
out=$($CTL -s "$T/b.sock" status p2p_in)
printf '%s\n' "$out" | grep -q -x -F "crl next update:    $OLD_TEXT (expired)" &&
printf '%s\n' "$out" | grep -q -x -F "crl strict:         no" &&
    ok "status p2p_in: crl next update $OLD_TEXT (expired), strict no" ||
    fail "status p2p_in: $out"
out=$(json_crl b)
[ "$out" = "{\"next_update\":\"$OLD_TEXT\",\"expired\":true,\"strict\":false}" ] &&
    ok "status --json: \"crl\":$out" || fail "status --json: \"crl\":$out"
out=$($CTL -s "$T/a.sock" metrics | grep '^stunneld_crl_next_update_timestamp_seconds')
[ "$out" = "stunneld_crl_next_update_timestamp_seconds{tunnel=\"p2p_out\"} $OLD" ] &&
    ok "metrics: $out" || fail "metrics: $out"

# The out-of-date CRL still revokes: a revoked node is refused.  (A new
# process, with a CRL that lets it start: a session resumed from a ticket
# would not show the new certificate.)
node_conf a revoked "$T/ca.crl" false ""
restart a a1r
expect_refused "revoked by the expired CRL" b1 'peer refused: certificate revoked'
node_conf a node-a "$T/old.crl" false ""
restart a a1b

# 2. crl_strict on B (global tls): B refuses A's handshake.
cp "$T/old.crl" "$T/b2.crl"
node_conf b node-b "$T/b2.crl" true ""
restart b b2
wait_log b2 "CRL $T/b2.crl is past its next update \($OLD_TEXT\): peers whose chain it covers are refused \(crl_strict\)" 300 &&
    ok "b2: warning at load says crl_strict refuses"
expect_refused "crl_strict on the tls side" b2 \
    "peer node-a,127.0.0.1 refused: the CRL of CN=ca is past its next update \($OLD_TEXT\) and crl_strict is on"
out=$(json_crl b)
[ "$out" = "{\"next_update\":\"$OLD_TEXT\",\"expired\":true,\"strict\":true}" ] &&
    ok "status --json: \"crl\":$out" || fail "status --json: \"crl\":$out"

# The operator renews it as the warning asks, with stunnelctl cert crl in
# a copy of the CA's directory holding that CRL: after reload-certs B
# takes A again, and the renewed CRL still revokes what the old one did.
mkdir "$T/renew" && cp "$T/ca.pki/ca.crt" "$T/ca.pki/ca.key" "$T/renew/" &&
    cp "$T/b2.crl" "$T/renew/ca.crl" || die "cannot copy the CA to renew"
$CTL cert crl -d "$T/renew" --days 30 >"$T/renew.out" 2>&1 ||
    fail "cert crl: $(cat "$T/renew.out")"
cp "$T/renew/ca.crl" "$T/b2.crl.new" && mv -f "$T/b2.crl.new" "$T/b2.crl"
$CTL -s "$T/b.sock" reload-certs >/dev/null || fail "reload-certs on B after the renewal"
out=$(json_crl b)
case $out in
'{"next_update":"'*'","expired":false,"strict":true}')
	ok "renewed by stunnelctl cert crl: \"crl\":$out" ;;
*)	fail "renewed: \"crl\":$out" ;;
esac
expect_link "the renewed CRL, crl_strict"
serial=$($CTL cert show "$T/revoked.crt" | sed -n 's/^serial: *//p')
$CTL cert show "$T/b2.crl" | grep -q "^revoked: *$serial " &&
    ok "the renewed CRL still revokes $serial" ||
    fail "the renewed CRL lost the revocation of $serial: $($CTL cert show "$T/b2.crl")"

# 3. crl_strict on A only (its tunnel's tls overrides the global false):
# A refuses B as its server.
node_conf b node-b "$T/ca.crl" false ""
node_conf a node-a "$T/old.crl" false "crl_strict = true;"
restart b b3
restart a a3
expect_refused "crl_strict on the socks side" a3 \
    "refused \(SOCKS reply 0x01\).*peer node-b,127\.0\.0\.2 refused: the CRL of CN=ca is past its next update \($OLD_TEXT\) and crl_strict is on"
grep -q -E "$WARN_OLD" "$T/b3.log" && fail "b3: warned about a CRL in date"

# 4. Fresh CRLs and crl_strict on both: the link works, nothing to warn.
node_conf b node-b "$T/ca.crl" true ""
node_conf a node-a "$T/ca.crl" true ""
restart b b4
restart a a4
expect_link "fresh CRLs, crl_strict"
if grep -q -E 'past its next update' "$T/a4.log" "$T/b4.log"; then
	fail "a warning with CRLs in date: $(grep -h 'past its next update' "$T/a4.log" "$T/b4.log")"
else
	ok "no warning with CRLs in date"
fi
out=$(json_crl b)
case $out in
'{"next_update":"'*'","expired":false,"strict":true}') ok "status --json: \"crl\":$out" ;;
*)	fail "status --json: \"crl\":$out" ;;
esac

# 5. B gets a CRL whose next update is 8 s away; the warning comes when
# it passes, with no reload, and from then on A is refused.
cp "$T/ca.crl" "$T/b.crl"
node_conf b node-b "$T/b.crl" true ""
restart b b5
NU=$(($(date +%s) + 8))
NU_TEXT=$(date -u -d "@$NU" +%Y-%m-%dT%H:%M:%SZ)
crl_make "$T/b.crl" $NU
$CTL -s "$T/b.sock" reload-certs >/dev/null || fail "reload-certs on B"
if [ "$(date +%s)" -lt "$NU" ]; then
	out=$(json_crl b)
	case $out in
	"{\"next_update\":\"$NU_TEXT\",\"expired\":false,\"strict\":true}")
		ok "before $NU_TEXT: \"crl\":$out" ;;
	"{\"next_update\":\"$NU_TEXT\",\"expired\":true,\"strict\":true}")
		note "$NU_TEXT passed before status answered" ;;
	*)	fail "before $NU_TEXT: \"crl\":$out" ;;
	esac
	grep -q -E "CRL $T/b.crl is past" "$T/b5.log" &&
	    fail "b5: warned at load about a CRL still in date"
	wait_log b5 "CRL $T/b.crl has just gone past its next update \($NU_TEXT\): peers whose chain it covers are refused" 600 &&
	    ok "b5: warned when the next update passed: $(grep 'has just gone past' "$T/b5.log" | sed 's/.*warning: //')"
else
	note "the reload ended after $NU_TEXT: the warning at that moment is not checked"
	wait_log b5 "CRL $T/b.crl is past its next update \($NU_TEXT\)" 300
fi
out=$(json_crl b)
[ "$out" = "{\"next_update\":\"$NU_TEXT\",\"expired\":true,\"strict\":true}" ] &&
    ok "after $NU_TEXT: \"crl\":$out" || fail "after $NU_TEXT: \"crl\":$out"
expect_refused "crl_strict after the next update passed" b5 \
    "peer node-a,127.0.0.1 refused: the CRL of CN=ca is past its next update \($NU_TEXT\)"
done_test
