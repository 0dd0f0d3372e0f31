#!/bin/sh
# Disaster recovery: a tree (mktree.sh) backed up over four faked days - a
# full set on 2026-01-01 and incrementals on the 2nd, 3rd and 4th, the tree
# mutated (mutate.sh) before each incremental and copied after each backup.
# Then everything is lost but the repository directory, repo.key and its
# passphrase, and in a fresh environment (a new HOME, a new empty
# BKP_STATE_DIR, no XDG variables, no BKP_PASSPHRASE) the sets are listed,
# the state of each day is restored with --at and compared with that day's
# copy, and the rest of recovery is exercised: --at before the first set,
# time zones, a subtree restore that reads one part, --dry-run, a second
# restore into the same target with --overwrite never, and bkp find.
#
# The days are faked with faketime(1) (libfaketime).  NO_FAKE_STAT=1:
# otherwise libfaketime also rewrites the times some stat calls return
# (fstatat and fstat disagree), so bkp would see every file as changed
# while it was read.  libfaketime and bkp's threads (zstd workers, the
# encrypting writer) get on: the set times checked below are the faked
# ones.
#
# Known bugs (as in t-hostile.sh): a check tagged with an id in KNOWN_BUGS
# that fails is an XFAIL; one that passes is an XPASS and fails the test,
# so that the id gets removed once the bug is fixed.  KNOWN_BUGS= (empty)
# runs every check strictly.
#   resume-after-sparse  restore, finding a sparse file already in the
#       target, hashes it through the buffer that libarchive is still
#       reading the part from: the entries after it in that buffer are
#       lost ("missing from its part", exit 10) or misread.
#   rerun-not-present  symlinks, FIFOs and devices already restored are
#       reported as "exists in the target; left alone", not as present.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_bkp

KNOWN_BUGS=${KNOWN_BUGS-}
command -v faketime >/dev/null || skip "faketime is not installed"
command -v timeout >/dev/null || skip "timeout(1) is not installed"

