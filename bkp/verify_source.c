/* verify_source.c: --compare-source, a restored file against the live file
 * it was backed up from.
 *
 * Backup records every entry by its absolute path without the leading '/'
 * (bkp/walk.c: the walk starts at each source root's parent), so the live
 * file of manifest path P is /P, whatever the policy's source roots.
 *
 * It is compared only when it is still the version the backup read: a
 * regular file with the size, modification time, change time (both to the
 * nanosecond), inode and device number that the manifest records (what an
 * incremental backup itself takes to mean "unchanged").  A write through
 * the file system changes the ctime, which no one can set back; so a file
 * that passes, yet whose content hash (BLAKE2b-256) differs from the
 * manifest's, was altered beneath the file system's notice: bit rot or a
 * bad disk on the source side, or a corrupted read at backup time.  The
 * restored copy has just been checked against that same manifest hash by
 * the extraction, so the manifest hash stands for the restored content.
 *
 * Counted and skipped: files changed or gone since the backup (or flagged
 * as changed while it read them), and files with no live copy to compare
 * here: dumps of [stores], files of sets made on another host, files that
 * cannot be opened or read (warned about).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "verify.h"

#define SOURCE_READ_SIZE (256 * 1024)

enum source_verdict {
	SOURCE_SAME,
	SOURCE_DIFFERS,
	SOURCE_CHANGED,		/* changed or gone since the backup */
	SOURCE_SKIPPED,		/* nothing to compare here */
};

/* 1 if st is the version of the file that the manifest describes. */
static int
same_version(const struct stat *st, const struct manifest_entry *e)
{
	return S_ISREG(st->st_mode) && (uint64_t)st->st_size == e->size &&
	    (int64_t)st->st_mtim.tv_sec == e->mtime_sec &&
	    (uint32_t)st->st_mtim.tv_nsec == e->mtime_nsec &&
	    (int64_t)st->st_ctim.tv_sec == e->ctime_sec &&
	    (uint32_t)st->st_ctim.tv_nsec == e->ctime_nsec &&
	    (uint64_t)st->st_ino == e->ino && (uint64_t)st->st_dev == e->dev;
}

/* 1 if the set was made on this host (the live file can be ours). */
static int
made_here(const struct vset *s)
{
	char host[HOST_NAME_MAX + 1];

	if (!s->ok || s->seal.host == NULL ||
	    gethostname(host, sizeof(host)) != 0)
		return 0;
	host[HOST_NAME_MAX] = '\0';
	return strcmp(host, s->seal.host) == 0;
}

/* Opens the live file without following a symlink and, when allowed,
 * without touching its atime. */
static int
open_live(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_NONBLOCK |
	    O_CLOEXEC);

	if (fd == -1 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	return fd;
}

/* Hashes size bytes of fd.  *short_read is set when the file ended early;
 * a read error is returned as an errno value (0: none). */
static int
hash_live(int fd, uint64_t size, uint8_t *buf, uint8_t hash[32],
    int *short_read)
{
	crypto_generichash_state h;
	uint64_t done = 0;

	*short_read = 0;
	crypto_generichash_init(&h, NULL, 0, 32);
	while (done < size) {
		size_t want = size - done < SOURCE_READ_SIZE ?
		    (size_t)(size - done) : SOURCE_READ_SIZE;
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0) {
			*short_read = 1;
			break;
		}
		crypto_generichash_update(&h, buf, (size_t)n);
		done += (uint64_t)n;
	}
	crypto_generichash_final(&h, hash, 32);
	return 0;
}

/* Reads the open live file and compares it with entry e. */
static int
compare_open(int fd, const char *path, const struct manifest_entry *e,
    enum source_verdict *verdict)
{
	uint8_t hash[32], *buf;
	struct stat st;
	int short_read, err;

	if (fstat(fd, &st) != 0 || !same_version(&st, e)) {
		*verdict = SOURCE_CHANGED;
		return 0;
	}
	if ((buf = malloc(SOURCE_READ_SIZE)) == NULL)
		return -BKP_ENOMEM;
	err = hash_live(fd, e->size, buf, hash, &short_read);
	free(buf);
	if (err != 0) {
		log_warn("%s: cannot read the source to compare it: %s", path,
		    strerror(err));
		*verdict = SOURCE_SKIPPED;
	} else if (short_read || fstat(fd, &st) != 0 ||
	    !same_version(&st, e)) {
		*verdict = SOURCE_CHANGED;	/* while we read it */
	} else {
		*verdict = sodium_memcmp(hash, e->hash, 32) == 0 ?
		    SOURCE_SAME : SOURCE_DIFFERS;
	}
	return 0;
}

/* What the live file of entry e of set s says. */
static int
compare_live(const struct vset *s, const struct manifest_entry *e,
    enum source_verdict *verdict)
{
	char path[PATH_MAX];
	int fd, rc;

	*verdict = SOURCE_SKIPPED;
	if ((e->flags & ENTRY_STREAM) || !made_here(s))
		return 0;
	*verdict = SOURCE_CHANGED;
	if (e->flags & ENTRY_CHANGED)
		return 0;	/* the backup did not read one version */
	if ((size_t)snprintf(path, sizeof(path), "/%s", e->path) >=
	    sizeof(path))
		return 0;	/* no such path here now */
	if ((fd = open_live(path)) == -1) {
		if (errno == EACCES || errno == EPERM || errno == EIO) {
			log_warn("%s: cannot open the source to compare it: "
			    "%s", path, strerror(errno));
			*verdict = SOURCE_SKIPPED;
		}
		return 0;	/* else gone or replaced: changed */
	}
	rc = compare_open(fd, path, e, verdict);
	close(fd);
	return rc;
}

int
verify_source(struct verify *v, const struct vcand *c)
{
	const struct manifest_entry *e = &v->sets[c->owner].m->e[c->entry];
	enum source_verdict verdict;
	char obj[32];
	int rc;

	if ((rc = compare_live(&v->sets[c->owner], e, &verdict)) != 0)
		return rc;
	switch (verdict) {
	case SOURCE_SAME:
		v->src.compared++;
		break;
	case SOURCE_DIFFERS:
		v->src.compared++;
		v->src.differ++;
		snprintf(obj, sizeof(obj), "part %u", c->part);
		verify_problem(v, &v->sets[c->holder], obj, "source",
		    "%s: source differs (the live file has the size, times "
		    "and inode of the version backed up, but another "
		    "content: silent corruption of the source or of the "
		    "backup; check the disk, restore the file and compare)",
		    e->path);
		break;
	case SOURCE_CHANGED:
		v->src.changed++;
		log_info("%s: skipped: source changed since the backup",
		    e->path);
		break;
	case SOURCE_SKIPPED:
		v->src.skipped++;
		break;
	}
	return 0;
}
