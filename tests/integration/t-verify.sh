#!/bin/sh
# bkp verify: a sound repository passes every level; a flipped byte, a
# missing part, a seal from another repository and a wrong key are each
# found, named (set and part) and given their exit status; a seed draws the
# same sample again.  Every damage is made on a copy of the repository.
. "$(dirname "$0")/lib.sh"
need_bkp

src=$T/src
mkdir -p "$src/big" "$src/small"
python3 - "$src" <<'PY'
import os, random, sys
r = random.Random(11)
root = sys.argv[1]
for i in range(12):
    with open(os.path.join(root, "big", "f%02d" % i), "wb") as f:
        f.write(r.randbytes(300 * 1024))
for i in range(240):
    with open(os.path.join(root, "small", "s%03d" % i), "w") as f:
        f.write("small file %d\n" % i * (i % 5 + 1))
# A name with glob characters: a sample must restore exactly it.
with open(os.path.join(root, "small", "odd [*?] name"), "w") as f:
    f.write("odd\n")
os.chmod(os.path.join(root, "small", "s007"), 0o751)
PY
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/p" verify "$T/repo" "$T/keys" "$src"
printf '[backup]\npart_size = 1M\n' >>"$T/p"
bkp backup --policy "$T/p" --level full >/dev/null
full=$(ls "$T/repo/sets")
python3 - "$src" <<'PY'
import os, sys
root = sys.argv[1]
for i in (1, 5):
    with open(os.path.join(root, "big", "f%02d" % i), "ab") as f:
        f.write(b"changed\n")
with open(os.path.join(root, "small", "new"), "w") as f:
    f.write("new file\n")
PY
bkp backup --policy "$T/p" --level incr >/dev/null
incr=$(ls "$T/repo/sets" | grep -v "$full")
[ -f "$T/repo/sets/$full/part-000001" ] || fail "the full set has one part"
key="--key $T/keys/repo.key"

find "$T/repo" -printf '%P %s %T@ %m\n' | sort >"$T/before"

log "a sound repository passes every level"
for level in structure hashes; do
	verify_to "$T/out" "$T/err" --repo "$T/repo" --level $level
	[ "$rc" -eq 0 ] || fail "$level: exit $rc on a sound repository"
	grep -q "2 sets checked" "$T/out" || fail "$level: summary: $(cat "$T/out")"
done
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --json
[ "$rc" -eq 0 ] || fail "structure with the key: exit $rc"
[ "$(json "$T/out" 'd["problems"]')" = 0 ] || fail "structure: problems"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level sample --json
[ "$rc" -eq 0 ] || fail "sample: exit $rc"
[ "$(json "$T/out" 'len(d["sampled"]) >= 1 and d["seed"] is not None')" = True ] ||
	fail "sample: no file sampled, or no seed"
# Every file by name: the one with glob characters must be restored too.
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level sample \
    --sample 100% --json
[ "$rc" -eq 0 ] || fail "sample 100%: exit $rc"
[ "$(json "$T/out" 'd["files_checked"]')" = 256 ] || fail "sample 100%"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level full --json
[ "$rc" -eq 0 ] || fail "full: exit $rc"
# Every stored file once: 253 in the full set, 3 new or changed ones.
[ "$(json "$T/out" 'd["files_checked"]')" = 256 ] ||
	fail "full: $(json "$T/out" 'd["files_checked"]') files checked"
[ "$(wc -l <"$BKP_STATE_DIR/verify.log")" -eq 6 ] ||
	fail "verify.log does not hold one line per run"
grep -q '"level":"full"' "$BKP_STATE_DIR/verify.log" ||
	fail "verify.log does not record the level"

log "with --no-rotate, the same seed draws the same files, another others"
for s in 42 42 43; do
	# shellcheck disable=SC2086
	verify_to "$T/seed$s.$$" "$T/err" --repo "$T/repo" $key \
	    --level sample --sample 10% --seed $s --no-rotate --json
	[ "$rc" -eq 0 ] || fail "sample with seed $s: exit $rc"
	json "$T/seed$s.$$" 'd["sampled"]' >>"$T/sampled$s"
done
[ "$(json "$T/seed42.$$" 'len(d["sampled"])')" -ge 20 ] ||
	fail "10% of 256 files should be 26"
[ "$(sed -n 1p "$T/sampled42")" = "$(sed -n 2p "$T/sampled42")" ] ||
	fail "seed 42 drew different files"
[ "$(sed -n 1p "$T/sampled42")" != "$(cat "$T/sampled43")" ] ||
	fail "seeds 42 and 43 drew the same files"
[ "$(json "$T/seed43.$$" 'd["seed"]')" = 43 ] || fail "seed not in the JSON"
[ "$(json "$T/seed43.$$" '(d["rotate"], d["pool"])')" = "(False, 256)" ] ||
	fail "--no-rotate: not drawn from every file"

