#!/bin/sh
# run.sh [SECONDS]: runs every fuzz target for SECONDS (default 30).
#
# Builds nothing: expects the fuzz build (see README.md) in $FUZZ_BUILD
# (default build-fuzz, relative to the current directory).  Each target
# first replays its known crash inputs (tests/fuzz/crashes/TARGET-*), then
# runs on a temporary copy of its seed corpus in tests/fuzz/corpus, so the
# tree is not changed.  Logs and any crash, leak or timeout inputs go to
# $FUZZ_LOGS (default $FUZZ_BUILD/fuzz-logs).  Prints one line per target
# and exits 1 if any target failed.
#
# Extra libFuzzer options may be given in $FUZZ_OPTS (e.g.
# FUZZ_OPTS=-use_value_profile=1).
set -u

secs=${1:-30}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
build=${FUZZ_BUILD:-build-fuzz}
logs=${FUZZ_LOGS:-$build/fuzz-logs}
targets="fuzz_seal fuzz_manifest fuzz_repo_config fuzz_pubkey fuzz_signkey
fuzz_seckey fuzz_datakey fuzz_policy fuzz_object fuzz_zstd_tar fuzz_lockobj"

if [ ! -d "$build/tests/fuzz" ]; then
	echo "$0: no fuzz build in $build (set FUZZ_BUILD; see" \
	    "tests/fuzz/README.md)" >&2
	exit 2
fi
mkdir -p "$logs" || exit 2
logs=$(cd "$logs" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkp-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

failed=0
for t in $targets; do
	bin=$build/tests/fuzz/$t
	log=$logs/$t.log
	if [ ! -x "$bin" ]; then
		echo "$t: FAILED (not built: $bin)"
		failed=1
		continue
	fi
	# Known crashes first: each must pass (fixed) before fuzzing.
	replay=
	for f in "$here/crashes/$t"-*; do
		[ -f "$f" ] && replay="$replay x"
	done
	if [ -n "$replay" ]; then
		if ! "$bin" -close_fd_mask=2 "$here/crashes/$t"-* \
		    >"$logs/$t-replay.log" 2>&1; then
			echo "$t: FAILED (an input of tests/fuzz/crashes still" \
			    "fails; see $logs/$t-replay.log)"
			failed=1
			continue
		fi
	fi
	mkdir -p "$tmp/$t"
	if [ -d "$here/corpus/$t" ]; then
		cp "$here/corpus/$t"/* "$tmp/$t/" 2>/dev/null
	fi
	rm -f "$logs/$t"-crash-* "$logs/$t"-leak-* "$logs/$t"-timeout-* \
	    "$logs/$t"-oom-*
	# -close_fd_mask=2: the library's error messages to stderr are
	# dropped; libFuzzer keeps its own output and sanitizer reports.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -max_len=65536 -timeout=60 \
	    -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$logs/$t-" ${FUZZ_OPTS:-} "$tmp/$t" \
	    >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "$t: ok (${runs} runs)"
	else
		echo "$t: FAILED (see $log)"
		failed=1
	fi
done
exit "$failed"
