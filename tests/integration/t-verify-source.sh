#!/bin/sh
# bkp verify --compare-source: sampled files are also compared with their
# live sources when those are unchanged since the backup (same size, mtime,
# ctime, inode and device, all in the manifest).
#
#  - A sound tree: every file compared, none differs, exit 0.
#  - Changed sources are skipped and counted, never problems: a file
#    rewritten with the same size and its mtime set back (touch -r) — the
#    write moved its ctime, which nothing can set back, so the file system
#    saw the change — and a file deleted.
#  - Silent corruption: the content read differs while size, times, inode
#    and device are still those backed up.  No write through the file
#    system can do that (it would move the ctime), only a disk or memory
#    gone bad beneath it; so the test plays the bad disk with bitrot.so,
#    preloaded into bkp verify: reads of one source file return its first
#    byte flipped, the file is not touched.  That is a problem line naming
#    set, part and path ("source differs") and exit status 16, or 5 when
#    the repository has problems as well.
#  - Dumps of [stores] have no live source: skipped apart.
#  - --compare-source needs a level that restores files.
. "$(dirname "$0")/lib.sh"
need_bkp

CC=${CC_FOR_TESTS:-cc}
command -v "$CC" >/dev/null || skip "no C compiler to build bitrot.so"
"$CC" -shared -fPIC -O2 -o "$T/bitrot.so" "$ITDIR/bitrot.c" -ldl ||
	fail "cannot build bitrot.so"

src=$T/src
mkdir -p "$src/big" "$src/small"
python3 - "$src" <<'PY'
import os, random, sys
r = random.Random(7)
root = sys.argv[1]
for i in range(4):
    with open(os.path.join(root, "big", "b%d" % i), "wb") as f:
        f.write(r.randbytes(400 * 1024))
for i in range(20):
    with open(os.path.join(root, "small", "s%02d" % i), "w") as f:
        f.write("small file %d\n" % i * (i + 1))
PY
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/p" source "$T/repo" "$T/keys" "$src"
printf '[backup]\npart_size = 1M\n[stores]\ncommand = dump: echo a dump\n' \
    >>"$T/p"
bkp backup --policy "$T/p" --level full >/dev/null
set=$(ls "$T/repo/sets")
key="--key $T/keys/repo.key"
nfiles=24

log "an unchanged tree: every file compared, none differs"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level sample \
    --sample 100% --compare-source --json
[ "$rc" -eq 0 ] || fail "sound tree: exit $rc"
[ "$(json "$T/out" 'd["source"]')" = "{'compared': $nfiles, 'differ': 0, 'skipped_changed': 0, 'skipped_other': 1}" ] ||
	fail "sound tree: $(json "$T/out" 'd["source"]')"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level full \
    --compare-source
[ "$rc" -eq 0 ] || fail "full, sound tree: exit $rc"
grep -q "sources: $nfiles compared, 0 differ, 0 skipped (source changed), 1 skipped (nothing to compare)" \
    "$T/out" || fail "full: summary: $(cat "$T/out")"

log "changed sources are skipped and counted"
cp -p "$src/small/s03" "$T/s03.orig"
tr 's' 'S' <"$T/s03.orig" >"$src/small/s03"
touch -r "$T/s03.orig" "$src/small/s03"
[ "$(stat -c '%s %Y' "$src/small/s03")" = "$(stat -c '%s %Y' "$T/s03.orig")" ] ||
	fail "the rewritten file should keep its size and mtime"
rm "$src/small/s04"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level sample \
    --sample 100% --compare-source --json
[ "$rc" -eq 0 ] || fail "changed sources: exit $rc, expected 0"
[ "$(json "$T/out" '(d["source"]["compared"], d["source"]["skipped_changed"], d["problems"])')" = "($((nfiles - 2)), 2, 0)" ] ||
	fail "changed sources: $(json "$T/out" 'd["source"]')"

log "a source gone bad beneath the file system: exit 16"
rotten=$src/small/s07
BITROT_PATH=$rotten
LD_PRELOAD=$T/bitrot.so
export BITROT_PATH LD_PRELOAD
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level sample \
    --sample 100% --compare-source --json
unset LD_PRELOAD
[ "$rc" -eq 16 ] || fail "silent corruption: exit $rc, expected 16"
if [ "$(grep -c 'error:' "$T/err")" -ne 1 ] ||
    ! grep -q "error: $set: part [0-9]*: ${rotten#/}: source differs" "$T/err"
then
	fail "silent corruption: not one line naming set, part and path"
fi
[ "$(json "$T/out" '[(p["set"], p["problem"]) for p in d["problem_list"]]')" = "[('$set', 'source')]" ] ||
	fail "silent corruption: $(json "$T/out" 'd["problem_list"]')"
[ "$(json "$T/out" '(d["source"]["differ"], d["source"]["skipped_changed"])')" = "(1, 2)" ] ||
	fail "silent corruption: $(json "$T/out" 'd["source"]')"
tail -n 1 "$BKP_STATE_DIR/verify.log" | grep -q '"source_differ":1' ||
	fail "verify.log does not record the source difference"
# Without --compare-source the live file is not read: no problem.
LD_PRELOAD=$T/bitrot.so bkp verify --repo "$T/repo" --key "$T/keys/repo.key" \
    --level sample --sample 100% >/dev/null ||
	fail "without --compare-source: exit $?"

log "with a damaged part as well: exit 5"
cp -a "$T/repo" "$T/r1"
python3 - "$T/r1/sets/$set/part-000000" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x01]))
PY
export LD_PRELOAD="$T/bitrot.so"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/r1" $key --level sample \
    --sample 100% --compare-source --json
unset LD_PRELOAD
[ "$rc" -eq 5 ] || fail "damaged part and source: exit $rc, expected 5"
[ "$(json "$T/out" 'd["source"]["differ"]')" = 1 ] ||
	fail "damaged part: the source difference is not counted"
grep -q "error: $set: part 0: " "$T/err" || fail "part 0 not named"

log "--compare-source goes with sample or full"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level hashes \
    --compare-source
[ "$rc" -eq 2 ] || fail "--compare-source with hashes: exit $rc"
echo "verify --compare-source: unchanged sources compared, changed ones skipped"
