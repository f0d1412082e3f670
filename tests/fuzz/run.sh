#!/bin/sh
# run.sh: run the libFuzzer targets built by "make fuzz", from the build
# directory.
#
#   run.sh [-m] SRCDIR SECONDS TARGET...
#
# For each TARGET (socks5, auth, ...) the binary is tests/fuzz/fuzz_TARGET.
# Its seed corpus SRCDIR/tests/fuzz/corpus/TARGET is copied to
# tests/fuzz/work/TARGET/corpus, which the fuzzer then grows for SECONDS
# (so the source corpus is never written); a crash input goes to
# tests/fuzz/crashes/TARGET-*.  Then every file in
# SRCDIR/tests/fuzz/regressions/TARGET/ (old crash inputs; README aside)
# is run through the binary once, so old crashes stay fixed.
#
# With -m ("make fuzz-merge") nothing is fuzzed: the inputs of
# tests/fuzz/work/TARGET/corpus that add coverage are merged into the
# source corpus instead.
#
# One line per target is printed: executions, exec/s, coverage, and the
# verdict.  Exit 0 iff no target crashed and every regression input
# passed.

set -u

merge=0
if [ "${1:-}" = -m ]; then
	merge=1
	shift
fi
if [ $# -lt 3 ]; then
	echo "usage: run.sh [-m] SRCDIR SECONDS TARGET..." >&2
	exit 2
fi
srcdir=$1
secs=$2
shift 2

fuzzdir=$srcdir/tests/fuzz
work=tests/fuzz/work
crashes=tests/fuzz/crashes
mkdir -p "$work" "$crashes" || exit 2

# libconfig 1.5 leaks its string buffer on some syntax errors: not ours.
LSAN_OPTIONS=suppressions=$fuzzdir/lsan.supp:print_suppressions=0
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export LSAN_OPTIONS UBSAN_OPTIONS

status=0
summary=

# The value of libFuzzer's "stat::NAME: VALUE" line in file $2.
stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

for t in "$@"; do
	bin=tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin not built" >&2
		status=1
		continue
	fi
	mkdir -p "$work/$t/corpus" || exit 2

	if [ $merge -eq 1 ]; then
		echo "fuzz: merging $work/$t/corpus into $fuzzdir/corpus/$t"
		"$bin" -merge=1 "$fuzzdir/corpus/$t" "$work/$t/corpus" \
		    </dev/null >"$work/$t/merge.log" 2>&1 || {
			echo "fuzz: $t: merge failed, see $work/$t/merge.log"
			status=1
		}
		continue
	fi

	# A fresh writable copy of the seeds, and a private TMPDIR (the
	# config target makes its files there).
	rm -rf "$work/$t/corpus" "$work/$t/tmp"
	mkdir -p "$work/$t/corpus" "$work/$t/tmp" || exit 2
	cp "$fuzzdir/corpus/$t/"* "$work/$t/corpus/" || exit 2

	# Config files are text and may be long; the rest is small binary.
	maxlen=4096
	[ "$t" = config ] && maxlen=16384

	log=$work/$t/fuzz.log
	echo "fuzz: $t: ${secs}s (log: $log)"
	TMPDIR=$(pwd)/$work/$t/tmp "$bin" -max_total_time="$secs" \
	    -max_len=$maxlen -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$crashes/$t-" \
	    "$work/$t/corpus" </dev/null >"$log" 2>&1
	rc=$?
	rm -rf "$work/$t/tmp"

	execs=$(stat number_of_executed_units "$log")
	rate=$(stat average_exec_per_sec "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
	    sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')
	if [ $rc -eq 0 ]; then
		verdict=ok
	else
		verdict="CRASH (exit $rc)"
		status=1
		grep -E 'ERROR|runtime error|invariant failed|Test unit written' \
		    "$log" | head -n 5 | sed "s/^/fuzz: $t: /"
	fi

	# Old crash inputs, once each.
	nreg=0
	regfail=0
	for f in "$fuzzdir/regressions/$t/"*; do
		[ -f "$f" ] || continue
		case ${f##*/} in README*) continue ;; esac
		nreg=$((nreg + 1))
		if ! "$bin" "$f" </dev/null >"$work/$t/regression.log" 2>&1
		then
			regfail=$((regfail + 1))
			status=1
			echo "fuzz: $t: regression input fails: $f"
			grep -E 'ERROR|runtime error|invariant failed' \
			    "$work/$t/regression.log" | head -n 3 |
			    sed "s/^/fuzz: $t: /"
		fi
	done

	line=$(printf '%-7s %10s execs %7s exec/s  cov %-28s %s; regressions %d/%d ok' \
	    "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$verdict" \
	    $((nreg - regfail)) $nreg)
	summary="$summary$line
"
done

if [ $merge -eq 0 ]; then
	echo "fuzz: summary (${secs}s per target):"
	printf '%s' "$summary" | sed 's/^/fuzz:   /'
	[ $status -eq 0 ] && echo "fuzz: PASS" || echo "fuzz: FAIL (inputs in $crashes/)"
fi
exit $status
