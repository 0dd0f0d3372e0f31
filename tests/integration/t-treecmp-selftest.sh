#!/bin/sh
# Self test of mktree.sh, mutate.sh and treecmp.py, without bkp: a tree and
# its "cp -a" copy compare identical, two trees built by mktree.sh compare
# identical, and each single deliberate difference is reported (exit 1, with
# a line naming the entry), so the comparer is shown to be able to fail.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

A=$T/a
log "mktree $A"
mktree "$A"
cp -a --preserve=all "$A" "$T/copy"
out=$(treecmp --symlink-mtime --sparse "$A" "$T/copy") ||
	fail "cp -a copy differs: $out"
# Same path length as $A, so the long path has the same shape.
mktree "$T/b"
out=$(treecmp --symlink-mtime --sparse "$A" "$T/b") ||
	fail "mktree is not deterministic: $out"

have_xattr=0
getfattr -n user.k "$A/files/xattr" >/dev/null 2>&1 && have_xattr=1
have_acl=0
getfacl -c "$A/files/acl" 2>/dev/null | grep -q '^user:1234:' && have_acl=1
have_dev=0
[ -c "$A/special/chardev" ] && have_dev=1

ncase=0
# check NAME WANT PATTERN [TREECMP-OPTIONS...]: compares $A with the scratch
# copy $C (changed by the caller).  WANT is 0 (identical), 1 (exit 1 and a
# line matching the grep -E PATTERN) or 1= (exit 1 and that line only).
# Then drops $C.
check() {
	_name=$1 _want=$2 _pat=$3
	shift 3
	ncase=$((ncase + 1))
	_rc=0
	treecmp "$@" "$A" "$C" >"$T/out" 2>"$T/err" || _rc=$?
	if [ "$_rc" -ne "${_want%=}" ]; then
		cat "$T/out" "$T/err" >&2
		fail "$_name: treecmp exit $_rc, expected ${_want%=}"
	fi
	if [ "$_want" != 0 ] && ! grep -Eq -- "$_pat" "$T/out"; then
		cat "$T/out" >&2
		fail "$_name: no line matching '$_pat'"
	fi
	if [ "$_want" = 1= ] && [ "$(wc -l <"$T/out")" -ne 1 ]; then
		cat "$T/out" >&2
		fail "$_name: more than the one expected difference"
	fi
	echo "ok $ncase $_name" >&2
	rm -rf "$C"
}

C=$T/c
fresh() {
	cp -a --preserve=all "$A" "$C"
}

fresh
check "identical" 0 ''

fresh
printf 'Z' | dd of="$C/files/rand100k" bs=1 seek=5000 conv=notrunc \
    status=none
touch -r "$A/files/rand100k" "$C/files/rand100k"
check "changed byte" 1= '^files/rand100k: content:'

fresh
printf 'x' >>"$C/files/b4096"
touch -r "$A/files/b4096" "$C/files/b4096"
check "size" 1= '^files/b4096: size: 4096 != 4097$'

fresh
chmod 0640 "$C/files/mode600"
check "mode" 1= '^files/mode600: mode: 0600 != 0640$'

fresh
chmod u-s "$C/files/setuid"
check "setuid bit" 1= '^files/setuid: mode: 4755 != 0755$'

fresh
chmod -t "$C/dirs/sticky"
check "sticky bit" 1= '^dirs/sticky: mode: 1777 != 0777$'

fresh
touch -d '2021-03-04 05:06:07.123456788' "$C/files/text5m"
check "mtime ns" 1= '^files/text5m: mtime: .*\.123456789Z != .*\.123456788Z$'

fresh
touch -d '2021-03-04 05:06:07.111111112' "$C/dirs/empty"
check "dir mtime ns" 1= '^dirs/empty: mtime:'

fresh
touch -d '2000-01-01' "$C"
check "top mtime" 1= '^\.: mtime:'
fresh
touch -d '2000-01-01' "$C"
check "top mtime ignored" 0 '' --ignore-top-mtime

fresh
touch -h -d '2000-01-01' "$C/links/rel"
check "symlink mtime ignored by default" 0 ''
fresh
touch -h -d '2000-01-01' "$C/links/rel"
check "symlink mtime" 1= '^links/rel: mtime:' --symlink-mtime

fresh
ln -sfn ../files/empty "$C/links/rel"
touch -r "$A/links" "$C/links"
check "symlink target" 1= '^links/rel: symlink target: \.\./files/one != \.\./files/empty$'

fresh
# Same content and mtimes, new inode: only the hardlink group is broken.
cp -p "$C/hard/g3b" "$C/hard/g3b.new"
mv "$C/hard/g3b.new" "$C/hard/g3b"
touch -r "$A/hard" "$C/hard"
check "broken hardlink group" 1= \
    '^hard/g3a: hardlinks: \{hard/g3a, hard/g3b, hard/sub/g3c\} != '

