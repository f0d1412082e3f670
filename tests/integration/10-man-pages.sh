#!/bin/sh
# The man pages agree with the code: mandoc finds nothing to warn about
# (a step skipped, alone, where mandoc is not installed);
# stunneld.conf.5 documents exactly the keys conf.c accepts (with their
# numeric defaults and ranges); stunnelctl.8 documents exactly the commands
# of ctl/parser.c's table, its options, environment, metric names and JSON
# keys; stunneld.8 documents every option of main.c; and neither --help
# mentions an option the pages lack.  Needs no daemon, no network and no
# certificates, so it does not use lib.sh.
#
# Each list read from the code must have a minimum size, so that a
# refactor that moves a table cannot make a check pass vacuously.
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.

set -u
LC_ALL=C
export LC_ALL

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
TEST_NAME=$(basename "$0" .sh)
MAN=$top_srcdir/man
FAILED=0

note() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
ok() { printf '%s: ok: %s\n' "$TEST_NAME" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$TEST_NAME" "$*"; FAILED=1; }

# Without mandoc only the lint step (a) is skipped: the checks of the
# pages against the code need nothing but awk, sed and grep.
HAVE_MANDOC=1
command -v mandoc >/dev/null 2>&1 || HAVE_MANDOC=0

T=$(mktemp -d "${TMPDIR:-/tmp}/stunneld-$TEST_NAME.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

# need_at_least N WHAT FILE: the extracted list FILE has N lines or more.
need_at_least() {
	n=$(wc -l <"$3" | tr -d ' ')
	if [ "$n" -lt "$1" ]; then
		fail "$2: found only $n (expected at least $1): did the code move?"
		return 1
	fi
	ok "$2: $n found"
	return 0
}

# same_sets WHAT CODE PAGE: every line of CODE is in PAGE and back.
same_sets() {
	for x in $(comm -23 "$2" "$3"); do
		fail "$1: \"$x\" is in the code but not in the page"
	done
	for x in $(comm -13 "$2" "$3"); do
		fail "$1: \"$x\" is in the page but not in the code"
	done
	if cmp -s "$2" "$3"; then
		ok "$1: code and page agree ($(wc -l <"$2" | tr -d ' '))"
	fi
}

# fl_args PAGE: every argument of an Fl macro in PAGE ("s", "-json").
fl_args() {
	awk '/^\./ {
		for (i = 1; i < NF; i++)
			if ($i == "Fl" || $i == ".Fl") {
				a = $(i + 1)
				sub(/[,;:.)]+$/, "", a)
				if (a != "" && a !~ /^[A-Z][a-z]$/)
					print a
			}
	}' "$1" | sort -u
}

# item_text PAGE KEY: the text of the ".It Ic KEY" entry of PAGE, up to
# the next .It, .El or section, on one line.
item_text() {
	awk -v key="$2" '
	    /^\.(It|El|Sh|Ss)( |$)/ { if (on) exit }
	    $1 == ".It" && $2 == "Ic" && $3 == key { on = 1; next }
	    on { printf "%s ", $0 }' "$1"
}

# has_word TEXT WORD: WORD appears in TEXT, not as part of a longer number.
has_word() {
	printf '%s\n' "$1" | grep -q -E "(^|[^0-9A-Za-z_])$2([^0-9A-Za-z_]|\$)"
}

# --- (a) mandoc -Tlint -W warning prints nothing --------------------------
for page in stunneld.8 stunneld.conf.5 stunnelctl.8; do
	if [ ! -f "$MAN/$page" ]; then
		fail "$page missing"
		continue
	fi
	if [ "$HAVE_MANDOC" -eq 0 ]; then
		note "SKIP: mandoc not installed: $page not linted"
		continue
	fi
	out=$(mandoc -Tlint -W warning "$MAN/$page" 2>&1)
	if [ -n "$out" ]; then
		fail "mandoc -Tlint -W warning $page:"
		printf '%s\n' "$out"
	else
		ok "mandoc -Tlint $page: clean"
	fi
done

