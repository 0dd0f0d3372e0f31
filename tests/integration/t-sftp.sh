#!/bin/sh
# The SFTP transport against a real OpenSSH server on 127.0.0.1 (sshd.sh):
# init, a full and an incremental backup of a tree made by mktree.sh,
# snapshots, restores compared with the source; then what must be refused:
# an unknown host key (unless --accept-new-host-key, which records it), a
# changed host key (always, and before anything is written), a wrong or
# unusable identity, a repository directory the server does not let us
# write, a missing repository.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=sshd.sh
. "$(dirname "$0")/sshd.sh"
need_bkp
sshd_start

SRC=$T/src
KEYS=$T/keys
REMOTE=$T/remote
URL=$SFTP_URL_BASE$REMOTE
POLICY=$T/policy.ini
SSHOPTS="--identity $SFTP_ID --known-hosts $SFTP_KNOWN_HOSTS"
MKTREE_LONG_MARGIN=$((${#T} + 40))
export MKTREE_LONG_MARGIN

# sftp_policy FILE NAME URL KNOWN_HOSTS [IDENTITY]: a policy backing up SRC.
sftp_policy() {
	cat >"$1" <<EOF
[policy]
name = $2
[source]
paths = $SRC
[repository]
url = $3
identity = ${5:-$SFTP_ID}
known_hosts = $4
[keys]
public = $KEYS/repo.pub
signing = $KEYS/sign.key
EOF
}

# set_ids URL: the sealed set ids, one a line (the JSON in $T/snap.json).
snapshots_json() {
	# shellcheck disable=SC2086
	bkp snapshots --repo "$1" $SSHOPTS --json >"$T/snap.json" ||
		fail "bkp snapshots exited $?"
}
set_ids() {
	snapshots_json "$1"
	python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["sets"]:
    print(s["id"])' "$T/snap.json"
}

# restore_cmp DIR WANT [ARGS...]: restores (over SFTP) into DIR and
# compares the restored source with WANT.
restore_cmp() {
	_dir=$1 _want=$2
	shift 2
	# shellcheck disable=SC2086
	expect_exit 0 bkp restore --repo "$URL" $SSHOPTS \
	    --key "$KEYS/repo.key" --target "$_dir" "$@" >/dev/null
	treecmp --symlink-mtime "$_want" "$_dir${SRC}" >"$T/cmp.out" || {
		cat "$T/cmp.out" >&2
		fail "restore $* into $_dir differs from $_want"
	}
}

# no_temporaries: no ".tmp." object is left on the server.
no_temporaries() {
	_left=$(find "$REMOTE" -name '.tmp.*' | head -3)
	[ -z "$_left" ] || fail "temporary objects left on the server: $_left"
}

log "keys, source tree, repository over SFTP"
bkp_keygen "$KEYS" >/dev/null
mktree "$SRC"
cp -a --preserve=all "$SRC" "$T/day0"
# shellcheck disable=SC2086
expect_exit 0 bkp init --repo "$URL" --pub "$KEYS/repo.pub" $SSHOPTS
[ -f "$REMOTE/config" ] && [ -d "$REMOTE/sets" ] ||
	fail "bkp init made no config and sets/ on the server"
# shellcheck disable=SC2086
expect_exit 8 bkp init --repo "$URL" --pub "$KEYS/repo.pub" $SSHOPTS \
    2>"$T/err"
grep -q "not empty" "$T/err" || fail "second init: $(cat "$T/err")"
sftp_policy "$POLICY" sftp "$URL" "$SFTP_KNOWN_HOSTS"

log "full backup (one SSH connection, audit records included), restore"
logins() { grep -c "Accepted publickey" "$T/sshd/log" || :; }
n0=$(logins)
expect_exit 0 bkp backup --policy "$POLICY" --level full >/dev/null
[ "$(logins)" -eq $((n0 + 1)) ] ||
	fail "the backup logged in $(($(logins) - n0)) times, not once"
[ -n "$(ls "$REMOTE/audit/")" ] || fail "no audit records were shipped"
id0=$(set_ids "$URL")
[ "$(echo "$id0" | wc -l)" -eq 1 ] || fail "expected one set, got: $id0"
[ -f "$REMOTE/sets/$id0/seal" ] || fail "no seal on the server for $id0"
no_temporaries
restore_cmp "$T/r0" "$SRC"

log "mutate, incremental backup, restores"
mutate "$SRC" 1
expect_exit 0 bkp backup --policy "$POLICY" --level incr >/dev/null
[ "$(set_ids "$URL" | wc -l)" -eq 2 ] || fail "expected two sets"
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["sets"]
assert s[1]["level"].startswith("incr"), s[1]
assert s[1]["parent"] == s[0]["id"], s[1]' "$T/snap.json" ||
	fail "the second set is not an incremental of the first"
no_temporaries
restore_cmp "$T/r1" "$SRC"

log "seals looked up in batches: 70 interrupted sets beside the sealed ones"
for i in $(seq 10 79); do mkdir "$REMOTE/sets/20200101T0000${i}Z-0000aa$i"; done
[ "$(set_ids "$URL" | wc -l)" -eq 2 ] || fail "sealed sets miscounted"
python3 -c 'import json, sys
i = json.load(open(sys.argv[1]))["interrupted"]
assert len(i) == 70 and i[0] == "20200101T000010Z-0000aa10", i' \
    "$T/snap.json" || fail "interrupted sets miscounted"
rmdir "$REMOTE/sets/20200101T0000"*

log "seals read all at once: one damaged, one too big for one read"
set -- $(set_ids "$URL")
[ $# -eq 2 ] || fail "expected two sets, got $*"
cp "$REMOTE/sets/$1/seal" "$T/seal1"
cp "$REMOTE/sets/$2/seal" "$T/seal2"
printf x >>"$REMOTE/sets/$1/seal"
head -c 100000 /dev/urandom >>"$REMOTE/sets/$2/seal"
snapshots_json "$URL"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert j["sets"] == [] and j["unverified"] == 2, j' "$T/snap.json" ||
	fail "damaged seals were not refused"
cp "$T/seal1" "$REMOTE/sets/$1/seal"
snapshots_json "$URL"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert [s["id"] for s in j["sets"]] == [sys.argv[2]], j
assert j["unverified"] == 1, j' "$T/snap.json" "$1" ||
	fail "a good seal beside a damaged one was not read"
cp "$T/seal2" "$REMOTE/sets/$2/seal"
[ "$(set_ids "$URL" | wc -l)" -eq 2 ] || fail "the seals put back are not read"

log "verify --level structure over SFTP: a part gone, a part grown"
# shellcheck disable=SC2086
expect_exit 0 bkp verify --repo "$URL" $SSHOPTS --level structure >/dev/null
mv "$REMOTE/sets/$1/part-000000" "$T/part0"
printf x >>"$REMOTE/sets/$2/part-000000"
# shellcheck disable=SC2086
expect_exit 5 bkp verify --repo "$URL" $SSHOPTS --level structure \
    >"$T/verify.out" 2>&1
grep "$1" "$T/verify.out" | grep -q "missing" ||
	fail "the missing part was not found: $(cat "$T/verify.out")"
grep "$2" "$T/verify.out" | grep -q "bytes, the seal says" ||
	fail "the grown part was not found: $(cat "$T/verify.out")"
mv "$T/part0" "$REMOTE/sets/$1/part-000000"
truncate -s -1 "$REMOTE/sets/$2/part-000000"
# shellcheck disable=SC2086
expect_exit 0 bkp verify --repo "$URL" $SSHOPTS --level structure >/dev/null
restore_cmp "$T/r0b" "$T/day0" --set "$id0"

log "unknown host: refused, then accepted with --accept-new-host-key"
: >"$T/kh_empty"
expect_exit 9 bkp snapshots --repo "$URL" --identity "$SFTP_ID" \
    --known-hosts "$T/kh_empty" 2>"$T/err"
grep -q "accept-new-host-key" "$T/err" && grep -q "SHA256:" "$T/err" ||
	fail "unknown host message: $(cat "$T/err")"
[ "$(grep -c '^bkp: ' "$T/err")" -eq 1 ] ||
	fail "more than one message: $(cat "$T/err")"
[ ! -s "$T/kh_empty" ] || fail "known_hosts changed without the option"
expect_exit 0 bkp snapshots --repo "$URL" --identity "$SFTP_ID" \
    --known-hosts "$T/kh_empty" --accept-new-host-key >/dev/null 2>"$T/err"
grep -q "added the host key" "$T/err" || fail "no note: $(cat "$T/err")"
grep -q "^\[127.0.0.1\]:$SFTP_PORT " "$T/kh_empty" ||
	fail "the host key was not added: $(cat "$T/kh_empty")"
expect_exit 0 bkp snapshots --repo "$URL" --identity "$SFTP_ID" \
    --known-hosts "$T/kh_empty" >/dev/null
# A known_hosts file that does not exist yet, in a directory neither.
expect_exit 0 bkp snapshots --repo "$URL" --identity "$SFTP_ID" \
    --known-hosts "$T/new/dir/kh" --accept-new-host-key >/dev/null 2>&1
grep -q "^\[127.0.0.1\]:$SFTP_PORT " "$T/new/dir/kh" ||
	fail "no new known_hosts file"

log "changed host key: refused even with --accept-new-host-key"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host_key"
printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" \
    "$(cut -d' ' -f1,2 "$T/other_host_key.pub")" >"$T/kh_changed"
cp "$T/kh_changed" "$T/kh_changed.orig"
sftp_policy "$T/changed.ini" sftp "$URL" "$T/kh_changed"
before=$(find "$REMOTE" | sort)
expect_exit 9 bkp backup --policy "$T/changed.ini" --accept-new-host-key \
    2>"$T/err"
grep -q "CHANGED" "$T/err" && grep -q "SHA256:" "$T/err" &&
    grep -q "administrator" "$T/err" ||
	fail "changed key message: $(cat "$T/err")"
[ "$(find "$REMOTE" | sort)" = "$before" ] ||
	fail "something was written after a changed host key"
cmp -s "$T/kh_changed" "$T/kh_changed.orig" ||
	fail "known_hosts was changed after a changed host key"
expect_exit 9 bkp init --repo "$URL.new" --pub "$KEYS/repo.pub" \
    --identity "$SFTP_ID" --known-hosts "$T/kh_changed" \
    --accept-new-host-key 2>/dev/null
[ ! -e "$REMOTE.new" ] || fail "init created a directory on a changed key"

log "wrong and unusable identities"
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
expect_exit 9 bkp snapshots --repo "$URL" --identity "$T/stranger" \
    --known-hosts "$SFTP_KNOWN_HOSTS" 2>"$T/err"
grep -q "authentication failed for $SFTP_USER@127.0.0.1" "$T/err" ||
	fail "wrong identity message: $(cat "$T/err")"
expect_exit 9 bkp snapshots --repo "$URL" --identity "$T/missing_key" \
    --known-hosts "$SFTP_KNOWN_HOSTS" 2>"$T/err"
grep -q "cannot read the identity $T/missing_key" "$T/err" ||
	fail "missing identity message: $(cat "$T/err")"
ssh-keygen -q -t ed25519 -N 'secret words' -f "$T/locked"
expect_exit 9 bkp snapshots --repo "$URL" --identity "$T/locked" \
    --known-hosts "$SFTP_KNOWN_HOSTS" 2>"$T/err" </dev/null
grep -q "passphrase" "$T/err" ||
	fail "passphrase-protected identity message: $(cat "$T/err")"
# No identity at all: no agent, no ~/.ssh/id_* in the test's HOME.
expect_exit 9 bkp snapshots --repo "$URL" \
    --known-hosts "$SFTP_KNOWN_HOSTS" 2>"$T/err"
grep -q "authentication failed" "$T/err" ||
	fail "no identity message: $(cat "$T/err")"
# The defaults: ~/.ssh/id_ed25519 and ~/.ssh/known_hosts of the (test) HOME.
mkdir -p "$HOME/.ssh"
cp "$SFTP_ID" "$HOME/.ssh/id_ed25519"
cp "$SFTP_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
expect_exit 0 bkp snapshots --repo "$URL" >/dev/null

log "missing repository, bad URLs"
# shellcheck disable=SC2086
expect_exit 8 bkp snapshots --repo "$URL/nowhere" $SSHOPTS 2>"$T/err"
grep -q "nowhere" "$T/err" || fail "missing repo message: $(cat "$T/err")"
expect_exit 2 bkp snapshots --repo "sftp://127.0.0.1" 2>/dev/null
expect_exit 2 bkp snapshots --repo "sftp://u@127.0.0.1:99999/x" 2>/dev/null
# Nothing listens on port 1.
expect_exit 9 bkp snapshots --repo "sftp://u@127.0.0.1:1/x" 2>"$T/err"
grep -q "cannot connect" "$T/err" || fail "refused port: $(cat "$T/err")"
# sftp://host/path: the current user.
expect_exit 0 bkp snapshots --repo "sftp://127.0.0.1:$SFTP_PORT$REMOTE" \
    >/dev/null

log "a repository directory the server does not let us write"
# As root the server ignores permissions: the repository then belongs to
# nobody, who logs in with the same key.
if [ "$(id -u)" = 0 ]; then
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	chmod 711 "$T"
	ro_user=nobody
else
	ro_user=$SFTP_USER
fi
RO=$T/ro
mkdir "$RO"
[ "$ro_user" = "$SFTP_USER" ] || chown "$ro_user" "$RO"
RO_URL=sftp://$ro_user@127.0.0.1:$SFTP_PORT$RO/repo
# shellcheck disable=SC2086
expect_exit 0 bkp init --repo "$RO_URL" --pub "$KEYS/repo.pub" $SSHOPTS \
    >/dev/null
chmod 555 "$RO/repo/sets"
sftp_policy "$T/ro.ini" ro "$RO_URL" "$SFTP_KNOWN_HOSTS"
expect_exit 4 bkp backup --policy "$T/ro.ini" 2>"$T/err"
grep -q "permission denied" "$T/err" && grep -q "$RO/repo/sets" "$T/err" ||
	fail "permission message: $(cat "$T/err")"
[ -z "$(ls "$RO/repo/sets")" ] || fail "a refused backup left something"
chmod 755 "$RO/repo/sets"
expect_exit 0 bkp backup --policy "$T/ro.ini" >/dev/null 2>&1
[ "$(set_ids "$RO_URL" | wc -l)" -eq 1 ] || fail "no set after chmod 755"

log "an object's name taken while it is written: refused, never replaced"
# The first part's name is made on the server while the part uploads:
# the rename of its commit, sent while the next object is written, is
# refused, and the backup fails without touching the object.
TAKEN=$T/taken
mkdir -p "$TAKEN/src"
head -c $((48 * 1024 * 1024)) /dev/urandom >"$TAKEN/src/big"
# shellcheck disable=SC2086
expect_exit 0 bkp init --repo "$SFTP_URL_BASE$TAKEN/repo" \
    --pub "$KEYS/repo.pub" $SSHOPTS >/dev/null
sftp_policy "$T/taken.ini" taken "$SFTP_URL_BASE$TAKEN/repo" \
    "$SFTP_KNOWN_HOSTS"
sed -i "s|^paths = .*|paths = $TAKEN/src|" "$T/taken.ini"
"$BKP" backup --policy "$T/taken.ini" >/dev/null 2>"$T/err" &
backup_pid=$!
python3 - "$TAKEN/repo/sets" <<'PY' || fail "no set directory appeared"
import os, sys, time
sets = sys.argv[1]
for _ in range(2000):
    for d in os.listdir(sets):
        with open(os.path.join(sets, d, "part-000000"), "x") as f:
            f.write("taken\n")
        sys.exit(0)
    time.sleep(0.005)
sys.exit(1)
PY
taken_rc=0
wait "$backup_pid" || taken_rc=$?
[ "$taken_rc" -eq 4 ] || fail "exit $taken_rc with the name taken: $(cat "$T/err")"
grep -q "part-000000: cannot rename into place: an object of that name" \
    "$T/err" || fail "name taken message: $(cat "$T/err")"
[ "$(cat "$TAKEN"/repo/sets/*/part-000000)" = taken ] ||
	fail "an object was replaced"
[ -z "$(find "$TAKEN/repo/sets" -name seal -o -name '.tmp.*')" ] ||
	fail "a seal or a temporary file after a refused rename"

log "a full disk on the server"
# A 4 MiB tmpfs holds the repository; 8 MiB of random data do not fit.
FULL=$T/full
mkdir "$FULL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m,mode=700 bkp-test "$FULL"
then
	_full_exit() {
		_fe_rc=$?
		set +e
		umount "$FULL" 2>/dev/null || umount -l "$FULL" 2>/dev/null
		(exit "$_fe_rc")
		_sshd_exit
	}
	trap _full_exit EXIT
	mkdir "$T/random"
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/random/data"
	# shellcheck disable=SC2086
	expect_exit 0 bkp init --repo "$SFTP_URL_BASE$FULL/repo" \
	    --pub "$KEYS/repo.pub" $SSHOPTS >/dev/null
	sftp_policy "$T/full.ini" full "$SFTP_URL_BASE$FULL/repo" \
	    "$SFTP_KNOWN_HOSTS"
	sed -i "s|^paths = .*|paths = $T/random|" "$T/full.ini"
	expect_exit 12 bkp backup --policy "$T/full.ini" 2>"$T/err"
	grep -q "no space left on the server" "$T/err" ||
		fail "full disk message: $(cat "$T/err")"
	[ -z "$(find "$FULL/repo/sets" -name seal)" ] ||
		fail "a set was sealed on a full disk"
	# 4.5 MiB: every write is still in flight when the part is
	# committed, so the refusals come while the next object is written.
	head -c $((9 * 512 * 1024)) /dev/urandom >"$T/random/data"
	expect_exit 12 bkp backup --policy "$T/full.ini" 2>"$T/err"
	grep -q "no space left on the server" "$T/err" ||
		fail "full disk message, commit in flight: $(cat "$T/err")"
	[ -z "$(find "$FULL/repo/sets" -name seal)" ] ||
		fail "a set was sealed on a full disk (commit in flight)"
	[ -z "$(find "$FULL/repo/sets" -name '.tmp.*')" ] ||
		fail "temporary files left on a full disk"
	# The server's sftp processes of the last connection may still be
	# going away: then the mount goes once they have.
	umount "$FULL" 2>/dev/null || umount -l "$FULL"
	trap _sshd_exit EXIT
else
	log "(skipped: needs root and a tmpfs mount)"
fi

echo "PASS: SFTP backup, restore and refusals" >&2
