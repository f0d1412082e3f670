#!/bin/sh
# A worker killed with SIGKILL is logged with its cause and restarted
# with a growing back-off, and serves again; the other tunnel's worker is
# not touched; workers exit when their supervisor is gone.
. "$(dirname "$0")/lib.sh"

pki_pair

PA=$(port_free); PA2=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global b node-b ca
cat >>"$T/b.conf" <<EOF
tunnels = { p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; }; };
EOF
conf_global a node-a ca
cat >>"$T/a.conf" <<EOF
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; };
	other_out = { mode = "socks"; listen = "127.0.0.1:$PA2"; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
wait_log a 'worker other_out started, pid' || die "no start line"
wait_log a 'worker p2p_out started, pid' || die "no start line"

# worker_pid TUNNEL: the pid of the newest worker of TUNNEL.
worker_pid() {
	sed -n "s/.*worker $1 started, pid \([0-9]*\).*/\1/p" "$T/a.log" | tail -1
}
through() {
	"$HELPERS/socks-client" -p 127.0.0.1:$1 -d 127.0.0.2:$PB \
	    --send-bytes 65536 2>&1 | grep -q 'sent 65536 received 65536 match'
}
# wait_new_worker TUNNEL OLDPID: wait for a new worker (the back-off is
# 1 or 2 s here; the bound is lib.sh's).
wait_new_worker() {
	wait_until "no new worker of $1 after pid $2" \
	    "[ \"\$(worker_pid $1)\" != $2 ]"
}

through $PA || fail "p2p_out did not work before the kill"
other=$(worker_pid other_out)
w1=$(worker_pid p2p_out)
[ -n "$w1" ] && [ -n "$other" ] || die "cannot find the worker pids"

kill -KILL "$w1"
wait_log a "worker p2p_out \(pid $w1\) killed by signal 9.*restarting in 1s" ||
    die "death not logged"
wait_new_worker p2p_out "$w1" || die "p2p_out was not restarted"
w2=$(worker_pid p2p_out)
if through $PA; then
	ok "restarted worker $w2 serves again"
else
	fail "restarted worker does not serve"
fi

kill -KILL "$w2"
wait_log a "worker p2p_out \(pid $w2\) killed by signal 9.*restarting in 2s" ||
    fail "back-off did not grow to 2s"
wait_new_worker p2p_out "$w2" || die "p2p_out was not restarted twice"
if through $PA; then
	ok "second restart serves again"
else
	fail "second restart does not serve"
fi

if [ "$(worker_pid other_out)" = "$other" ] && kill -0 "$other"; then
	ok "other_out worker untouched"
else
	fail "other_out worker changed"
fi
through $PA2 || fail "other_out does not serve"

# Without its supervisor a worker exits (the IPC channel reaches EOF).
w3=$(worker_pid p2p_out)
kill -KILL "$(cat "$T/a.pid")"
if ! wait_until "workers $w3 and $other still run" \
    '! kill -0 "$w3" 2>/dev/null && ! kill -0 "$other" 2>/dev/null'; then
	fail "workers outlived their supervisor"
	kill -KILL "$w3" "$other" 2>/dev/null
else
	ok "workers exited with their supervisor"
fi
done_test
