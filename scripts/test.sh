#!/bin/sh
# Installs what the tests need (Debian 12), builds bkp three ways and runs
# the whole suite: the normal build (gcc, -Werror), the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and every fuzz target for
# a short fixed time (FUZZ_SECONDS, default 20).  Ends with the line
# "N passed, N failed"; the exit status is non-zero when anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/deps.sh" test || { echo "0 passed, 1 failed"; exit 1; }
./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; exit 1; }

passed=0
failed=0
count() {	# count LOG: adds the automake test-suite counts of LOG
	p=$(sed -n 's/^# PASS: *//p' "$1" | head -n1)
	f=$(sed -n 's/^# FAIL: *//p' "$1" | head -n1)
	e=$(sed -n 's/^# ERROR: *//p' "$1" | head -n1)
	x=$(sed -n 's/^# XPASS: *//p' "$1" | head -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
}
suite() {	# suite NAME DIR CONFIGURE-ARGS...: build and make check
	name=$1
	dir=$2
	shift 2
	echo "== $name"
	if ! scripts/build.sh "$dir" "$@"; then
		echo "$name: build failed"
		failed=$((failed + 1))
		return
	fi
	(cd "$dir" && make -s -j2 check >check.out 2>&1) ||
		grep -v '^make' "$dir/check.out" | tail -n 15
	if [ -f "$dir/test-suite.log" ]; then
		grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' "$dir"/tests/*/*.log \
			2>/dev/null | sed 's/^[^:]*log://' | sort | uniq -c | \
			sed -n '/FAIL\|ERROR\|XPASS/p'
		sed -n '/^# /p' "$dir/test-suite.log"
		count "$dir/test-suite.log"
		grep -E -l '^(FAIL|ERROR)' "$dir"/tests/*/*.log 2>/dev/null |
			while read -r log; do
				echo "--- $log"
				tail -n 30 "$log"
			done
	else
		echo "$name: no test results"
		failed=$((failed + 1))
	fi
}

suite "tests (gcc, -Werror)" build-check
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	suite "tests under ASan+UBSan" build-asan \
	CFLAGS="-O1 -g -fno-omit-frame-pointer $san" LDFLAGS="$san"

echo "== fuzz targets (${FUZZ_SECONDS:-20} s each)"
if scripts/build.sh build-fuzz CC=clang --enable-fuzzers \
	CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link"; then
	out=$(FUZZ_BUILD=build-fuzz sh tests/fuzz/run.sh "${FUZZ_SECONDS:-20}")
	echo "$out"
	passed=$((passed + $(echo "$out" | grep -c ': ok')))
	failed=$((failed + $(echo "$out" | grep -c ': FAILED')))
else
	echo "fuzz build failed"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
