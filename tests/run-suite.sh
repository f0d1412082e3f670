#!/bin/bash
# run-suite.sh: the whole test suite, as CI runs it.
#
#   tests/run-suite.sh
#
# From the top of the source tree: ./autogen.sh; a normal build and
# "make check" in build/; a sanitizer build (ASan + UBSan, clang when it
# can link sanitized programs, else gcc) and "make check" in build-asan/;
# "make distcheck" in build/, then "make fuzz", "make check-multichain"
# (real MultiChain nodes), "make check-container" (the image, with podman)
# and "make check-compose" (the compose example) there.  Every automake
# test result (the .trs files) of both build directories counts, plus one
# result each for distcheck, fuzz, check-multichain, check-container and
# check-compose.  A step
# that fails before its tests could run (autogen, configure, make) counts
# as one failure named after the step.  The log of each step is kept in
# build*/run-suite-STEP.log; a failing test's own log is in its .log file
# beside the .trs, and its tail is printed.
#
# The last line printed is "N passed, N failed".  Exit 0 iff nothing failed.
# MAKEFLAGS from the environment is respected (-j2 is added only when it
# sets no -j of its own); CC and CFLAGS go to the build/ configure.

set -u

cd "$(dirname "$0")/.." || { echo "run-suite: cannot cd to the source tree"; exit 2; }
root=$(pwd)

passed=0
failed=0
skipped=0
failures=()	# "name|log file" of each failure, in order
skips=()

# -j2 unless the caller's MAKEFLAGS already says how many jobs.
jobs=(-j2)
mf=${MAKEFLAGS:-}
case " $mf" in
*" -j"* | *" --jobs"*) jobs=() ;;
esac
# GNU make also writes single-letter flags as a first word without a dash.
[[ ${mf%% *} =~ ^[a-zA-Z]*j[a-zA-Z0-9]*$ ]] && jobs=()

say() {
	printf 'run-suite: %s\n' "$*"
}

# fail NAME LOG: count one failure (LOG: the file whose tail explains it).
fail() {
	failed=$((failed + 1))
	failures+=("$1|$2")
}

# step DIR NAME CMD...: run CMD in DIR with its output in
# DIR/run-suite-NAME.log; say how it went; return its exit status.
step() {
	local dir=$1 name=$2 log start rc label
	shift 2
	log="$dir/run-suite-$name.log"
	start=$SECONDS
	label=${dir#"$root"}
	label=${label#/}
	printf 'run-suite: %-12s %-10s ... ' "${label:-.}" "$name"
	(cd "$dir" && "$@") >"$log" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -eq 0 ]; then
		printf 'ok (%ds)\n' $((SECONDS - start))
	else
		printf 'FAILED, exit %d (%ds), log: %s\n' "$rc" \
		    $((SECONDS - start)) "${log#"$root"/}"
	fi
	return "$rc"
}

# collect DIR: count the :test-result: lines of every .trs file under DIR
# (not those of a distcheck tree left behind).  Set collect_bad to how many
# FAIL/ERROR/XPASS results were found.
collect_bad=0
collect() {
	local dir=$1 trs name res bad=0
	while IFS= read -r -d '' trs; do
		name=${trs#"$root"/}
		name=${name%.trs}
		while read -r _ res _; do
			case $res in
			PASS | XFAIL)
				passed=$((passed + 1)) ;;
			SKIP)
				skipped=$((skipped + 1))
				skips+=("$name") ;;
			FAIL | ERROR | XPASS)
				fail "$name ($res)" "${trs%.trs}.log"
				bad=$((bad + 1)) ;;
			*)
				fail "$name (unknown result '$res')" "${trs%.trs}.log"
				bad=$((bad + 1)) ;;
			esac
		done < <(grep -a '^:test-result:' "$trs")
	done < <(find "$dir" -path "$dir/stunneld-*" -prune -o \
	    -name '*.trs' -type f -print0 | sort -z)
	collect_bad=$bad
}

# build_and_check DIR CONFIGURE-ARGS...: configure, make, make check in DIR.
# Return 0 if configure worked (so the directory can be used further).
build_and_check() {
	local dir=$1 rc
	shift
	mkdir -p "$dir"
	# Results of an earlier run must not count again.
	find "$dir" -path "$dir/stunneld-*" -prune -o \
	    \( -name '*.trs' -o -name 'test-suite.log' \) -type f -print0 |
	    xargs -0 rm -f
	if ! step "$dir" configure ../configure "$@"; then
		fail "${dir#"$root"/}: configure" "$dir/run-suite-configure.log"
		return 1
	fi
	if ! step "$dir" make make "${jobs[@]}"; then
		fail "${dir#"$root"/}: make" "$dir/run-suite-make.log"
		return 0
	fi
	step "$dir" check make "${jobs[@]}" check
	rc=$?
	collect "$dir"
	if [ "$rc" -ne 0 ] && [ "$collect_bad" -eq 0 ]; then
		# make check failed without a failing test: a test program or
		# helper did not build, or the harness itself broke.
		fail "${dir#"$root"/}: make check" "$dir/run-suite-check.log"
	fi
	return 0
}

