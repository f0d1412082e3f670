#!/bin/sh
# Without -f stunneld detaches, writes its pid file and serves; SIGTERM
# stops it and removes the pid file.  --version, --help and usage errors.
. "$(dirname "$0")/lib.sh"

out=$("$STUNNELD" --version) && case $out in
"stunneld "[0-9]*) ok "--version: $out" ;;
*)	fail "--version printed: $out" ;;
esac
"$STUNNELD" --help | grep -q -- '-c FILE' && ok "--help" || fail "--help"
"$STUNNELD" -x >/dev/null 2>&1
[ $? -eq 2 ] && ok "bad option: exit 2" || fail "bad option did not exit 2"
"$STUNNELD" -c "$T/nonexistent.conf" -t >"$T/nofile.out" 2>&1
[ $? -eq 1 ] && grep -q "$T/nonexistent.conf" "$T/nofile.out" &&
    ok "missing file: exit 1, named" || fail "missing file: $(cat "$T/nofile.out")"

pki_ca ca
pki_cert ca node-a --ip 127.0.0.1 --dns node-a
PA=$(port_free)
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = { p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; }; };
EOF
"$STUNNELD" -c "$T/a.conf" >"$T/detach.log" 2>&1
st=$?
[ "$st" -eq 0 ] || die "stunneld without -f exited $st"
n=50
while [ "$n" -gt 0 ] && [ ! -s "$T/a.pidfile" ]; do
	sleep 0.1
	n=$((n - 1))
done
[ -s "$T/a.pidfile" ] || die "no pid file"
pid=$(cat "$T/a.pidfile")
BG_PIDS="$BG_PIDS $pid"
kill -0 "$pid" && ok "daemon running as pid $pid" || die "pid $pid not running"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] &&
    ok "daemon leads its own session" || fail "daemon did not detach"
wait_port 127.0.0.1 $PA || fail "daemon does not listen"
[ -n "$(pgrep -P "$pid")" ] && ok "worker is the daemon's child" ||
    fail "no worker under $pid"
kill -TERM "$pid"
n=50
while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	n=$((n - 1))
done
kill -0 "$pid" 2>/dev/null && fail "daemon still running after SIGTERM"
[ ! -e "$T/a.pidfile" ] && ok "pid file removed" || fail "pid file left"
done_test
