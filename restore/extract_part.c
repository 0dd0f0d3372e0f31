/* extract_part.c: a restore worker: reads one part and writes its entries. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "extract_int.h"
#include "extract_stream.h"
#include "log.h"
#include "repo.h"

void
xworker_failed(struct xworker *w, const char *path, const char *why)
{
	log_error("%s: not restored: %s", path, why);
	w->stats.failed++;
}

static la_ssize_t
part_read_cb(struct archive *a, void *arg, const void **buf)
{
	struct xworker *w = arg;
	size_t got;

	if (istream_read(w->is, w->buf, sizeof(w->buf), &got) != 0) {
		archive_set_error(a, EIO, "part unreadable");
		return -1;
	}
	*buf = w->buf;
	return (la_ssize_t)got;
}

static int
put_disk(void *arg, const void *buf, size_t n, uint64_t off)
{
	return archive_write_data_block(arg, buf, n, (la_int64_t)off) <
	    ARCHIVE_OK ? 1 : 0;
}

/* libarchive's writer: everything but plain regular files (and those
 * too when they carry xattrs or ACLs, or something is in the way). */
static int
restore_file(struct xworker *w, struct archive *in, struct archive_entry *ae,
    const struct manifest_entry *e)
{
	char tmp[PATH_MAX + 64];
	uint8_t hash[32];
	uint64_t first = (uint64_t)archive_entry_size(ae);
	int r;

	extract_temp_name(w, e->path, tmp, sizeof(tmp));
	archive_entry_copy_pathname(ae, tmp);
	if (e->flags & ENTRY_STREAM)	/* the first chunk stands for all */
		archive_entry_set_size(ae, (la_int64_t)e->size);
	if (archive_write_header(w->disk, ae) < ARCHIVE_WARN) {
		xworker_failed(w, e->path, archive_error_string(w->disk));
		return 0;
	}
	r = e->flags & ENTRY_STREAM ? extract_stream_copy(w->disk, in, first,
	    e, hash, &w->stats.bytes) : extract_copy_data(in, e->size, hash,
	    put_disk, w->disk, &w->stats.bytes);
	if (archive_write_finish_entry(w->disk) < ARCHIVE_WARN && r == 0)
		r = 1;
	if (r == 0 && sodium_memcmp(hash, e->hash, 32) != 0)
		r = 2;
	if (r == 0 && rename(tmp, e->path) != 0)
		r = 1;
	if (r != 0) {
		unlink(tmp);
		xworker_failed(w, e->path, r < 0 ? "the part is damaged" :
		    r == 2 ? "content does not match its hash" :
		    archive_error_string(w->disk) ?
		    archive_error_string(w->disk) : strerror(errno));
		return r < 0 ? -BKP_ECORRUPT : 0;
	}
	w->x->done[e - w->x->m->e] = DONE_OK;
	w->stats.entries++;
	return 0;
}

static int
restore_other(struct xworker *w, struct archive_entry *ae,
    const struct manifest_entry *e)
{
	if (archive_write_header(w->disk, ae) < ARCHIVE_WARN ||
	    archive_write_finish_entry(w->disk) < ARCHIVE_WARN) {
		xworker_failed(w, e->path, archive_error_string(w->disk));
		return 0;
	}
	w->x->done[e - w->x->m->e] = DONE_OK;
	w->stats.entries++;
	return 0;
}

/* 1 if no directory on the way to path (relative to the target, the
 * current directory) is a symlink or another non-directory: path then
 * names something inside the target.  Manifest paths are relative and have
 * no "." or ".." component.  A missing directory is fine: nothing is
 * there. */
int
extract_beneath(const char *path)
{
	char buf[PATH_MAX + 1];
	struct stat st;
	size_t len = strlen(path);

	if (len > PATH_MAX)
		return 0;
	memcpy(buf, path, len + 1);
	for (char *s = buf; (s = strchr(s, '/')) != NULL; *s++ = '/') {
		*s = '\0';
		if (lstat(buf, &st) != 0)
			return errno == ENOENT;
		if (!S_ISDIR(st.st_mode))
			return 0;
	}
	return 1;
}

/* What is already at an entry's path in the target. */
enum existing { EXIST_NONE, EXIST_SAME, EXIST_KEEP, EXIST_REPLACE };

/* 1 if the file at path has this content hash (a resumed restore). */
static int
same_content(struct xworker *w, const char *path, const uint8_t want[32])
{
	crypto_generichash_state h;
	uint8_t hash[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	crypto_generichash_init(&h, NULL, 0, 32);
	/* Not w->buf: libarchive is still reading the part from there. */
	while ((n = read(fd, w->cmpbuf, sizeof(w->cmpbuf))) > 0)
		crypto_generichash_update(&h, w->cmpbuf, (size_t)n);
	close(fd);
	crypto_generichash_final(&h, hash, 32);
	return n == 0 && sodium_memcmp(hash, want, 32) == 0;
}

/* 1 if the symlink at path points at target. */
static int
same_link(const char *path, const char *target)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlink(path, buf, sizeof(buf));

	return n >= 0 && (size_t)n == strlen(target) &&
	    memcmp(buf, target, (size_t)n) == 0;
}

