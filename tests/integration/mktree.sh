#!/bin/sh
# mktree.sh DIR: builds a deterministic tree holding every kind of entry a
# backup tool has to store faithfully.  DIR is created if absent and must be
# empty.  Layout (mutate.sh relies on it):
#
#   files/    regular files: sizes 0, 1, around block and chunk boundaries,
#             100 KiB random, 5 MiB compressible; modes 0600 0755 0444 4755
#             2755; an owned file (root only); xattrs; an ACL; odd mtimes
#   sparse/   sparse files (64 MiB with a few data blocks, a trailing hole,
#             all hole)
#   dirs/     empty, deeply nested, 0700, setgid 2775, sticky 1777, owned
#             (root only), with an xattr, with a default ACL, many entries
#   names/    names with a newline, a tab, spaces, invalid UTF-8, a leading
#             '-', backslash, quotes, glob characters, valid UTF-8
#   links/    symlinks: relative, absolute, dangling, to a directory, to
#             itself, chained, a 4000-byte target, an odd target
#   hard/     hardlink groups of 2 and 3 links (one across directories) and
#             a group of empty files
#   special/  a FIFO; character and block devices (root only)
#   long/     a path about MKTREE_LONG_MARGIN (default 128) bytes short of
#             PATH_MAX (4096) in absolute length, from 200-byte components
#
# Every mtime is set explicitly (many with nanoseconds), directories last, so
# two trees built at paths of the same length are identical.  Content comes
# from Python's random.Random seeded by a fixed string.  Extended attributes
# and ACLs are skipped, with a note on stderr, where the filesystem refuses
# them; ownership changes and device nodes need root.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi

umask 022
TZ=UTC
LC_ALL=C
export TZ LC_ALL

mkdir -p -- "$1"
D=$(cd -- "$1" && pwd -P)
if [ -n "$(ls -A -- "$D")" ]; then
	echo "$0: $D is not empty" >&2
	exit 1
fi
cd -- "$D"

note() {
	echo "mktree: $*" >&2
}

# gen SEED SIZE: SIZE deterministic pseudo-random bytes on stdout.
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

# text SIZE: SIZE bytes of very compressible text on stdout.
text() {
	python3 -c '
import sys
n = int(sys.argv[1])
buf = bytearray()
i = 0
while len(buf) < n:
    buf += b"line %08d: the quick brown fox jumps over the lazy dog\n" % i
    i += 1
sys.stdout.buffer.write(bytes(buf[:n]))
' "$1"
}

# Feature probes, on a scratch file inside the tree's filesystem.
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
probe=$D/.mktree-probe
: >"$probe"
have_xattr=0
if setfattr -n user.probe -v 1 "$probe" 2>/dev/null; then
	have_xattr=1
else
	note "user xattrs not supported here (or setfattr missing): skipping them"
fi
have_acl=0
if setfacl -m u:1234:r "$probe" 2>/dev/null; then
	have_acl=1
else
	note "POSIX ACLs not supported here (or setfacl missing): skipping them"
fi
have_mknod=0
if [ "$is_root" -eq 1 ]; then
	if mknod "$D/.mktree-dev" c 1 3 2>/dev/null; then
		have_mknod=1
		rm -f "$D/.mktree-dev"
	else
		note "mknod refused (no CAP_MKNOD?): skipping device nodes"
	fi
else
	note "not root: skipping device nodes and foreign owners"
fi
rm -f "$probe"

# ---------------------------------------------------------------- files/
mkdir files
: >files/empty
printf x >files/one
gen rand100k 102400 >files/rand100k
text 5242880 >files/text5m
for n in 4095 4096 4097 65535 65536 65537 1048575 1048576 1048577; do
	gen "b$n" "$n" >"files/b$n"
done
gen samesize 65536 >files/samesize
gen ctime-only 8192 >files/ctime-only
gen to-delete 3000 >files/to-delete
gen to-rename 5000 >files/to-rename
gen to-symlink 700 >files/to-symlink
printf 'mode 600\n' >files/mode600
printf 'mode 755\n' >files/mode755
printf 'mode 444\n' >files/mode444
printf 'setuid\n' >files/setuid
printf 'setgid\n' >files/setgid
printf 'owned\n' >files/owned
printf 'pre-1970 mtime\n' >files/pre1970
printf 'post-2038 mtime\n' >files/post2038
printf 'xattrs\n' >files/xattr
printf 'acl\n' >files/acl
chmod 0600 files/mode600
chmod 0755 files/mode755
chmod 0444 files/mode444
if [ "$is_root" -eq 1 ]; then
	# chown clears set-id bits, so owners first, then modes.
	chown 1234:5678 files/owned
	chown 0:5678 files/setgid
