#!/bin/sh
# Round trip: a full backup of a tree made by mktree.sh, then three rounds of
# mutate.sh + incremental backup; after each backup the latest set is
# restored and compared with the source, and at the end every set is
# restored by id and compared with the copy of the source saved when it was
# made.  KEEP_TMP=1 keeps the scratch directory, KEEP_GOING=1 goes on after
# a differing restore, ROUNDS=N sets the number of incremental rounds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_bkp

SRC=$T/src
KEYS=$T/keys
REPO=$T/repo
POLICY=$T/policy.ini
ROUNDS=${ROUNDS:-3}

# Restored copies live at $T/rN/<SRC without its leading slash>, so they are
# about ${#T}+4 bytes longer than the source; keep mktree's long path short
# enough that they stay within PATH_MAX too.
MKTREE_LONG_MARGIN=$((${#T} + 40))
export MKTREE_LONG_MARGIN

# Compare symlink mtimes too: bkp is meant to restore them (lutimes), and a
# faithful copy has them.  No --ignore-top-mtime: the restored copy of $SRC
# is itself a directory of the set, whose mtime bkp restores; only the
# directories restore creates above it ($T/rN/tmp, ...) carry the restore
# time, and they are not compared.
CMP_OPTS=--symlink-mtime
# KEEP_GOING=1: report every differing restore, not only the first.
nfail=0

# set_ids: the set ids in the repository, one a line.
set_ids() {
	bkp snapshots --repo "$REPO" --json >"$T/snapshots.json" ||
		fail "bkp snapshots exited $?"
	python3 - "$T/snapshots.json" <<'EOF'
import json, sys

text = open(sys.argv[1], encoding="utf-8").read()
try:
    docs = [json.loads(text)]
except ValueError:  # JSON lines
    docs = [json.loads(l) for l in text.splitlines() if l.strip()]

def ids(x):
    if isinstance(x, list):
        for e in x:
            yield from ids(e)
    elif isinstance(x, dict):
        for k in ("snapshots", "sets"):
            if isinstance(x.get(k), list):
                yield from ids(x[k])
                return
        for k in ("id", "set", "set_id"):
            if isinstance(x.get(k), str):
                yield x[k]
                return
    elif isinstance(x, str):
        yield x

for d in docs:
    for i in ids(d):
        print(i)
EOF
}

# backup LEVEL: runs a backup, checks it made exactly one new set and
# prints its id.
backup() {
	set_ids | sort >"$T/ids.before"
	# bkp's own report goes to stderr: stdout is the new id.
	expect_exit 0 bkp backup --policy "$POLICY" --level "$1" >&2
	set_ids | sort >"$T/ids.after"
	_new=$(comm -13 "$T/ids.before" "$T/ids.after")
	[ -n "$_new" ] || fail "backup --level $1 made no new set"
	[ "$(printf '%s\n' "$_new" | wc -l)" -eq 1 ] ||
		fail "backup --level $1 made several sets: $_new"
	printf '%s\n' "$_new"
}

# restore_cmp DIR WANT [--set ID]: restores into the new directory DIR and
# compares the restored source with the tree WANT.
restore_cmp() {
	_dir=$1 _want=$2
	shift 2
	# An empty existing target, as a user would make it.
	mkdir "$_dir"
	expect_exit 0 bkp restore --repo "$REPO" --key "$KEYS/repo.key" \
	    "$@" --target "$_dir"
	_got=$_dir/${SRC#/}
	[ -d "$_got" ] || fail "restore into $_dir made no ${SRC#/}"
	_rc=0
	# shellcheck disable=SC2086
	treecmp $CMP_OPTS "$_want" "$_got" >"$T/cmp.out" || _rc=$?
	if [ "$_rc" -ne 0 ]; then
		cat "$T/cmp.out" >&2
		_msg="restore${*:+ $*} into $_dir differs from $_want"
		_msg="$_msg ($(wc -l <"$T/cmp.out") differences, listed above)"
		[ "${KEEP_GOING:-0}" = 1 ] || fail "$_msg"
		echo "FAIL (going on): $_msg" >&2
		nfail=$((nfail + 1))
	fi
	# Holes are not required, only reported.
	treecmp --sparse "$_want" "$_got" 2>&1 | grep ': sparseness:' \
	    >"$T/cmp.out" || :
	if [ -s "$T/cmp.out" ]; then
		echo "note: restored files lost their holes:" >&2
		cat "$T/cmp.out" >&2
	fi
	rm -rf "$_dir"
}

log "building the source tree"
mktree "$SRC"
cp -a --preserve=all "$SRC" "$T/day0"

log "keys, repository, policy"
bkp_keygen "$KEYS"
for f in repo.pub repo.key sign.key; do
	[ -s "$KEYS/$f" ] || fail "bkp keygen made no $KEYS/$f"
done
bkp_init "$REPO" "$KEYS/repo.pub"
write_policy "$POLICY" roundtrip "$REPO" "$KEYS" "$SRC"

log "full backup"
id0=$(backup full)
echo "set 0: $id0" >&2
printf '%s\n' "$id0" >"$T/set.0"
restore_cmp "$T/r0" "$SRC"

n=1
while [ "$n" -le "$ROUNDS" ]; do
	log "round $n: mutate, incremental backup, restore latest"
	mutate "$SRC" "$n"
	cp -a --preserve=all "$SRC" "$T/day$n"
	id=$(backup incr)
	echo "set $n: $id" >&2
	printf '%s\n' "$id" >"$T/set.$n"
	restore_cmp "$T/r$n" "$SRC"
	n=$((n + 1))
done

nsets=$(set_ids | wc -l)
[ "$nsets" -eq $((ROUNDS + 1)) ] ||
	fail "bkp snapshots lists $nsets sets, expected $((ROUNDS + 1))"

log "restoring every set by id"
n=0
while [ "$n" -le "$ROUNDS" ]; do
	id=$(cat "$T/set.$n")
	restore_cmp "$T/s$n" "$T/day$n" --set "$id"
	n=$((n + 1))
done

[ "$nfail" -eq 0 ] || fail "$nfail restores differed"
echo "PASS: full + $ROUNDS incremental backups restored identically" >&2
