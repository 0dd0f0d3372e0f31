/* backup_tree.c: change detection and storing of entries. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "backup_tree.h"
#include "error.h"
#include "log.h"
#include "walk.h"

#define READ_SIZE (256 * 1024)

struct inode_key {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct tree {
	const struct backup_tree_opts *o;
	struct setwriter *sw;
	struct manifest *m;
	struct backup_stats *stats;
	struct archive *disk;	/* metadata lookups (xattrs, ACLs, names) */
	void *inodes;		/* tsearch tree of hard-linked inodes */
	size_t prev_hint;	/* manifest_find_next in o->prev */
	uint8_t *buf;
	struct timespec last_progress;
};

static void
warn_cb(void *ctx, const char *path, const char *what)
{
	struct tree *t = ctx;

	log_warn("%s: %s", path, what);
	t->stats->warnings++;
}

static int
cmp_inode(const void *a, const void *b)
{
	const struct inode_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void
free_inode(void *p)
{
	struct inode_key *k = p;

	free(k->path);
	free(k);
}

/* The first path seen for this hard-linked inode, or NULL (then it is
 * remembered as the first). */
static const char *
first_link(struct tree *t, const struct walk_item *it, int *oom)
{
	struct inode_key key = { it->st->st_dev, it->st->st_ino, NULL };
	struct inode_key *k, **found;

	if ((found = tfind(&key, &t->inodes, cmp_inode)) != NULL)
		return (*found)->path;
	if ((k = malloc(sizeof(*k))) == NULL ||
	    (k->path = strdup(it->path)) == NULL) {
		free(k);
		*oom = 1;
		return NULL;
	}
	k->dev = key.dev;
	k->ino = key.ino;
	if (tsearch(k, &t->inodes, cmp_inode) == NULL) {
		free_inode(k);
		*oom = 1;
	}
	return NULL;
}

static uint8_t
entry_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return ENTRY_FILE;
	case S_IFDIR: return ENTRY_DIR;
	case S_IFLNK: return ENTRY_SYMLINK;
	case S_IFIFO: return ENTRY_FIFO;
	case S_IFCHR: return ENTRY_CHR;
	case S_IFBLK: return ENTRY_BLK;
	default: return 0;
	}
}

static void
entry_from_stat(struct manifest_entry *e, const struct walk_item *it)
{
	const struct stat *st = it->st;

	memset(e, 0, sizeof(*e));
	e->path = (char *)it->path;
	e->type = entry_type(st->st_mode);
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime_sec = st->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->ctime_sec = st->st_ctim.tv_sec;
	e->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
	e->size = e->type == ENTRY_FILE || e->type == ENTRY_SYMLINK ?
	    (uint64_t)st->st_size : 0;
	e->ino = st->st_ino;
	e->dev = st->st_dev;
	e->rdev = st->st_rdev;
}

/* Unchanged since the previous manifest: same type, size, times, inode. */
static const struct manifest_entry *
unchanged(struct tree *t, const struct manifest_entry *e)
{
	const struct manifest_entry *p;

	/* The walk goes in manifest order: the previous manifest's entries
	 * come up one after the other. */
	if (t->o->prev == NULL ||
	    (p = manifest_find_next(t->o->prev, e->path, &t->prev_hint)) ==
	    NULL)
		return NULL;
	if (p->type != e->type || p->where != WHERE_PART ||
	    (p->flags & ENTRY_CHANGED) || p->size != e->size ||
	    p->mtime_sec != e->mtime_sec || p->mtime_nsec != e->mtime_nsec ||
	    p->ctime_sec != e->ctime_sec || p->ctime_nsec != e->ctime_nsec ||
	    p->ino != e->ino || p->dev != e->dev || p->mode != e->mode ||
	    p->uid != e->uid || p->gid != e->gid)
		return NULL;
	return p;
}

