#!/bin/sh
# bkp copy: local -> SFTP and SFTP -> local round trips (restores from the
# copies compared with the source), a second copy that has nothing to do,
# copies killed midway and resumed (objects already there are skipped), a
# corrupted part refused and not copied (its set and the incremental on it
# stay out, the other sets go over), and the destinations refused: another
# repository, a directory holding something else.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=sshd.sh
. "$(dirname "$0")/sshd.sh"
need_bkp
command -v strace >/dev/null || skip "strace is not installed"
sshd_start

SRC=$T/src
KEYS=$T/keys
REPO=$T/repo
TO_SSH="--to-identity $SFTP_ID --to-known-hosts $SFTP_KNOWN_HOSTS"
FROM_SSH="--from-identity $SFTP_ID --from-known-hosts $SFTP_KNOWN_HOSTS"

# json_get FILE EXPR: a value of the JSON in FILE (python expression on d).
json_get() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

# sealed URL [SSH-OPTIONS]: the sealed set ids, one a line.
sealed() {
	_url=$1
	shift
	bkp snapshots --repo "$_url" "$@" --json >"$T/snap.json" 2>/dev/null ||
		fail "bkp snapshots $_url exited $?"
	json_get "$T/snap.json" '"\n".join(s["id"] for s in d["sets"])'
}

# restore_cmp URL WANT [ARGS...]: restores from URL and compares with WANT.
restore_cmp() {
	_url=$1 _want=$2
	shift 2
	rm -rf "$T/out"
	expect_exit 0 bkp restore --repo "$_url" --key "$KEYS/repo.key" \
	    --target "$T/out" "$@" >/dev/null 2>&1
	treecmp "$_want" "$T/out$SRC" >"$T/cmp.out" || {
		cat "$T/cmp.out" >&2
		fail "restore from $_url $* differs from $_want"
	}
}

mkdir -p "$SRC/big" "$SRC/small"
python3 - "$SRC" <<'EOF'
import os, random, sys
r = random.Random(5)
for i in range(12):
    with open(os.path.join(sys.argv[1], "big", "r%02d" % i), "wb") as f:
        f.write(r.randbytes(1 << 20))
for i in range(50):
    with open(os.path.join(sys.argv[1], "small", "s%02d" % i), "w") as f:
        f.write("small %d\n" % i * (i + 1))
EOF
bkp_keygen "$KEYS" >/dev/null
bkp_init "$REPO" "$KEYS/repo.pub" >/dev/null
write_policy "$T/p" copy "$REPO" "$KEYS" "$SRC"
printf '[backup]\npart_size = 1M\n' >>"$T/p"
bkp backup --policy "$T/p" --level full >/dev/null
cp -a "$SRC" "$T/day0"
echo changed >"$SRC/small/s07"
head -c 300000 /dev/urandom >"$SRC/big/new"
bkp backup --policy "$T/p" >/dev/null
ids=$(sealed "$REPO")
A=$(echo "$ids" | sed -n 1p)
B=$(echo "$ids" | sed -n 2p)
[ -n "$B" ] || fail "expected two sets: $ids"

log "local -> SFTP"
URL=$SFTP_URL_BASE$T/remote
# shellcheck disable=SC2086
expect_exit 0 bkp copy --from "$REPO" --to "$URL" $TO_SSH --json \
    >"$T/copy.json"
[ "$(json_get "$T/copy.json" '" ".join(d["copied"])')" = "$A $B" ] ||
	fail "copied: $(cat "$T/copy.json")"
cmp "$REPO/config" "$T/remote/config" || fail "the config differs"
[ "$(sealed "$URL" --identity "$SFTP_ID" --known-hosts \
    "$SFTP_KNOWN_HOSTS")" = "$ids" ] || fail "other sets at $URL"
[ -z "$(find "$T/remote" -name '.tmp.*')" ] || fail "temporary objects left"
restore_cmp "$URL" "$SRC" --identity "$SFTP_ID" \
    --known-hosts "$SFTP_KNOWN_HOSTS"
restore_cmp "$URL" "$T/day0" --set "$A" --identity "$SFTP_ID" \
    --known-hosts "$SFTP_KNOWN_HOSTS"
# shellcheck disable=SC2086
expect_exit 0 bkp copy --from "$REPO" --to "$URL" $TO_SSH --json \
    >"$T/copy.json"
[ "$(json_get "$T/copy.json" 'len(d["copied"]), d["present"]')" = \
    "(0, 2)" ] || fail "second copy: $(cat "$T/copy.json")"

log "SFTP -> local, into a directory that does not exist yet"
# shellcheck disable=SC2086
expect_exit 0 bkp copy --from "$URL" --to "$T/back" $FROM_SSH >/dev/null
restore_cmp "$T/back" "$SRC"
expect_exit 0 bkp verify --repo "$T/back" --level hashes >/dev/null 2>&1

log "a copy to local killed at its 5th object commit, then resumed"
# Commits: config, the repository lock, A's key, part 0, part 1, part 2
# (killed before it).
strace_bkp -f -qq -o /dev/null -e trace=renameat2 \
    -e inject=renameat2:signal=KILL:when=6 \
    "$BKP" copy --from "$REPO" --to "$T/resume" >/dev/null 2>&1 &&
	fail "the copy was not killed"
[ -z "$(sealed "$T/resume")" ] || fail "a set is sealed after the kill"
[ -f "$T/resume/sets/$A/part-000001" ] || fail "part 1 was not committed"
expect_exit 0 bkp copy --from "$REPO" --to "$T/resume" --json \
    >"$T/copy.json"
