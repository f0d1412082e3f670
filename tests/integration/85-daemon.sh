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
wait_until "no pid file" '[ -s "$T/a.pidfile" ]' || die "no pid file"
pid=$(cat "$T/a.pidfile")
BG_PIDS="$BG_PIDS $pid"
kill -0 "$pid" && ok "daemon running as pid $pid" || die "pid $pid not running"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] &&
    ok "daemon leads its own session" || fail "daemon did not detach"
wait_port 127.0.0.1 $PA || fail "daemon does not listen"
# The supervisor listens before it forks the worker.
wait_until "no worker under $pid" '[ -n "$(pgrep -P "$pid")" ]' &&
    ok "worker is the daemon's child"
kill -TERM "$pid"
wait_until "daemon still running after SIGTERM" '! kill -0 "$pid" 2>/dev/null'
[ ! -e "$T/a.pidfile" ] && ok "pid file removed" || fail "pid file left"

# A pid file that cannot be written stops the start, also without -f.
sed "s|^pid_file = .*|pid_file = \"$T/missing/dir/a.pid\";|" "$T/a.conf" >"$T/badpid.conf"
"$STUNNELD" -c "$T/badpid.conf" >"$T/badpid.out" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "missing/dir/a.pid" "$T/badpid.out" &&
    ok "unwritable pid file: exit 1, named" ||
    fail "unwritable pid file: exit $st: $(cat "$T/badpid.out")"
[ -z "$(ss -Hltn "src 127.0.0.1:$PA")" ] || fail "something listens after a refused start"

# With user = "nobody", a key only root can read stops the start (the
# workers would read it as nobody).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T"
	chmod 600 "$T/node-a.key"
	sed -e "s|^control_socket = .*|control_socket = \"$T/priv.sock\";|" \
	    -e "s|^pid_file = .*|user = \"nobody\";|" "$T/a.conf" >"$T/priv.conf"
	"$STUNNELD" -f -c "$T/priv.conf" >"$T/priv.out" 2>&1
	st=$?
	[ $st -eq 1 ] && grep -q "node-a.key: Permission denied" "$T/priv.out" &&
	    ok "key unreadable by the daemon user: exit 1, named" ||
	    fail "key unreadable by nobody: exit $st: $(cat "$T/priv.out")"
	# Readable by nobody: the workers run as nobody, sandboxed.
	chmod 644 "$T/node-a.key"
	chmod 1777 "$T"
	start_stunneld priv "$T/priv.conf" || die "start as nobody"
	wait_log priv 'worker p2p_out started, pid' || die "no worker"
	w=$(sed -n 's/.*worker p2p_out started, pid \([0-9]*\).*/\1/p' "$T/priv.log")
	# The worker says it serves once it has dropped privileges and
	# loaded its filter.
	wait_log priv "worker p2p_out\\[$w\\] debug: serving with" ||
	    fail "worker $w does not say it serves"
	uid=$(awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$w/status")
	sec=$(awk '/^Seccomp:/ { print $2 }' "/proc/$w/status")
	nnp=$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$w/status")
	[ "$uid" = "65534 65534 65534" ] && [ "$sec" = 2 ] && [ "$nnp" = 1 ] &&
	    ok "worker runs as nobody, seccomp filter on, no new privileges" ||
	    fail "worker: uid $uid, seccomp $sec, no_new_privs $nnp"
	# A call the sandbox forbids kills the worker (gdb makes it exec).
	# gdb 13 cannot make a process call a function on CPUs with AMX
	# state ("Couldn't write extended state status"): try it first on
	# a process of our own, and leave the filter itself to t_sandbox.
	gdb_calls=no
	if command -v gdb >/dev/null; then
		start_bg gdb-probe sleep 600
		gdb -q -batch -p "$(bg_pid gdb-probe)" \
		    -ex 'call (int)getpid()' >"$T/gdb-probe.out" 2>&1
		grep -q '^\$1 = ' "$T/gdb-probe.out" && gdb_calls=yes
		kill "$(bg_pid gdb-probe)" 2>/dev/null
	fi
	if [ $gdb_calls = yes ]; then
		gdb -q -batch -p "$w" -ex 'call (int)execve("/bin/true", 0, 0)' \
		    >"$T/gdb.out" 2>&1
		wait_log priv "worker p2p_out \\(pid $w\\) killed by signal 31" &&
		    ok "execve in a worker: killed by SIGSYS, logged, restarted"
	elif command -v gdb >/dev/null; then
		note "gdb cannot call into a process here ($(grep -m1 -i \
		    "couldn't\|cannot\|error" "$T/gdb-probe.out")): the" \
		    "forbidden-call case is left to t_sandbox"
	else
		note "gdb missing: the forbidden-call case is left to t_sandbox"
	fi
	stop_stunneld priv || fail "stop as nobody"
	chmod 755 "$T"
else
	note "not root: the privilege-drop cases are not run"
fi

# systemd's readiness protocol: READY=1 once serving, RELOADING=1 and
# READY=1 around a reload, STOPPING=1 on stop, on $NOTIFY_SOCKET.
if command -v python3 >/dev/null; then
	start_bg notify python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(300)
while True:
    try:
        m = s.recv(4096)
    except socket.timeout:
        break
    print(m.decode(), flush=True)
' "$T/notify.sock"
	wait_until "no $T/notify.sock" '[ -S "$T/notify.sock" ]'
	NOTIFY_SOCKET=$T/notify.sock start_stunneld n "$T/a.conf" ||
	    die "foreground start with NOTIFY_SOCKET"
	wait_log notify '^READY=1$' && ok "READY=1 sent"
	kill -HUP "$(cat "$T/n.pid")"
	wait_log notify '^RELOADING=1$' && ok "RELOADING=1 sent"
	# The reload is over when READY=1 comes again; stop only then.
	wait_until "READY=1 not sent again after the reload" \
	    '[ "$(grep -c "^READY=1$" "$T/notify.log")" -eq 2 ]'
	stop_stunneld n || fail "stop with NOTIFY_SOCKET"
	wait_log notify '^STOPPING=1$' && ok "STOPPING=1 sent"
else
	note "python3 missing: NOTIFY_SOCKET case not run"
fi
done_test