/* 1 if st is e as the set has it (a restore run again). */
static int
same_special(const struct stat *st, const struct manifest_entry *e)
{
	if (S_ISLNK(st->st_mode))
		return e->type == ENTRY_SYMLINK && same_link(e->path, e->link);
	if ((st->st_mode & 07777) != e->mode)
		return 0;
	return (S_ISFIFO(st->st_mode) && e->type == ENTRY_FIFO) ||
	    (S_ISCHR(st->st_mode) && e->type == ENTRY_CHR &&
	    st->st_rdev == e->rdev) ||
	    (S_ISBLK(st->st_mode) && e->type == ENTRY_BLK &&
	    st->st_rdev == e->rdev);
}

static enum existing
existing(struct xworker *w, const struct manifest_entry *e)
{
	struct stat st, target;

	/* A target that was empty holds only what this restore made, and
	 * every path is made once. */
	if (w->x->fresh)
		return EXIST_NONE;
	/* Below a symlink is outside the target: never looked at there, and
	 * restoring it is refused (ARCHIVE_EXTRACT_SECURE_SYMLINKS). */
	if (!extract_beneath(e->path) || lstat(e->path, &st) != 0)
		return EXIST_NONE;
	if (e->type == ENTRY_HARDLINK && lstat(e->link, &target) == 0 &&
	    target.st_ino == st.st_ino && target.st_dev == st.st_dev)
		return EXIST_SAME;
	if (S_ISDIR(st.st_mode) && e->type == ENTRY_DIR)
		return EXIST_REPLACE;	/* merge into it, update its metadata */
	if (same_special(&st, e) || (S_ISREG(st.st_mode) &&
	    e->type == ENTRY_FILE && (uint64_t)st.st_size == e->size &&
	    same_content(w, e->path, e->hash)))
		return EXIST_SAME;
	switch (w->x->o->overwrite) {
	case OVERWRITE_ALWAYS:
		return EXIST_REPLACE;
	case OVERWRITE_OLDER:
		if (st.st_mtim.tv_sec < e->mtime_sec ||
		    (st.st_mtim.tv_sec == e->mtime_sec &&
		    st.st_mtim.tv_nsec < (long)e->mtime_nsec))
			return EXIST_REPLACE;
		return EXIST_KEEP;
	default:
		return EXIST_KEEP;
	}
}

/* EXIST_NONE or EXIST_REPLACE when the entry must be restored; counts the
 * ones that are not (and says EXIST_SAME or EXIST_KEEP). */
static enum existing
should_restore(struct xworker *w, const struct manifest_entry *e)
{
	enum existing ex = existing(w, e);

	switch (ex) {
	case EXIST_SAME:
		w->x->done[e - w->x->m->e] = DONE_OK;
		w->stats.present++;
		break;
	case EXIST_KEEP:
		w->x->done[e - w->x->m->e] = DONE_KEPT;
		log_warn("%s: exists in the target; left alone (see "
		    "--overwrite)", e->path);
		w->stats.kept++;
		break;
	default:
		break;
	}
	return ex;
}

static int
to_restore(enum existing ex)
{
	return ex == EXIST_NONE || ex == EXIST_REPLACE;
}

static uint8_t
pax_type(struct archive_entry *ae)
{
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG: return ENTRY_FILE;
	case AE_IFDIR: return ENTRY_DIR;
	case AE_IFLNK: return ENTRY_SYMLINK;
	case AE_IFIFO: return ENTRY_FIFO;
	case AE_IFCHR: return ENTRY_CHR;
	case AE_IFBLK: return ENTRY_BLK;
	default: return 0;
	}
}