fi
chmod 4755 files/setuid
chmod 2755 files/setgid
if [ "$have_xattr" -eq 1 ]; then
	setfattr -n user.k -v value files/xattr
	setfattr -n user.empty files/xattr
	setfattr -n user.bin -v 0x00ff01fe0a files/xattr
	setfattr -n user.big -v "$(text 1000 | tr '\n' ' ')" files/xattr
fi
if [ "$have_acl" -eq 1 ]; then
	setfacl -m u:1234:rw,g:5678:r files/acl
fi

# ---------------------------------------------------------------- sparse/
mkdir sparse
gen sparse-block 4096 >"$D/.block"
truncate -s 64M sparse/sparse64m
for blk in 0 256 4352 16383; do # 0, 1 MiB, 17 MiB, the last 4 KiB
	dd if="$D/.block" of=sparse/sparse64m bs=4096 seek="$blk" \
	    conv=notrunc status=none
done
truncate -s 10M sparse/tail-hole
dd if="$D/.block" of=sparse/tail-hole bs=4096 seek=0 conv=notrunc status=none
truncate -s 16M sparse/all-hole
rm -f "$D/.block"

# ---------------------------------------------------------------- dirs/
mkdir dirs dirs/empty
p=dirs/deep
i=1
while [ "$i" -le 40 ]; do
	p=$p/d$i
	i=$((i + 1))
done
mkdir -p "$p/empty-at-bottom"
printf 'leaf\n' >"$p/leaf"
printf 'middle\n' >dirs/deep/d1/d2/d3/middle

mkdir dirs/mode700 dirs/setgid dirs/sticky dirs/owned dirs/xattr dirs/defacl
printf 'in 0700\n' >dirs/mode700/file
if [ "$is_root" -eq 1 ]; then
	chown 1234:5678 dirs/owned
	chown 0:5678 dirs/setgid
fi
chmod 0700 dirs/mode700
chmod 2775 dirs/setgid
chmod 1777 dirs/sticky
# Created after chmod: they inherit the setgid directory's group and bit.
printf 'in setgid\n' >dirs/setgid/file
mkdir dirs/setgid/sub
printf 'in sticky\n' >dirs/sticky/file
chmod 0666 dirs/sticky/file
printf 'in owned\n' >dirs/owned/file
if [ "$is_root" -eq 1 ]; then
	chown 1234:5678 dirs/owned/file
fi
if [ "$have_xattr" -eq 1 ]; then
	setfattr -n user.k -v dirvalue dirs/xattr
	setfattr -n user.other -v 0x0102 dirs/xattr
fi
if [ "$have_acl" -eq 1 ]; then
	setfacl -d -m u:1234:rwx,g:5678:rx dirs/defacl
	setfacl -m u:1234:rx dirs/defacl
fi
# Created after the default ACL: they inherit it.
printf 'inherits acl\n' >dirs/defacl/file
mkdir dirs/defacl/sub

mkdir -p dirs/subtree/a/b/c dirs/subtree/e
gen subtree1 1234 >dirs/subtree/a/f1
gen subtree2 4321 >dirs/subtree/a/b/c/f2
ln -s ../f1 dirs/subtree/a/b/lnk
mkdir -p dirs/renameme/inner
printf 'in renameme\n' >dirs/renameme/file
printf 'deeper\n' >dirs/renameme/inner/file

mkdir dirs/many
i=0
while [ "$i" -lt 300 ]; do
	n=$(printf '%03d' "$i")
	printf 'file %s\n' "$n" >"dirs/many/f$n"
	i=$((i + 1))
done

# ---------------------------------------------------------------- names/
mkdir names
nl='
'
tab=$(printf '\t')
bad=$(printf 'bad\377\376name')
printf 'newline\n' >"names/new${nl}line"
printf 'tab\n' >"names/tab${tab}name"
printf 'spaces\n' >"names/  spaces in name  "
printf 'invalid utf-8\n' >"names/$bad"
printf 'dash\n' >"names/-dash"
printf 'dashdash\n' >"names/--"
printf 'backslash\n' >'names/back\slash'
printf 'quotes\n' >"names/quote'\"s"
printf 'glob\n' >'names/*?[glob]'
printf 'hidden\n' >names/.hidden
printf 'valid utf-8\n' >"$(printf 'names/utf8-h\303\251llo-\346\227\245\346\234\254')"
odd_dir=names/$(printf 'dir\377bad')${nl}nl
mkdir "$odd_dir"
printf 'inner\n' >"$odd_dir/inner"

