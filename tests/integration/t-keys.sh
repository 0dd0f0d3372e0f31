#!/bin/sh
# t-keys.sh: the life of keys.  passwd changes a key's passphrase (the old
# one is refused afterwards); key rotation over a repository with several
# chains (full + incremental, two policies), interrupted and resumed, then
# every set restored with the new key once the old key file is gone, and
# the old key opening nothing; trust and revoke of signing keys; and
# crypto-shredding: a destroyed set's parts, put back, cannot be decrypted
# with any key; a whole repository destroyed.
. "$(dirname "$0")/lib.sh"
need_bkp
command -v strace >/dev/null || skip "strace is not installed"

bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
for p in one two; do
	mkdir -p "$T/src-$p/d"
	echo "$p" >"$T/src-$p/a"
	head -c 200000 /dev/urandom >"$T/src-$p/d/big"
	write_policy "$T/$p.policy" "$p" "$T/repo" "$T/keys" "$T/src-$p"
done

# backup_day N: a set of each policy (N=1: full), and a copy of each tree.
backup_day() {
	for p in one two; do
		echo "day $1" >"$T/src-$p/day$1"
		bkp backup --policy "$T/$p.policy" >/dev/null
		rm -rf "$T/copy-$p-$1"
		cp -a "$T/src-$p" "$T/copy-$p-$1"
	done
}

# restores_all KEY [PASSPHRASE]: every set of both policies restores with
# KEY and equals its day's copy.
restores_all() {
	for p in one two; do
		n=1
		for id in $(sets_of "$p"); do
			rm -rf "$T/r"
			BKP_PASSPHRASE=${2:-$BKP_PASSPHRASE} "$BKP" restore \
			    --repo "$T/repo" --key "$1" --set "$id" \
			    --target "$T/r" >/dev/null 2>"$T/r.err" ||
				{ cat "$T/r.err" >&2; fail "restore $id with $1"; }
			treecmp "$T/copy-$p-$n" "$T/r${T}/src-$p" ||
				fail "set $id restored with $1 differs"
			n=$((n + 1))
		done
	done
}

# sets_of POLICY: its set ids, oldest first.
sets_of() {
	"$BKP" snapshots --repo "$T/repo" --json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sets"]:
    if s["policy"] == sys.argv[1]:
        print(s["id"])' "$1"
}

backup_day 1
backup_day 2
[ "$(ls "$T/repo/sets" | wc -l)" -eq 4 ] || fail "expected 4 sets"

log "passwd: a new passphrase, the old one refused"
cp "$T/keys/repo.key" "$T/repo.key.before"
BKP_NEW_PASSPHRASE="second passphrase" bkp key passwd --key "$T/keys/repo.key" \
    >/dev/null || fail "key passwd"
[ "$(stat -c %a "$T/keys/repo.key")" = 600 ] || fail "repo.key is not 0600"
cmp -s "$T/keys/repo.key" "$T/repo.key.before" && fail "the file is unchanged"
rc=0
"$BKP" restore --repo "$T/repo" --key "$T/keys/repo.key" --target "$T/x" \
    >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 6 ] && grep -q "wrong passphrase" "$T/err" ||
	fail "the old passphrase still opens the key (exit $rc)"
BKP_PASSPHRASE="second passphrase"
export BKP_PASSPHRASE
restores_all "$T/keys/repo.key"
grep -q '"event":"key.passwd"' "$BKP_STATE_DIR/audit.log" ||
	fail "no audit record of the passphrase change"

log "rotate, interrupted after the config and one key object: both keys work"
NEWPASS="rotated passphrase"
rc=0
BKP_NEW_PASSPHRASE=$NEWPASS strace_bkp -f -qq -o /dev/null \
    -e inject=renameat2:when=4:signal=KILL \
    "$BKP" key rotate --repo "$T/repo" --key "$T/keys/repo.key" \
    --out "$T/new" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 137 ] || fail "rotate was not killed (exit $rc)"
