#!/usr/bin/env python3
"""treecmp.py [options] A B: compares two trees entry by entry.

Prints one line per difference, "PATH: what: A-value != B-value", with PATH
relative to the tree roots ("." is the root itself) and escaped like a bytes
repr (so a name with a newline or invalid UTF-8 stays on one line).  Exit
status: 0 identical, 1 different, 2 trouble (an unreadable entry, bad
arguments).

Compared: entry type, directory entries (missing / extra names), size and
content (SHA-256) of regular files, mode including set-id and sticky bits,
uid/gid, mtime to the nanosecond (not for symlinks unless --symlink-mtime,
not for the root with --ignore-top-mtime), symlink targets, device numbers,
extended attributes user.* and system.posix_acl_* (all of them with
--all-xattrs), and hardlink groups: the partition of the paths present in
both trees by inode must be the same.  Never compared: atime, ctime, inode
numbers, link counts as such, block allocation (with --sparse, a file with
holes in A that has none in B is reported).

Trees are walked with directory file descriptors, so paths longer than
PATH_MAX are fine; FIFOs and devices are never opened.
"""

import argparse
import errno
import hashlib
import os
import stat
import sys
import time

XATTR_DEFAULT = (b"user.", b"system.posix_acl_access",
                 b"system.posix_acl_default")
HOLE_MIN = 64 * 1024  # what counts as "has holes" for --sparse

errors = []
notes = set()


def esc(b):
    """bytes -> printable str, repr-like escaping."""
    out = []
    for c in b:
        if c == 0x5c:
            out.append("\\\\")
        elif c == 0x0a:
            out.append("\\n")
        elif c == 0x09:
            out.append("\\t")
        elif c == 0x0d:
            out.append("\\r")
        elif 0x20 <= c < 0x7f:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


ACL_TAGS = {1: "user:", 2: "user:%d", 4: "group:", 8: "group:%d",
            0x10: "mask:", 0x20: "other:"}


def show_xattr(name, value):
    """A value for a difference line: POSIX ACLs decoded to their text form
    (getfacl's), other values escaped and cut at 64 bytes."""
    if name.startswith(b"system.posix_acl_") and len(value) % 8 == 4:
        ents = []
        for off in range(4, len(value), 8):
            tag = int.from_bytes(value[off:off + 2], "little")
            perm = int.from_bytes(value[off + 2:off + 4], "little")
            eid = int.from_bytes(value[off + 4:off + 8], "little")
            t = ACL_TAGS.get(tag, "tag%d:" % tag)
            if "%d" in t:
                t = t % eid
            ents.append("%s:%s%s%s" % (t, "r" if perm & 4 else "-",
                                       "w" if perm & 2 else "-",
                                       "x" if perm & 1 else "-"))
        return ",".join(ents)
    return esc(value[:64]) + ("..." if len(value) > 64 else "")


def show_path(rel):
    return esc(rel) if rel else "."


def join(rel, name):
    return rel + b"/" + name if rel else name


