#!/bin/sh
# stunneld -t (and a real start) report every configuration error of SPEC
# as FILE:LINE: message and refuse to run: unknown keys, wrong types,
# duplicate tunnel names, two tunnels on one listen address, missing or
# unreadable files, and certificates that cannot serve (key mismatch,
# expired, another CA, unparsable).  A valid file, and the shipped
# examples, pass.
. "$(dirname "$0")/lib.sh"
need openssl

pki_pair
pki_ca otherca
pki_cert ca old --expired
pki_cert otherca stranger
printf 'not a certificate\n' >"$T/garbage.crt"

P1=$(port_free)
P2=$(port_free)

# check NAME WANT...: `stunneld -t` on $T/NAME.conf must exit 1 and print
# every WANT line (a fixed string, FILE:LINE: prefix included).
check() {
	name=$1
	shift
	"$STUNNELD" -t -c "$T/$name.conf" >"$T/$name.out" 2>&1
	st=$?
	[ "$st" -eq 1 ] || fail "$name: -t exited $st, not 1"
	for want in "$@"; do
		if grep -q -x -F "$T/$name.conf:$want" "$T/$name.out"; then
			ok "$name: $want"
		else
			fail "$name: no line '$T/$name.conf:$want' in: $(cat "$T/$name.out")"
		fi
	done
}

# tls_block CERT KEY [CA]: a global tls block.
tls_block() {
	printf 'tls = {\n\tcert = "%s";\n\tkey = "%s";\n\tca = "%s";\n};\n' \
	    "$T/$1.crt" "$T/$2.key" "$T/${3:-ca}.crt"
}

# tls_block writes lines 1-5, so a heredoc's first line is line 6.
{ tls_block node-a node-a; cat <<EOF
tunnels = {
	out = { mode = "socks"; listen = "127.0.0.1:$P1";
		bogus = 1; };
	in = { mode = "tls"; listen = "127.0.0.2:$P2"; connect = 7447; };
};
colour = "blue";
EOF
} >"$T/unknown.conf"
check unknown \
    '8: unknown key "bogus"' \
    '9: "connect" must be a string' \
    '11: unknown key "colour"'

{ tls_block node-a node-a; cat <<EOF
tunnels = {
	out = { mode = "socks"; listen = "127.0.0.1:$P1"; };
	out = { mode = "socks"; listen = "127.0.0.1:$P2"; };
};
EOF
} >"$T/dupname.conf"
check dupname '8: duplicate setting name'

{ tls_block node-a node-a; cat <<EOF
tunnels = {
	one = { mode = "socks"; listen = "127.0.0.1:$P1"; };
	two = { mode = "socks";
		listen = "127.0.0.1:$P1"; };
};
EOF
} >"$T/duplisten.conf"
check duplisten "9: tunnel \"two\" listens on 127.0.0.1:$P1 like tunnel \"one\" (line 7)"

{ tls_block node-a node-a; cat <<EOF
tunnels = {
	out = { mode = "socks"; listen = "127.0.0.1:$P1";
		max_connections = 0; idle_timeout = "never"; };
	x = { mode = "sideways"; listen = "127.0.0.1:$P2"; };
};
EOF
} >"$T/values.conf"
"$STUNNELD" -t -c "$T/values.conf" >"$T/values.out" 2>&1
[ $? -eq 1 ] || fail "values: -t did not exit 1"
grep -q "^$T/values.conf:8: .*max_connections" "$T/values.out" ||
    fail "values: max_connections range not reported: $(cat "$T/values.out")"
grep -q "^$T/values.conf:8: \"idle_timeout\" must be an integer" "$T/values.out" ||
    fail "values: idle_timeout type not reported"
grep -q "^$T/values.conf:9: .*sideways" "$T/values.out" ||
    fail "values: bad mode not reported"

cat >"$T/missing.conf" <<EOF
tls = {
	cert = "$T/nonexistent.crt";
	key = "$T/node-a.key";
	ca = "$T/ca.crt";
};
tunnels = { out = { mode = "socks"; listen = "127.0.0.1:$P1"; }; };
EOF
check missing "2: $T/nonexistent.crt: No such file or directory"

# Unreadable: root reads anything, so check it as an unprivileged user.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	cp "$T/node-a.key" "$T/secret.key"
	chmod 600 "$T/secret.key"
	chmod 755 "$T"
	chmod 644 "$T/node-a.crt" "$T/ca.crt"
	cat >"$T/unreadable.conf" <<EOF
