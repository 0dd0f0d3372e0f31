/* extract_file.c: writing plain regular files without libarchive's writer.
 *
 * libarchive's writer makes some 45 system calls a file: with
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS it walks and re-opens every directory of
 * every path, reads the umask, looks for the file twice.  Here a worker
 * keeps the directory it last wrote into open: the walk to it is made
 * once, component by component with O_NOFOLLOW | O_DIRECTORY, so a
 * symlink on the way is refused, not followed; files are then made with
 * openat, written, given owner, mode and times through their descriptor,
 * and renamed into place within that directory: about eight calls.  What
 * this does not do (xattrs, ACLs, streams, replacing what is in the way)
 * stays with libarchive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "extract_int.h"

void
extract_temp_name(struct xworker *w, const char *path, char *out,
    size_t size)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	snprintf(out, size, "%.*s.bkp-restore.%d.%u.%lu", dirlen, path,
	    (int)getpid(), w->id, w->tmpcount++);
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

int
extract_copy_data(struct archive *in, uint64_t size, uint8_t hash[32],
    int (*put)(void *arg, const void *buf, size_t n, uint64_t off),
    void *arg, uint64_t *bytes)
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
		if (put(arg, buf, n, (uint64_t)off) != 0)
			return 1;
		*bytes += n;
	}
	if (r != ARCHIVE_EOF)
		return -1;
	hash_zeros(&h, size - pos);
	crypto_generichash_final(&h, hash, 32);
	return 0;
}

/* Opens (making it if missing) directory name in dirfd, never through a
 * symlink; -1 with errno. */
static int
open_subdir(struct extract *x, int dirfd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, name, flags);

	if (fd == -1 && errno == ENOENT &&
	    (mkdirat(dirfd, name, x->dirmode) == 0 || errno == EEXIST))
		fd = openat(dirfd, name, flags);
	return fd;
}

/* The directory that holds path, open: the worker's last one if it is the
 * same.  Sets *base to the last component.  -1 with errno. */
static int
parent_dir(struct xworker *w, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	char comp[PATH_MAX + 1];
	int fd;

	*base = slash ? slash + 1 : path;
	if (w->dirfd >= 0 && strlen(w->dirpath) == len &&
	    memcmp(w->dirpath, path, len) == 0)
		return w->dirfd;
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = -1;
	if ((fd = fcntl(w->x->rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	for (const char *p = path; p < path + len;) {
		const char *end = memchr(p, '/', (size_t)(path + len - p));
		size_t n = end ? (size_t)(end - p) : (size_t)(path + len - p);
		int next;

		memcpy(comp, p, n);
		comp[n] = '\0';
		next = open_subdir(w->x, fd, comp);
		close(fd);
		if ((fd = next) == -1)
			return -1;
		p += n + 1;
	}
	memcpy(w->dirpath, path, len);
	w->dirpath[len] = '\0';
	return w->dirfd = fd;
}

static int
put_fd(void *arg, const void *buf, size_t n, uint64_t off)
{
	const int *fd = arg;

	while (n > 0) {
		ssize_t k = pwrite(*fd, buf, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 1;
		buf = (const uint8_t *)buf + k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Owner (as root), mode and times, through fd, as libarchive's writer
 * with ARCHIVE_EXTRACT_OWNER | PERM | TIME would set them. */
static int
set_metadata(struct xworker *w, int fd, struct archive_entry *ae,
    const struct manifest_entry *e)
{
	mode_t mode = e->mode & 07777;
	struct timespec ts[2];

	if (geteuid() == 0) {
		la_int64_t uid = archive_write_disk_uid(w->disk,
		    archive_entry_uname(ae), archive_entry_uid(ae));
		la_int64_t gid = archive_write_disk_gid(w->disk,
		    archive_entry_gname(ae), archive_entry_gid(ae));

		if (fchown(fd, (uid_t)uid, (gid_t)gid) != 0)
			mode &= ~(mode_t)(S_ISUID | S_ISGID);
	} else if (archive_entry_uid(ae) != (la_int64_t)geteuid() ||
	    archive_entry_gid(ae) != (la_int64_t)getegid())
		mode &= ~(mode_t)(S_ISUID | S_ISGID);
	ts[1].tv_sec = e->mtime_sec;
	ts[1].tv_nsec = (long)e->mtime_nsec;
	if (archive_entry_atime_is_set(ae)) {
		ts[0].tv_sec = archive_entry_atime(ae);
		ts[0].tv_nsec = archive_entry_atime_nsec(ae);
	} else
		ts[0] = ts[1];
	return fchmod(fd, mode) != 0 || futimens(fd, ts) != 0 ? -1 : 0;
}

/* Writes the content to fd; 0, 1 (write error), 2 (hash), -1 (part). */
static int
write_content(struct xworker *w, struct archive *in, int fd,
    struct archive_entry *ae, const struct manifest_entry *e)
{
	uint64_t before = w->stats.bytes;
	uint8_t hash[32];
	int r = extract_copy_data(in, e->size, hash, put_fd, &fd,
	    &w->stats.bytes);

	/* Holes are skipped: one at the end leaves the file short. */
	if (r == 0 && w->stats.bytes - before != e->size &&
	    ftruncate(fd, (off_t)e->size) != 0)
		r = 1;
	if (r == 0 && sodium_memcmp(hash, e->hash, 32) != 0)
		r = 2;
	if (r == 0 && set_metadata(w, fd, ae, e) != 0)
		r = 1;
	return r;
}

static int
needs_libarchive(struct archive_entry *ae, const struct manifest_entry *e)
{
	return (e->flags & ENTRY_STREAM) || archive_entry_xattr_count(ae) ||
	    archive_entry_acl_count(ae, ARCHIVE_ENTRY_ACL_TYPE_ACCESS |
	    ARCHIVE_ENTRY_ACL_TYPE_DEFAULT | ARCHIVE_ENTRY_ACL_TYPE_NFS4) ||
	    archive_entry_fflags_text(ae) != NULL;
}

int
extract_file_fast(struct xworker *w, struct archive *in,
    struct archive_entry *ae, const struct manifest_entry *e)
{
	char tmp[PATH_MAX + 64];
	const char *base, *tbase;
	int dirfd, fd, r;

	if (needs_libarchive(ae, e))
		return 1;
	if ((dirfd = parent_dir(w, e->path, &base)) == -1) {
		xworker_failed(w, e->path, errno == ELOOP ||
		    errno == ENOTDIR ? "a symlink or a file is on its path "
		    "in the target; refused" : strerror(errno));
		return 0;
	}
	extract_temp_name(w, base, tmp, sizeof(tmp));
	tbase = tmp;
	if ((fd = openat(dirfd, tbase, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		xworker_failed(w, e->path, strerror(errno));
		return 0;
	}
	r = write_content(w, in, fd, ae, e);
	if (close(fd) != 0 && r == 0)
		r = 1;
	if (r == 0 && renameat(dirfd, tbase, dirfd, base) != 0)
		r = 1;
	if (r != 0) {
		int err = errno;

		unlinkat(dirfd, tbase, 0);
		xworker_failed(w, e->path, r < 0 ? "the part is damaged" :
		    r == 2 ? "content does not match its hash" :
		    strerror(err));
		return r < 0 ? -BKP_ECORRUPT : 0;
	}
	w->x->done[e - w->x->m->e] = DONE_OK;
	w->stats.entries++;
	return 0;
}
