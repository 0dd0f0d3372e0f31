#!/bin/sh
# A policy with several repositories ([repository] offsite): every backup
# ends up in all of them with the same set id and bytes; the run names the
# targets and how they fared (text and JSON); a failing target fails only
# its own copy (exit status 14), and catches up on the next backup once it
# is back; bkp status warns while an offsite repository is behind or
# unreachable; a policy without offsite works as before.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=sshd.sh
. "$(dirname "$0")/sshd.sh"
need_bkp
sshd_start

SRC=$T/src
KEYS=$T/keys
REPO=$T/repo
OFF1=$SFTP_URL_BASE$T/off1
OFF2=$T/off2
POLICIES=$T/policies

json_get() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

# sealed URL: the sealed set ids, one a line.
sealed() {
	bkp snapshots --repo "$1" --identity "$SFTP_ID" \
	    --known-hosts "$SFTP_KNOWN_HOSTS" --json >"$T/snap.json" \
	    2>/dev/null || fail "bkp snapshots $1 exited $?"
	json_get "$T/snap.json" '"\n".join(s["id"] for s in d["sets"])'
}

# policy OFFSITE-LINES: the policy, in $POLICIES/o.policy.
policy() {
	mkdir -p "$POLICIES"
	cat >"$POLICIES/o.policy" <<EOF
[policy]
name = o
[source]
paths = $SRC
[repository]
url = $REPO
$1
identity = $SFTP_ID
known_hosts = $SFTP_KNOWN_HOSTS
retry_attempts = 1
[keys]
public = $KEYS/repo.pub
signing = $KEYS/sign.key
EOF
}

# status: bkp status into $T/status (exit 0, or 1 with warnings: early in
# this test there are fewer sets than min_versions).
status() {
	_st=0
	bkp status --policies "$POLICIES" >"$T/status" || _st=$?
	[ "$_st" -le 1 ] || fail "bkp status exited $_st"
}

mktree "$SRC"
bkp_keygen "$KEYS" >/dev/null
bkp_init "$REPO" "$KEYS/repo.pub" >/dev/null

log "no offsite: as before, one target in the JSON"
policy ""
expect_exit 0 bkp backup --policy "$POLICIES/o.policy" --json >"$T/b.json"
[ "$(json_get "$T/b.json" '[(t["role"], t["ok"]) for t in d["targets"]]')" \
    = "[('primary', True)]" ] || fail "targets: $(cat "$T/b.json")"

log "two offsite repositories (SFTP, local), new and empty"
policy "offsite = $OFF1
    $OFF2"
bkp policy check "$POLICIES/o.policy" >/dev/null ||
	fail "the policy does not check"
mutate "$SRC" 1
expect_exit 0 bkp backup --policy "$POLICIES/o.policy" --json >"$T/b.json"
json_get "$T/b.json" '[(t["url"], t["ok"], t.get("sets_copied")) for t in
    d["targets"]]' >"$T/targets"
[ "$(cat "$T/targets")" = "[('$REPO', True, None), ('$OFF1', True, 2), \
('$OFF2', True, 2)]" ] || fail "targets: $(cat "$T/targets")"
ids=$(sealed "$REPO")
[ "$(sealed "$OFF1")" = "$ids" ] || fail "$OFF1 has other sets"
[ "$(sealed "$OFF2")" = "$ids" ] || fail "$OFF2 has other sets"
new=$(json_get "$T/b.json" 'd["set"]')
cmp "$REPO/sets/$new/seal" "$T/off1/sets/$new/seal" || fail "seals differ"
rm -rf "$T/out"
expect_exit 0 bkp restore --repo "$OFF1" --identity "$SFTP_ID" \
    --known-hosts "$SFTP_KNOWN_HOSTS" --key "$KEYS/repo.key" \
    --target "$T/out" >/dev/null 2>&1
treecmp --symlink-mtime "$SRC" "$T/out$SRC" >/dev/null ||
	fail "the offsite copy does not restore the source"
status
! grep -q offsite "$T/status" || fail "status warns: $(cat "$T/status")"

log "text report"
mutate "$SRC" 2
expect_exit 0 bkp backup --policy "$POLICIES/o.policy" >"$T/b.txt"
grep -q "^offsite $OFF1: ok, 1 set copied" "$T/b.txt" ||
	fail "report: $(cat "$T/b.txt")"
grep -q "^offsite $OFF2: ok, 1 set copied" "$T/b.txt" ||
	fail "report: $(cat "$T/b.txt")"

log "one offsite target down: the others still get the set, exit 14"
mv "$T/off2" "$T/off2.away"
: >"$T/off2"	# a file where the repository was
mutate "$SRC" 3
expect_exit 14 bkp backup --policy "$POLICIES/o.policy" --json \
    >"$T/b.json" 2>"$T/err"
json_get "$T/b.json" '[(t["ok"], t["status"] > 0, "error" in t)
    for t in d["targets"]]' >"$T/targets"
[ "$(cat "$T/targets")" = \
    "[(True, False, False), (True, False, False), (False, True, True)]" ] ||
	fail "targets: $(cat "$T/targets")"
grep -q "offsite $OFF2: copy failed" "$T/err" || fail "$(cat "$T/err")"
[ "$(sealed "$OFF1")" = "$(sealed "$REPO")" ] || fail "$OFF1 is behind"
status
grep -q "offsite $OFF2 unreachable" "$T/status" ||
	fail "status: $(cat "$T/status")"

log "back, but behind: status warns; the next backup catches up"
rm "$T/off2"
mv "$T/off2.away" "$T/off2"
status
grep -q "offsite $OFF2 is behind (3 of 4 sets" "$T/status" ||
	fail "status: $(cat "$T/status")"
expect_exit 0 bkp backup --policy "$POLICIES/o.policy" --json >"$T/b.json"
[ "$(json_get "$T/b.json" 'd["targets"][2]["sets_copied"]')" -eq 2 ] ||
	fail "catch-up: $(cat "$T/b.json")"
[ "$(sealed "$OFF2")" = "$(sealed "$REPO")" ] || fail "$OFF2 did not catch up"
status
! grep -q offsite "$T/status" || fail "status warns: $(cat "$T/status")"

log "an SFTP target that refuses connections"
policy "offsite = sftp://$SFTP_USER@127.0.0.1:1$T/nowhere"
expect_exit 14 bkp backup --policy "$POLICIES/o.policy" >"$T/b.txt" \
    2>"$T/err"
grep -q "^offsite sftp://.*: FAILED (transport error)" "$T/b.txt" ||
	fail "report: $(cat "$T/b.txt")"

log "bkp run: an offsite failure is a failed run (14)"
# A new policy name: nothing of it in the repository, so a backup is due.
sed -i 's/^name = o$/name = o2/' "$POLICIES/o.policy"
expect_exit 14 bkp run --policies "$POLICIES" 2>"$T/err"
grep -q "policy o2: offsite sftp://.*: copy failed" "$T/err" ||
	fail "bkp run: $(cat "$T/err")"
policy "offsite = relative/path"
expect_exit 14 bkp backup --policy "$POLICIES/o.policy" >/dev/null \
    2>"$T/err"
grep -q "expected an absolute path or an sftp:// URL" "$T/err" ||
	fail "relative offsite: $(cat "$T/err")"

echo "PASS: offsite targets get every set; failures are reported" >&2
