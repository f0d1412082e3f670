#!/bin/sh
# The tls tunnel against TLS clients nobody here wrote: gnutls-cli and
# openssl s_client.  No certificate, another CA, expired, revoked, not in
# allow: refused, and the target never sees a connection.  The right
# certificate and an SPKI pin pass.
. "$(dirname "$0")/lib.sh"
need gnutls-cli openssl timeout

pki_ca ca
pki_ca otherca
pki_cert ca node-b --ip 127.0.0.2
pki_cert ca node-a
pki_cert ca node-c
pki_cert ca pinned --cn node-p
pki_cert ca old --cn node-a --expired
pki_cert ca revoked --cn node-a
pki_cert otherca stranger --cn node-a
pki_crl ca revoked

PIN=$(openssl x509 -in "$T/pinned.crt" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)

PB=$(port_free)
PE=$(port_free)
start_echo $PE --count-file "$T/count"

conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB";
	    connect = "127.0.0.1:$PE";
	    allow = [ "node-a", "sha256:$PIN" ]; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"

# feed MSG: write MSG, then keep the client's input open until its answer
# is in $T/try.out or the client has ended ($T/try.done): closing the input
# earlier would end the session before a slow machine echoed the line.
feed() {
	echo "$1"
	_f_n=0
	while [ $_f_n -lt "$WAIT_TENTHS" ] && [ ! -e "$T/try.done" ] &&
	    ! grep -q "^$1" "$T/try.out" 2>/dev/null; do
		sleep 0.1
		_f_n=$((_f_n + 1))
	done
}

# try TOOL CERT: one TLS session sending a line; print what came back.
try() {
	msg="hello-$2-$$"
	rm -f "$T/try.done"
	: >"$T/try.out"
	if [ "$2" = none ]; then
		certargs=""
	else
		certargs="$T/$2.crt $T/$2.key"
	fi
	case $1 in
	gnutls)
		if [ -n "$certargs" ]; then
			set -- --x509certfile "$T/$2.crt" --x509keyfile "$T/$2.key"
		else
			set --
		fi
		feed "$msg" | { timeout 120 gnutls-cli -p "$PB" \
		    --x509cafile "$T/ca.crt" "$@" 127.0.0.2 >"$T/try.out" 2>&1
		    touch "$T/try.done"; }
		;;
	openssl)
		if [ -n "$certargs" ]; then
			set -- -cert "$T/$2.crt" -key "$T/$2.key"
		else
			set --
		fi
		feed "$msg" | { timeout 120 openssl s_client \
		    -connect "127.0.0.2:$PB" -CAfile "$T/ca.crt" \
		    -verify_return_error -no_ign_eof "$@" >"$T/try.out" 2>&1
		    touch "$T/try.done"; }
		;;
	esac
	cat "$T/try.out"
}

for tool in gnutls openssl; do
	for who in none stranger old revoked node-c; do
		before=$(wc -l <"$T/count")
		out=$(try $tool $who)
		after=$(wc -l <"$T/count")
		if printf '%s' "$out" | grep -q "^hello-$who-$$"; then
			fail "$tool with $who: data went through"
		elif [ "$after" -ne "$before" ]; then
			fail "$tool with $who: the target saw a connection"
		else
			ok "$tool with $who: refused, target untouched"
		fi
	done
	for who in node-a pinned; do
		before=$(wc -l <"$T/count")
		out=$(try $tool $who)
		after=$(wc -l <"$T/count")
		if printf '%s' "$out" | grep -q "^hello-$who-$$"; then
			ok "$tool with $who: echoed through the tunnel"
		else
			fail "$tool with $who: no echo: $(printf '%s' "$out" | tail -5)"
		fi
		[ "$after" -eq $((before + 1)) ] ||
		    fail "$tool with $who: target saw $((after - before)) connections"
	done
done

# Each refusal is logged once with its reason.
grep -q 'revoked' "$T/b.log" || fail "no log line says revoked"
grep -q 'expired' "$T/b.log" || fail "no log line says expired"
grep -q 'not in allow' "$T/b.log" || fail "no log line says not in allow list"
grep -q -i 'no certificate' "$T/b.log" || fail "no log line says no certificate"
done_test
