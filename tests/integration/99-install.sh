#!/bin/sh
# "make install DESTDIR=..." from the build tree puts everything where an
# operator looks for it: stunneld and stunnelctl in $sbindir, the three man
# pages, the example configuration in $sysconfdir/stunneld/ (stunneld.conf
# only if absent, always stunneld.conf.example), the MultiChain example set
# in $docdir/examples/multichain, the transparent-mode one in
# $docdir/examples/transparent, and the systemd unit (when configured)
# with the installed binary in ExecStart.  The installed stunneld prints
# the version of configure.ac.  A second install keeps an edited
# stunneld.conf; "make uninstall" removes everything else.  If
# systemd-analyze is there, the installed unit passes "systemd-analyze
# verify", its paths pointed into DESTDIR (where the binary really is).
. "$(dirname "$0")/lib.sh"
[ -f "$top_builddir/Makefile" ] || skip "not run from a configured build tree"
need make cmp

VERSION=$(sed -n 's/^AC_INIT(\[stunneld\], *\[\([^]]*\)\].*/\1/p' \
    "$top_srcdir/configure.ac")
[ -n "$VERSION" ] || die "cannot read the version from $top_srcdir/configure.ac"

# mk ARGS...: make in the build tree, alone (not the jobserver of a
# "make -j check" that runs this test).
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" "$@"
}

# The installation directories, as the Makefile has them.
mk -s -f Makefile -f - show-dirs >"$T/dirs" 2>"$T/dirs.err" <<'EOF'
show-dirs:
	@echo "sbindir=$(sbindir)"
	@echo "bindir=$(bindir)"
	@echo "sysconfdir=$(sysconfdir)"
	@echo "mandir=$(mandir)"
	@echo "docdir=$(docdir)"
	@echo "unitdir=$(systemdsystemunitdir)"
	@echo "unit=$(systemdsystemunit_DATA)"
EOF
[ -s "$T/dirs" ] || die "cannot read the installation directories: $(cat "$T/dirs.err")"
dir() { sed -n "s/^$1=//p" "$T/dirs"; }
sbindir=$(dir sbindir)
bindir=$(dir bindir)
sysconfdir=$(dir sysconfdir)
mandir=$(dir mandir)
docdir=$(dir docdir)
unitdir=$(dir unitdir)
unit=$(dir unit)
note "sbindir=$sbindir sysconfdir=$sysconfdir unitdir=${unit:+$unitdir}"

D=$T/inst
mk install DESTDIR="$D" >"$T/install.log" 2>&1 || die "make install failed"
ok "make install DESTDIR=$D"

# exists WHAT FILE
exists() {
	if [ -f "$2" ]; then
		ok "$1: ${2#"$D"}"
	else
		fail "$1 not installed: ${2#"$D"} missing"
	fi
}

[ -x "$D$sbindir/stunneld" ] && ok "stunneld in $sbindir" ||
    fail "stunneld not installed in $sbindir"
if [ -x "$D$sbindir/stunnelctl" ]; then
	ok "stunnelctl in $sbindir"
	CTL=$D$sbindir/stunnelctl
elif [ -x "$D$bindir/stunnelctl" ]; then
	ok "stunnelctl in $bindir"
	CTL=$D$bindir/stunnelctl
else
	fail "stunnelctl installed in neither $sbindir nor $bindir"
	CTL=
fi
exists "man page" "$D$mandir/man5/stunneld.conf.5"
exists "man page" "$D$mandir/man8/stunneld.8"
exists "man page" "$D$mandir/man8/stunnelctl.8"
exists "example configuration" "$D$sysconfdir/stunneld/stunneld.conf.example"
exists "configuration" "$D$sysconfdir/stunneld/stunneld.conf"
cmp -s "$top_srcdir/etc/stunneld.conf" "$D$sysconfdir/stunneld/stunneld.conf" ||
    fail "installed stunneld.conf is not etc/stunneld.conf"
for f in README.md alpha/stunneld.conf beta/stunneld.conf gamma/stunneld.conf \
    alpha/multichaind.sh beta/multichaind.sh gamma/multichaind.sh; do
	exists "multichain example" "$D$docdir/examples/multichain/$f"
done
for f in README.md stunneld.conf stunneld.nft; do
	exists "transparent-mode example" "$D$docdir/examples/transparent/$f"