[ "$(ls "$T"/repo/sets/*/key.* | wc -l)" -eq 1 ] ||
	fail "expected one key object of the new key: $(ls "$T"/repo/sets/*)"
[ -e "$T/repo/config.1" ] || fail "the config did not change first"
restores_all "$T/keys/repo.key"
# (Its manifest, decrypted: restoring it could need a parent not re-sealed
# yet.)
BKP_PASSPHRASE=$NEWPASS bkp verify --repo "$T/repo" --key "$T/new/repo.key" \
    --set "$(basename "$(dirname "$(ls "$T"/repo/sets/*/key.*)")")" \
    >/dev/null || fail "the new key cannot open the set already re-sealed"

log "rotate, resumed: every set re-sealed, the config switched"
BKP_NEW_PASSPHRASE=$NEWPASS bkp key rotate --repo "$T/repo" \
    --key "$T/keys/repo.key" --out "$T/new" >"$T/rot.out" ||
	fail "the resumed rotation failed"
cat "$T/rot.out" >&2
grep -q "3 re-sealed, 1 done before, 4 old key objects removed, 0 failed" \
    "$T/rot.out" || fail "unexpected rotation counts"
[ "$(ls "$T"/repo/sets/*/key.* | wc -l)" -eq 4 ] &&
    [ -z "$(ls "$T"/repo/sets/*/key 2>/dev/null)" ] ||
	fail "the key objects are not those of the new key only"
[ -e "$T/repo/config.1" ] || fail "no new config generation"
[ "$(stat -c %a "$T/new/repo.key")" = 600 ] || fail "new repo.key not 0600"
cmp -s "$T/new/repo.pub" "$T/keys/repo.pub" && fail "repo.pub did not change"
mv "$T/keys/repo.key" "$T/old.key"

log "every set restores with the new key, the old key file gone"
restores_all "$T/new/repo.key" "$NEWPASS"
rc=0
"$BKP" restore --repo "$T/repo" --key "$T/old.key" --target "$T/x" \
    >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 6 ] && grep -q "no data key for key" "$T/err" ||
	fail "the old key still opens a set (exit $rc)"
BKP_PASSPHRASE=$NEWPASS bkp verify --repo "$T/repo" --key "$T/new/repo.key" \
    --level full >/dev/null || fail "verify --level full with the new key"
bkp verify --repo "$T/repo" --level hashes >/dev/null ||
	fail "verify --level hashes after the rotation"

log "backups: the old public key refused, the new one works"
expect_exit 6 "$BKP" backup --policy "$T/one.policy" 2>/dev/null
for p in one two; do
	sed -i "s|^public = .*|public = $T/new/repo.pub|" "$T/$p.policy"
done
backup_day 3
restores_all "$T/new/repo.key" "$NEWPASS"
bkp key rotate --repo "$T/repo" --key "$T/new/repo.key" --out "$T/new" \
    --passphrase-file /dev/stdin >/dev/null 2>&1 <<EOF && fail "rotated to itself"
$NEWPASS
EOF
python3 - "$BKP_STATE_DIR/audit.log" <<'PY' || fail "no audit record of rotation"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in r if x["event"] == "key.rotate" and x["status"] == 0]
assert r and r[-1]["note"].startswith("3 re-sealed"), r
PY

log "trust and revoke a signing key"
bkp_keygen "$T/k2" >/dev/null
write_policy "$T/three.policy" three "$T/repo" "$T/k2" "$T/src-one"
sed -i "s|^public = .*|public = $T/new/repo.pub|" "$T/three.policy"
expect_exit 6 "$BKP" backup --policy "$T/three.policy" 2>/dev/null
bkp key trust --repo "$T/repo" --pub "$T/k2/repo.pub" >/dev/null
bkp backup --policy "$T/three.policy" >/dev/null
third=$(sets_of three)
[ -n "$third" ] || fail "snapshots does not list the new signer's set"
bkp verify --repo "$T/repo" >/dev/null || fail "verify before revoke"
signer=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "keygen" and r["target"].endswith("/k2"):
        print(r["what"].split()[-1])' "$BKP_STATE_DIR/audit.log")
