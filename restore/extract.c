/* extract.c: restoring a set's entries. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "error.h"
#include "extract.h"
#include "extract_stream.h"
#include "log.h"
#include "manifest.h"
#include "select.h"
#include "setreader.h"
#include "stream.h"

#define READ_BLOCK (128 * 1024)

/* done[i]: the entry was met in its part (or dealt with); it is in the
 * target, restored or found there with the right content; it is in the
 * target but not as restored (left alone, see --overwrite). */
#define DONE_SEEN 1
#define DONE_OK 2
#define DONE_KEPT 3

struct part_ref {
	uint32_t set, part;
};

struct extract {
	struct repo *r;
	const struct bkp_seckey *sec;
	const struct extract_opts *o;
	struct extract_stats *stats;
	struct manifest *m;
	struct setreader *top;		/* the set being restored */
	struct setreader **readers;	/* one per manifest set, opened lazily */
	uint8_t *sel;			/* per manifest entry: asked for */
	uint8_t *done;			/* per manifest entry: DONE_* */
	struct archive *disk;
	struct istream *is;		/* part being read */
	uint8_t buf[READ_BLOCK];	/* lent to libarchive (part_read_cb) */
	uint8_t cmpbuf[READ_BLOCK];	/* files already in the target */
	unsigned long tmpcount;
};

static void
failed(struct extract *x, const char *path, const char *why)
{
	log_error("%s: not restored: %s", path, why);
	x->stats->failed++;
}

static la_ssize_t
part_read_cb(struct archive *a, void *arg, const void **buf)
{
	struct extract *x = arg;
	size_t got;

	if (istream_read(x->is, x->buf, sizeof(x->buf), &got) != 0) {
		archive_set_error(a, EIO, "part unreadable");
		return -1;
	}
	*buf = x->buf;
	return (la_ssize_t)got;
}

static const uint8_t zeros[64 * 1024];

static void
hash_zeros(crypto_generichash_state *h, uint64_t n)
{
	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		crypto_generichash_update(h, zeros, k);
		n -= k;
	}
}

/* Copies an entry's data to disk, hashing the logical content (holes as
 * zeros).  -1 on a read error of the part, 1 on a write error. */
static int
copy_data(struct extract *x, struct archive *in, uint64_t size,
    uint8_t hash[32])
{
	crypto_generichash_state h;
	const void *buf;
	size_t n;
	la_int64_t off;
	uint64_t pos = 0;
	int r;

	crypto_generichash_init(&h, NULL, 0, 32);
	while ((r = archive_read_data_block(in, &buf, &n, &off)) ==
	    ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off + n > size)
			return -1;
		hash_zeros(&h, (uint64_t)off - pos);
		crypto_generichash_update(&h, buf, n);
		pos = (uint64_t)off + n;
		if (archive_write_data_block(x->disk, buf, n, off) < ARCHIVE_OK)
			return 1;
		x->stats->bytes += n;
	}
	if (r != ARCHIVE_EOF)
		return -1;
	hash_zeros(&h, size - pos);
	crypto_generichash_final(&h, hash, 32);
	return 0;
}

/* A temporary name beside path, for writing before the hash is known. */
static void
temp_name(struct extract *x, const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	snprintf(out, size, "%.*s.bkp-restore.%d.%lu", dirlen, path,
	    (int)getpid(), x->tmpcount++);
}

static int
restore_file(struct extract *x, struct archive *in, struct archive_entry *ae,
    const struct manifest_entry *e)
{
	char tmp[PATH_MAX + 64];
	uint8_t hash[32];
	uint64_t first = (uint64_t)archive_entry_size(ae);
	int r;

	temp_name(x, e->path, tmp, sizeof(tmp));
	archive_entry_copy_pathname(ae, tmp);
	if (e->flags & ENTRY_STREAM)	/* the first chunk stands for all */
		archive_entry_set_size(ae, (la_int64_t)e->size);
	if (archive_write_header(x->disk, ae) < ARCHIVE_WARN) {
		failed(x, e->path, archive_error_string(x->disk));
		return 0;
	}
	r = e->flags & ENTRY_STREAM ? extract_stream_copy(x->disk, in, first,
	    e, hash, &x->stats->bytes) : copy_data(x, in, e->size, hash);
	if (archive_write_finish_entry(x->disk) < ARCHIVE_WARN && r == 0)
		r = 1;
	if (r == 0 && sodium_memcmp(hash, e->hash, 32) != 0)
		r = 2;
	if (r == 0 && rename(tmp, e->path) != 0)
		r = 1;
	if (r != 0) {
		unlink(tmp);
		failed(x, e->path, r < 0 ? "the part is damaged" : r == 2 ?
		    "content does not match its hash" :
		    archive_error_string(x->disk) ?
		    archive_error_string(x->disk) : strerror(errno));
		return r < 0 ? -BKP_ECORRUPT : 0;
	}
	x->done[e - x->m->e] = DONE_OK;
	x->stats->entries++;
	return 0;
}

