/* extract_int.h: what the parts of extract share (not for other users).
 *
 * extract.c runs a restore: it picks the parts to read and hands them to
 * workers, one thread each (extract_part.c), that read a part at a time and
 * write its entries; extract_file.c is the workers' way of writing plain
 * regular files.  Everything in struct extract is read-only while workers
 * run, except done[], whose entries each belong to the one part (and so
 * the one worker) that holds the entry.
 */
#ifndef BKP_EXTRACT_INT_H
#define BKP_EXTRACT_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "extract.h"
#include "manifest.h"
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
	struct manifest *m;
	struct setreader *top;		/* the set being restored */
	struct setreader **readers;	/* one per manifest set */
	uint8_t *sel;			/* per manifest entry: asked for */
	uint8_t *done;			/* per manifest entry: DONE_* */
	int fresh;	/* the target was empty: nothing in it is in the way */
	int rootfd;	/* the target directory */
	mode_t dirmode;	/* for directories made on the way (0777 & ~umask) */
};

/* One worker: its own libarchive disk writer, buffers and counts. */
struct xworker {
	struct extract *x;
	struct extract_stats stats;
	struct archive *disk;
	struct istream *is;		/* part being read */
	unsigned id;
	unsigned long tmpcount;
	int dirfd;			/* the directory dirpath names, or -1 */
	char dirpath[PATH_MAX + 1];
	uint8_t buf[READ_BLOCK];	/* lent to libarchive (part_read_cb) */
	uint8_t cmpbuf[READ_BLOCK];	/* files already in the target */
};

int xworker_init(struct xworker *w, struct extract *x, unsigned id);
void xworker_release(struct xworker *w);
void xworker_failed(struct xworker *w, const char *path, const char *why);
/* Restores the selected entries that part ref holds. */
int xworker_part(struct xworker *w, const struct part_ref *ref);
/* Restores hard links, once every part is done. */
int xworker_hardlinks(struct xworker *w);

/* 1 if no directory on the way to path (in the target, the current
 * directory) is a symlink or another non-directory. */
int extract_beneath(const char *path);

/* Writes the regular file e from the current entry of in, through a
 * directory descriptor and without libarchive: 1 when e needs what only
 * libarchive's writer does (xattrs, ACLs, a stream, something in the
 * way), else 0 or a negative status (as restore_file). */
int extract_file_fast(struct xworker *w, struct archive *in,
    struct archive_entry *ae, const struct manifest_entry *e);
/* A temporary name for path's file, beside it. */
void extract_temp_name(struct xworker *w, const char *base, char *out,
    size_t size);
/* Copies an entry's data through put (at offsets: holes are skipped),
 * hashing the logical content (holes as zeros).  -1 on a read error of the
 * part, 1 on a write error. */
int extract_copy_data(struct archive *in, uint64_t size, uint8_t hash[32],
    int (*put)(void *arg, const void *buf, size_t n, uint64_t off),
    void *arg, uint64_t *bytes);

#endif