[ "$(json_get "$T/copy.json" 'd["objects_skipped"]')" -eq 3 ] ||
	fail "resume skipped: $(cat "$T/copy.json")"
[ "$(sealed "$T/resume")" = "$ids" ] || fail "resumed copy: other sets"
restore_cmp "$T/resume" "$SRC"

log "a copy to SFTP killed midway, then resumed"
# Half the packets an uninterrupted copy sends (sendto), then SIGKILL.
# shellcheck disable=SC2086
strace_bkp -f -qq -o "$T/calls" -e trace=sendto \
    "$BKP" copy --from "$REPO" --to "$SFTP_URL_BASE$T/count" $TO_SSH \
    >/dev/null
half=$(($(grep -c 'sendto(' "$T/calls") / 2))
# shellcheck disable=SC2086
strace_bkp -f -qq -o /dev/null -e trace=sendto \
    -e inject=sendto:signal=KILL:when=$half \
    "$BKP" copy --from "$REPO" --to "$SFTP_URL_BASE$T/remote2" $TO_SSH \
    >/dev/null 2>&1 && fail "the copy was not killed"
done_parts=$(find "$T/remote2/sets" -name 'part-*' | wc -l)
[ "$done_parts" -ge 2 ] || fail "only $done_parts parts before the kill"
# shellcheck disable=SC2086
expect_exit 0 bkp copy --from "$REPO" --to "$SFTP_URL_BASE$T/remote2" \
    $TO_SSH --json >"$T/copy.json"
[ "$(json_get "$T/copy.json" 'd["objects_skipped"]')" -ge "$done_parts" ] ||
	fail "resume skipped: $(cat "$T/copy.json")"
restore_cmp "$SFTP_URL_BASE$T/remote2" "$SRC" --identity "$SFTP_ID" \
    --known-hosts "$SFTP_KNOWN_HOSTS"

log "a corrupted part is refused and not copied"
bkp backup --policy "$T/p" --level full >/dev/null
C=$(sealed "$REPO" | sed -n 3p)
cp -a "$REPO" "$T/bad"
part=$T/bad/sets/$A/part-000003
size=$(stat -c %s "$part")
printf 'X' | dd of="$part" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_exit 5 bkp copy --from "$T/bad" --to "$T/bad-copy" --json \
    >"$T/copy.json" 2>"$T/err"
grep -q "part-000003: hash differs from its seal" "$T/err" ||
	fail "no hash message: $(cat "$T/err")"
grep -q "set $B not copied: its parent $A was not" "$T/err" ||
	fail "no parent message: $(cat "$T/err")"
[ "$(json_get "$T/copy.json" '" ".join(d["failed"])')" = "$A $B" ] ||
	fail "failed: $(cat "$T/copy.json")"
[ ! -e "$T/bad-copy/sets/$A/part-000003" ] || fail "the bad part was copied"
[ ! -e "$T/bad-copy/sets/$A/seal" ] || fail "the bad set was sealed"
[ -z "$(find "$T/bad-copy" -name '.tmp.*')" ] || fail "temporary objects left"
[ "$(sealed "$T/bad-copy")" = "$C" ] || fail "set $C was not copied"
restore_cmp "$T/bad-copy" "$SRC"

log "destinations refused"
bkp_init "$T/other" "$KEYS/repo.pub" >/dev/null
expect_exit 8 bkp copy --from "$REPO" --to "$T/other" 2>"$T/err"
grep -q "a copy goes only to a repository of the same id" "$T/err" ||
	fail "other repository: $(cat "$T/err")"
[ -z "$(ls "$T/other/sets")" ] || fail "something was copied into another"
mkdir "$T/foreign"
echo data >"$T/foreign/file"
expect_exit 8 bkp copy --from "$REPO" --to "$T/foreign" 2>"$T/err"
grep -q "not a bkp repository and not empty (found file)" "$T/err" ||
	fail "foreign directory: $(cat "$T/err")"
expect_exit 2 bkp copy --from "$REPO" 2>/dev/null

log "a key rotation at the source reaches the copy"
expect_exit 0 bkp copy --from "$REPO" --to "$T/rot" >/dev/null
BKP_NEW_PASSPHRASE=rotated bkp key rotate --repo "$REPO" \
    --key "$KEYS/repo.key" --out "$T/newkeys" >/dev/null 2>&1 ||
	fail "bkp key rotate failed"
expect_exit 0 bkp copy --from "$REPO" --to "$T/rot" >/dev/null
cmp "$REPO/config.1" "$T/rot/config.1" || fail "config.1 not copied"
for id in $(sealed "$REPO"); do
	[ "$(cd "$REPO/sets/$id" && ls key*)" = \
	    "$(cd "$T/rot/sets/$id" && ls key*)" ] ||
		fail "set $id: other key objects in the copy"
done
rm -rf "$T/out"
expect_exit 0 env BKP_PASSPHRASE=rotated "$BKP" restore --repo "$T/rot" \
    --key "$T/newkeys/repo.key" --target "$T/out" >/dev/null 2>&1
treecmp "$SRC" "$T/out$SRC" >/dev/null || fail "the rotated copy differs"
# The old key's objects were dropped at the source, and so in the copy.
rm -rf "$T/out"
expect_exit 6 bkp restore --repo "$T/rot" --key "$KEYS/repo.key" \
    --target "$T/out" >/dev/null 2>"$T/err"
grep -q "sealed to" "$T/err" || fail "old key: $(cat "$T/err")"

echo "PASS: bkp copy round trips, resumes and refuses" >&2
