#!/bin/sh
# A backup killed (SIGKILL) at any point leaves the repository valid: the
# interrupted set is invisible to readers, earlier sets still restore, and
# the next run succeeds.  strace injects the signal at exact system calls
# of a real run, so the points are reproducible without test hooks in bkp:
# during a part (the Nth write), between parts (the Nth object commit,
# renameat2), just before the seal is renamed into place, and just after
# it (when the local manifest cache is replaced).
. "$(dirname "$0")/lib.sh"
need_bkp
command -v strace >/dev/null || skip "strace is not installed"

src=$T/src
mkdir -p "$src/big" "$src/small"
python3 - "$src" <<'PY'
import os, random, sys
r = random.Random(7)
root = sys.argv[1]
for i in range(24):
    with open(os.path.join(root, "big", "f%02d" % i), "wb") as f:
        f.write(r.randbytes(400 * 1024))
for i in range(300):
    with open(os.path.join(root, "small", "s%03d" % i), "w") as f:
        f.write("small file %d\n" % i * (i % 7 + 1))
PY
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/p" kill "$T/repo" "$T/keys" "$src"
printf '[backup]\npart_size = 1M\n' >>"$T/p"

bkp backup --policy "$T/p" --level full >/dev/null
day=0
cp -a "$src" "$T/day$day"

# latest_matches DAY: the newest set restores to the copy saved on DAY.
latest_matches() {
	rm -rf "$T/out"
	bkp restore --repo "$T/repo" --key "$T/keys/repo.key" \
	    --target "$T/out" >/dev/null || fail "restore after kill failed"
	diff -r --no-dereference "$T/day$1" "$T/out$src" >/dev/null ||
	    fail "restored tree differs from day $1"
}

# change: the next day's changes to the tree.
change() {
	day=$((day + 1))
	python3 - "$src" "$day" <<'PY'
import os, random, sys
root, day = sys.argv[1], int(sys.argv[2])
r = random.Random(day)
for i in r.sample(range(24), 6):
    with open(os.path.join(root, "big", "f%02d" % i), "wb") as f:
        f.write(r.randbytes(400 * 1024))
with open(os.path.join(root, "small", "new%d" % day), "w") as f:
    f.write("day %d\n" % day)
PY
}

# Count the object commits of one uninterrupted run, on a copy.
change
cp -a "$T/repo" "$T/repo-count"
cp -a "$T/state" "$T/state-count"
sed "s|$T/repo\$|$T/repo-count|" "$T/p" >"$T/p-count"
BKP_STATE_DIR=$T/state-count strace_bkp -f -qq -e trace=renameat2,read \
    -o "$T/calls" "$BKP" backup --policy "$T/p-count" >/dev/null
# (The audit records shipped after the seal are not the set's objects, nor
# is the repository lock, the first commit: injections count it, +1.)
commits=$(grep 'renameat2(' "$T/calls" | grep -v '"audit/' |
    grep -vc '"locks/')
[ "$commits" -ge 5 ] || fail "expected several object commits, saw $commits"
# strace counts calls per thread: parts are written by a worker thread
# each, so the points inside parts are counted in the main thread's reads
# of the source files, which it does while the part is being written.
main=$(awk 'NR == 1 { print $1 }' "$T/calls")
# reads_before N: the main thread's reads before the Nth object commit.
reads_before() {
	awk -v n="$1" -v pid="$main" '$1 != pid { next }
	    /renameat2\(/ && !/"locks\// { if (++r == n) exit }
	    /read\(/ { c++ }
	    END { print c + 0 }' "$T/calls"
}
# Commits: the key, then part 0, part 1, ...: kill in the middle of parts.
in_part0=$(( ($(reads_before 1) + $(reads_before 2)) / 2 ))
in_part1=$(( ($(reads_before 2) + $(reads_before 3)) / 2 ))

# kill_at INJECT EXPECT: back up with SIGKILL at INJECT; EXPECT is "old"
# when the set must not exist afterwards, "new" when it must.
kill_at() {
	log "kill at $1"
	rc=0
	strace_bkp -f -qq -o /dev/null -e "inject=$1:signal=KILL" \
	    "$BKP" backup --policy "$T/p" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 137 ] || fail "backup was not killed at $1 (exit $rc)"
	if [ "$2" = old ]; then
		latest_matches $((day - 1))
	else
		latest_matches "$day"
	fi
	bkp snapshots --repo "$T/repo" --json >"$T/snap.json"
	python3 - "$T/snap.json" "$2" <<'PY' || fail "snapshots after kill at $1"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["unverified"] == 0, d
if sys.argv[2] == "old":
    assert len(d["interrupted"]) >= 1, d
PY
	# The next run succeeds and has everything.
	bkp backup --policy "$T/p" >/dev/null || fail "backup after kill at $1"
	latest_matches "$day"
	change
}

# The saved copy of the current day is what a completed run would store.
save_today() { rm -rf "$T/day$day"; cp -a "$src" "$T/day$day"; }

save_today; kill_at "read:when=$in_part0" old      # during the first part
save_today; kill_at "renameat2:when=3" old         # after the first part
save_today; kill_at "renameat2:when=5" old         # between later parts
save_today; kill_at "read:when=$in_part1" old      # during a later part
save_today; kill_at "renameat2:when=$((commits + 1))" old  # before the seal
save_today; kill_at "rename:when=1" new            # just after the seal
echo "killed runs left the repository valid at every point"