fresh
ln -f "$C/hard/g2a" "$C/files/to-rename"
touch -r "$A/files/to-rename" "$C/files/to-rename"
touch -r "$A/files" "$C/files"
check "extra hardlink" 1 'hardlinks: .* != .*files/to-rename, hard/g2a'

fresh
printf 'extra\n' >"$C/dirs/empty/extra"
check "extra file" 1 '^dirs/empty/extra: extra in B \(file\)$'

fresh
rm -- "$C/names/-dash"
check "missing file" 1 '^names/-dash: missing in B \(file\)$'

fresh
rm -- "$C/names/$(printf 'bad\377\376name')"
check "invalid UTF-8 name, escaped" 1 \
    '^names/bad\\xff\\xfename: missing in B \(file\)$'

fresh
mv -- "$C/names/new
line" "$C/names/new
line2"
check "newline name, escaped" 1 '^names/new\\nline2: extra in B \(file\)$'

fresh
rm "$C/special/fifo"
: >"$C/special/fifo"
check "type" 1 '^special/fifo: type: fifo != file$'

fresh
rm -r "$C/dirs/subtree"
check "missing subtree" 1 '^dirs/subtree: missing in B \(dir\)$'

if [ "$have_xattr" -eq 1 ]; then
	fresh
	setfattr -n user.k -v other "$C/files/xattr"
	check "xattr value" 1= '^files/xattr: xattr user\.k: value != other$'
	fresh
	setfattr -x user.empty "$C/files/xattr"
	check "xattr removed" 1= '^files/xattr: xattr user\.empty: missing in B$'
	fresh
	setfattr -n user.new -v 1 "$C/dirs/xattr"
	check "dir xattr added" 1= '^dirs/xattr: xattr user\.new: extra in B$'
else
	echo "note: no user xattrs here, xattr cases skipped" >&2
fi
if [ "$have_acl" -eq 1 ]; then
	fresh
	setfacl -n -m u:1234:r "$C/files/acl"
	check "ACL" 1= \
	    '^files/acl: xattr system\.posix_acl_access: .*user:1234:rw-.* != .*user:1234:r--'
	fresh
	setfacl -k "$C/dirs/defacl"
	check "default ACL" 1= \
	    '^dirs/defacl: xattr system\.posix_acl_default: missing in B$'
else
	echo "note: no ACLs here, ACL cases skipped" >&2
fi
if [ "$is_root" -eq 1 ]; then
	fresh
	chown -h 1 "$C/files/owned"
	check "owner" 1= '^files/owned: uid: 1234 != 1$'
	fresh
	chown -h :1 "$C/links/owned"
	check "symlink group" 1= '^links/owned: gid: 5678 != 1$'
fi
if [ "$have_dev" -eq 1 ]; then
	fresh
	rm "$C/special/chardev"
	mknod "$C/special/chardev" c 1 5
	touch -h -r "$A/special/chardev" "$C/special/chardev"
	touch -r "$A/special" "$C/special"
	check "device number" 1= '^special/chardev: device: 1,3 != 1,5$'
fi

fresh
cp --sparse=never -p "$C/sparse/sparse64m" "$C/sparse/dense"
mv "$C/sparse/dense" "$C/sparse/sparse64m"
touch -r "$A/sparse" "$C/sparse"
check "holes filled, not compared by default" 0 ''
fresh
cp --sparse=never -p "$C/sparse/sparse64m" "$C/sparse/dense"
mv "$C/sparse/dense" "$C/sparse/sparse64m"
touch -r "$A/sparse" "$C/sparse"
check "holes filled, --sparse" 1= '^sparse/sparse64m: sparseness:' --sparse

# Every mutation step changes something, and step 1's same-size,
# same-mtime rewrite shows up as a content difference.
cp -a --preserve=all "$A" "$T/m"
for step in 1 2 3 4; do
	rm -rf "$T/prev"
	cp -a --preserve=all "$T/m" "$T/prev"
	mutate "$T/m" "$step"
	rc=0
	treecmp "$T/prev" "$T/m" >"$T/out" || rc=$?
	[ "$rc" -eq 1 ] || fail "mutate step $step: treecmp exit $rc"
	echo "ok mutate step $step: $(wc -l <"$T/out") differences" >&2
	if [ "$step" -eq 1 ]; then
		grep -q '^files/ctime-only: content:' "$T/out" ||
			fail "step 1: ctime-only change not seen"
		if grep -q '^files/ctime-only: mtime' "$T/out"; then
			fail "step 1: ctime-only file's mtime was not kept"
		fi
	fi
done

# Bad arguments and trouble are 2.
expect_exit 2 treecmp "$A" "$T/does-not-exist" 2>/dev/null
expect_exit 2 treecmp "$A" 2>/dev/null

echo "PASS: $ncase comparer cases, 4 mutation steps" >&2
