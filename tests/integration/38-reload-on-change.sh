#!/bin/sh
# reload_on_change: node B's certificate files are replaced the ways
# renewers do it, with no signal and no command, while a ping link runs
# through B's tunnel p2p_in.  For each way the new certificate is served
# (its serial, seen by openssl s_client) after exactly one reload of the
# tunnels that use the file and of no other:
#   1. written in place;
#   2. renamed over;
#   3. written in two halves: the first is refused (the old certificate
#      stays, the file and the reason are logged), the second taken;
#   4. a Kubernetes secret's "..data" link swapped to a new directory,
#      then 5. the file in that new directory written in place (the
#      links were followed again after the swap), in both workers of
#      the tunnel k8s_in;
#   6. a tunnel added by a reload: its file is watched too;
#  10. the CRL of every tunnel renamed over: each reloads once.
# The ping link (node A to node B) loses nothing.  Node C has reload_on_change = false: it
# holds no inotify descriptor and does not reload when its file changes,
# but SIGHUP, with the configuration text unchanged, loads the new
# certificate, in the same worker, with its open link alive; a reload
# that turns reload_on_change on makes it watch.
. "$(dirname "$0")/lib.sh"
need openssl
CTL=$top_builddir/ctl/stunnelctl

pki_pair
pki_crl ca	# every node's tls block gets crl = ca.crl
PA=$(port_free); PB=$(port_free); PK=$(port_free); PN=$(port_free)
PC=$(port_free); PE=$(port_free)
start_echo $PE

# renew NAME KEY SERIAL OUT: a certificate for the key KEY of node NAME
# (CN and DNS name NAME, IP 127.0.0.2) signed by the CA "ca", with serial
# SERIAL (hex), written to OUT: a renewal that keeps the key, so that one
# file changes.
renew() {
	printf '%s\n' "subjectAltName = DNS:$1, IP:127.0.0.2" \
	    "basicConstraints = CA:FALSE" \
	    "keyUsage = critical, digitalSignature" \
	    "extendedKeyUsage = serverAuth, clientAuth" >"$T/ext.cnf"
	openssl req -new -key "$2" -subj "/CN=$1" -out "$T/req.csr" \
	    2>"$T/renew.err" &&
	openssl x509 -req -in "$T/req.csr" -CA "$T/ca.pki/ca.crt" \
	    -CAkey "$T/ca.pki/ca.key" -set_serial "0x$3" -days 30 \
	    -extfile "$T/ext.cnf" -out "$4" 2>>"$T/renew.err" ||
	    die "cannot renew $1: $(cat "$T/renew.err")"
}
# serial PORT: the serial of the certificate served on 127.0.0.2:PORT.
serial() {
	openssl s_client -connect 127.0.0.2:$1 -cert "$T/node-a.crt" \
	    -key "$T/node-a.key" -CAfile "$T/ca.crt" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}
# wait_serial PORT SERIAL WHAT: wait until PORT serves SERIAL.
wait_serial() {
	wait_until "$3: 127.0.0.2:$1 serves $(serial "$1"), not $2" \
	    "[ \"\$(serial $1)\" = $2 ]" && ok "$3: serial $2 served"
}
# reloads NODE TUNNEL: how many reloads of TUNNEL the file changes made,
# as "TRIGGERS/OUTCOMES" (the watcher's line, reload-certs' line: of its
# first worker when it has several).
reloads() {
	printf '%s/%s' \
	    "$(grep -c "changed: reloading the certificates of tunnel $2\$" "$T/$1.log")" \
	    "$(grep -cE "reload-certs: tunnel $2(#1)?: " "$T/$1.log")"
}
# expect_reloads NODE TUNNEL N WHAT: exactly N of each so far.
expect_reloads() {
	_er=$(reloads "$1" "$2")
	[ "$_er" = "$3/$3" ] && ok "$4: $2 reloaded $3 time(s) in all" ||
	    fail "$4: $2 reloads (triggers/outcomes) $_er, wanted $3/$3"
}
# worker_pid NODE TUNNEL: the newest worker pid of TUNNEL.
worker_pid() {
	sed -n "s/.*worker $2 started, pid \([0-9]*\).*/\1/p" "$T/$1.log" | tail -1
}
# inotify_fds PID: how many inotify descriptors process PID holds.
inotify_fds() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:inotify'
}

