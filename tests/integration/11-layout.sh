#!/bin/sh
# The boundaries between modules hold (issue 13), read from the sources:
#
#  - GnuTLS stays behind its headers: in stunneld/, only tls.c, creds.c
#    and verify.c reach <gnutls/...>, directly or through any header they
#    include (creds_gnutls.h and verify_gnutls.h are theirs); everything
#    else sees opaque handles.
#  - The worker owns its connections: struct worker is defined in worker.c
#    only, and conn.c does not include worker.h.
#  - conn.c does one job: the dialer (resolve, connect) is in dial.c, and
#    the bytes of a connection, the SOCKS exchange too, move through
#    relay.c's read and write paths.
#
# Needs no daemon, no network and no build, so it does not use lib.sh.
# Exit codes follow automake: 0 pass, 1 fail.

set -u
LC_ALL=C
export LC_ALL

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
TEST_NAME=$(basename "$0" .sh)
SRC=$top_srcdir/stunneld
FAILED=0

ok() { printf '%s: ok: %s\n' "$TEST_NAME" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$TEST_NAME" "$*"; FAILED=1; }

# local_includes FILE: the stunneld/ headers FILE includes with "...".
local_includes() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# gnutls_path FILE [SEEN]: print the include chain by which FILE reaches
# <gnutls/...> (nothing if it does not).
gnutls_path() {
	if grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*<gnutls/' "$1"; then
		printf '%s' "$(basename "$1")"
		return 0
	fi
	for h in $(local_includes "$1"); do
		case " ${2:-} " in *" $h "*) continue ;; esac
		[ -f "$SRC/$h" ] || continue
		sub=$(gnutls_path "$SRC/$h" "${2:-} $h")
		if [ -n "$sub" ]; then
			printf '%s -> %s' "$(basename "$1")" "$sub"
			return 0
		fi
	done
	return 0
}

n=0
for f in "$SRC"/*.c "$SRC"/*.h; do
	b=$(basename "$f")
	n=$((n + 1))
	path=$(gnutls_path "$f")
	case $b in
	tls.c|creds.c|verify.c|creds_gnutls.h|verify_gnutls.h)
		[ -n "$path" ] || fail "$b is expected to use GnuTLS (is this check reading the right files?)"
		continue ;;
	esac
	[ -z "$path" ] || fail "$b reaches GnuTLS: $path (only tls.c, creds.c and verify.c may)"
done
# a move of the sources must not make this pass with nothing checked
[ "$n" -ge 40 ] || fail "only $n files in $SRC"
[ "$FAILED" = 0 ] && ok "GnuTLS only in tls.c, creds.c, verify.c ($n files read)"

# every header that includes GnuTLS is one of the two internal ones
for f in "$SRC"/*.c; do
	b=$(basename "$f")
	case $b in tls.c|creds.c|verify.c) continue ;; esac
	for h in $(local_includes "$f"); do
		case $h in *_gnutls.h) fail "$b includes $h" ;; esac
	done
done

# boundary OK BAD BAD_CODE BLIND BLIND_CODE: fail BAD if the shell code
# BAD_CODE succeeds, fail BLIND if BLIND_CODE (which holds whenever the
# check reads the right files) does not; else ok OK.
boundary() {
	if eval "$3"; then
		fail "$2"
	elif ! eval "$5"; then
		fail "$4 (is this check reading the right files?)"
	else
		ok "$1"
	fi
}

boundary "struct worker is private to worker.c" \
    "struct worker is defined in worker.h (worker.c owns it)" \
    "grep -q '^struct worker[[:space:]]*{' '$SRC/worker.h'" \
    "struct worker is not defined in worker.c" \
    "grep -q '^struct worker[[:space:]]*{' '$SRC/worker.c'"
if local_includes "$SRC/conn.c" | grep -qx 'worker.h'; then
	fail "conn.c includes worker.h (connections report through their callback)"
else
	ok "conn.c does not include worker.h"
fi
boundary "the dialer is in dial.c" \
    "conn.c dials by itself (the dialer is dial.c)" \
    "grep -nE '\\<(connect|getaddrinfo|resolve_start)\\(' '$SRC/conn.c'" \
    "dial.c does not connect" \
    "grep -qE '\\<connect\\(' '$SRC/dial.c'"
boundary "conn.c moves no bytes itself: the SOCKS exchange goes through relay.c" \
    "conn.c moves bytes by itself (the relay's read and write paths do)" \
    "grep -nE '\\<(read|write|recv|send|recvmsg|sendmsg|readv|writev)\\(' '$SRC/conn.c'" \
    "conn.c does not use relay_read/relay_write" \
    "grep -qE '\\<relay_(read|write)\\(' '$SRC/conn.c'"

exit $FAILED
