#!/bin/sh
# valgrind (memcheck) over a tunnel session, a reload-certs and a stop
# (issue #5, item 5): both daemons, supervisor and workers (forked
# children are traced by valgrind without --trace-children, which is for
# exec), must end with no invalid access and no definite leak.
. "$(dirname "$0")/lib.sh"
need valgrind python3
[ "$SANITIZED" -eq 0 ] || skip "sanitizer build: valgrind cannot run it"

# sandbox = false: valgrind refuses to install a seccomp filter
# (prctl/seccomp fail with EINVAL: "sandbox: cannot install the seccomp
# filter: Invalid argument"), so a sandboxed worker exits at once.
SANDBOX=false
# Everything runs tens of times slower under valgrind, and a slow machine
# multiplies that: the bounds below are minutes, reached only by a hang.
# A worker has shutdown_timeout + 2 s to exit before its supervisor kills
# it, and valgrind's leak check runs in that time.
VG_TENTHS=1200
STUNNELCTL_TIMEOUT=300
export STUNNELCTL_TIMEOUT

pki_pair
PA=$(port_free); PB=$(port_free); PE=$(port_free)
start_echo $PE
conf_global b node-b ca
sed -i 's/^shutdown_timeout = .*/shutdown_timeout = 30;/' "$T/b.conf"
cat >>"$T/b.conf" <<EOF
sandbox = $SANDBOX;
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE"; };
};
EOF
conf_global a node-a ca
sed -i 's/^shutdown_timeout = .*/shutdown_timeout = 30;/' "$T/a.conf"
cat >>"$T/a.conf" <<EOF
sandbox = $SANDBOX;
tunnels = {
	p2p_out = { mode = "socks"; listen = "127.0.0.1:$PA"; };
};
EOF

VG="valgrind --trace-children=yes --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --track-fds=no --num-callers=30"
# shellcheck disable=SC2086
start_bg b $VG --log-file="$T/vg-b.%p.log" "$STUNNELD" -f -v -c "$T/b.conf"
# shellcheck disable=SC2086
start_bg a $VG --log-file="$T/vg-a.%p.log" "$STUNNELD" -f -v -c "$T/a.conf"
wait_log b 'started with' $VG_TENTHS && wait_log a 'started with' $VG_TENTHS ||
    die "the daemons did not start under valgrind"
wait_port 127.0.0.2 $PB $VG_TENTHS && wait_port 127.0.0.1 $PA $VG_TENTHS ||
    die "no listeners"
wait_log a 'serving with' $VG_TENTHS
wait_log b 'serving with' $VG_TENTHS

SC="$HELPERS/socks-client"
N=1048576
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes $N --timeout 300 2>&1)
case $out in
*"sent $N received $N match"*) ok "1 MiB echoed through both daemons under valgrind" ;;
*)	fail "tunnel session: $(printf '%s' "$out" | tr '\n' '|')" ;;
esac
# A refusal too, so the refusal paths run under valgrind.
$SC -p 127.0.0.1:$PA -d 127.0.0.2:1 --timeout 300 >/dev/null 2>&1

CTL="$top_builddir/ctl/stunnelctl"
for n in a b; do
	out=$(timeout 360 "$CTL" -s "$T/$n.sock" reload-certs 2>&1) &&
	    ok "reload-certs on node $n: $(printf '%s' "$out" | head -1)" ||
	    fail "reload-certs on node $n: $out"
done
# And a session on the new credentials.
out=$($SC -p 127.0.0.1:$PA -d 127.0.0.2:$PB --send-bytes 10000 --timeout 300 2>&1)
case $out in
*"sent 10000 received 10000 match"*) ok "a session after reload-certs" ;;
*)	fail "after reload-certs: $(printf '%s' "$out" | tr '\n' '|')" ;;
esac

for n in a b; do
	timeout 360 "$CTL" -s "$T/$n.sock" stop >/dev/null 2>&1 || fail "stop node $n"
done
for n in a b; do
	p=$(cat "$T/$n.pid")
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
	wait "$p"
	st=$?
	rm -f "$T/$n.pid"
	[ $st -eq 0 ] && ok "node $n exited 0 under valgrind" ||
	    fail "node $n exited $st (99: valgrind found errors)"
done

python3 - "$T" <<'EOF' >"$T/vg.out" 2>&1
import glob, os, re, sys
bad = 0
logs = sorted(glob.glob(os.path.join(sys.argv[1], "vg-*.log")))
for f in logs:
    text = open(f, errors="replace").read()
    node, pid = re.search(r"vg-(\w)\.(\d+)\.log", f).groups()
    es = re.findall(r"ERROR SUMMARY: ([\d,]+) errors", text)
    dl = re.findall(r"definitely lost: ([\d,]+) bytes", text)
    heap = re.findall(r"in use at exit: ([\d,]+) bytes in ([\d,]+) blocks", text)
    freed = "All heap blocks were freed" in text
    print("node %s pid %s: ERROR SUMMARY %s errors, definitely lost %s, in use at exit %s" % (
        node, pid, es[-1] if es else "(none: killed?)",
        dl[-1] + " bytes" if dl else ("0 (all heap blocks freed)" if freed else "(no leak summary)"),
        heap[-1][0] + " bytes" if heap else "-"))
    problem = not es or es[-1] != "0" or bool(dl and dl[-1] != "0")
    if "Process terminating with default action" in text:
        problem = True
        print("  killed by a signal:", re.findall(r"Process terminating.*\n.*", text)[:1])
    if problem:
        print("".join(re.findall(r"==\d+== (?:Invalid|Conditional|Syscall param|Mismatched|Source and dest|Use of uninit|.*definitely lost in).*\n(?:==\d+==    .*\n)*", text))[:4000])
    bad += problem
print("%d valgrind logs (supervisors and workers), %d with problems" % (len(logs), bad))
sys.exit(1 if bad or len(logs) < 4 else 0)
EOF
st=$?
sed "s/^/$TEST_NAME: /" "$T/vg.out"
[ $st -eq 0 ] && ok "valgrind: no invalid access, no definite leak" ||
    fail "valgrind reports problems"
grep -E 'killed by signal|restarting' "$T/a.log" "$T/b.log" && fail "a worker died"
done_test