log "rotation (the default): one file a run, every part read in as many runs"
# The runs above restored parts too: start the record afresh.
rm -rf "$BKP_STATE_DIR/verify-parts"
nparts=$(ls "$T/repo/sets/"*/part-* | wc -l)
i=0
while [ $i -lt "$nparts" ]; do
	# shellcheck disable=SC2086
	verify_to "$T/out" "$T/err" --repo "$T/repo" $key --level sample \
	    --sample 1 --json
	[ "$rc" -eq 0 ] || fail "rotated sample: exit $rc"
	[ "$(json "$T/out" 'd["rotate"]')" = True ] ||
		fail "the sample does not rotate by default"
	grep -q '"rotate":true' "$BKP_STATE_DIR/verify.log" ||
		fail "verify.log does not record the rotation"
	json "$T/out" '"\n".join("%s %d" % (s["stored_in"], s["part"])
	    for s in d["sampled"])' >>"$T/rotated"
	i=$((i + 1))
done
[ "$(sort -u "$T/rotated" | wc -l)" -eq "$nparts" ] ||
	fail "$nparts rotated samples read only $(sort -u "$T/rotated" | wc -l) parts"
[ -s "$BKP_STATE_DIR/verify-parts/$(json "$T/out" 'd["repo_id"]')" ] ||
	fail "no record of the parts read"
find "$T/repo" -printf '%P %s %T@ %m\n' | sort >"$T/after"
cmp -s "$T/before" "$T/after" || fail "verify changed the repository"

log "a flipped byte in part 1 of the full set"
cp -a "$T/repo" "$T/r1"
python3 - "$T/r1/sets/$full/part-000001" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x01]))
PY
verify_to "$T/out" "$T/err" --repo "$T/r1" --level hashes
[ "$rc" -eq 5 ] || fail "hashes: exit $rc on a flipped byte, expected 5"
[ "$(grep -c 'error:' "$T/err")" -eq 1 ] &&
    grep -q "error: $full: part 1: content does not match" "$T/err" ||
	fail "hashes did not name exactly set $full part 1"
grep -q "1 problem (listed above)" "$T/out" || fail "hashes summary"
verify_to "$T/out" "$T/err" --repo "$T/r1" --level structure
[ "$rc" -eq 0 ] || fail "structure: exit $rc (sizes are unchanged)"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/r1" $key --level sample \
    --sample 100% --json
[ "$rc" -eq 5 ] || fail "sample 100%: exit $rc on a flipped byte"
grep -q "error: $full: part 1: .*/src/[a-z]*/[fs][0-9]*: not restored" \
    "$T/err" || fail "sample did not name a file of part 1"
[ "$(json "$T/out" 'sorted(set((p["set"], p["object"]) for p in d["problem_list"]))')" = "[('$full', 'part 1')]" ] ||
	fail "sample: problems outside part 1: $(json "$T/out" 'd["problem_list"]')"

log "a missing part"
cp -a "$T/repo" "$T/r2"
rm "$T/r2/sets/$full/part-000002"
verify_to "$T/out" "$T/err" --repo "$T/r2"
[ "$rc" -eq 5 ] || fail "structure: exit $rc on a missing part"
grep -q "error: $full: part 2: missing" "$T/err" ||
	fail "structure did not report part 2 missing"

log "a seal from another repository"
bkp_keygen "$T/keys2" >/dev/null
bkp_init "$T/other" "$T/keys2/repo.pub" >/dev/null
mkdir "$T/src2"
echo other >"$T/src2/file"
write_policy "$T/p2" other "$T/other" "$T/keys2" "$T/src2"
bkp backup --policy "$T/p2" >/dev/null
cp -a "$T/repo" "$T/r3"
cp "$T/other/sets/"*/seal "$T/r3/sets/$incr/seal"
verify_to "$T/out" "$T/err" --repo "$T/r3"
[ "$rc" -eq 5 ] || fail "foreign seal: exit $rc"
grep -q "sets/$incr/seal: signed by key .*not trusted" "$T/err" ||
	fail "foreign seal not refused as untrusted"
# shellcheck disable=SC2086
verify_to "$T/out" "$T/err" --repo "$T/r3" $key --json
[ "$rc" -eq 5 ] || fail "foreign seal, with the key: exit $rc"
[ "$(json "$T/out" '[(p["set"], p["problem"]) for p in d["problem_list"]]')" = "[('$incr', 'signature')]" ] ||
	fail "foreign seal: $(json "$T/out" 'd["problem_list"]')"

log "a wrong key, an unknown set, an interrupted set"
bkp_keygen "$T/keys3" >/dev/null
verify_to "$T/out" "$T/err" --repo "$T/repo" --key "$T/keys3/repo.key"
[ "$rc" -eq 6 ] || fail "wrong key: exit $rc, expected 6"
grep -q "is not the key of repository" "$T/err" || fail "wrong key message"
verify_to "$T/out" "$T/err" --repo "$T/repo" --set 20000101T000000Z-00000000
[ "$rc" -eq 7 ] || fail "unknown set: exit $rc, expected 7"
mkdir "$T/repo/sets/20000101T000000Z-0000abcd"
verify_to "$T/out" "$T/err" --repo "$T/repo" --set "$incr" --level hashes
[ "$rc" -eq 0 ] || fail "one set: exit $rc"
grep -q "1 set checked" "$T/out" || fail "--set checked more than one set"
verify_to "$T/out" "$T/err" --repo "$T/repo"
[ "$rc" -eq 0 ] || fail "interrupted set: exit $rc"
grep -q "20000101T000000Z-0000abcd  interrupted" "$T/out" ||
	fail "interrupted set not listed"
echo "verify found every damage and passed every sound check"