done

# --version: the version configure.ac sets.
v=$("$D$sbindir/stunneld" --version 2>&1)
if [ "$v" = "stunneld $VERSION" ]; then
	ok "stunneld --version: $v"
else
	fail "stunneld --version printed \"$v\", expected \"stunneld $VERSION\""
fi
if [ -n "$CTL" ]; then
	v=$("$CTL" --version 2>&1)
	[ "$v" = "stunnelctl $VERSION" ] && ok "stunnelctl --version: $v" ||
	    fail "stunnelctl --version printed \"$v\", expected \"stunnelctl $VERSION\""
fi

# The systemd unit, when configure was not told --without-systemdsystemunitdir.
U=$D$unitdir/stunneld.service
if [ -z "$unit" ]; then
	note "systemd unit not configured for installation: not checked"
elif [ ! -f "$U" ]; then
	fail "systemd unit not installed: ${U#"$D"} missing"
else
	ok "systemd unit: ${U#"$D"}"
	if grep -q -x "ExecStart=$sbindir/stunneld -f -c $sysconfdir/stunneld/stunneld.conf" "$U"; then
		ok "unit: ExecStart=$sbindir/stunneld -f ..."
	else
		fail "unit: wrong ExecStart: $(grep '^ExecStart=' "$U")"
	fi
	grep -q '@[a-z_]*@' "$U" && fail "unit: unsubstituted $(grep -o '@[a-z_]*@' "$U" | head -1)"
	grep -q -x 'Type=notify' "$U" || fail "unit: not Type=notify"
	grep -q -x 'ExecReload=/bin/kill -HUP $MAINPID' "$U" ||
	    fail "unit: no ExecReload sending SIGHUP"
	grep -q -x 'RuntimeDirectory=stunneld' "$U" || fail "unit: no RuntimeDirectory"
	if grep -q '^SystemCallFilter=' "$U"; then
		fail "unit: SystemCallFilter= could forbid the workers' own seccomp filter"
	fi
	if command -v systemd-analyze >/dev/null 2>&1; then
		# The unit names the final paths; verify a copy that names the
		# files where DESTDIR put them, so that "is executable" is
		# checked against the binary just installed, and the man pages
		# of Documentation= are looked up there too.
		mkdir -p "$T/verify"
		sed -e "s|$sbindir/|$D$sbindir/|g" -e "s|$sysconfdir/|$D$sysconfdir/|g" \
		    "$U" >"$T/verify/stunneld.service"
		if MANPATH=$D$mandir systemd-analyze verify \
		    "$T/verify/stunneld.service" >"$T/verify.log" 2>&1; then
			ok "systemd-analyze verify: clean (binary and man pages found)"
		elif systemd-analyze verify --man=no \
		    "$T/verify/stunneld.service" >"$T/verify-noman.log" 2>&1; then
			note "systemd-analyze verify: clean without the man page check ($(head -1 "$T/verify.log"))"
		else
			fail "systemd-analyze verify: $(cat "$T/verify-noman.log")"
		fi
	else
		note "systemd-analyze not installed: unit not verified"
	fi
fi

# A second install never replaces an edited stunneld.conf.
echo '# edited by the operator' >>"$D$sysconfdir/stunneld/stunneld.conf"
mk install DESTDIR="$D" >"$T/install2.log" 2>&1 || fail "second make install failed"
if tail -n 1 "$D$sysconfdir/stunneld/stunneld.conf" | grep -q 'edited by the operator'; then
	ok "second install kept the edited stunneld.conf"
else
	fail "second install replaced the edited stunneld.conf"
fi
cmp -s "$top_srcdir/etc/stunneld.conf" "$D$sysconfdir/stunneld/stunneld.conf.example" ||
    fail "stunneld.conf.example is not etc/stunneld.conf"

# Uninstall leaves only the operator's file.
mk uninstall DESTDIR="$D" >"$T/uninstall.log" 2>&1 || fail "make uninstall failed"
left=$(cd "$D" && find . -type f | sort)
if [ "$left" = ".$sysconfdir/stunneld/stunneld.conf" ]; then
	ok "make uninstall: only the edited stunneld.conf is left"
else
	fail "make uninstall left: $(echo $left)"
fi

done_test
