#!/bin/sh
# [stores] command: a command's output streamed into the set as one file,
# beside a file tree.
#  - outputs of 0 bytes, exactly one and two chunks (8 MiB), and 20 MiB
#    plus a few bytes, restored byte for byte (the manifest's hash is of
#    the whole stream: restore checks it), and checked by bkp verify;
#  - a command writing much to standard error while writing its output;
#  - commands that exit 3 after some output, kill themselves, are not
#    there, or run past [stores] timeout: exit status 10, the error and
#    the command's last lines of standard error in the log, and a sealed
#    set without them;
#  - policy check refuses bad [stores] values;
#  - the scripts for stores parse, and say how to use them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_bkp

KEYS=$T/keys
REPO=$T/repo
POLICY=$T/policy.ini
SRC=$T/src
mkdir -p "$SRC/sub"
echo hello >"$SRC/sub/file"
bkp_keygen "$KEYS" >/dev/null
bkp_init "$REPO" "$KEYS/repo.pub" >/dev/null
head -c $((20 * 1048576 + 7)) /dev/urandom >"$T/big"
head -c $((8 * 1048576)) /dev/urandom >"$T/one"
head -c $((16 * 1048576)) /dev/urandom >"$T/two"
cat >"$T/noisy.sh" <<EOF
i=0
while [ \$i -lt 200 ]; do
	head -c 100000 "$T/big"
	echo "noise line \$i: \$(head -c 2000 /dev/zero | tr '\\\\0' x)" >&2
	i=\$((i + 1))
done
EOF

# policy STORES-LINES...: the tree and these [stores] lines.
policy() {
	write_policy "$POLICY" cmd "$REPO" "$KEYS" "$SRC"
	printf '[stores]\n' >>"$POLICY"
	printf '%s\n' "$@" >>"$POLICY"
}

json_set() {
	python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["set"])
except Exception:
    pass' "$1"
}

log "good streams"
policy "command = big: cat $T/big" \
    "    empty: true" \
    "    one: cat $T/one" \
    "    two: cat $T/two" \
    "    noisy: sh $T/noisy.sh"
bkp policy check "$POLICY" >&2 || fail "policy check"
expect_exit 0 bkp backup --policy "$POLICY"
bkp restore --repo "$REPO" --key "$KEYS/repo.key" --target "$T/r1" >&2 ||
	fail "restore exited $?"
for f in big one two; do
	cmp "$T/$f" "$T/r1/bkp-stores/$f" || fail "$f differs"
done
if [ ! -f "$T/r1/bkp-stores/empty" ] || [ -s "$T/r1/bkp-stores/empty" ]; then
	fail "the empty stream is not an empty file"
fi
sh "$T/noisy.sh" 2>/dev/null | cmp - "$T/r1/bkp-stores/noisy" ||
	fail "noisy differs"
[ "$(stat -c %a "$T/r1/bkp-stores/big")" = 600 ] ||
	fail "a dump is restored with mode $(stat -c %a "$T/r1/bkp-stores/big")"
cmp "$SRC/sub/file" "$T/r1/${SRC#/}/sub/file" || fail "the tree differs"
bkp verify --repo "$REPO" --key "$KEYS/repo.key" --level full >&2 ||
	fail "verify --level full exited $?"

log "a stream alone, by pattern, and a resumed restore"
bkp restore --repo "$REPO" --key "$KEYS/repo.key" --target "$T/r2" \
    bkp-stores/two >&2 || fail "restore by pattern exited $?"
cmp "$T/two" "$T/r2/bkp-stores/two" || fail "two differs"
[ ! -e "$T/r2/bkp-stores/big" ] || fail "the pattern restored more"
bkp restore --repo "$REPO" --key "$KEYS/repo.key" --target "$T/r1" \
    --overwrite never >"$T/resume.out" || fail "resumed restore exited $?"
grep -q "already present" "$T/resume.out" || fail "resume rewrote the files"

log "failing commands"
policy "command = fails: head -c 3000000 $T/big; echo 'last words' >&2; exit 3" \
    "    killed: head -c 100 $T/big; kill -9 \$\$" \
    "    missing: no-such-program-here" \
    "    slow: sleep 30" \
    "    good: cat $T/one" \
    "timeout = 2s"
expect_exit 10 bkp backup --policy "$POLICY" --json >"$T/out" 2>"$T/err"
cat "$T/err" >&2
for want in \
    "command fails: head -c 3000000 $T/big; echo 'last words' >&2; exit 3 failed (exit status 3) after 2.9 MiB" \
    "command fails: last words" \
    "command killed: .* failed (killed by signal 9" \
    "command missing: no-such-program-here failed (exit status 127)" \
    "command missing: .*no-such-program-here: not found" \
    "command slow: sleep 30 failed (timed out after 2 s)" \
    "4 of the \[stores\] dumps failed"; do
	grep -q -- "$want" "$T/err" || fail "no '$want' in the log"
done
set=$(json_set "$T/out")
[ -n "$set" ] || fail "no set was sealed"
bkp restore --repo "$REPO" --key "$KEYS/repo.key" --set "$set" \
    --target "$T/r3" >&2 || fail "restore exited $?"
ls "$T/r3/bkp-stores" >"$T/listed"
[ "$(cat "$T/listed")" = good ] || fail "the set holds: $(cat "$T/listed")"
cmp "$T/one" "$T/r3/bkp-stores/good" || fail "good differs"

log "policy check"
write_policy "$POLICY" bad "$REPO" "$KEYS" "$SRC" /bkp-stores/x
cat >>"$POLICY" <<EOF
[stores]
command = no name here
    .hidden: true
    postgresql: true
    a: true
    a: false
postgresql = all
postgresql_connection = host=/run/postgresql password=secret
sqlite = relative.db
    /srv/../etc/x.db
mariadb_run_as = two words
EOF
expect_exit 3 bkp policy check --syntax-only "$POLICY" 2>"$T/check"
cat "$T/check" >&2
for want in ":12: \[stores\] command: expected NAME: COMMAND" \
    ":13: .*no leading '.'" ":14: .*a store type's" \
    ":18: .*no passwords in a policy" ":19: .*not an absolute path" \
    ":20: .*without '//', '.' or '..'" ":21: .*expected a user name" \
    "/bkp-stores/x is where the dumps of \[stores\] go"; do
	grep -q -- "$want" "$T/check" || fail "policy check: no '$want'"
done
! grep -q secret "$T/check" || fail "policy check shows a password"
log "scripts: syntax and usage"
for s in bkp-load-postgresql bkp-load-mariadb bkp-load-sqlite \
    bkp-snapshot-lvm bkp-snapshot-btrfs; do
	sh -n "$ITDIR/../../scripts/$s" || fail "scripts/$s: syntax"
	expect_exit 2 sh "$ITDIR/../../scripts/$s" 2>/dev/null
done
echo "PASS: command streams, failures, policy check, scripts" >&2