bkp key revoke --repo "$T/repo" --signer "$signer" >/dev/null
[ -z "$(sets_of three 2>/dev/null)" ] || fail "a revoked signer's set is listed"
rc=0
"$BKP" verify --repo "$T/repo" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 5 ] && grep -q "which is revoked" "$T/err" ||
	fail "verify does not report the revoked signer's set (exit $rc)"
expect_exit 6 "$BKP" backup --policy "$T/three.policy" 2>/dev/null
expect_exit 6 "$BKP" key trust --repo "$T/repo" --pub "$T/k2/repo.pub" \
    2>/dev/null
# The signer of the sets of one and two: revoking it makes them untrusted
# by restore too; first it is refused as the last signer.
main=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "keygen" and r["target"].endswith("/keys"):
        print(r["what"].split()[-1])' "$BKP_STATE_DIR/audit.log")
expect_exit 2 "$BKP" key revoke --repo "$T/repo" --signer "$main" 2>/dev/null
cp -a "$T/repo" "$T/repo-revoked"
bkp_keygen "$T/k3" >/dev/null
bkp key trust --repo "$T/repo-revoked" --pub "$T/k3/repo.pub" >/dev/null
bkp key revoke --repo "$T/repo-revoked" --signer "$main" >/dev/null
rc=0
BKP_PASSPHRASE=$NEWPASS "$BKP" restore --repo "$T/repo-revoked" \
    --key "$T/new/repo.key" --target "$T/x" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q "which is revoked" "$T/err" ||
	fail "restore trusted a set sealed by a revoked key (exit $rc)"

log "destroy: a parent with children refused; a set shredded"
set -- $(sets_of one)
expect_exit 2 "$BKP" destroy --policy "$T/one.policy" --set "$1" 2>/dev/null
last=$3
cp -a "$T/repo/sets/$last" "$T/aside"
bkp destroy --policy "$T/one.policy" --set "$last" >/dev/null
[ ! -e "$T/repo/sets/$last" ] || fail "the set is still there"
python3 - "$BKP_STATE_DIR/audit.log" "$last" <<'PY' || fail "no destroy record"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
d = [x for x in r if x["event"] == "destroy.set" and x["set"] == sys.argv[2]]
assert d and d[-1]["note"].startswith("crypto-shredded: seal, then 1 data"), d
PY
# Its parts put back, with its seal and manifest, but no key object.
mkdir "$T/repo/sets/$last"
cp "$T/aside/seal" "$T/aside/manifest" "$T"/aside/part-* "$T/repo/sets/$last/"
rc=0
BKP_PASSPHRASE=$NEWPASS "$BKP" restore --repo "$T/repo" --key "$T/new/repo.key" \
    --set "$last" --target "$T/shredded" >/dev/null 2>"$T/err" || rc=$?
cat "$T/err" >&2
[ "$rc" -eq 7 ] && grep -q "data key was destroyed, and its parts cannot be decrypted" \
    "$T/err" || fail "a destroyed set's parts were readable (exit $rc)"
[ -z "$(find "$T/shredded" -type f 2>/dev/null)" ] ||
	fail "a file of the destroyed set was restored"

log "destroy --all: the whole repository, keys first"
id=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "init":
        print(r["what"])' "$BKP_STATE_DIR/audit.log" | head -1)
expect_exit 2 "$BKP" destroy --repo "$T/repo" --all --confirm 0123 2>/dev/null
bkp destroy --repo "$T/repo" --all --confirm "$id" >/dev/null
[ -z "$(ls -A "$T/repo")" ] || fail "destroy --all left: $(ls -A "$T/repo")"
grep -q '"event":"destroy.repo"' "$BKP_STATE_DIR/audit.log" ||
	fail "no audit record of the destruction"
bkp audit verify >/dev/null || fail "the audit log does not verify"

echo "keys: passwd, rotation, trust, revoke and destruction work"