# Node B's files: p2p_in's plain ones, k8s_in's a Kubernetes secret
# (tls.crt -> ..data/tls.crt, ..data -> ..v1, ..v1/tls.crt).
mkdir "$T/plain" "$T/k8s" "$T/k8s/..v1" "$T/new" "$T/c" || die "mkdir"
cp "$T/node-b.crt" "$T/node-b.key" "$T/plain/"
cp "$T/node-b.crt" "$T/k8s/..v1/tls.crt"
cp "$T/node-b.key" "$T/k8s/..v1/tls.key"
ln -s ..v1 "$T/k8s/..data"
ln -s ..data/tls.crt "$T/k8s/tls.crt"
ln -s ..data/tls.key "$T/k8s/tls.key"
cp "$T/node-b.crt" "$T/node-b.key" "$T/new/"
cp "$T/node-b.crt" "$T/node-b.key" "$T/c/"

conf_global b node-b ca
cp "$T/b.conf" "$T/b.global"
cat >"$T/b.tunnels" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE";
	    tls = { cert = "$T/plain/node-b.crt"; key = "$T/plain/node-b.key"; }; };
	k8s_in = { mode = "tls"; listen = "127.0.0.2:$PK"; connect = "127.0.0.1:$PE";
	    workers = 2; tls = { cert = "$T/k8s/tls.crt"; key = "$T/k8s/tls.key"; }; };
};
EOF
cat "$T/b.global" "$T/b.tunnels" >"$T/b.conf"
conf_global a node-a ca
echo "tunnels = { out = { mode = \"socks\"; listen = \"127.0.0.1:$PA\"; }; };" >>"$T/a.conf"
conf_global c node-b ca
cat >>"$T/c.conf" <<EOF
reload_on_change = false;
tunnels = {
	c_in = { mode = "tls"; listen = "127.0.0.2:$PC"; connect = "127.0.0.1:$PE";
	    tls = { cert = "$T/c/node-b.crt"; key = "$T/c/node-b.key"; }; };
};
EOF
start_stunneld b "$T/b.conf" || die "node B did not start"
start_stunneld a "$T/a.conf" || die "node A did not start"
start_stunneld c "$T/c.conf" || die "node C did not start"
p2p_pid=$(worker_pid b p2p_in)
ping_start 127.0.0.1:$PA 127.0.0.2:$PB b p2p_in
start_bg live-c "$HELPERS/socks-client" -p 127.0.0.1:$PA -d 127.0.0.2:$PC \
    --ping 20 --interval 50 --until "$T/stop-c" --timeout 900
wait_stat c c_in connections_active -eq 1 || die "the link to node C did not come up"

# 1. Written in place.
renew node-b "$T/plain/node-b.key" 1001 "$T/r1.crt"
cat "$T/r1.crt" >"$T/plain/node-b.crt"
wait_serial $PB 1001 "written in place"
expect_reloads b p2p_in 1 "written in place"

# 2. Renamed over.
renew node-b "$T/plain/node-b.key" 1002 "$T/plain/.node-b.crt.tmp"
mv -f "$T/plain/.node-b.crt.tmp" "$T/plain/node-b.crt"
wait_serial $PB 1002 "renamed over"
expect_reloads b p2p_in 2 "renamed over"

# 3. Half a certificate, then the rest.
renew node-b "$T/plain/node-b.key" 1003 "$T/r3.crt"
head -c 300 "$T/r3.crt" >"$T/plain/node-b.crt"
wait_log b "reload-certs: tunnel p2p_in: .*$T/plain/node-b.crt: .*the current certificates stay in use" &&
    ok "half a file: refused, the file and the reason logged: $(grep "reload-certs: tunnel p2p_in: .*plain/node-b.crt: " "$T/b.log" | tail -1 | sed 's/.*reload-certs: //')"
s=$(serial $PB)
[ "$s" = 1002 ] && ok "half a file: still serving $s" ||
    fail "half a file: serving $s, not 1002"
tail -c +301 "$T/r3.crt" >>"$T/plain/node-b.crt"
wait_serial $PB 1003 "the rest of the file"
expect_reloads b p2p_in 4 "half a file, then the rest"
expect_reloads b k8s_in 0 "p2p_in's files"

