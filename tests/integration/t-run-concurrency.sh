#!/bin/sh
# Runs of the same policy never overlap: a second bkp run while one is
# busy exits 11 at once naming the holder (host, pid), and the first makes
# the only set; a lock left by a killed run is taken over, said so, and no
# set is made twice.
. "$(dirname "$0")/lib.sh"
need_bkp

src=$T/src
mkdir -p "$src" "$T/pol" "$T/pol2"
echo "some data" >"$src/f"
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
# Two policies (one per test); their pre hook is slow while $T/slow exists,
# and says who it is.
write_policy "$T/pol/conc.policy" conc "$T/repo" "$T/keys" "$src"
write_policy "$T/pol2/stale.policy" stale "$T/repo" "$T/keys" "$src"
for p in "$T/pol/conc.policy" "$T/pol2/stale.policy"; do
	cat >>"$p" <<EOF
[hooks]
pre = if [ -e $T/slow ]; then echo \$\$ >$T/hook.pid; exec sleep \$(cat $T/slow); fi
EOF
done
lockfile=$BKP_STATE_DIR/conc.lock
host=$(hostname)

# now_ms: the time in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_lock PID: waits (at most 10 s) until the lock records PID.
wait_lock() {
	_wl_i=0
	until grep -q "^host $host pid $1 started " "$lockfile" 2>/dev/null; do
		_wl_i=$((_wl_i + 1))
		[ "$_wl_i" -lt 100 ] || fail "run $1 did not take the lock"
		kill -0 "$1" 2>/dev/null || fail "run $1 ended before locking"
		sleep 0.1
	done
}

# nsets POLICY: how many sealed sets of POLICY the repository holds; fails
# on an interrupted set.
nsets() {
	"$BKP" snapshots --repo "$T/repo" --policy "$1" --json >"$T/snap.json"
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert not s["interrupted"], s["interrupted"]
print(len(s["sets"]))' "$T/snap.json" || fail "interrupted sets in the repository"
}

log "two runs at once"
echo 3 >"$T/slow"
"$BKP" run --policies "$T/pol" --json >"$T/first.json" 2>"$T/first.err" &
first=$!
wait_lock "$first"
t0=$(now_ms)
rc=0
"$BKP" run --policies "$T/pol" --json >"$T/second.json" 2>"$T/second.err" ||
	rc=$?
t1=$(now_ms)
cat "$T/second.err" >&2
[ "$rc" -eq 11 ] || fail "the second run: exit $rc, expected 11"
[ $((t1 - t0)) -lt 1500 ] ||
	fail "the second run took $((t1 - t0)) ms; it must not wait"
kill -0 "$first" 2>/dev/null || fail "the first run was not running any more"
grep -q "^bkp: error: policy conc is locked by another run (host $host pid $first started [0-9]*); it is left to finish$" \
    "$T/second.err" || fail "the second run does not name the holder"
[ "$(wc -l <"$T/second.err")" -eq 1 ] || fail "more than one line on stderr"
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert len(o) == 1 and o[0]["action"] == "locked" and o[0]["status"] == 11 \
    and o[0]["set"] == "", o' "$T/second.json" ||
	fail "the second run's JSON does not say locked"
rc=0
wait "$first" || rc=$?
cat "$T/first.err" >&2
[ "$rc" -eq 0 ] || fail "the first run: exit $rc"
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert len(o) == 1 and o[0]["action"] == "full" and o[0]["status"] == 0, o
print(o[0]["set"])' "$T/first.json" >"$T/first.set" ||
	fail "the first run did not make a full set"
[ "$(nsets conc)" -eq 1 ] ||
	fail "$(nsets conc) sets after two runs at once, expected 1"
[ ! -s "$lockfile" ] || fail "the lock record was not cleared on release"
grep -q '"action":"locked","set":"","status":11' "$BKP_STATE_DIR/runs.log" ||
	fail "runs.log has no locked run"
# Nothing more is due today: a third run makes nothing and is not locked.
expect_exit 0 "$BKP" run --policies "$T/pol"
[ "$(nsets conc)" -eq 1 ] || fail "a run with nothing due made a set"

log "a lock left by a killed run"
lockfile=$BKP_STATE_DIR/stale.lock
echo 60 >"$T/slow"
rm -f "$T/hook.pid"
"$BKP" run --policies "$T/pol2" >/dev/null 2>"$T/killed.err" &
victim=$!
wait_lock "$victim"
i=0
until [ -s "$T/hook.pid" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the pre hook did not start"
	sleep 0.1
done
hook=$(cat "$T/hook.pid")
kill -9 "$victim"
wait "$victim" 2>/dev/null || :
kill -0 "$hook" 2>/dev/null || fail "the hook was not running"
kill -9 "-$hook"
grep -q "^host $host pid $victim " "$lockfile" ||
	fail "the killed run left no lock record"
[ "$(nsets stale)" -eq 0 ] || fail "the killed run made a set"
rm "$T/slow"
rc=0
"$BKP" run --policies "$T/pol2" --json >"$T/after.json" 2>"$T/after.err" ||
	rc=$?
cat "$T/after.err" >&2
[ "$rc" -eq 0 ] || fail "the run after the killed one: exit $rc"
grep -q "^bkp: warning: policy stale: taking over the lock left by a run that is gone (host $host pid $victim started [0-9]*)$" \
    "$T/after.err" || fail "the run does not say whose lock it took over"
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert len(o) == 1 and o[0]["action"] == "full" and o[0]["status"] == 0, o' \
    "$T/after.json" || fail "the run after the killed one made no full set"
[ "$(nsets stale)" -eq 1 ] ||
	fail "$(nsets stale) sets after the takeover, expected 1"
# Released properly this time: the next run takes no lock over, and makes
# nothing (nothing is due).
rc=0
"$BKP" run --policies "$T/pol2" 2>"$T/next.err" || rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$T/next.err" ] ||
	{ cat "$T/next.err" >&2; fail "the next run: exit $rc, or it said something"; }
[ "$(nsets stale)" -eq 1 ] || fail "a duplicate set was made"
[ "$(nsets conc)" -eq 1 ] || fail "the other policy's sets changed"

log "a lock file that cannot be used is a failure, not another run's lock"
mkdir "$T/pol3" "$BKP_STATE_DIR/broken.lock"
write_policy "$T/pol3/broken.policy" broken "$T/repo" "$T/keys" "$src"
rc=0
"$BKP" run --policies "$T/pol3" --json >"$T/broken.json" 2>"$T/broken.err" ||
	rc=$?
cat "$T/broken.err" >&2
[ "$rc" -eq 14 ] || fail "an unusable lock file: exit $rc, expected 14"
grep -q "broken.lock: cannot open lock: Is a directory" "$T/broken.err" ||
	fail "the unusable lock file is not reported"
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert len(o) == 1 and o[0]["action"] == "failed" and o[0]["status"] not in (0, 11), o' \
    "$T/broken.json" || fail "an unusable lock file is not a failed run"
grep -q '"policy":"broken","action":"failed"' "$BKP_STATE_DIR/runs.log" ||
	fail "runs.log does not record the failure"
rc=0
"$BKP" status --policies "$T/pol3" >"$T/status" || rc=$?
cat "$T/status" >&2
[ "$rc" -eq 1 ] && grep -q "last run: failed; WARNING: .*last run failed" \
    "$T/status" || fail "bkp status does not warn of the failed run"
[ "$(nsets broken)" -eq 0 ] || fail "a set was made without the lock"
echo "runs of a policy never overlap; the second names the holder; a dead" \
    "run's lock is taken over"