# ---------------------------------------------------------------- links/
mkdir links
ln -s ../files/one links/rel
ln -s /dev/null links/abs
ln -s /nonexistent/bkp-test/target links/abs-dangling
ln -s does/not/exist links/dangling
ln -s ../dirs/deep links/todir
ln -s loop links/loop
ln -s rel links/chain
ln -s "$(printf '%04000d' 0 | sed 's,00,x/,g')end" links/long-target
ln -s "odd${nl}target${tab}$(printf '\377')" links/odd-target
ln -s ../files/one links/owned
if [ "$is_root" -eq 1 ]; then
	chown -h 1234:5678 links/owned
fi

# ---------------------------------------------------------------- hard/
mkdir hard hard/sub
gen g2 3333 >hard/g2a
ln hard/g2a hard/g2b
gen g3 4444 >hard/g3a
ln hard/g3a hard/g3b
ln hard/g3a hard/sub/g3c
: >hard/empty-a
ln hard/empty-a hard/empty-b

# ---------------------------------------------------------------- special/
mkdir special
mkfifo special/fifo
mkfifo -m 0600 special/fifo600
if [ "$have_mknod" -eq 1 ]; then
	mknod special/chardev c 1 3
	mknod special/blockdev b 7 250
	mknod -m 0600 special/chardev2 c 136 77
	chown 1234:5678 special/chardev2
fi

# ---------------------------------------------------------------- long/
# 200-byte components until the absolute path is MKTREE_LONG_MARGIN bytes
# short of PATH_MAX, then a file name filling it up exactly.
limit=$((4096 - ${MKTREE_LONG_MARGIN:-128}))
mkdir long
p=long
pad=$(printf '%0197d' 0 | tr 0 x)
i=1
while [ $((${#D} + 1 + ${#p} + 201 + 10)) -le "$limit" ]; do
	p=$p/$(printf 'c%02d' "$i")$pad
	mkdir "$p"
	i=$((i + 1))
done
fill=$((limit - ${#D} - 1 - ${#p} - 1))
if [ "$fill" -ge 1 ]; then
	[ "$fill" -gt 255 ] && fill=255
	name=$(printf '%0*d' "$fill" 0 | tr 0 f)
	printf 'deepest\n' >"$p/$name"
	printf '%s\n' "$p/$name" >long/.deepest
else
	note "$D is too long for the long path: only $p made"
	printf '%s\n' "$p" >long/.deepest
fi

# ---------------------------------------------------------------- times
# Everything gets a base time first (touch -h never opens the file, so
# FIFOs and devices are safe), then individual times; directories last,
# since creating entries changes their parent's mtime.
base='2020-01-01 00:00:00'
find . ! -type d -exec touch -h -d "$base" {} +
touch -d '2021-03-04 05:06:07.123456789' files/text5m
touch -d '2019-12-31 23:59:59.999999999' files/rand100k
touch -d '1970-01-01 00:00:00.000000001' files/one
touch -d '2021-03-04 05:06:07.000000001' files/empty
touch -d '2021-05-06 07:08:09.5' files/samesize
touch -d '2021-05-06 07:08:09.25' files/ctime-only
touch -d '1965-05-05 05:05:05.050505050' files/pre1970
touch -d '2100-01-01 00:00:00.999999999' files/post2038
touch -d '2021-03-04 05:06:07.222222222' files/xattr files/acl
touch -d '2021-03-04 05:06:07.333333333' sparse/sparse64m
touch -d '2021-03-04 05:06:07.444444444' hard/g3a
touch -d '2021-03-04 05:06:07.555555555' "names/new${nl}line" "names/$bad"
touch -h -d '2021-03-04 05:06:07.987654321' links/rel
touch -h -d '2021-03-04 05:06:07.876543210' links/dangling
touch -h -d '2021-03-04 05:06:07.765432109' links/todir
touch -h -d '1999-09-09 09:09:09.090909090' links/abs
touch -d '2021-03-04 05:06:07.666666666' special/fifo

find . -depth -type d -exec touch -d "$base" {} +
touch -d '2021-03-04 05:06:07.111111111' dirs/empty
touch -d '2021-03-04 05:06:07.121212121' dirs/mode700
touch -d '2021-03-04 05:06:07.131313131' dirs/setgid
touch -d '2021-03-04 05:06:07.141414141' dirs/sticky
touch -d '2021-03-04 05:06:07.151515151' "$p"
touch -d '2021-03-04 05:06:07.161616161' "$odd_dir"
touch -d '2021-03-04 05:06:07.171717171' dirs/deep/d1/d2/d3
touch -d '2021-03-04 05:06:07.181818181' dirs
touch -d '2021-03-04 05:06:07.191919191' .