/* The manifest entry this pax entry is for, if it belongs here. */
static const struct manifest_entry *
expected_entry(struct xworker *w, struct archive_entry *ae,
    const struct part_ref *ref)
{
	const char *name = archive_entry_pathname(ae);
	struct extract *x = w->x;
	const struct manifest_entry *e;
	char path[PATH_MAX + 1];
	size_t i, len;

	/* tar writes directories with a trailing '/'. */
	if (name == NULL || (len = strlen(name)) == 0 || len > PATH_MAX)
		return NULL;
	memcpy(path, name, len + 1);
	if (len > 1 && path[len - 1] == '/')
		path[len - 1] = '\0';
	if (!manifest_path_valid(path)) {
		/* Never legitimate: the writer only stores manifest paths. */
		xworker_failed(w, path, "hostile path in the part; refused");
		return NULL;
	}
	/* A stream is stored as chunk entries only: its first one leads. */
	if ((e = manifest_find(x->m, path)) != NULL &&
	    (e->flags & ENTRY_STREAM))
		return NULL;
	if (e == NULL && (e = extract_stream_first(x->m, path)) == NULL)
		return NULL;
	i = (size_t)(e - x->m->e);
	/* done[i] is only ever touched by the worker of the entry's part:
	 * another one (an older copy of the path in another part) must not
	 * read it while that worker writes it. */
	if (e->where != WHERE_PART || e->set != ref->set ||
	    e->part != ref->part || !x->sel[i] || x->done[i] ||
	    e->type != pax_type(ae) ||
	    archive_entry_hardlink(ae) != NULL ||
	    (e->type == ENTRY_FILE && !(e->flags & ENTRY_STREAM) &&
	    (uint64_t)archive_entry_size(ae) != e->size))
		return NULL;
	x->done[i] = DONE_SEEN;
	return e;
}

static int
restore_entry(struct xworker *w, struct archive *in, struct archive_entry *ae,
    const struct manifest_entry *e)
{
	enum existing ex = should_restore(w, e);
	int rc;

	if (!to_restore(ex))
		return 0;
	if (w->x->o->numeric_owner) {
		archive_entry_set_uname(ae, NULL);
		archive_entry_set_gname(ae, NULL);
	}
	if (e->type != ENTRY_FILE)
		return restore_other(w, ae, e);
	if (ex == EXIST_NONE && (rc = extract_file_fast(w, in, ae, e)) != 1)
		return rc;
	return restore_file(w, in, ae, e);
}

int
xworker_part(struct xworker *w, const struct part_ref *ref)
{
	struct extract *x = w->x;
	struct setreader *sr = x->readers[ref->set];
	struct archive_entry *ae;
	struct archive *in = NULL;
	const struct manifest_entry *e;
	int r, rc;

	if ((rc = setreader_part(sr, ref->part, &w->is)) != 0)
		return rc;
	w->stats.parts++;
	w->stats.fetched += setreader_seal(sr)->parts[ref->part].size;
	if ((in = archive_read_new()) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	archive_read_support_format_tar(in);
	if (archive_read_open(in, w, NULL, part_read_cb, NULL) != ARCHIVE_OK) {
		rc = -BKP_ECORRUPT;
		goto out;
	}
	while (rc == 0 && (r = archive_read_next_header(in, &ae)) ==
	    ARCHIVE_OK)
		if ((e = expected_entry(w, ae, ref)) != NULL)
			rc = restore_entry(w, in, ae, e);
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = -BKP_ECORRUPT;
out:
	if (rc == -BKP_ECORRUPT)
		log_error("%s: part %u of set %s is damaged; entries in it "
		    "are not restored", repo_url(x->r), ref->part,
		    x->m->sets[ref->set]);
	if (in)
		archive_read_free(in);
	istream_free(w->is);
	w->is = NULL;
	return rc;
}

int
xworker_hardlinks(struct xworker *w)
{
	struct extract *x = w->x;
	struct archive_entry *ae;

	for (size_t i = 0; i < x->m->n; i++) {
		const struct manifest_entry *e = &x->m->e[i];
		const struct manifest_entry *t;

		if (e->type != ENTRY_HARDLINK || !x->sel[i] || x->done[i])
			continue;
		t = manifest_find(x->m, e->link);
		if (t == NULL || x->done[t - x->m->e] < DONE_OK) {
			xworker_failed(w, e->path,
			    "its link target was not restored");
			continue;
		}
		x->done[i] = DONE_SEEN;
		if (!to_restore(should_restore(w, e)))
			continue;
		if ((ae = archive_entry_new()) == NULL)
			return -BKP_ENOMEM;
		archive_entry_copy_pathname(ae, e->path);
		archive_entry_copy_hardlink(ae, e->link);
		archive_entry_set_filetype(ae, AE_IFREG);
		restore_other(w, ae, e);
		archive_entry_free(ae);
	}
	return 0;
}

int
xworker_init(struct xworker *w, struct extract *x, unsigned id)
{
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
	    ARCHIVE_EXTRACT_SPARSE | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

	memset(&w->stats, 0, sizeof(w->stats));
	w->x = x;
	w->id = id;
	w->is = NULL;
	w->tmpcount = 0;
	w->dirfd = -1;
	w->dirpath[0] = '\0';
	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	if ((w->disk = archive_write_disk_new()) == NULL ||
	    archive_write_disk_set_options(w->disk, flags) != ARCHIVE_OK)
		return -BKP_ENOMEM;
	if (!x->o->numeric_owner)
		archive_write_disk_set_standard_lookup(w->disk);
	return 0;
}

void
xworker_release(struct xworker *w)
{
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = -1;
	if (w->disk)
		archive_write_free(w->disk);
	w->disk = NULL;
}