static int
restore_other(struct extract *x, struct archive_entry *ae,
    const struct manifest_entry *e)
{
	if (archive_write_header(x->disk, ae) < ARCHIVE_WARN ||
	    archive_write_finish_entry(x->disk) < ARCHIVE_WARN) {
		failed(x, e->path, archive_error_string(x->disk));
		return 0;
	}
	x->done[e - x->m->e] = DONE_OK;
	x->stats->entries++;
	return 0;
}

/* 1 if no directory on the way to path (relative to the target, the
 * current directory) is a symlink or another non-directory: path then
 * names something inside the target.  Manifest paths are relative and have
 * no "." or ".." component.  A missing directory is fine: nothing is
 * there. */
static int
beneath(const char *path)
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
same_content(struct extract *x, const char *path, const uint8_t want[32])
{
	crypto_generichash_state h;
	uint8_t hash[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	crypto_generichash_init(&h, NULL, 0, 32);
	/* Not x->buf: libarchive is still reading the part from there. */
	while ((n = read(fd, x->cmpbuf, sizeof(x->cmpbuf))) > 0)
		crypto_generichash_update(&h, x->cmpbuf, (size_t)n);
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

static enum existing
existing(struct extract *x, const struct manifest_entry *e)
{
	struct stat st;

	struct stat target;

	/* Below a symlink is outside the target: never looked at there, and
	 * restoring it is refused (ARCHIVE_EXTRACT_SECURE_SYMLINKS). */
	if (!beneath(e->path) || lstat(e->path, &st) != 0)
		return EXIST_NONE;
	if (e->type == ENTRY_HARDLINK && lstat(e->link, &target) == 0 &&
	    target.st_ino == st.st_ino && target.st_dev == st.st_dev)
		return EXIST_SAME;
	if (S_ISDIR(st.st_mode) && e->type == ENTRY_DIR)
		return EXIST_REPLACE;	/* merge into it, update its metadata */
	/* Restored before, as it is in the set (a restore run again). */
	if ((S_ISLNK(st.st_mode) && e->type == ENTRY_SYMLINK &&
	    same_link(e->path, e->link)) ||
	    (((S_ISFIFO(st.st_mode) && e->type == ENTRY_FIFO) ||
	    (S_ISCHR(st.st_mode) && e->type == ENTRY_CHR &&
	    st.st_rdev == e->rdev) ||
	    (S_ISBLK(st.st_mode) && e->type == ENTRY_BLK &&
	    st.st_rdev == e->rdev)) && (st.st_mode & 07777) == e->mode))
		return EXIST_SAME;
	if (S_ISREG(st.st_mode) && e->type == ENTRY_FILE &&
	    (uint64_t)st.st_size == e->size &&
	    same_content(x, e->path, e->hash))
		return EXIST_SAME;
	switch (x->o->overwrite) {
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

/* 1 when the entry must be restored; counts the ones that are not. */
static int
should_restore(struct extract *x, const struct manifest_entry *e)
{
	switch (existing(x, e)) {
	case EXIST_SAME:
		x->done[e - x->m->e] = DONE_OK;
		x->stats->present++;
		return 0;
	case EXIST_KEEP:
		x->done[e - x->m->e] = DONE_KEPT;
		log_warn("%s: exists in the target; left alone (see "
		    "--overwrite)", e->path);
		x->stats->kept++;
		return 0;
	default:
		return 1;
	}
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
expected_entry(struct extract *x, struct archive_entry *ae,
    const struct part_ref *ref)
{
	const char *name = archive_entry_pathname(ae);
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
		failed(x, path, "hostile path in the part; refused");
		return NULL;
	}
	/* A stream is stored as chunk entries only: its first one leads. */
	if ((e = manifest_find(x->m, path)) != NULL &&
	    (e->flags & ENTRY_STREAM))
		return NULL;
	if (e == NULL && (e = extract_stream_first(x->m, path)) == NULL)
		return NULL;
	i = (size_t)(e - x->m->e);
	if (!x->sel[i] || x->done[i] || e->where != WHERE_PART ||
	    e->set != ref->set ||
	    e->part != ref->part || e->type != pax_type(ae) ||
	    archive_entry_hardlink(ae) != NULL ||
	    (e->type == ENTRY_FILE && !(e->flags & ENTRY_STREAM) &&
	    (uint64_t)archive_entry_size(ae) != e->size))
		return NULL;
	x->done[i] = DONE_SEEN;
	return e;
}

static int
open_reader(struct extract *x, uint32_t set, struct setreader **sr)
{
	int rc;

	if (x->readers[set] == NULL &&
	    (rc = setreader_open(x->r, x->m->sets[set], x->o->trusted,
	    x->o->ntrusted, x->sec, &x->readers[set])) != 0)
		return rc;
	*sr = x->readers[set];
	return 0;
}

static int
extract_part(struct extract *x, const struct part_ref *ref)
{
	struct archive_entry *ae;
	struct archive *in = NULL;
	struct setreader *sr;
	const struct manifest_entry *e;
	int r, rc;

	if ((rc = open_reader(x, ref->set, &sr)) != 0 ||
	    (rc = setreader_part(sr, ref->part, &x->is)) != 0)
		return rc;
	x->stats->parts++;
	x->stats->fetched += setreader_seal(sr)->parts[ref->part].size;
	if ((in = archive_read_new()) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	archive_read_support_format_tar(in);
	if (archive_read_open(in, x, NULL, part_read_cb, NULL) != ARCHIVE_OK) {
		rc = -BKP_ECORRUPT;
		goto out;
	}
	while ((r = archive_read_next_header(in, &ae)) == ARCHIVE_OK) {
		if ((e = expected_entry(x, ae, ref)) == NULL ||
		    !should_restore(x, e))
			continue;
		if (x->o->numeric_owner) {
			archive_entry_set_uname(ae, NULL);
			archive_entry_set_gname(ae, NULL);
		}
		rc = e->type == ENTRY_FILE ? restore_file(x, in, ae, e) :
		    restore_other(x, ae, e);
		if (rc != 0)
			goto out;
	}
	if (r != ARCHIVE_EOF)
		rc = -BKP_ECORRUPT;
out:
	if (rc == -BKP_ECORRUPT)
		log_error("%s: part %u of set %s is damaged; entries in it "
		    "are not restored", repo_url(x->r), ref->part,
		    x->m->sets[ref->set]);
	if (in)
		archive_read_free(in);
	istream_free(x->is);
	x->is = NULL;
	return rc;
}

static int
cmp_refs(const void *a, const void *b)
{
	const struct part_ref *x = a, *y = b;

	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return x->part < y->part ? -1 : x->part > y->part;
}

/* The distinct (set, part) pairs the manifest points at, sorted. */
static struct part_ref *
needed_parts(const struct manifest *m, const uint8_t *sel, size_t *count)
{
	struct part_ref *v = malloc((m->n + 1) * sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (sel[i] && m->e[i].where == WHERE_PART) {
			v[n].set = m->e[i].set;
			v[n++].part = m->e[i].part;
		}
	qsort(v, n, sizeof(*v), cmp_refs);
	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (*count == 0 || cmp_refs(&v[*count - 1], &v[i]) != 0)
			v[(*count)++] = v[i];
	return v;
}

static int
restore_hardlinks(struct extract *x)
{
	struct archive_entry *ae;

	for (size_t i = 0; i < x->m->n; i++) {
		const struct manifest_entry *e = &x->m->e[i];
		const struct manifest_entry *t;

		if (e->type != ENTRY_HARDLINK || !x->sel[i])
			continue;
		t = manifest_find(x->m, e->link);
		if (t == NULL || x->done[t - x->m->e] < DONE_OK) {
			failed(x, e->path, "its link target was not restored");
			continue;
		}
		x->done[i] = DONE_SEEN;
		if (!should_restore(x, e))
			continue;
		if ((ae = archive_entry_new()) == NULL)
			return -BKP_ENOMEM;
		archive_entry_copy_pathname(ae, e->path);
		archive_entry_copy_hardlink(ae, e->link);
		archive_entry_set_filetype(ae, AE_IFREG);
		restore_other(x, ae, e);
		archive_entry_free(ae);
	}
	return 0;
}

/* Directory times last, deepest first (reverse walk order): writing into a
 * directory changes its mtime, and a directory that already existed when
 * its own entry came had its time set too early. */
static void
restore_dir_times(struct extract *x)
{
	for (size_t i = x->m->n; i-- > 0;) {
		const struct manifest_entry *e = &x->m->e[i];
		struct timespec ts[2];

		/* Only directories restored or merged into, never through
		 * a symlink. */
		if (e->type != ENTRY_DIR || x->done[i] != DONE_OK ||
		    !beneath(e->path))
			continue;
		ts[0].tv_sec = e->mtime_sec;
		ts[0].tv_nsec = e->mtime_nsec;
		ts[1] = ts[0];
		if (utimensat(AT_FDCWD, e->path, ts, AT_SYMLINK_NOFOLLOW) != 0)
			log_warn("%s: cannot set its time: %s", e->path,
			    strerror(errno));
	}
}

static void
report_missing(struct extract *x)
{
	for (size_t i = 0; i < x->m->n; i++)
		if (x->sel[i] && !x->done[i] && x->m->e[i].where == WHERE_PART)
			failed(x, x->m->e[i].path, "missing from its part");
}

static int
disk_writer(struct extract *x)
{
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
	    ARCHIVE_EXTRACT_SPARSE | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	if ((x->disk = archive_write_disk_new()) == NULL ||
	    archive_write_disk_set_options(x->disk, flags) != ARCHIVE_OK)
		return -BKP_ENOMEM;
	if (!x->o->numeric_owner)
		archive_write_disk_set_standard_lookup(x->disk);
	return 0;
}

static int
extract_all(struct extract *x)
{
	struct part_ref *refs;
	size_t nrefs = 0;
	int rc = 0;

	if ((refs = needed_parts(x->m, x->sel, &nrefs)) == NULL)
		return -BKP_ENOMEM;
	for (size_t i = 0; i < nrefs && rc == 0; i++) {
		rc = extract_part(x, &refs[i]);
		if (rc == -BKP_ECORRUPT || rc == -BKP_ENOTFOUND)
			rc = 0;	/* salvage: report and go on */
	}
	free(refs);
	if (rc == 0)
		rc = restore_hardlinks(x);
	report_missing(x);
	/* libarchive fixes up the permissions of the directories it made. */
	if (archive_write_close(x->disk) != ARCHIVE_OK && rc == 0) {
		log_error("%s: %s", x->o->target,
		    archive_error_string(x->disk));
		x->stats->failed++;
	}
	restore_dir_times(x);
	return rc;
}

int
extract_open(struct repo *r, const struct bkp_seckey *sec, const char *setid,
    const struct extract_opts *o, struct extract **xp)
{
	struct extract *x;
	int rc;

	*xp = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -BKP_ENOMEM;
	x->r = r;
	x->sec = sec;
	x->o = o;
	if ((rc = setreader_open(r, setid, o->trusted, o->ntrusted, sec,
	    &x->top)) != 0 || (rc = setreader_manifest(x->top, &x->m)) != 0)
		goto err;
	if ((x->readers = calloc(x->m->nsets + 1, sizeof(*x->readers))) ==
	    NULL || (x->done = calloc(x->m->n + 1, 1)) == NULL ||
	    (x->sel = calloc(x->m->n + 1, 1)) == NULL) {
		rc = -BKP_ENOMEM;
		goto err;
	}
	extract_select(x, NULL, 0);
	*xp = x;
	return 0;
err:
	extract_free(x);
	return rc;
}

const struct manifest *
extract_manifest(const struct extract *x)
{
	return x->m;
}

size_t
extract_select(struct extract *x, char *const *patterns, size_t n)
{
	return select_entries(x->m, patterns, n, x->sel);
}

size_t
extract_select_paths(struct extract *x, const char *const *paths, size_t n)
{
	return select_paths(x->m, paths, n, x->sel);
}

int
extract_selected(const struct extract *x, size_t i)
{
	return x->sel[i];
}

int
extract_run(struct extract *x, struct extract_stats *stats)
{
	int rc;

	memset(stats, 0, sizeof(*stats));
	x->stats = stats;
	stats->fetched = setreader_seal(x->top)->manifest.size;
	if ((rc = disk_writer(x)) != 0)
		return rc;
	if (chdir(x->o->target) != 0)
		return log_errno_code("%s: cannot enter target", x->o->target);
	rc = extract_all(x);
	if (rc == 0 && stats->failed)
		rc = -BKP_EPARTIAL;
	return rc;
}

void
extract_free(struct extract *x)
{
	if (x == NULL)
		return;
	if (x->readers)
		for (uint32_t i = 0; i < x->m->nsets; i++)
			setreader_free(x->readers[i]);
	free(x->readers);
	free(x->done);
	free(x->sel);
	if (x->disk)
		archive_write_free(x->disk);
	manifest_free(x->m);
	setreader_free(x->top);
	free(x);
}