def ftype(mode):
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"),
                       (stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISCHR, "chardev"), (stat.S_ISBLK, "blockdev"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "unknown(%o)" % stat.S_IFMT(mode)


def fmt_ns(ns):
    s, frac = divmod(ns, 10**9)
    try:
        t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
    except (OverflowError, OSError, ValueError):
        t = "%d" % s
    return "%s.%09dZ" % (t, frac)


def note(msg):
    if msg not in notes:
        notes.add(msg)
        print("treecmp: note: " + msg, file=sys.stderr)


class Side:
    """One tree: its root fd and what was seen while walking it."""

    def __init__(self, label, root):
        self.label = label
        self.root = root
        self.inodes = {}  # (dev, ino) -> [rel path, ...] of non-dirs
        self.ino_of = {}  # rel path -> (dev, ino)


def file_hash(dirfd, name, st, rel):
    """SHA-256 of a regular file, opened without following symlinks."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NOCTTY
                     | os.O_NONBLOCK, dir_fd=dirfd)
    except OSError as e:
        errors.append("%s: cannot open: %s" % (show_path(rel), e.strerror))
        return None
    try:
        fst = os.fstat(fd)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            errors.append("%s: changed while comparing" % show_path(rel))
            return None
        h = hashlib.sha256()
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            h.update(b)
        return h.hexdigest()
    except OSError as e:
        errors.append("%s: cannot read: %s" % (show_path(rel), e.strerror))
        return None
    finally:
        os.close(fd)


def get_xattrs(dirfd, name, rel, all_xattrs):
    """{name: value} of the entry, or None when unsupported."""
    try:
        if name is None:  # the root: dirfd is the entry itself
            names = os.listxattr(dirfd)
        else:
            os.fchdir(dirfd)
            names = os.listxattr(name, follow_symlinks=False)
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return None
        errors.append("%s: cannot list xattrs: %s" %
                      (show_path(rel), e.strerror))
        return {}
    res = {}
    for n in names:
        nb = os.fsencode(n)
        if not all_xattrs and not nb.startswith(XATTR_DEFAULT):
            continue
        try:
            if name is None:
                v = os.getxattr(dirfd, n)
            else:
                v = os.getxattr(name, n, follow_symlinks=False)
        except OSError as e:
            if e.errno == errno.ENODATA:
                continue
            errors.append("%s: cannot read xattr %s: %s" %
                          (show_path(rel), esc(nb), e.strerror))
            continue
        res[nb] = v
    return res


class Cmp:
    def __init__(self, opts):
        self.o = opts
        self.ndiff = 0

    def diff(self, rel, what):
        self.ndiff += 1
        print("%s: %s" % (show_path(rel), what), flush=True)

    def entry(self, rel, a, b, pa, na, pb, nb, sa, sb):
        """Compares one entry present in both trees.  pa/na: parent fd and
        name in A (na None for the root, then pa is the root's fd)."""
        ta, tb = ftype(sa.st_mode), ftype(sb.st_mode)
        if ta != tb:
            self.diff(rel, "type: %s != %s" % (ta, tb))
            return
        o = self.o
        ma, mb = stat.S_IMODE(sa.st_mode), stat.S_IMODE(sb.st_mode)
        if ma != mb and not (ta == "symlink"):
            self.diff(rel, "mode: %04o != %04o" % (ma, mb))
        if not o.no_owner:
            if sa.st_uid != sb.st_uid:
                self.diff(rel, "uid: %d != %d" % (sa.st_uid, sb.st_uid))
            if sa.st_gid != sb.st_gid:
                self.diff(rel, "gid: %d != %d" % (sa.st_gid, sb.st_gid))
        check_mtime = True
        if ta == "symlink" and not o.symlink_mtime:
            check_mtime = False
        if not rel and o.ignore_top_mtime:
            check_mtime = False
        if check_mtime and sa.st_mtime_ns != sb.st_mtime_ns:
            self.diff(rel, "mtime: %s != %s" %
                      (fmt_ns(sa.st_mtime_ns), fmt_ns(sb.st_mtime_ns)))
        if ta == "file":
            if sa.st_size != sb.st_size:
                self.diff(rel, "size: %d != %d" % (sa.st_size, sb.st_size))
            else:
                ha = file_hash(pa, na, sa, rel)
                hb = file_hash(pb, nb, sb, rel)
                if ha is not None and hb is not None and ha != hb:
                    self.diff(rel, "content: sha256 %s != %s" %
                              (ha[:16], hb[:16]))
            if o.sparse:
                alloc_a = sa.st_blocks * 512
                alloc_b = sb.st_blocks * 512
                if (sa.st_size - alloc_a >= HOLE_MIN and
                        sb.st_size - alloc_b < HOLE_MIN):
                    self.diff(rel, "sparseness: %d of %d bytes allocated != "
                              "%d (no holes)" % (alloc_a, sa.st_size, alloc_b))
        elif ta == "symlink":
            try:
                la = os.readlink(na, dir_fd=pa)
                lb = os.readlink(nb, dir_fd=pb)
            except OSError as e:
                errors.append("%s: readlink: %s" % (show_path(rel),
                                                    e.strerror))
            else:
                if la != lb:
                    self.diff(rel, "symlink target: %s != %s" %
                              (esc(la), esc(lb)))
        elif ta in ("chardev", "blockdev"):
            if sa.st_rdev != sb.st_rdev:
                self.diff(rel, "device: %d,%d != %d,%d" % (
                    os.major(sa.st_rdev), os.minor(sa.st_rdev),
                    os.major(sb.st_rdev), os.minor(sb.st_rdev)))
        if not o.no_xattrs:
            xa = get_xattrs(pa, na, rel, o.all_xattrs)
            xb = get_xattrs(pb, nb, rel, o.all_xattrs)
            if xa is None or xb is None:
                if (xa or xb) and not (ta == "symlink"):
                    note("extended attributes unsupported on one side; "
                         "not compared there")
            else:
                for k in sorted(set(xa) | set(xb)):
                    va, vb = xa.get(k), xb.get(k)
                    if va == vb:
                        continue
                    if va is None:
                        self.diff(rel, "xattr %s: extra in B" % esc(k))
                    elif vb is None:
                        self.diff(rel, "xattr %s: missing in B" % esc(k))
                    else:
                        self.diff(rel, "xattr %s: %s != %s" %
                                  (esc(k), show_xattr(k, va),
                                   show_xattr(k, vb)))
        if ta != "dir":
            return
        # Recurse.  The root's fds are the ones passed in.
        if na is None:
            self.walk(rel, a, b, pa, pb)
            return
        try:
            fa = os.open(na, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                         dir_fd=pa)
        except OSError as e:
            errors.append("%s: cannot open in A: %s" % (show_path(rel),
                                                        e.strerror))
            return
        try:
            try:
                fb = os.open(nb, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                             dir_fd=pb)
            except OSError as e:
                errors.append("%s: cannot open in B: %s" % (show_path(rel),
                                                            e.strerror))
                return
            try:
                self.walk(rel, a, b, fa, fb)
            finally:
                os.close(fb)
        finally:
            os.close(fa)

    def walk(self, rel, a, b, fa, fb):
        try:
            names_a = set(os.fsencode(n) for n in os.listdir(fa))
            names_b = set(os.fsencode(n) for n in os.listdir(fb))
        except OSError as e:
            errors.append("%s: cannot list: %s" % (show_path(rel),
                                                   e.strerror))
            return
        for name in sorted(names_a | names_b):
            r = join(rel, name)
            sa = sb = None
            try:
                if name in names_a:
                    sa = os.stat(name, dir_fd=fa, follow_symlinks=False)
                if name in names_b:
                    sb = os.stat(name, dir_fd=fb, follow_symlinks=False)
            except OSError as e:
                errors.append("%s: cannot stat: %s" % (show_path(r),
                                                       e.strerror))
                continue
            for side, st in ((a, sa), (b, sb)):
                if st is not None and not stat.S_ISDIR(st.st_mode):
                    key = (st.st_dev, st.st_ino)
                    side.inodes.setdefault(key, []).append(r)
                    side.ino_of[r] = key
            if sb is None:
                self.diff(r, "missing in B (%s)" % ftype(sa.st_mode))
            elif sa is None:
                self.diff(r, "extra in B (%s)" % ftype(sb.st_mode))
            else:
                self.entry(r, a, b, fa, name, fb, name, sa, sb)

    def hardlinks(self, a, b):
        """The partition by inode of the non-directory paths present in both
        trees must be the same.  Reports once per connected set of groups:
        "hardlinks: {x, y} {z} != {x} {y, z}"."""
        common = set(a.ino_of) & set(b.ino_of)
        parent = {p: p for p in common}

        def find(p):
            while parent[p] != p:
                parent[p] = parent[parent[p]]
                p = parent[p]
            return p

        groups = {}
        for side in (a, b):
            for p in common:
                g = frozenset(q for q in side.inodes[side.ino_of[p]]
                              if q in common)
                groups[(side.label, p)] = g
                for q in g:
                    ra, rq = find(p), find(q)
                    if ra != rq:
                        parent[max(ra, rq)] = min(ra, rq)
        comps = {}
        for p in common:
            comps.setdefault(find(p), []).append(p)

        def fmt(label, members):
            gs = sorted(set(groups[(label, p)] for p in members),
                        key=lambda g: sorted(g))
            return " ".join("{%s}" % ", ".join(show_path(q)
                                               for q in sorted(g))
                            for g in gs)

        for root in sorted(comps):
            members = comps[root]
            if len(members) < 2:
                continue
            if all(groups[("A", p)] == groups[("B", p)] for p in members):
                continue
            self.diff(min(members), "hardlinks: %s != %s" % (
                fmt("A", members), fmt("B", members)))


def main():
    ap = argparse.ArgumentParser(
        description="Compares two directory trees; exit 0 identical, "
        "1 different, 2 trouble.")
    ap.add_argument("a", metavar="A")
    ap.add_argument("b", metavar="B")
    ap.add_argument("--symlink-mtime", action="store_true",
                    help="compare the mtimes of symlinks too")
    ap.add_argument("--ignore-top-mtime", action="store_true",
                    help="do not compare the mtime of A and B themselves")
    ap.add_argument("--sparse", action="store_true",
                    help="report files with holes in A but none in B")
    ap.add_argument("--no-owner", action="store_true",
                    help="do not compare uid/gid")
    ap.add_argument("--no-xattrs", action="store_true",
                    help="do not compare extended attributes and ACLs")
    ap.add_argument("--all-xattrs", action="store_true",
                    help="compare every xattr, not only user.* and ACLs")
    o = ap.parse_args()

    sides = []
    for label, path in (("A", o.a), ("B", o.b)):
        try:
            fd = os.open(os.fsencode(path), os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            print("treecmp: %s: %s" % (path, e.strerror), file=sys.stderr)
            return 2
        sides.append((Side(label, fd), fd))
    (a, fa), (b, fb) = sides
    c = Cmp(o)
    cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        sa, sb = os.fstat(fa), os.fstat(fb)
        c.entry(b"", a, b, fa, None, fb, None, sa, sb)
        c.hardlinks(a, b)
    finally:
        os.fchdir(cwd)
    for e in errors:
        print("treecmp: " + e, file=sys.stderr)
    if errors:
        return 2
    return 1 if c.ndiff else 0


if __name__ == "__main__":
    sys.exit(main())
