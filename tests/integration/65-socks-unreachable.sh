#!/bin/sh
# Unreachable destinations get 0x03 (network) and 0x04 (host), not a
# silent close.  Node A runs in a network namespace of its own with only
# loopback and an "unreachable" route, so nothing leaves this machine.
. "$(dirname "$0")/lib.sh"
need ip
[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"

NS=stunneld-t65-$$
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
CLEANUP_HOOK='ip netns delete "$NS" 2>/dev/null'
ip -n "$NS" link set lo up || die "lo up"
# 10.77.0.0/16: host unreachable; anything else off loopback: no route.
ip -n "$NS" route add unreachable 10.77.0.0/16 || die "route add"

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a

PA=$(port_free)
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = { p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; }; };
EOF
start_bg a ip netns exec "$NS" "$STUNNELD" -f -v -c "$T/a.conf"
wait_log a 'started with' || die "node A did not start"

SC="$HELPERS/socks-client"
# expect WHAT WANT DEST
expect() {
	out=$(ip netns exec "$NS" $SC -p 127.0.0.1:$PA -d "$3" --timeout 20 2>&1)
	if printf '%s\n' "$out" | grep -q -x -F "$2"; then
		ok "$1: $2"
	else
		fail "$1: wanted '$2', got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
}
expect "no route to 10.1.2.3" "reply 0x03" 10.1.2.3:7447
expect "no route to 2001:db8::1" "reply 0x03" "[2001:db8::1]:7447"
expect "unreachable route to 10.77.0.1" "reply 0x04" 10.77.0.1:7447
grep -q 'unreachable' "$T/a.log" || fail "no log line says unreachable"
done_test
