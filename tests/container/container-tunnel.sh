#!/bin/sh
# The stunneld image for real (make check-container; not in "make check": the
# first run makes a base image and builds, minutes).  Root, podman, runc,
# mmdebstrap; skips with the reason without them.  See podman-lib.sh for
# how podman is configured (all of it in the test's directory) and cached.
#
#   1. the image builds from this tree (etc/container/Containerfile) on a
#      base made without a registry; it runs as uid 7447, has a HEALTHCHECK
#      and no compiler, and every library stunneld needs is there;
#   2. the entrypoint refuses bad STUNNELD_* values with a clear message
#      and exit 1 before anything starts;
#   3. two containers on a podman network: node A configured by STUNNELD_*
#      alone, node B by a mounted stunneld.conf, certificates by stunnelctl
#      cert, mounted read-only.  A client in A's network namespace (as
#      multichaind would be) sends through A's socks tunnel, across the
#      network in TLS, to B's tls tunnel and an echo server in B's
#      namespace; the data comes back whole;
#   4. each worker's seccomp filter loads under podman's own profile;
#   5. "podman healthcheck run" and "stunnelctl check" inside say healthy;
#      check --days 400 says the certificate will not last;
#   6. B's certificate rotated by rewriting the mounted files, no signal
#      (reload_on_change): new handshakes get the new serial while the link
#      of 3. goes on.  Where this stunneld has no reload_on_change yet, the
#      step says so and rotates with reload-certs instead;
#   7. /metrics and /healthz on A's metrics_listen (when this stunneld has
#      metrics_listen);
#   8. A's p2p_out worker killed until the tunnel is failed: podman
#      healthcheck run says unhealthy;
#   9. podman stop: exit status 0 within the grace time, "stopped" logged.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/podman-lib.sh"

why=$(pm_missing)
[ -z "$why" ] || skip "$why"
need openssl flock

pm_setup
NET=stunneld-ct-$$
BR=sdbr$$
SUB=10.201.$(( $$ % 250 ))
IP_A=$SUB.2
IP_B=$SUB.3
A=sd-a-$$
B=sd-b-$$
CLEANUP_HOOK='for c in $A $B; do pm_logs $c; done
	pm rm -f -t 0 $A $B >/dev/null 2>&1
	pm_network_rm $NET $BR'

# has_key KEY: whether this tree's stunneld knows the global key KEY
# (metrics_listen and reload_on_change come with their own branches).
has_key() {
	printf '%s = %s;\n' "$1" "$2" >"$T/probe.conf"
	! "$STUNNELD" -t -c "$T/probe.conf" 2>&1 | grep -q "unknown key \"$1\""
}

# --- 1. the image -------------------------------------------------------------
FAULT="1 image"
pm_base
pm_build_image
user=$(pm image inspect -f '{{.Config.User}}' "$PM_IMAGE")
[ "$user" = stunneld:stunneld ] || die "$FAULT: the image's user is '$user'"
hc=$(pm image inspect -f '{{.HealthCheck.Test}}' "$PM_IMAGE")
[ "$hc" = "[CMD stunnelctl check]" ] || die "$FAULT: HEALTHCHECK is '$hc'"
pm run --rm --network none --entrypoint /bin/sh "$PM_IMAGE" -c \
    'for c in cc gcc make autoconf; do command -v $c && exit 1; done;
    ldd /usr/sbin/stunneld /usr/sbin/stunnelctl | grep "not found" && exit 1;
    exit 0' >"$T/image-contents.log" 2>&1 ||
    die "$FAULT: build tools in the runtime image, or a library missing: $(cat "$T/image-contents.log")"
ok "$FAULT: user stunneld, HEALTHCHECK $hc, no compiler, every library there"

# --- 2. the entrypoint refuses bad values -------------------------------------
FAULT="2 entrypoint"
# refused EXPECT VAR=VALUE...: the entrypoint with these variables exits 1
# and says EXPECT.
refused() {
	_exp=$1
	shift
	_n=$#
	while [ "$_n" -gt 0 ]; do
		set -- "$@" -e "$1"
		shift
		_n=$((_n - 1))
	done
	pm run --rm --network none "$@" "$PM_IMAGE" >"$T/refused.log" 2>&1
	_st=$?
	if [ "$_st" -ne 1 ] || ! grep -q -F -- "$_exp" "$T/refused.log"; then
		fail "$FAULT: $*: exit $_st, wanted 1 and '$_exp': $(cat "$T/refused.log")"
		return 1
	fi
	ok "$FAULT: $(grep -F -- "$_exp" "$T/refused.log" | head -1)"
}
refused "STUNNELD_CERT is not set"
GOOD="STUNNELD_CERT=/c STUNNELD_KEY=/k STUNNELD_CA=/ca STUNNELD_TLS_LISTEN=127.0.0.1:7447"
# shellcheck disable=SC2086
refused "STUNNELD_KEY: must not contain" $GOOD 'STUNNELD_KEY=/k"; user = "root'
# shellcheck disable=SC2086
refused "STUNNELD_ALLOW: an empty entry" $GOOD 'STUNNELD_ALLOW=node-a,,node-b'
# shellcheck disable=SC2086
refused "refused by stunneld -t" $GOOD 'STUNNELD_SOCKS_LISTEN=nowhere'