SRC=$T/src
REL=${SRC#/}
KEYS=$T/keys
REPO=$T/repo
POLICY=$T/policy.ini
DAYS=4

# Restored copies live at $T/XX/$REL: keep mktree's long path short enough
# that they stay within PATH_MAX (as in t-roundtrip.sh).
MKTREE_LONG_MARGIN=$((${#T} + 40))
export MKTREE_LONG_MARGIN
# As in t-roundtrip.sh: symlink mtimes compared too, the restored $SRC's
# own mtime too.
CMP_OPTS=--symlink-mtime

xpasses=
nxfail=0

known() {
	case " $KNOWN_BUGS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# check TAG MSG CMD...: runs CMD; fails with MSG unless it succeeds, or
# counts an XFAIL when TAG is a known bug.
check() {
	_c_tag=$1 _c_msg=$2
	shift 2
	if "$@"; then
		if [ -n "$_c_tag" ] && known "$_c_tag"; then
			echo "XPASS: known bug $_c_tag did not show" >&2
			case " $xpasses " in
			*" $_c_tag "*) ;;
			*) xpasses="$xpasses $_c_tag" ;;
			esac
		fi
	elif [ -n "$_c_tag" ] && known "$_c_tag"; then
		echo "XFAIL (known bug $_c_tag): $_c_msg" >&2
		nxfail=$((nxfail + 1))
	else
		fail "$_c_msg"
	fi
}

log "building the source tree"
mktree "$SRC"
bkp_keygen "$KEYS" >/dev/null
bkp_init "$REPO" "$KEYS/repo.pub" >/dev/null
write_policy "$POLICY" disaster "$REPO" "$KEYS" "$SRC"

n=1
while [ "$n" -le "$DAYS" ]; do
	if [ "$n" -eq 1 ]; then
		level=full
	else
		mutate "$SRC" $((n - 1))
		level=incr
	fi
	log "day $n: $level backup at 2026-01-0$n 02:00:00 (faked)"
	echo "+ bkp backup --policy $POLICY --level $level" >&2
	rc=0
	# Under AddressSanitizer, libfaketime (LD_PRELOAD) comes before the
	# ASan runtime, which ASan refuses unless told not to check.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	NO_FAKE_STAT=1 timeout 120 faketime "2026-01-0$n 02:00:00" \
	    "$BKP" backup --policy "$POLICY" --level "$level" || rc=$?
	[ "$rc" -eq 0 ] || fail "day $n: bkp backup exited $rc"
	cp -a --preserve=all "$SRC" "$T/day$n"
	n=$((n + 1))
done

log "the disaster: only the repository, repo.key and its passphrase are left"
DR=$T/dr
mkdir -p "$DR/home" "$DR/state"
mv "$REPO" "$DR/repo"
cp "$KEYS/repo.key" "$DR/repo.key"
printf '%s\n' "$BKP_PASSPHRASE" >"$DR/passphrase"
chmod 600 "$DR/passphrase"
chmod -R u+rwx "$SRC" 2>/dev/null || :
rm -rf "$SRC" "$KEYS" "$BKP_STATE_DIR" "$T/xdg"
REPO=$DR/repo
KEY=$DR/repo.key
PASS=$DR/passphrase

# dr [VAR=VALUE...] -- ARGS...: bkp in the fresh environment, limited to
# 60 s; sets rc.  Sanitizer options pass through.
dr() {
	_dr_env=
	while [ "$1" != -- ]; do
		_dr_env="$_dr_env $1"
		shift
	done
	shift
	echo "+ bkp $*" >&2
	rc=0
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$DR/home" BKP_STATE_DIR="$DR/state" \
	    TZ=UTC LC_ALL=C \
	    ${ASAN_OPTIONS+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
	    ${LSAN_OPTIONS+"LSAN_OPTIONS=$LSAN_OPTIONS"} \
	    $_dr_env timeout 60 "$BKP" "$@" || rc=$?
	[ "$rc" -ne 124 ] || fail "bkp $1 hung (killed after 60 s)"
	[ "$rc" -lt 128 ] || fail "bkp $1 crashed (status $rc)"
}

# restore NAME [VAR=VALUE...] -- ARGS...: bkp restore with the key into
# $T/NAME; stdout in $T/NAME.out, stderr in $T/NAME.err (and shown).
restore() {
	_rs_name=$1
	shift
	_rs_env=
	while [ "$1" != -- ]; do
		_rs_env="$_rs_env $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	dr $_rs_env -- restore --repo "$REPO" --key "$KEY" \
	    --passphrase-file "$PASS" --target "$T/$_rs_name" "$@" \
	    >"$T/$_rs_name.out" 2>"$T/$_rs_name.err"
	sed 's/^/    /' "$T/$_rs_name.err" >&2
}

# json FILE EXPR: a Python expression on the JSON document d in FILE.
json() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$1" "$2"
}

log "the sets, from the repository alone"
dr -- snapshots --repo "$REPO" --json >"$T/snapshots.json"
[ "$rc" -eq 0 ] || fail "bkp snapshots exited $rc"
dr -- snapshots --repo "$REPO" --key "$KEY" --passphrase-file "$PASS" \
    --json >"$T/snapshots-key.json"
[ "$rc" -eq 0 ] || fail "bkp snapshots --key exited $rc"
python3 - "$T/snapshots.json" "$T/snapshots-key.json" "$DAYS" "$T" <<'EOF' ||
import calendar, json, sys
d = json.load(open(sys.argv[1]))
k = json.load(open(sys.argv[2]))
days = int(sys.argv[3])
sets = d["sets"]
assert len(sets) == days, "%d sets, expected %d" % (len(sets), days)
assert d["interrupted"] == [] and d["unverified"] == 0, d
assert [s["id"] for s in k["sets"]] == [s["id"] for s in sets], k
assert k["verified_with_key"] is True, k
for i, s in enumerate(sets):
    day = i + 1
    want = "full" if day == 1 else "incremental"
    assert s["level"] == want, "day %d: level %s" % (day, s["level"])
    assert s["parent"] == ("" if day == 1 else sets[i - 1]["id"]), s
    # Started at the faked 02:00:00 (and within a minute of it).
    t0 = calendar.timegm((2026, 1, day, 2, 0, 0)) * 10**9
    assert t0 <= s["time_ns"] < t0 + 60 * 10**9, "day %d: time %s" % (
        day, s["time"])
    assert s["time"].startswith("2026-01-%02dT02:00:" % day), s["time"]
    assert s["id"].startswith("202601%02dT0200" % day), s["id"]
    assert s["warnings"] == 0, s
    open("%s/set.%d" % (sys.argv[4], day), "w").write(s["id"] + "\n")
    open("%s/entries.%d" % (sys.argv[4], day), "w").write(
        "%d\n" % s["entries"])
EOF
	fail "bkp snapshots does not list the four days' sets (see above)"
# setid N: the id of day N's set.
setid() {
	cat "$T/set.$1"
}

# picked NAME: the set that restore NAME restored (--json report).
picked() {
	json "$T/$1.out" 'd["set"]'
}

log "each day's state, restored with --at and compared with its copy"
n=1
while [ "$n" -le "$DAYS" ]; do
	restore "r$n" -- --at "2026-01-0${n}T12:00" --json
	[ "$rc" -eq 0 ] || fail "restore --at day $n: exit $rc"
	want=$(setid "$n")
	[ "$(picked "r$n")" = "$want" ] ||
		fail "restore --at 2026-01-0${n}T12:00 chose $(picked "r$n"), not $want"
	rc=0
	# shellcheck disable=SC2086
	treecmp $CMP_OPTS "$T/day$n" "$T/r$n/$REL" >"$T/cmp.out" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$T/cmp.out" >&2
		fail "day $n restored with --at differs from its copy" \
		    "($(wc -l <"$T/cmp.out") differences, listed above)"
	fi
	n=$((n + 1))
done
# The restores left no local state behind but the audit trail.
left=$(find "$DR/state" "$DR/home" -mindepth 1 ! -name audit.log \
    ! -name audit.lock)
[ -z "$left" ] || fail "restore wrote local state: $left"

log "which set --at picks: edges and time zones"
# pick NAME WANT-SET [VAR=VALUE...] -- ARGS...: restores one small file
# with ARGS and checks which set was used.
pick() {
	_pk_name=$1 _pk_want=$2
	shift 2
	restore "$_pk_name" "$@" --json "$REL/files/mode600"
	[ "$rc" -eq 0 ] || fail "$_pk_name: exit $rc"
	[ "$(picked "$_pk_name")" = "$_pk_want" ] ||
		fail "$_pk_name: restored set $(picked "$_pk_name"), expected $_pk_want"
	rm -rf "${T:?}/$_pk_name"
}
pick at-date "$(setid 3)" -- --at 2026-01-03
pick at-before-day2 "$(setid 1)" -- --at 2026-01-02T01:59
pick at-offset "$(setid 2)" -- --at 2026-01-02T07:30+05:00
pick at-offset-before "$(setid 1)" -- --at 2026-01-02T06:30+05:00
pick at-zulu "$(setid 4)" -- --at 2026-01-04T02:01Z
pick at-far "$(setid 4)" -- --at 2030-01-01
# No zone: local time.  23:00 on the 1st is 04:00 UTC on the 2nd in EST5
# (a POSIX TZ string: no time zone database needed).
pick at-local-utc "$(setid 1)" -- --at 2026-01-01T23:00
pick at-local-est "$(setid 2)" TZ=EST5 -- --at 2026-01-01T23:00

# Before the first set: not found, and the message names the earliest.
for at in 2025-12-31T12:00 2026-01-01T01:59; do
	restore at-early -- --at "$at"
	[ "$rc" -eq 7 ] || fail "restore --at $at: exit $rc, expected 7"
	grep -q "earliest is 2026-01-01T02:00:0.Z ($(setid 1))" "$T/at-early.err" ||
		fail "restore --at $at: the message does not name the earliest set"
	[ ! -e "$T/at-early" ] || fail "restore --at $at made its target"
done

log "one subtree of day 4: only it, from one part"
DEEP=$REL/dirs/deep
restore sub -- --at 2026-01-04T12:00 --json "$DEEP/"
[ "$rc" -eq 0 ] || fail "subtree restore: exit $rc"
[ "$(json "$T/sub.out" 'd["parts_read"]')" -le 1 ] ||
	fail "subtree restore read more than one part: $(cat "$T/sub.out")"
[ "$(json "$T/sub.out" 'd["failed"]')" -eq 0 ] ||
	fail "subtree restore: failures: $(cat "$T/sub.out")"
rc=0
# shellcheck disable=SC2086
treecmp $CMP_OPTS "$T/day4/dirs/deep" "$T/sub/$DEEP" >"$T/cmp.out" || rc=$?
if [ "$rc" -ne 0 ]; then
	cat "$T/cmp.out" >&2
	fail "the restored subtree differs from day 4's"
fi
# Nothing but the subtree and the directories above it.
(cd "$T/sub" && find . -mindepth 1) | sed 's,^\./,,' | while IFS= read -r p; do
	case "$DEEP/" in
	"$p"/*) continue ;;
	esac
	case $p in
	"$DEEP" | "$DEEP"/*) continue ;;
	esac
	echo "$p"
done >"$T/extra"
[ ! -s "$T/extra" ] ||
	fail "the subtree restore restored more: $(head -3 "$T/extra")"

log "--dry-run: the list, nothing written"
restore dry -- --at 2026-01-02T12:00 --dry-run
[ "$rc" -eq 0 ] || fail "--dry-run: exit $rc"
[ ! -e "$T/dry" ] || fail "--dry-run made its target"
[ "$(grep -c -E '^ *[0-9]+  ' "$T/dry.out")" -eq "$(cat "$T/entries.2")" ] ||
	fail "--dry-run lists not the $(cat "$T/entries.2") entries of day 2"
grep -q -F "  $REL/files/samesize" "$T/dry.out" ||
	fail "--dry-run does not list files/samesize"
restore dry -- --at 2026-01-04T12:00 --dry-run --json "$DEEP/"
[ "$rc" -eq 0 ] || fail "--dry-run --json: exit $rc"
[ ! -e "$T/dry" ] || fail "--dry-run --json made its target"
json "$T/dry.out" '"\n".join(sorted(e["path"] for e in d["entries"]))' \
    >"$T/dry.paths"
(cd "$T/day4" && find dirs/deep) | sed "s,^,$REL/," | LC_ALL=C sort \
    >"$T/want.paths"
diff "$T/want.paths" "$T/dry.paths" >&2 ||
	fail "--dry-run --json $DEEP/ lists other paths than the subtree"

log "day 4 again into the same target, --overwrite never"
# Every entry with its inode, size, mode, times and target.  Directories
# are merged into, their (unchanged) metadata applied again: their ctime
# is left out.
listing() {
	(cd "$T/r4" && find . -printf '%p|%y|%i|%s|%m|%U:%G|%n|%T@|%C@|%l\n') |
	    awk -F'|' 'BEGIN { OFS = "|" } $2 == "d" { $9 = "-" } { print }' |
	    LC_ALL=C sort
}
listing >"$T/r4.before"
restore r4 -- --at 2026-01-04T12:00 --overwrite never --json
listing >"$T/r4.after"
diff "$T/r4.before" "$T/r4.after" >&2 ||
	fail "the second restore with --overwrite never changed the target"
check resume-after-sparse "second restore: exit $rc, expected 0" \
    [ "$rc" -eq 0 ]
if [ -s "$T/r4.out" ]; then
	r4() { json "$T/r4.out" "d[\"$1\"]"; }
	[ "$(r4 bytes)" -eq 0 ] ||
		fail "second restore: $(r4 bytes) bytes written"
	check resume-after-sparse "second restore: $(r4 failed) entries failed" \
	    [ "$(r4 failed)" -eq 0 ]
	# Every file and hard link found present; every symlink, FIFO and
	# device too, none "left alone".
	nfiles=$(cd "$T/day4" && find . -type f -printf . | wc -c)
	nother=$(cd "$T/day4" && find . ! -type d ! -type f -printf . | wc -c)
	check resume-after-sparse \
	    "second restore: $(r4 already_present) present, expected at least the $nfiles files" \
	    [ "$(r4 already_present)" -ge "$nfiles" ]
	check rerun-not-present \
	    "second restore: $(r4 kept) entries left alone, $(r4 already_present) present ($nfiles files, $nother others)" \
	    [ "$(r4 kept)" -eq 0 ]
	check rerun-not-present "second restore: entries reported left alone" \
	    [ "$(grep -c 'left alone' "$T/r4.err")" -eq 0 ]
	check rerun-not-present \
	    "second restore: $(r4 already_present) present, expected $((nfiles + nother))" \
	    [ "$(r4 already_present)" -eq $((nfiles + nother)) ]
else
	check resume-after-sparse "second restore: no report" false
fi

log "bkp find: one version per change"
# versions PATH WANT: the versions of PATH as "first..last" set numbers.
versions() {
	dr -- find --repo "$REPO" --key "$KEY" --passphrase-file "$PASS" \
	    --json "$1" >"$T/find.json"
	[ "$rc" -eq 0 ] || fail "bkp find $1: exit $rc"
	_got=$(python3 - "$T/find.json" "$T" "$DAYS" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
num = {open("%s/set.%d" % (sys.argv[2], i)).read().strip(): i
       for i in range(1, int(sys.argv[3]) + 1)}
print(" ".join("%d..%d" % (num[v["first_set"]], num[v["last_set"]])
               for v in d))
EOF
)
	[ "$_got" = "$2" ] ||
		fail "bkp find $1: versions $_got, expected $2"
}
versions "$REL/sparse/sparse64m" "1..1 2..2 3..3 4..4"
versions "$REL/files/text5m" "1..1 2..4"
versions "/$REL/files/text5m" "1..1 2..4"
versions "$REL/files/ctime-only" "1..1 2..4"
versions "$REL/hard/g2a" "1..2 3..4"
versions "$REL/files/to-delete" "1..1"
versions "$REL/files/rand100k" "1..4"

if [ -n "$xpasses" ]; then
	fail "known bug(s)$xpasses did not show: remove them from KNOWN_BUGS in $0"
fi
echo "PASS: $DAYS days restored with --at from the repository and key alone" >&2