# 4. The Kubernetes swap: a new directory, a new link renamed over ..data,
# the old directory removed.
mkdir "$T/k8s/..v2"
renew node-b "$T/k8s/..v1/tls.key" 2001 "$T/k8s/..v2/tls.crt"
cp "$T/k8s/..v1/tls.key" "$T/k8s/..v2/tls.key"
ln -s ..v2 "$T/k8s/..data_tmp"
mv -T "$T/k8s/..data_tmp" "$T/k8s/..data" || die "mv -T"
rm -rf "$T/k8s/..v1"
wait_serial $PK 2001 "..data swapped"
expect_reloads b k8s_in 1 "..data swapped"

# 5. The file the swap led to, written in place: watched since the swap.
renew node-b "$T/k8s/..v2/tls.key" 2002 "$T/r5.crt"
cat "$T/r5.crt" >"$T/k8s/..v2/tls.crt"
wait_serial $PK 2002 "the swapped-in file written in place"
expect_reloads b k8s_in 2 "the swapped-in file written in place"
n2=$(grep -c "reload-certs: tunnel k8s_in#2: reloaded" "$T/b.log")
[ "$n2" -eq 2 ] && ok "k8s_in's second worker reloaded with the first" ||
    fail "k8s_in's second worker reloaded $n2 times, not 2"
expect_reloads b p2p_in 4 "k8s_in's files"

# 6. A reload adds new_in: its file is watched from then on.
cat >"$T/b.tunnels2" <<EOF
tunnels = {
	p2p_in = { mode = "tls"; listen = "127.0.0.2:$PB"; connect = "127.0.0.1:$PE";
	    tls = { cert = "$T/plain/node-b.crt"; key = "$T/plain/node-b.key"; }; };
	k8s_in = { mode = "tls"; listen = "127.0.0.2:$PK"; connect = "127.0.0.1:$PE";
	    workers = 2; tls = { cert = "$T/k8s/tls.crt"; key = "$T/k8s/tls.key"; }; };
	new_in = { mode = "tls"; listen = "127.0.0.2:$PN"; connect = "127.0.0.1:$PE";
	    tls = { cert = "$T/new/node-b.crt"; key = "$T/new/node-b.key"; }; };
};
EOF
cat "$T/b.global" "$T/b.tunnels2" >"$T/b.conf"
out=$("$CTL" -s "$T/b.sock" reload 2>&1) || fail "reload: $out"
case $out in
*"1 added, 0 removed, 0 changed, 2 unchanged"*) ok "reload: $out" ;;
*)	fail "reload: $out" ;;
esac
wait_port 127.0.0.2 $PN || die "new_in does not listen"
renew node-b "$T/new/node-b.key" 3001 "$T/new/node-b.crt.new"
mv -f "$T/new/node-b.crt.new" "$T/new/node-b.crt"
wait_serial $PN 3001 "a tunnel added by a reload"
expect_reloads b new_in 1 "a tunnel added by a reload"
expect_reloads b p2p_in 4 "new_in's file"
expect_reloads b k8s_in 2 "new_in's file"
[ "$(worker_pid b p2p_in)" = "$p2p_pid" ] && kill -0 "$p2p_pid" &&
    ok "p2p_in kept its worker $p2p_pid through all of it" ||
    fail "p2p_in's worker was replaced"

# 7. Node C: reload_on_change = false.
[ "$(inotify_fds "$(cat "$T/b.pid")")" -eq 1 ] &&
    ok "node B's supervisor holds its inotify descriptor" ||
    fail "node B's supervisor holds $(inotify_fds "$(cat "$T/b.pid")") inotify descriptors"
[ "$(inotify_fds "$p2p_pid")" -eq 0 ] &&
    ok "p2p_in's worker does not hold the supervisor's inotify descriptor" ||
    fail "p2p_in's worker $p2p_pid holds $(inotify_fds "$p2p_pid") inotify descriptors"
[ "$(inotify_fds "$(cat "$T/c.pid")")" -eq 0 ] &&
    ok "reload_on_change = false: node C watches nothing" ||
    fail "node C holds $(inotify_fds "$(cat "$T/c.pid")") inotify descriptors"