tls = {
	cert = "$T/node-a.crt";
	key = "$T/secret.key";
	ca = "$T/ca.crt";
};
tunnels = { out = { mode = "socks"; listen = "127.0.0.1:$P1"; }; };
EOF
	chmod 644 "$T/unreadable.conf"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$STUNNELD" -t -c "$T/unreadable.conf" >"$T/unreadable.out" 2>&1
	grep -q -x -F "$T/unreadable.conf:3: $T/secret.key: Permission denied" \
	    "$T/unreadable.out" && ok "unreadable key reported" ||
	    fail "unreadable: $(cat "$T/unreadable.out")"
elif [ "$(id -u)" -ne 0 ]; then
	cp "$T/node-a.key" "$T/secret.key"
	chmod 000 "$T/secret.key"
	{ tls_block node-a node-a; echo "tunnels = { out = { mode = \"socks\"; listen = \"127.0.0.1:$P1\"; }; };"; } |
	    sed "s|$T/node-a.key|$T/secret.key|" >"$T/unreadable.conf"
	check unreadable "3: $T/secret.key: Permission denied"
else
	note "setpriv missing: unreadable-file case not run"
fi

# An @include of a directory: libconfig would exit() on it, so it is
# checked first and reported like any other error.
mkdir -p "$T/incdir"
{ tls_block node-a node-a; printf '@include "incdir"\n@include "nothere.conf"\n'; } >"$T/include.conf"
check include '6: @include "incdir": not a regular file' \
    '7: @include "nothere.conf": No such file or directory'

# Certificates that cannot serve: checked by loading them.
for c in mismatch expired otherca garbage; do
	case $c in
	mismatch) tls_block node-a node-b ;;
	expired) tls_block old old ;;
	otherca) tls_block stranger stranger ;;
	garbage) tls_block garbage node-a ;;
	esac >"$T/$c.conf"
	echo "tunnels = { out = { mode = \"socks\"; listen = \"127.0.0.1:$P1\"; }; };" >>"$T/$c.conf"
done
check mismatch "3: $T/node-b.key: key does not match certificate"
"$STUNNELD" -t -c "$T/expired.conf" >"$T/expired.out" 2>&1
grep -q "^$T/expired.conf:2: $T/old.crt: certificate expired" "$T/expired.out" ||
    fail "expired: $(cat "$T/expired.out")"
"$STUNNELD" -t -c "$T/otherca.conf" >"$T/otherca.out" 2>&1
grep -q "^$T/otherca.conf:2: $T/stranger.crt: .*CA" "$T/otherca.out" ||
    fail "otherca: $(cat "$T/otherca.out")"
"$STUNNELD" -t -c "$T/garbage.conf" >"$T/garbage.out" 2>&1
grep -q "^$T/garbage.conf:2: $T/garbage.crt: " "$T/garbage.out" ||
    fail "garbage: $(cat "$T/garbage.out")"

# A real start with a bad file: same message, exit 1, nothing listens.
"$STUNNELD" -f -c "$T/duplisten.conf" >"$T/start.out" 2>&1
st=$?
[ "$st" -eq 1 ] || fail "start with a bad config exited $st"
grep -q -F "$T/duplisten.conf:9: tunnel" "$T/start.out" ||
    fail "start with a bad config: $(cat "$T/start.out")"
[ -z "$(ss -Hltn "sport = :$P1")" ] || fail "something listens after a refused start"

# A good file passes.
{ tls_block node-a node-a; cat <<EOF
tunnels = {
	out = { mode = "socks"; listen = "127.0.0.1:$P1"; };
	in = { mode = "tls"; listen = "127.0.0.2:$P2"; connect = "127.0.0.1:7447";
		allow = [ "node-b", "*.example" ]; max_connections = 10; };
};
EOF
} >"$T/good.conf"
out=$("$STUNNELD" -t -c "$T/good.conf" 2>&1)
st=$?
[ "$st" -eq 0 ] && [ "$out" = "$T/good.conf: configuration OK" ] &&
    ok "good file: configuration OK" || fail "good file: exit $st: $out"

# The shipped examples are valid once their files exist.
for ex in stunneld.conf stunneld-b.conf; do
	f=$top_srcdir/etc/$ex
	[ -f "$f" ] || { fail "etc/$ex missing"; continue; }
	sed -e "s|/etc/stunneld/node\.crt|$T/node-a.crt|" \
	    -e "s|/etc/stunneld/node\.key|$T/node-a.key|" \
	    -e "s|/etc/stunneld/ca\.crt|$T/ca.crt|" \
	    -e "s|/etc/stunneld/ca\.crl|$T/ca.crl|" \
	    -e "s|/etc/stunneld/ops\.pass|$T/ops.pass|" \
	    -e "s|/run/stunneld/|$T/|" "$f" >"$T/$ex"
	out=$("$STUNNELD" -t -c "$T/$ex" 2>&1) && ok "etc/$ex is valid" ||
	    fail "etc/$ex: $out"
done
done_test