# --- PKI, the network, the two nodes --------------------------------------------
FAULT=setup
"$STUNNELCTL" cert ca -d "$T/pki" --cn "container test CA" >"$T/pki.out" 2>&1 &&
"$STUNNELCTL" cert issue node-a -d "$T/pki" --ip "$IP_A" --out "$T/a" \
    >>"$T/pki.out" 2>&1 &&
"$STUNNELCTL" cert issue node-b -d "$T/pki" --ip "$IP_B" --out "$T/b" \
    >>"$T/pki.out" 2>&1 &&
cp "$T/pki/ca.crt" "$T/a/" && cp "$T/pki/ca.crt" "$T/b/" ||
    die "stunnelctl cert: $(tail -3 "$T/pki.out")"
cat >"$T/b/stunneld.conf" <<EOF
control_socket = "/run/stunneld/control.sock";
log_level = "debug";
shutdown_timeout = 5;
tls = {
	cert = "/etc/stunneld/certs/node-b.crt";
	key = "/etc/stunneld/certs/node-b.key";
	ca = "/etc/stunneld/certs/ca.crt";
};
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:1080"; };
	p2p_in = { mode = "tls"; listen = "$IP_B:7447"; connect = "127.0.0.1:7447";
		allow = [ "node-a" ]; };
};
EOF
# The image's user must read the keys: the files are its.
chown -R 7447:7447 "$T/a" "$T/b" || die "chown"

pm_network "$NET" "$SUB.0/24" "$BR"

METRICS=0
has_key metrics_listen '"127.0.0.1:9464"' && METRICS=1
WATCH=0
has_key reload_on_change true && WATCH=1
metrics_env=""
[ "$METRICS" -eq 1 ] && metrics_env="-e STUNNELD_METRICS_LISTEN=127.0.0.1:9464"

# podman schedules the periodic health check with systemd timers, which
# this machine may not have (it logs so and goes on); "podman healthcheck
# run" below runs the check on demand.
# shellcheck disable=SC2086
pm run -d --name "$A" --network "$NET" --ip "$IP_A" \
    -v "$T/a:/etc/stunneld/certs:ro" \
    -e STUNNELD_CERT=/etc/stunneld/certs/node-a.crt \
    -e STUNNELD_KEY=/etc/stunneld/certs/node-a.key \
    -e STUNNELD_CA=/etc/stunneld/certs/ca.crt \
    -e STUNNELD_TLS_LISTEN="$IP_A:7447" -e STUNNELD_ALLOW=node-b \
    -e STUNNELD_LOG_LEVEL=debug $metrics_env \
    "$PM_IMAGE" >"$T/run-a.log" 2>&1 || die "podman run A: $(cat "$T/run-a.log")"
pm run -d --name "$B" --network "$NET" --ip "$IP_B" \
    -v "$T/b:/etc/stunneld/certs:ro" \
    -v "$T/b/stunneld.conf:/etc/stunneld/stunneld.conf:ro" \
    "$PM_IMAGE" >"$T/run-b.log" 2>&1 || die "podman run B: $(cat "$T/run-b.log")"

# logged NAME REGEX: container NAME's output has a line matching REGEX.
logged() {
	pm logs "$1" 2>&1 | grep -q -E "$2"
}
for c in "$A" "$B"; do
	wait_until "container $c: stunneld did not start: $(pm logs "$c" 2>&1 | tail -5)" \
	    "logged $c 'started with'" || die "$FAULT: $c"
done
PID_A=$(pm_pid "$A")
PID_B=$(pm_pid "$B")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$PID_A/status")
[ "$uid" = 7447 ] || fail "$FAULT: stunneld in A runs as uid $uid, not 7447"
ok "$FAULT: A (STUNNELD_*) and B (mounted stunneld.conf) started, stunneld as uid $uid"

# --- 3. data through the tunnel -------------------------------------------------
FAULT="3 tunnel"
start_bg echo nsenter -t "$PID_B" -n "$HELPERS/echo-server" -l 127.0.0.1:7447
wait_until "no echo server in B" \
    "[ -n \"\$(nsenter -t $PID_B -n ss -Hltn 'src 127.0.0.1:7447')\" ]" ||
    die "$FAULT: echo server"