# --- (b) stunneld.conf.5 <-> the key tables of conf.c -------------------
# conf.c lists the keys each block allows as
#	static const char *const cf_NAME_keys[] = {
#		"a", "b", ...
#		..., NULL
#	};
awk '/^static const char \*const cf_[a-z_]*_keys\[\] *= *\{/ { on = 1 }
    on {
	s = $0
	while (match(s, /"[^"]*"/)) {
		print substr(s, RSTART + 1, RLENGTH - 2)
		s = substr(s, RSTART + RLENGTH)
	}
	if ($0 ~ /\};/)
		on = 0
    }' "$top_srcdir/stunneld/conf.c" | sort -u >"$T/keys.code"
awk '$1 == ".It" && $2 == "Ic" { print $3 }' "$MAN/stunneld.conf.5" |
    sort -u >"$T/keys.page"
if need_at_least 20 "config keys" "$T/keys.code"; then
	same_sets "stunneld.conf.5 keys" "$T/keys.code" "$T/keys.page"
fi

# Ranges: cf_uint(cf, g, "key", MIN, MAX, ...) -> the entry names both.
grep -o 'cf_uint(cf, [a-z]*, "[a-z_]*", [0-9]*, [0-9]*' \
    "$top_srcdir/stunneld/conf.c" |
    sed 's/.*"\([a-z_]*\)", \([0-9]*\), \([0-9]*\)$/\1 \2 \3/' \
    >"$T/ranges.code"
if need_at_least 5 "integer keys with a range" "$T/ranges.code"; then
	while read -r key min max; do
		text=$(item_text "$MAN/stunneld.conf.5" "$key")
		if has_word "$text" "$min" && has_word "$text" "$max"; then
			ok "$key: range $min to $max documented"
		else
			fail "$key: range $min..$max not in its entry: $text"
		fi
	done <"$T/ranges.code"
fi

# Numeric defaults: "tc->key = N;" or "conf->key = N;", for the integer
# keys above (not booleans) -> "default is N".
grep -E '^[[:space:]]*(tc|conf)->[a-z_]+ = [0-9]+;' \
    "$top_srcdir/stunneld/conf.c" |
    sed -E 's/^[[:space:]]*(tc|conf)->([a-z_]+) = ([0-9]+);.*/\2 \3/' |
    sort -u | while read -r key val; do
	grep -q "^$key " "$T/ranges.code" && echo "$key $val"
    done >"$T/defaults.code"
if need_at_least 5 "numeric defaults" "$T/defaults.code"; then
	while read -r key val; do
		text=$(item_text "$MAN/stunneld.conf.5" "$key")
		if printf '%s\n' "$text" |
		    grep -q -E "[Dd]efault is $val([^0-9]|\$)"; then
			ok "$key: default $val documented"
		else
			fail "$key: \"default is $val\" not in its entry: $text"
		fi
	done <"$T/defaults.code"
fi

# --- (c) stunnelctl.8 <-> the command table of ctl/parser.c ---------------
# Rows of parser_cmds[] start with { "name", CTL_...
sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", CTL_[A-Z_]*,.*/\1/p' \
    "$top_srcdir/ctl/parser.c" | sort -u >"$T/cmds.code"
awk '$1 == ".It" && $2 == "Cm" { print $3 }' "$MAN/stunnelctl.8" |
    sort -u >"$T/cmds.page"
if need_at_least 6 "stunnelctl commands" "$T/cmds.code"; then
	same_sets "stunnelctl.8 commands" "$T/cmds.code" "$T/cmds.page"
fi

# Its options: every strcmp(a, "-x") / strncmp(a, "--x=", n) in parser.c.
grep -o 'strn*cmp(a, "--*[a-z][a-z-]*' "$top_srcdir/ctl/parser.c" |
    sed 's/.*"-//' | sort -u >"$T/ctlopts.code"
fl_args "$MAN/stunnelctl.8" >"$T/ctlopts.page"
if need_at_least 5 "stunnelctl options" "$T/ctlopts.code"; then
	while read -r o; do
		grep -q -x -F -e "$o" "$T/ctlopts.page" ||
		    fail "stunnelctl.8: option -$o (parser.c) not documented"
	done <"$T/ctlopts.code"
	ok "stunnelctl.8: options of parser.c checked"
fi

