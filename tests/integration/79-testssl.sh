#!/bin/sh
# TLS done right (issue #5, item 3): testssl.sh (Debian package
# "testssl.sh", binary "testssl"; upstream "testssl.sh") scans the tls
# tunnel; no finding may be MEDIUM or worse.  The findings above INFO and a
# count by severity are printed.
#
# testssl.sh 3.0.x has no --mtls option (3.1+ has): it is given an openssl
# wrapper instead that adds our client certificate to every "s_client", so
# the handshakes it makes with openssl are mutual TLS; the checks it makes
# with its own bash sockets stop at the server's first flight, which is all
# they need.  The network's CA is passed with --add-ca, so the chain of
# trust is judged against it.
. "$(dirname "$0")/lib.sh"
need python3 timeout
TESTSSL=""
for c in testssl testssl.sh; do
	command -v "$c" >/dev/null 2>&1 && { TESTSSL=$(command -v "$c"); break; }
done
[ -n "$TESTSSL" ] || skip "testssl.sh not installed (Debian package testssl.sh)"
OPENSSL=$(command -v openssl) || skip "openssl not installed"

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
pki_crl ca
PB=$(port_free); PE=$(port_free); PW=$(port_free)
# The network publishes its CRL over HTTP (here on loopback), and node B's
# certificate says where: revocation data a TLS tool can find.
mkdir -p "$T/www"
cp "$T/ca.crl" "$T/www/ca.crl"
start_bg www python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$PW"
wait_port 127.0.0.1 $PW || die "CRL web server did not start"
"$top_builddir/ctl/stunnelctl" cert issue node-b -d "$T/ca.pki" --out "$T" \
    --ip 127.0.0.2 --crl-uri "http://127.0.0.1:$PW/ca.crl" >/dev/null ||
    die "cert issue node-b --crl-uri"
start_echo $PE
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"

# The client certificate, for the wrapper (and for --mtls on testssl 3.1+).
cat "$T/node-a.crt" "$T/node-a.key" >"$T/client.pem"
cat >"$T/openssl-mtls" <<EOF
#!/bin/sh
if [ "\$1" = s_client ]; then
	shift
	exec "$OPENSSL" s_client -cert "$T/node-a.crt" -key "$T/node-a.key" "\$@"
fi
exec "$OPENSSL" "\$@"
EOF
chmod +x "$T/openssl-mtls"

# Does our wrapper really do mutual TLS?  (A sanity check, not the scan.)
echo | timeout 10 "$T/openssl-mtls" s_client -connect 127.0.0.2:$PB \
    -CAfile "$T/ca.crt" >"$T/sclient.out" 2>&1
if grep -q 'Verify return code: 0' "$T/sclient.out" &&
    grep -q 'TLSv1.3' "$T/sclient.out"; then
	ok "openssl s_client with the client certificate: TLS 1.3, verified"
else
	note "s_client: $(tail -5 "$T/sclient.out" | tr '\n' '|')"
fi

MTLS=""
"$TESTSSL" --help 2>&1 | grep -q -e '--mtls' && MTLS="--mtls $T/client.pem"
note "$("$TESTSSL" --version 2>&1 | grep -m1 -i 'testssl.sh' | sed 's/^ *//')"
t0=$(date +%s)
# -p protocols, -s cipher categories, -P server preference, -S server
# defaults, -U vulnerabilities (about 30 s here).
# shellcheck disable=SC2086
timeout 600 "$TESTSSL" --quiet --color 0 --warnings off \
    --openssl "$T/openssl-mtls" $MTLS --add-ca "$T/ca.crt" \
    --connect-timeout 30 --openssl-timeout 30 -n none \
    --jsonfile "$T/testssl.json" -p -s -P -S -U \
    127.0.0.2:$PB >"$T/testssl.log" 2>&1
st=$?
note "testssl ran $(( $(date +%s) - t0 )) s, exit $st"
[ $st -ne 124 ] || fail "testssl did not finish within 600 s"
[ -s "$T/testssl.json" ] || die "testssl wrote no JSON: $(tail -20 "$T/testssl.log")"

python3 - "$T/testssl.json" <<'EOF' >"$T/findings.out" 2>&1
import collections, json, sys
d = json.load(open(sys.argv[1]))
if isinstance(d, dict):         # --jsonfile-pretty layout
    items = [f for s in d.get("scanResult", []) for v in s.values()
             if isinstance(v, list) for f in v if isinstance(f, dict)]
else:
    items = d
count = collections.Counter(f.get("severity", "?") for f in items)
print("findings by severity: " + ", ".join("%s %d" % kv for kv in sorted(count.items())))
# Nothing may be MEDIUM or worse; no finding is waived.
waived = {}
bad = 0
for f in items:
    sev = f.get("severity", "?")
    if sev in ("INFO", "OK", "DEBUG"):
        continue
    fid = f.get("id")
    if sev in ("MEDIUM", "HIGH", "CRITICAL") and fid in waived:
        print("%-8s %s: %s (WAIVED: %s)" % (sev, fid, f.get("finding"), waived[fid]))
        continue
    print("%-8s %s: %s" % (sev, fid, f.get("finding")))
    if sev in ("MEDIUM", "HIGH", "CRITICAL"):
        bad += 1
print("MEDIUM or worse, not waived: %d" % bad)
sys.exit(1 if bad else 0)
EOF
st=$?
sed "s/^/$TEST_NAME: /" "$T/findings.out"
[ $st -eq 0 ] && ok "no finding MEDIUM or worse" || fail "testssl findings MEDIUM or worse"
# What the scan saw of the protocols and the handshake, for the record.
grep -E '^ (SSLv2|SSLv3|TLS 1(\.[0-3])?) |Negotiated (protocol|cipher) |Session Resumption|CRIME|Renegotiation|Chain of trust|Heartbleed|ROBOT' \
    "$T/testssl.log" | sed "s/^/$TEST_NAME: testssl: /" | head -20
grep -E 'killed by signal|restarting' "$T/b.log" && fail "a worker died during the scan"
done_test
