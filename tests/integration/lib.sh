# lib.sh: sourced by the integration tests, as
#     . "$(dirname "$0")/lib.sh"
#
# Sets: T (a fresh per-test directory, removed on exit unless KEEP_TMP=1),
# ITDIR (this directory: mktree.sh, mutate.sh, treecmp.py), BKP (the bkp
# binary, absolute: $BKP, else ${top_builddir:-.}/bkp/bkp), and exports
# BKP_STATE_DIR and BKP_PASSPHRASE (the passphrase is only ever passed
# through the environment, never argv).  Exit codes follow automake: 0 pass,
# 1 fail, 77 skip, 99 hard error.
# shellcheck shell=sh

set -eu

umask 022
LC_ALL=C
TZ=UTC
export LC_ALL TZ

: "${srcdir:=.}"
: "${top_builddir:=.}"

# Where the helper scripts are: next to the test script being run (works
# whatever automake's srcdir is), else $srcdir/tests/integration.
case $0 in
*/*) ITDIR=$(cd "$(dirname "$0")" && pwd) ;;
*) ITDIR=$(pwd) ;;
esac
if [ ! -f "$ITDIR/treecmp.py" ]; then
	ITDIR=$(cd "$srcdir/tests/integration" && pwd)
fi

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# log MSG: a progress line on stderr.
log() {
	echo "--- $*" >&2
}

T=$(mktemp -d "${TMPDIR:-/tmp}/bkp-test.XXXXXX") ||
	{ echo "cannot make a temporary directory" >&2; exit 99; }
T=$(cd "$T" && pwd -P)
cleanup() {
	rc=$?
	trap - EXIT HUP INT TERM
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		chmod -R u+rwx "$T" 2>/dev/null || :
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# libfaketime is preloaded ahead of the ASan runtime in sanitizer builds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

BKP_STATE_DIR=$T/state
BKP_PASSPHRASE='integration test passphrase, not secret'
XDG_CONFIG_HOME=$T/xdg/config
XDG_CACHE_HOME=$T/xdg/cache
XDG_STATE_HOME=$T/xdg/state
export BKP_STATE_DIR BKP_PASSPHRASE XDG_CONFIG_HOME XDG_CACHE_HOME \
    XDG_STATE_HOME
mkdir -p "$BKP_STATE_DIR"

# need_bkp: makes sure $BKP is there.  A missing binary under "make check"
# means the build is broken, so it is a hard failure, not a skip.
need_bkp() {
	BKP=${BKP:-$top_builddir/bkp/bkp}
	case $BKP in
	/*) ;;
	*) BKP=$(pwd)/$BKP ;;
	esac
	[ -x "$BKP" ] || fail "no bkp binary at $BKP (set BKP or top_builddir)"
}

# bkp ARGS...: runs bkp, showing the command line on stderr.
bkp() {
	echo "+ bkp $*" >&2
	"$BKP" "$@"
}

bkp_keygen() {
	bkp keygen --out "$1"
}

bkp_init() {
	bkp init --repo "$1" --pub "$2"
}

# treecmp ARGS...: the tree comparer.
treecmp() {
	python3 "$ITDIR/treecmp.py" "$@"
}

mktree() {
	sh "$ITDIR/mktree.sh" "$@"
}

mutate() {
	sh "$ITDIR/mutate.sh" "$@"
}

# write_policy FILE NAME REPO KEYDIR SRC...: a policy backing up SRC...
write_policy() {
	[ $# -ge 5 ] || fail "write_policy: FILE NAME REPO KEYDIR SRC..."
	_wp_file=$1 _wp_name=$2 _wp_repo=$3 _wp_keys=$4
	shift 4
	{
		printf '[policy]\nname = %s\n' "$_wp_name"
		printf '[source]\npaths = %s\n' "$1"
		shift
		for _wp_src; do
			printf '    %s\n' "$_wp_src"
		done
		printf '[repository]\nurl = %s\n' "$_wp_repo"
		printf '[keys]\npublic = %s/repo.pub\nsigning = %s/sign.key\n' \
		    "$_wp_keys" "$_wp_keys"
	} >"$_wp_file"
}

# expect_exit CODE CMD...: runs CMD and fails unless it exits with CODE.
expect_exit() {
	_ee_want=$1
	shift
	_ee_rc=0
	"$@" || _ee_rc=$?
	[ "$_ee_rc" -eq "$_ee_want" ] ||
		fail "exit $_ee_rc, expected $_ee_want: $*"
}

# strace_bkp STRACE-ARGS...: strace, with LeakSanitizer off (it cannot run
# under ptrace) when the build has sanitizers.
strace_bkp() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"
}

# verify_to OUT ERR ARGS...: bkp verify ARGS with stdout to OUT and stderr
# to ERR (also shown); its exit status in rc.
verify_to() {
	_out=$1 _err=$2
	shift 2
	rc=0
	bkp verify "$@" >"$_out" 2>"$_err" || rc=$?
	cat "$_err" >&2
}

# json FILE EXPR: evaluates a Python expression on the JSON in FILE (d).
json() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
print(eval(sys.argv[2]))' "$1" "$2"
}