# Environment variables read by either program are under ENVIRONMENT.
for pair in "ctl:stunnelctl.8" "stunneld:stunneld.8"; do
	dir=${pair%%:*}
	page=${pair#*:}
	cat "$top_srcdir/$dir"/*.c | grep -o 'getenv("[A-Z_]*")' |
	    sed 's/getenv("\(.*\)")/\1/' | sort -u >"$T/env.code"
	while read -r v; do
		if grep -q -E "^\.It Ev $v( |\$)" "$MAN/$page"; then
			ok "$page: environment $v documented"
		else
			fail "$page: $dir reads \$$v but the page has no .It Ev $v"
		fi
	done <"$T/env.code"
done

# Metric names of stunneld/metrics.c appear in stunnelctl.8 (metrics)
# and stunneld.8 (GET /metrics); the JSON keys of ctl/output.c in
# stunnelctl.8.
sed -n 's/^[[:space:]]*{ "\(stunneld_[a-z_]*\)", "[a-z]*",.*/\1/p' \
    "$top_srcdir/stunneld/metrics.c" | sort -u >"$T/metrics.code"
if need_at_least 10 "metric families" "$T/metrics.code"; then
	for page in stunnelctl.8 stunneld.8; do
		while read -r m; do
			grep -q -E "^\.It Li $m\$" "$MAN/$page" ||
			    fail "$page: metric $m not documented"
		done <"$T/metrics.code"
		ok "$page: metric names checked"
	done
fi
# (every quoted name on a json_key() line: some pick one of two)
grep 'json_key(' "$top_srcdir/ctl/output.c" | grep -o '"[a-z_]*"' |
    tr -d '"' | sort -u >"$T/json.code"
if need_at_least 20 "JSON keys" "$T/json.code"; then
	while read -r k; do
		grep -q -F "\"$k\":" "$MAN/stunnelctl.8" ||
		    fail "stunnelctl.8: JSON key \"$k\" not documented"
	done <"$T/json.code"
	ok "stunnelctl.8: JSON keys checked"
fi

# --- (d) stunneld.8 <-> main.c's getopt string and long options ------------
sed -n 's/.*getopt[_a-z]*(argc, argv, "\([^"]*\)".*/\1/p' \
    "$top_srcdir/stunneld/main.c" | head -n 1 | tr -d ':' |
    fold -w 1 >"$T/dopts.code"
sed -n 's/.*{ "\([a-z-]*\)", [a-z_]*_argument,.*/-\1/p' \
    "$top_srcdir/stunneld/main.c" >>"$T/dopts.code"
sort -u -o "$T/dopts.code" "$T/dopts.code"
fl_args "$MAN/stunneld.8" >"$T/dopts.page"
if need_at_least 5 "stunneld options" "$T/dopts.code"; then
	while read -r o; do
		if grep -q -E "^\.It Fl $o( |\$)" "$MAN/stunneld.8" ||
		    grep -q -E "^\.It Fl [a-zA-Z] , Fl $o( |\$)" \
		    "$MAN/stunneld.8"; then
			:
		else
			fail "stunneld.8: option -$o (main.c) has no .It Fl entry"
		fi
	done <"$T/dopts.code"
	ok "stunneld.8: options of main.c checked"
fi

# --- (e) --help mentions no option the pages lack --------------------------
# help_opts PROGRAM [ARG...]: the options its help names ("c", "-json").
help_opts() {
	"$@" 2>&1 |
	    grep -o -E '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' |
	    sed -E 's/^[][ ,|(]//; s/^-//' | sort -u
}
for spec in "stunneld/stunneld:stunneld.8:--help" \
    "ctl/stunnelctl:stunnelctl.8:--help" \
    "ctl/stunnelctl:stunnelctl.8:cert --help"; do
	prog=$top_builddir/${spec%%:*}
	rest=${spec#*:}
	page=${rest%%:*}
	args=${rest#*:}
	what="$(basename "$prog") $args"
	if [ ! -x "$prog" ]; then
		fail "$prog not built: run make first"
		continue
	fi
	# shellcheck disable=SC2086 # $args is several words
	help_opts "$prog" $args >"$T/help.opts"
	fl_args "$MAN/$page" >"$T/page.opts"
	if ! need_at_least 3 "options in $what" "$T/help.opts"; then
		continue
	fi
	for o in $(comm -23 "$T/help.opts" "$T/page.opts"); do
		fail "$what mentions -$o, $page does not"
	done
done

if [ "$FAILED" -ne 0 ]; then
	note "FAILED"
	exit 1
fi
note "PASSED"
exit 0