nsenter -t "$PID_A" -n "$HELPERS/socks-client" -p 127.0.0.1:1080 \
    -d "$IP_B:7447" --send-bytes 1000000 >"$T/bulk.log" 2>&1
st=$?
grep -q '^sent 1000000 received 1000000 match$' "$T/bulk.log" && [ "$st" -eq 0 ] ||
    die "$FAULT: A -> B: exit $st, $(cat "$T/bulk.log")"
ok "$FAULT: A's socks tunnel -> TLS over $NET -> B's tls tunnel -> echo: $(tail -1 "$T/bulk.log")"
logged "$B" 'node-a' || fail "$FAULT: B's log does not name node-a"

# cstat NODE TUNNEL KEY: a number of TUNNEL's status inside container NODE.
cstat() {
	pm exec "$1" stunnelctl --json status "$2" 2>/dev/null |
	    sed -n "s/.*\"$3\": *\([0-9a-z]*\).*/\1/p"
}
start_bg ping nsenter -t "$PID_A" -n "$HELPERS/socks-client" -p 127.0.0.1:1080 \
    -d "$IP_B:7447" --ping 20 --interval 50 --until "$T/stop-ping" --timeout 900
wait_until "the ping link did not come up" \
    "[ \"\$(cstat $B p2p_in connections_active)\" = 1 ]" || die "$FAULT: ping"

# --- 4. the sandbox under podman's seccomp profile ------------------------------
FAULT="4 sandbox"
bad=0
for c in "$A" "$B"; do
	logged "$c" 'sandbox: seccomp filter loaded' || {
		fail "$FAULT: $c: no worker logged 'seccomp filter loaded'"
		bad=1
	}
	p=$(pm_pid "$c")
	for w in $(cat "/proc/$p/task/$p/children"); do
		f=$(awk '/^Seccomp_filters:/ { print $2 }' "/proc/$w/status")
		n=$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$w/status")
		# one filter is podman's, one the worker's own
		[ "${f:-0}" -ge 2 ] && [ "$n" = 1 ] || {
			fail "$FAULT: $c worker $w: Seccomp_filters $f, NoNewPrivs $n"
			bad=1
		}
	done
done
[ "$bad" -eq 0 ] &&
    ok "$FAULT: every worker has its own filter on top of podman's (Seccomp_filters >= 2, NoNewPrivs 1)"

# --- 5. health -------------------------------------------------------------------
FAULT="5 health"
for c in "$A" "$B"; do
	out=$(pm healthcheck run "$c" 2>&1)
	st=$?
	[ "$st" -eq 0 ] || fail "$FAULT: podman healthcheck run $c: exit $st: $out"
	out=$(pm exec "$c" stunnelctl check 2>&1)
	st=$?
	[ "$st" -eq 0 ] || fail "$FAULT: stunnelctl check in $c: exit $st: $out"
done
ok "$FAULT: podman healthcheck run: healthy; stunnelctl check: exit 0 ($out)"
out=$(pm exec "$B" stunnelctl check --days 400 2>&1)
st=$?
[ "$st" -eq 1 ] || fail "$FAULT: check --days 400 in $B: exit $st, wanted 1: $out"
ok "$FAULT: check --days 400: exit 1: $out"

# --- 6. certificate rotation by the mounted files ---------------------------------
FAULT="6 rotation"
# serial_b: the serial of the certificate B's tls tunnel presents now.
serial_b() {
	nsenter -t "$PID_A" -n openssl s_client -connect "$IP_B:7447" \
	    -cert "$T/a/node-a.crt" -key "$T/a/node-a.key" \
	    -CAfile "$T/pki/ca.crt" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null
}
old=$(serial_b)
[ "$old" = "$(openssl x509 -noout -serial -in "$T/b/node-b.crt")" ] ||
    fail "$FAULT: B presents '$old', not its certificate"
# The new pair is made beside the mounted directory and renamed into it,
# owned by the image's user before it lands (as a renewer running as
# that user would write it).
"$STUNNELCTL" cert issue node-b -d "$T/pki" --ip "$IP_B" --out "$T/stage" \
    >"$T/pki-rotate.out" 2>&1 || die "$FAULT: cert issue: $(cat "$T/pki-rotate.out")"
