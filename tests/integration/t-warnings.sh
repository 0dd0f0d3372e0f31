#!/bin/sh
# Files that vanish, change or cannot be read during a backup are warnings
# recorded in the set (exit status 1), never an aborted or corrupt set.
# strace delays exactly the system call of one file (-P) while the test
# removes or grows it, so the races are reproducible.
. "$(dirname "$0")/lib.sh"
need_bkp
command -v strace >/dev/null || skip "strace is not installed"

src=$T/src
mkdir -p "$src/dir"
for i in 1 2 3 4 5; do echo "file $i" >"$src/dir/f$i"; done
echo "will vanish" >"$src/vanish"
head -c 3000000 /dev/zero >"$src/growing"
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/p" warn "$T/repo" "$T/keys" "$src"

# A file that disappears between the directory listing and its open: the
# listing's close is delayed.
(sleep 0.5; rm -f "$src/vanish") &
rc=0
strace_bkp -f -qq -o /dev/null -P "$src" \
    -e inject=close:delay_enter=1500000:when=1 \
    "$BKP" backup --policy "$T/p" --level full 2>"$T/err1" || rc=$?
wait
cat "$T/err1" >&2
[ "$rc" -eq 1 ] || fail "vanished file: exit $rc, expected 1 (warnings)"
grep -q "vanish: No such file or directory" "$T/err1" ||
	fail "no warning naming the vanished file"

# A file that grows while it is read.
(sleep 0.5; echo appended >>"$src/growing") &
rc=0
strace_bkp -f -qq -o /dev/null -P "$src/growing" \
    -e inject=read:delay_enter=1500000:when=1 \
    "$BKP" backup --policy "$T/p" --level full 2>"$T/err2" || rc=$?
wait
cat "$T/err2" >&2
[ "$rc" -eq 1 ] || fail "growing file: exit $rc, expected 1 (warnings)"
grep -q "growing: changed while being read" "$T/err2" ||
	fail "no warning naming the file that changed"

# Both sets are sealed, list their warnings, and restore.
bkp snapshots --repo "$T/repo" --json >"$T/snap.json"
python3 - "$T/snap.json" <<'PY' || fail "sets do not record their warnings"
import json, sys
sets = json.load(open(sys.argv[1]))["sets"]
assert len(sets) == 2 and all(s["warnings"] == 1 for s in sets), sets
PY
bkp restore --repo "$T/repo" --key "$T/keys/repo.key" --target "$T/out" \
    >/dev/null || fail "restore of a set with warnings failed"
cmp "$src/dir/f3" "$T/out$src/dir/f3" || fail "restored content differs"
[ "$(head -c 3000000 "$T/out$src/growing" | tr -d '\0' | wc -c)" -eq 0 ] ||
	fail "the file that changed was not stored as read"

# The file that changed is read again by the next incremental.
bkp backup --policy "$T/p" --json >"$T/incr.json"
python3 - "$T/incr.json" <<'PY' || fail "changed file was not re-read"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["files_stored"] >= 1 and d["bytes_read"] >= 3000000, d
PY

# Unreadable files and directories, for a user who cannot read them.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	u=$T/user
	chmod 755 "$T"
	mkdir -p "$u/src/secret-dir"
	echo ok >"$u/src/readable"
	echo no >"$u/src/secret"
	echo no >"$u/src/secret-dir/inside"
	chmod 000 "$u/src/secret" "$u/src/secret-dir"
	chown -R nobody "$u"
	as_nobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    env BKP_STATE_DIR="$u/state" HOME="$u" "$@"
	}
	as_nobody "$BKP" keygen --out "$u/keys" >/dev/null
	as_nobody "$BKP" init --repo "$u/repo" --pub "$u/keys/repo.pub" \
	    >/dev/null
	write_policy "$u/p" user "$u/repo" "$u/keys" "$u/src"
	chown nobody "$u/p"
	rc=0
	as_nobody "$BKP" backup --policy "$u/p" 2>"$T/err3" || rc=$?
	cat "$T/err3" >&2
	[ "$rc" -eq 1 ] || fail "unreadable files: exit $rc, expected 1"
	grep -q "src/secret: Permission denied" "$T/err3" ||
		fail "no warning naming the unreadable file"
	grep -q "secret-dir: Permission denied" "$T/err3" ||
		fail "no warning naming the unreadable directory"
	as_nobody "$BKP" restore --repo "$u/repo" --key "$u/keys/repo.key" \
	    --target "$u/out" >/dev/null || fail "restore as nobody failed"
	[ "$(cat "$u/out$u/src/readable")" = ok ] ||
		fail "readable file not restored"
else
	echo "not root: the unreadable-file case is skipped" >&2
fi
echo "vanished, changed and unreadable files are warnings in a good set"
