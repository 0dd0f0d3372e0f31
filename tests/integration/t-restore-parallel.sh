#!/bin/sh
# Restoring a set of many parts, which restore reads with several workers
# at once: every kind of entry comes back as it was (treecmp), a damaged
# part loses only its own files, and a restore by an unprivileged user
# gives the same content, modes (without set-id bits on files it cannot
# own) and times.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_bkp

SRC=$T/src
KEYS=$T/keys
REPO=$T/repo
POLICY=$T/policy.ini

log "a tree of every kind of entry, and 24 incompressible files"
mktree "$SRC"
mkdir "$SRC/bulk" "$SRC/bulk/a" "$SRC/bulk/b"
i=0
while [ "$i" -lt 24 ]; do
	d=a
	[ $((i % 2)) -eq 0 ] || d=b
	head -c 307200 /dev/urandom >"$SRC/bulk/$d/f$i"
	i=$((i + 1))
done

bkp_keygen "$KEYS"
bkp_init "$REPO" "$KEYS/repo.pub"
write_policy "$POLICY" parallel "$REPO" "$KEYS" "$SRC"
printf '[backup]\npart_size = 1M\n' >>"$POLICY"
expect_exit 0 bkp backup --policy "$POLICY" --level full
set=$(ls "$REPO/sets")
nparts=$(find "$REPO/sets/$set" -name 'part-*' | wc -l)
[ "$nparts" -ge 6 ] || fail "expected at least 6 parts, the set has $nparts"

log "full restore of $nparts parts"
mkdir "$T/r1"
expect_exit 0 bkp restore --repo "$REPO" --key "$KEYS/repo.key" \
    --target "$T/r1" --json >"$T/r1.json"
python3 - "$T/r1.json" "$nparts" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["parts_read"] == int(sys.argv[2]), r
assert r["failed"] == 0, r
EOF
treecmp --symlink-mtime "$SRC" "$T/r1/${SRC#/}" ||
	fail "the restored tree differs from the source"
[ -z "$(find "$T/r1" -name '.bkp-restore.*')" ] ||
	fail "temporary files left in the target"

log "a damaged part loses its own files only"
# One byte of the ciphertext of part 2 flipped.
part=2
pfile=$(printf '%s/sets/%s/part-%06u' "$REPO" "$set" "$part")
[ -f "$pfile" ] || fail "no part file $pfile"
cp "$pfile" "$T/part.orig"
python3 - "$pfile" <<'EOF'
import os, sys
with open(sys.argv[1], "r+b") as f:
    size = os.fstat(f.fileno()).st_size
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0x40]))
EOF
mkdir "$T/r2"
expect_exit 10 bkp restore --repo "$REPO" --key "$KEYS/repo.key" \
    --target "$T/r2" --json >"$T/r2.json" 2>"$T/r2.err"
grep -q "part $part of set $set is damaged" "$T/r2.err" ||
	fail "no line naming the damaged part $part"
# Files of the other parts are there, and whatever is there under its
# real name has the right content.
n_ok=0
for f in "$SRC"/bulk/*/*; do
	got=$T/r2/${f#/}
	if [ -e "$got" ]; then
		cmp -s "$f" "$got" || fail "$got restored with other content"
		n_ok=$((n_ok + 1))
	fi
done
[ "$n_ok" -ge 12 ] || fail "only $n_ok of 24 bulk files restored"
python3 - "$T/r2.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["failed"] > 0, r
EOF
cp "$T/part.orig" "$pfile"

log "restore by an unprivileged user"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	log "not root, or no setpriv: skipping the unprivileged restore"
	exit 0
fi
U=65534
chmod 0711 "$T"
mkdir "$T/nobody"
cp -a "$REPO" "$T/nobody/repo"
cp "$KEYS/repo.key" "$T/nobody/repo.key"
mkdir "$T/nobody/state" "$T/nobody/r3"
chown -R "$U:$U" "$T/nobody"
chmod 0711 "$T/nobody"
rc=0
setpriv --reuid=$U --regid=$U --clear-groups \
    env BKP_STATE_DIR="$T/nobody/state" HOME="$T/nobody" \
    "$BKP" restore --repo "$T/nobody/repo" --key "$T/nobody/repo.key" \
    --target "$T/nobody/r3" "${SRC#/}/files/" "${SRC#/}/bulk/" \
    "${SRC#/}/sparse/" 2>"$T/r3.err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$T/r3.err" >&2; fail "unprivileged restore exited $rc"; }
for d in files bulk sparse; do
	treecmp --no-owner --symlink-mtime "$SRC/$d" \
	    "$T/nobody/r3/${SRC#/}/$d" >"$T/cmp3.out" || :
	# A file of another owner loses its set-id bits, as with tar.
	if grep -v '^set[ug]id: mode: ' "$T/cmp3.out" | grep -q .; then
		cat "$T/cmp3.out" >&2
		fail "unprivileged restore of $d differs from the source"
	fi
done