static int
add_entry(struct tree *t, struct manifest_entry *e)
{
	t->stats->entries++;
	if (e->type == ENTRY_FILE)
		t->stats->bytes_total += e->size;
	return manifest_add(t->m, e);
}

static void
progress(struct tree *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec * 4 + now.tv_nsec / 250000000 ==
	    t->last_progress.tv_sec * 4 + t->last_progress.tv_nsec / 250000000)
		return;
	t->last_progress = now;
	log_progress("%llu entries, %.1f MiB read, %.1f MiB stored",
	    (unsigned long long)t->stats->entries,
	    t->stats->bytes_read / 1048576.0,
	    setwriter_stored(t->sw) / 1048576.0);
}

/* Reads size bytes of fd into the hash and, when store is set, into the
 * set.  A file that shrank, or whose read failed (*read_err), is padded with
 * zeros so that the stored entry matches its header and its hash. */
static int
read_content(struct tree *t, int fd, uint64_t size, int store,
    uint8_t hash[32], int *short_read, int *read_err)
{
	crypto_generichash_state h;
	uint64_t done = 0;
	int rc;

	crypto_generichash_init(&h, NULL, 0, 32);
	*short_read = 0;
	*read_err = 0;
	while (done < size) {
		size_t want = size - done < READ_SIZE ? size - done : READ_SIZE;
		ssize_t n = *short_read ? 0 : read(fd, t->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			*read_err = errno;
		if (n <= 0) {
			*short_read = 1;
			memset(t->buf, 0, want);
			n = (ssize_t)want;
		}
		crypto_generichash_update(&h, t->buf, (size_t)n);
		if (store && (rc = setwriter_entry_data(t->sw, t->buf,
		    (size_t)n)) != 0)
			return rc;
		done += (uint64_t)n;
		t->stats->bytes_read += (uint64_t)n;
		progress(t);
	}
	crypto_generichash_final(&h, hash, 32);
	return 0;
}

/* Opens a regular file for reading without following a symlink that
 * replaced it, and without touching its atime when allowed. */
static int
open_file(const struct walk_item *it)
{
	int fd = openat(it->dirfd, it->name, O_RDONLY | O_NOFOLLOW |
	    O_NOATIME | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1 && errno == EPERM)
		fd = openat(it->dirfd, it->name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
	return fd;
}

static int
same_version(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
	    a->st_ino == b->st_ino;
}

/* Stores one entry (header, and content for files) in the set. */
static int
store_entry(struct tree *t, const struct walk_item *it, int fd,
    struct manifest_entry *e)
{
	struct archive_entry *ae;
	struct stat after;
	int shrank = 0, read_err = 0, rc;

	if ((ae = archive_entry_new2(t->disk)) == NULL)
		return -BKP_ENOMEM;
	archive_entry_copy_sourcepath(ae, it->abspath);
	if (archive_read_disk_entry_from_file(t->disk, ae, fd, it->st) <
	    ARCHIVE_WARN) {
		warn_cb(t, it->abspath, archive_error_string(t->disk));
		rc = 1;
		goto out;
	}
	archive_entry_copy_pathname(ae, it->path);
	if (e->type == ENTRY_SYMLINK)
		e->link = (char *)archive_entry_symlink(ae);
	e->uname = (char *)archive_entry_uname(ae);
	e->gname = (char *)archive_entry_gname(ae);
	e->where = WHERE_PART;
	e->set = (uint32_t)manifest_set_index(t->m, setwriter_setid(t->sw));
	if ((rc = setwriter_entry_begin(t->sw, ae, &e->part)) != 0)
		goto out;
	if (e->type == ENTRY_FILE) {
		if ((rc = read_content(t, fd, e->size, 1, e->hash, &shrank,
		    &read_err)) != 0)
			goto out;
		if (read_err)
			warn_cb(t, it->abspath, strerror(read_err));
		if (shrank || fstat(fd, &after) != 0 ||
		    !same_version(it->st, &after)) {
			warn_cb(t, it->abspath, "changed while being read; "
			    "stored as read, re-read next time");
			e->flags |= ENTRY_CHANGED;
		}
	}
	rc = setwriter_entry_end(t->sw);
	if (rc == 0)
		rc = add_entry(t, e);
	t->stats->files_stored++;
out:
	archive_entry_free(ae);
	return rc;
}

/* With --checksum, an unchanged-looking file is re-read and its hash
 * compared: 1 when the content is the same. */
static int
same_content(struct tree *t, const struct walk_item *it,
    const struct manifest_entry *p)
{
	uint8_t hash[32];
	int fd, short_read, read_err, same = 0;

	if ((fd = open_file(it)) == -1)
		return 0;
	if (read_content(t, fd, p->size, 0, hash, &short_read,
	    &read_err) == 0 && !short_read)
		same = sodium_memcmp(hash, p->hash, 32) == 0;
	close(fd);
	return same;
}

static int
reuse_entry(struct tree *t, struct manifest_entry *e,
    const struct manifest_entry *p)
{
	int64_t set = manifest_set_index(t->m,
	    manifest_entry_set(t->o->prev, p));

	if (set < 0)
		return -BKP_ENOMEM;
	memcpy(e->hash, p->hash, 32);
	e->link = p->link;
	e->uname = p->uname;
	e->gname = p->gname;
	e->where = WHERE_PART;
	e->set = (uint32_t)set;
	e->part = p->part;
	return add_entry(t, e);
}

static int
store_file(struct tree *t, const struct walk_item *it,
    struct manifest_entry *e)
{
	struct stat st;
	int fd, rc;

	if ((fd = open_file(it)) == -1) {
		warn_cb(t, it->abspath, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_ino != it->st->st_ino) {
		warn_cb(t, it->abspath, "replaced while being read; skipped");
		close(fd);
		return 0;
	}
	rc = store_entry(t, it, fd, e);
	close(fd);
	return rc;
}

static int
visit(void *ctx, const struct walk_item *it, int fd)
{
	struct tree *t = ctx;
	struct manifest_entry e;
	const struct manifest_entry *p;
	int oom = 0;

	entry_from_stat(&e, it);
	if (e.type == 0)
		return 0;
	if (e.type == ENTRY_FILE && it->st->st_nlink > 1) {
		const char *first = first_link(t, it, &oom);

		if (oom)
			return -BKP_ENOMEM;
		if (first) {
			e.type = ENTRY_HARDLINK;
			e.link = (char *)first;
			e.where = WHERE_NONE;
			return add_entry(t, &e);
		}
	}
	if ((p = unchanged(t, &e)) != NULL && (!t->o->checksum ||
	    e.type != ENTRY_FILE || same_content(t, it, p)))
		return reuse_entry(t, &e, p);
	if (e.type == ENTRY_FILE)
		return store_file(t, it, &e);
	/* A directory that could not be opened is still recorded. */
	return store_entry(t, it, e.type == ENTRY_DIR ? fd : -1, &e);
}

int
backup_tree(const struct backup_tree_opts *o, struct setwriter *sw,
    struct manifest *m, struct backup_stats *stats)
{
	struct tree t;
	int rc = -BKP_ENOMEM;

	memset(&t, 0, sizeof(t));
	memset(stats, 0, sizeof(*stats));
	t.o = o;
	t.sw = sw;
	t.m = m;
	t.stats = stats;
	if ((t.disk = archive_read_disk_new()) == NULL ||
	    archive_read_disk_set_standard_lookup(t.disk) != ARCHIVE_OK ||
	    (t.buf = malloc(READ_SIZE)) == NULL)
		goto out;
	rc = walk_sources(o->policy, visit, warn_cb, &t);
	log_progress_end();
out:
	tdestroy(t.inodes, free_inode);
	if (t.disk)
		archive_read_free(t.disk);
	free(t.buf);
	return rc;
}