build=$root/build
asan=$root/build-asan
mkdir -p "$build" "$asan"

say "source tree $root"

# A tree configured in place (./configure in the top directory, as in the
# README's quick start) refuses out-of-tree builds: clean it first.
if [ -f "$root/config.status" ]; then
	say "the source tree was configured in place: make distclean there first"
	if ! step "$root" distclean make distclean; then
		fail "distclean of the source tree" "$root/run-suite-distclean.log"
	fi
	mv -f "$root/run-suite-distclean.log" "$build/" 2>/dev/null
fi

build_ok=0
if step "$root" autogen ./autogen.sh; then
	mv -f "$root/run-suite-autogen.log" "$build/"
	build_and_check "$build" && build_ok=1

	# Sanitizer build: clang if it can link a sanitized program (on
	# Debian that needs libclang-rt-*-dev), else gcc.
	san_cc=gcc
	if command -v clang >/dev/null 2>&1; then
		probe=$(mktemp -d)
		if echo 'int main(void) { return 0; }' |
		    clang -fsanitize=address,undefined -x c - \
		    -o "$probe/a.out" >/dev/null 2>&1; then
			san_cc=clang
		else
			say "clang cannot link with -fsanitize=address,undefined (libclang-rt-*-dev missing?): using gcc"
		fi
		rm -rf "$probe"
	fi
	say "sanitizer build with CC=$san_cc"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
	build_and_check "$asan" --enable-sanitizers CC="$san_cc"
	unset UBSAN_OPTIONS

	if [ "$build_ok" -eq 1 ]; then
		if step "$build" distcheck make "${jobs[@]}" distcheck; then
			passed=$((passed + 1))
		else
			fail "build: make distcheck" "$build/run-suite-distcheck.log"
		fi
	else
		fail "build: make distcheck (not run: configure failed)" \
		    "$build/run-suite-configure.log"
	fi

	# libFuzzer: every target for FUZZ_SECONDS (60 in CI), then the kept
	# crash inputs once each.  Needs clang's fuzzer runtime.
	if [ "$build_ok" -eq 1 ] && [ "$san_cc" = clang ]; then
		if step "$build" fuzz make fuzz \
		    FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; then
			passed=$((passed + 1))
		else
			fail "build: make fuzz" "$build/run-suite-fuzz.log"
		fi
	else
		say "fuzzing skipped: no clang that links sanitized programs"
		skipped=$((skipped + 1))
	fi

	# Real MultiChain nodes through stunneld (make check-multichain),
	# bounded: one result, a skip where the MultiChain binaries or their
	# libraries are missing (the target then exits 0 after a SKIP line).
	if [ "$build_ok" -eq 1 ]; then
		if step "$build" multichain timeout 1500 make check-multichain; then
			why=$(grep -a '^multichain-chain: SKIP:' \
			    "$build/run-suite-multichain.log" | tail -1)
			if [ -n "$why" ]; then
				say "${why#multichain-chain: }"
				skipped=$((skipped + 1))
				skips+=("check-multichain")
			else
				passed=$((passed + 1))
			fi
		else
			fail "build: make check-multichain" \
			    "$build/run-suite-multichain.log"
		fi
	else
		fail "build: make check-multichain (not run: configure failed)" \
		    "$build/run-suite-configure.log"
	fi

	# The container image and the compose example (make check-container,
	# make check-compose), each bounded: podman builds the image (the
	# first time also the base image) and runs it; a skip where podman
	# or the MultiChain binaries are missing.
	for ct in container:container-tunnel compose:compose-multichain; do
		tgt=${ct%%:*}
		if [ "$build_ok" -ne 1 ]; then
			fail "build: make check-$tgt (not run: configure failed)" \
			    "$build/run-suite-configure.log"
			continue
		fi
		if step "$build" "$tgt" timeout 1800 make "check-$tgt"; then
			why=$(grep -a "^${ct#*:}: SKIP:" \
			    "$build/run-suite-$tgt.log" | tail -1)
			if [ -n "$why" ]; then
				say "check-$tgt: ${why#*: }"
				skipped=$((skipped + 1))
				skips+=("check-$tgt")
			else
				passed=$((passed + 1))
			fi
		else
			fail "build: make check-$tgt" "$build/run-suite-$tgt.log"
		fi
	done
else
	mv -f "$root/run-suite-autogen.log" "$build/"
	fail "autogen.sh" "$build/run-suite-autogen.log"
fi

# --- report ----------------------------------------------------------------

for f in "${failures[@]}"; do
	name=${f%%|*}
	log=${f#*|}
	echo
	echo "==== FAIL: $name"
	if [ -f "$log" ]; then
		echo "---- last 40 lines of ${log#"$root"/}:"
		tail -n 40 "$log"
	else
		echo "---- (no log: ${log#"$root"/})"
	fi
done
[ "$failed" -gt 0 ] && echo

if [ "$skipped" -gt 0 ]; then
	echo "$skipped skipped: ${skips[*]}"
else
	echo "0 skipped"
fi
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	for f in "${failures[@]}"; do
		echo "  ${f%%|*}"
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
