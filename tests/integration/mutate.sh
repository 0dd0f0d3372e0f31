#!/bin/sh
# mutate.sh DIR STEP: applies the deterministic mutation step STEP (1, 2, 3,
# then any larger number) to a tree made by mktree.sh.  Steps are meant to be
# applied in order (1, 2, 3, ...) to a fresh tree.  Content and the mtimes of
# changed files are deterministic; directories whose entries change get the
# current time, as they would in real life.
#
#   1: content changed, same size, other mtime (files/samesize); append
#      (files/text5m); delete a file (files/to-delete); mode only
#      (files/mode755); xattr only (files/xattr); new hardlink to an existing
#      file (hard/one-link -> files/one); new data region in the sparse file;
#      content changed with the same size AND the old mtime restored
#      (files/ctime-only: only its ctime tells)
#   2: delete a subtree (dirs/subtree); rename a file and a directory; new
#      files, directories, symlinks; a file replaced by a symlink
#      (files/to-symlink); the sparse file truncated to 32 MiB; a hardlinked
#      file rewritten with size and mtime kept (hard/g2a, hard/g2b); a
#      directory's mode only (dirs/mode700)
#   3: a directory replaced by a file (dirs/empty) and a symlink by a
#      directory (links/dangling); a hardlink group broken without changing
#      content or mtime (hard/g3b); owner only (root); mtime only; an xattr
#      removed and an ACL added; empty <-> non-empty files; the sparse file
#      grown to 128 MiB with data at 100 MiB; the deepest long-path file
#      rewritten; a name with a newline renamed; a new FIFO; an entry added
#      to dirs/many with the directory's mtime restored afterwards
#   N > 3: files/stepN added, files/step(N-1) deleted, files/rand100k
#      rewritten in place (same size, mtime of the step)
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 DIR STEP" >&2
	exit 2
fi
case $2 in
'' | *[!0-9]* | 0*)
	echo "$0: STEP must be a positive number" >&2
	exit 2
	;;
esac
step=$2

umask 022
TZ=UTC
LC_ALL=C
export TZ LC_ALL
cd -- "$1"

note() {
	echo "mutate: $*" >&2
}

gen() {
	python3 -c '
import random, sys
r = random.Random(sys.argv[1])
n = int(sys.argv[2])
out = sys.stdout.buffer
while n > 0:
    k = min(n, 1 << 20)
    out.write(r.getrandbits(8 * k).to_bytes(k, "little"))
    n -= k
' "$1" "$2"
}

# overwrite FILE OFFSET COUNT SEED: rewrites COUNT bytes in place.
overwrite() {
	gen "$4" "$3" | dd of="$1" bs="$3" seek="$2" oflag=seek_bytes \
	    iflag=fullblock count=1 conv=notrunc status=none
}

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mutate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/probe"
have_xattr=0
setfattr -n user.probe -v 1 "$tmp/probe" 2>/dev/null && have_xattr=1
# The probe above is on TMPDIR's filesystem; check the tree's own one too.
if [ "$have_xattr" -eq 1 ] && ! getfattr -n user.k files/xattr \
    >/dev/null 2>&1; then
	have_xattr=0
fi
have_acl=0
if getfacl -c files/acl 2>/dev/null | grep -q '^user:1234:'; then
	have_acl=1
fi

# keep_mtime FILE CMD...: runs CMD, then puts FILE's mtime back.
keep_mtime() {
	f=$1
	shift
	: >"$tmp/ref"
	touch -h -r "$f" "$tmp/ref"
	"$@"
	touch -h -r "$tmp/ref" "$f"
}

case $step in
1)
	overwrite files/samesize 8192 4096 m1-samesize
	touch -d '2022-01-01 01:01:01.000000001' files/samesize
	gen m1-append 100000 >>files/text5m
	touch -d '2022-01-01 01:01:01.000000002' files/text5m
	rm files/to-delete
	chmod 0700 files/mode755
	if [ "$have_xattr" -eq 1 ]; then
		setfattr -n user.k -v changed files/xattr
	else
		note "no xattrs: skipping the xattr change"
	fi
	ln files/one hard/one-link
	overwrite sparse/sparse64m $((40 * 1048576)) 4096 m1-sparse
	touch -d '2022-01-01 01:01:01.000000003' sparse/sparse64m
	keep_mtime files/ctime-only overwrite files/ctime-only 0 8192 m1-ctime
	;;
2)
	rm -r dirs/subtree
	mv files/to-rename files/renamed
	mv dirs/renameme dirs/renamed
	gen m2-new 20000 >files/new-step2
	touch -d '2022-02-02 02:02:02.000000001' files/new-step2
	mkdir -p dirs/new2/a dirs/new2/b/c
	printf 'new in step 2\n' >dirs/new2/b/c/file
	ln -s ../files/renamed links/new-link
	ln -s ../dirs/new2/b links/new-dirlink
	rm files/to-symlink
	ln -s one files/to-symlink
	truncate -s 32M sparse/sparse64m
	touch -d '2022-02-02 02:02:02.000000002' sparse/sparse64m
	keep_mtime hard/g2a overwrite hard/g2a 100 1000 m2-g2
	chmod 0750 dirs/mode700
	;;
3)
	rmdir dirs/empty
	printf 'was a directory\n' >dirs/empty
	rm links/dangling
	mkdir links/dangling
	printf 'was a symlink\n' >links/dangling/file
	# Same content, same mtime, new inode: only the link structure changes.
	cp -p hard/g3b hard/g3b.tmp
	mv hard/g3b.tmp hard/g3b
	if [ "$is_root" -eq 1 ]; then
		chown 4321:8765 files/owned
	fi
	touch -d '2023-03-03 03:03:03.333333333' files/b4096
	if [ "$have_xattr" -eq 1 ]; then
		setfattr -x user.k dirs/xattr
	fi
	if [ "$have_acl" -eq 1 ]; then
		setfacl -m g:5678:r files/b4095
	fi
	printf 'not empty any more\n' >files/empty
	touch -d '2023-03-03 03:03:03.000000001' files/empty
	truncate -s 0 files/one
	touch -d '2023-03-03 03:03:03.000000002' files/one
	truncate -s 128M sparse/sparse64m
	overwrite sparse/sparse64m $((100 * 1048576)) 4096 m3-sparse
	touch -d '2023-03-03 03:03:03.000000003' sparse/sparse64m
	deepest=$(cat long/.deepest)
	if [ -f "$deepest" ]; then
		printf 'deepest, changed\n' >"$deepest"
	fi
	nl='
'
	mv "names/new${nl}line" "names/new${nl}line${nl}renamed"
	mkfifo special/fifo-step3
	keep_mtime dirs/many sh -c 'printf "file 300\n" >dirs/many/f300'
	;;
*)
	gen "m$step-new" $((1000 + step)) >"files/step$step"
	rm -f "files/step$((step - 1))"
	overwrite files/rand100k 0 512 "m$step-rand"
	touch -d "2024-01-01 00:00:00.$(printf '%09d' "$step")" files/rand100k
	;;
esac