c_pid=$(worker_pid c c_in)
s0=$(serial $PC)
renew node-b "$T/c/node-b.key" 4001 "$T/r7.crt"
cat "$T/r7.crt" >"$T/c/node-b.crt"
s=$(serial $PC)
[ "$s" = "$s0" ] && ok "reload_on_change = false: still serving $s" ||
    fail "reload_on_change = false: serving $s, not $s0"
grep -q "changed: reloading the certificates" "$T/c.log" &&
    fail "node C reloaded on a change: $(grep "changed: reloading" "$T/c.log")"

# 8. SIGHUP, the configuration text unchanged: the new certificate.
kill -HUP "$(cat "$T/c.pid")"
wait_log c "configuration reloaded: 0 added, 0 removed, 0 changed, 1 unchanged"
wait_serial $PC 4001 "SIGHUP with the same configuration"
wait_log c "reload-certs: tunnel c_in: reloaded" && ok "SIGHUP: $(grep "reload-certs: tunnel c_in:" "$T/c.log" | tail -1 | sed 's/.*reload-certs: //')"
[ "$(worker_pid c c_in)" = "$c_pid" ] && kill -0 "$c_pid" &&
    ok "SIGHUP: c_in kept its worker $c_pid" || fail "SIGHUP: c_in's worker was replaced"
touch "$T/stop-c"
wait_bg live-c
case $(tail -n 1 "$T/live-c.log") in
"ping "*" ok") ok "the link to node C through the SIGHUP: $(tail -n 1 "$T/live-c.log")" ;;
*)	fail "the link to node C: $(tail -n 1 "$T/live-c.log")" ;;
esac
grep -q "changed: reloading the certificates" "$T/c.log" &&
    fail "node C reloaded on a change: $(grep "changed: reloading" "$T/c.log")"

# 9. reload_on_change turned on by a reload: node C watches from then on.
sed -i 's/^reload_on_change = false;$/reload_on_change = true;/' "$T/c.conf"
out=$("$CTL" -s "$T/c.sock" reload 2>&1) || fail "reload of node C: $out"
[ "$(inotify_fds "$(cat "$T/c.pid")")" -eq 1 ] &&
    ok "reload_on_change turned on by a reload: node C watches" ||
    fail "node C holds $(inotify_fds "$(cat "$T/c.pid")") inotify descriptors after the reload"
renew node-b "$T/c/node-b.key" 4002 "$T/r9.crt"
cat "$T/r9.crt" >"$T/c/node-b.crt"
wait_serial $PC 4002 "reload_on_change turned on by a reload"
# one trigger; two reload-certs lines, the first SIGHUP's
r=$(reloads c c_in)
[ "$r" = 1/2 ] && ok "reload_on_change turned on by a reload: one reload" ||
    fail "reload_on_change turned on by a reload: c_in reloads $r, wanted 1/2"

# 10. The CRL every tunnel of every node uses, renamed over: each of them
# reloads once, node A's socks tunnel too, and the ping link through both
# node A and node B lives on (node B is not revoked).
pki_crl ca
# wait_reloads NODE TUNNEL N: wait until TUNNEL's reload-certs lines are N.
wait_reloads() {
	wait_until "$1: $2 reloaded $(reloads "$1" "$2"), not $3 times" \
	    "[ \"\$(reloads $1 $2 | cut -d/ -f2)\" -ge $3 ]"
}
wait_reloads b p2p_in 5 && expect_reloads b p2p_in 5 "the CRL renamed over"
wait_reloads b k8s_in 3 && expect_reloads b k8s_in 3 "the CRL renamed over"
wait_reloads b new_in 2 && expect_reloads b new_in 2 "the CRL renamed over"
wait_reloads a out 1 && expect_reloads a out 1 "the CRL renamed over"
wait_reloads c c_in 3
r=$(reloads c c_in)
[ "$r" = 2/3 ] && ok "the CRL renamed over: c_in reloaded once more" ||
    fail "the CRL renamed over: c_in reloads $r, wanted 2/3"
ping_check

stop_stunneld b || fail "node B exited with status $?"
stop_stunneld c || fail "node C exited with status $?"
done_test