new=$(openssl x509 -noout -serial -in "$T/stage/node-b.crt")
chown 7447:7447 "$T/stage/node-b.crt" "$T/stage/node-b.key" &&
mv -f "$T/stage/node-b.key" "$T/b/node-b.key" &&
mv -f "$T/stage/node-b.crt" "$T/b/node-b.crt" || die "$FAULT: mv"
if [ "$WATCH" -eq 1 ]; then
	wait_until "B still presents $old after its mounted files were replaced (no signal): reload_on_change did not reload" \
	    "[ \"\$(serial_b)\" = '$new' ]" &&
	    ok "$FAULT: files rewritten, no signal: B presents the new $new"
else
	note "$FAULT: SKIP the no-signal check: this stunneld has no reload_on_change (branch watch); rotating with reload-certs instead"
	out=$(pm exec "$B" stunnelctl reload-certs 2>&1) ||
	    fail "$FAULT: reload-certs in $B: $out"
	[ "$(serial_b)" = "$new" ] &&
	    ok "$FAULT: files rewritten, reload-certs: B presents the new $new"
fi
[ "$(serial_b)" = "$new" ] || fail "$FAULT: B presents $(serial_b), wanted $new"
ping_check
ok "$FAULT: the ping link lived through the rotation"

# --- 7. metrics and health endpoints ------------------------------------------------
FAULT="7 metrics"
if [ "$METRICS" -eq 1 ]; then
	need curl
	m=$(nsenter -t "$PID_A" -n curl -fsS http://127.0.0.1:9464/metrics 2>&1) ||
	    fail "$FAULT: GET /metrics: $m"
	echo "$m" | grep -q '^stunneld_connections_active' ||
	    fail "$FAULT: no stunneld_connections_active in /metrics"
	h=$(nsenter -t "$PID_A" -n curl -sS -o /dev/null -w '%{http_code}' \
	    http://127.0.0.1:9464/healthz 2>&1)
	[ "$h" = 200 ] || fail "$FAULT: GET /healthz: $h"
	ok "$FAULT: STUNNELD_METRICS_LISTEN: /metrics has stunneld_connections_active, /healthz $h"
else
	note "$FAULT: SKIP: this stunneld has no metrics_listen (branch metrics)"
fi

# --- 8. a failed tunnel is unhealthy -------------------------------------------------
FAULT="8 unhealthy"
# A's p2p_out worker killed until the supervisor marks the tunnel failed
# (five quick deaths; back-offs of 1, 2, 4 and 8 s between them).
wpid() {
	pm logs "$A" 2>&1 | sed -n 's/.*worker p2p_out started, pid \([0-9]*\).*/\1/p' | tail -1
}
w=$(wpid)
failed=0
for i in 1 2 3 4 5 6; do
	pm exec "$A" sh -c "kill -KILL $w" || die "$FAULT: cannot kill worker $w in $A"
	wait_until "the death of worker $w was not logged" \
	    "logged $A 'worker p2p_out \\(pid $w\\) killed by signal 9'" ||
	    die "$FAULT: worker $w"
	if logged "$A" "worker p2p_out \\(pid $w\\) .*tunnel marked failed"; then
		failed=1
		break
	fi
	wait_until "no new p2p_out worker after $w" "[ \"\$(wpid)\" != $w ]" ||
	    die "$FAULT: no restart"
	w=$(wpid)
done
[ "$failed" -eq 1 ] || die "$FAULT: p2p_out not marked failed after $i deaths"
out=$(pm healthcheck run "$A" 2>&1)
st=$?
if [ "$st" -eq 1 ] && echo "$out" | grep -q unhealthy; then
	ok "$FAULT: p2p_out failed after $i deaths: podman healthcheck run: exit 1, $out"
else
	fail "$FAULT: p2p_out failed, podman healthcheck run: exit $st: $out"
fi
# The image's --retries=3: the third failure in a row turns the state.
pm healthcheck run "$A" >/dev/null 2>&1
pm healthcheck run "$A" >/dev/null 2>&1
h=$(pm inspect -f '{{.State.Health.Status}}' "$A")
[ "$h" = unhealthy ] && ok "$FAULT: three failed checks in a row: A is $h" ||
    fail "$FAULT: A's health is '$h' after three failed checks"

# --- 9. stop -------------------------------------------------------------------------
FAULT="9 stop"
stop_bg echo
for c in "$A" "$B"; do
	t0=$(date +%s)
	pm stop -t 30 "$c" >/dev/null 2>&1 || fail "$FAULT: podman stop $c"
	s=$(pm_state "$c")
	[ "$s" = "exited 0" ] || fail "$FAULT: $c after podman stop: '$s', wanted 'exited 0'"
	logged "$c" 'stopped$' || fail "$FAULT: $c logged no 'stopped'"
	ok "$FAULT: $c: SIGTERM, $s after $(( $(date +%s) - t0))s, 'stopped' logged"
done

done_test
