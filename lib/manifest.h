/* manifest.h: the list of every entry of a backed-up tree.
 *
 * A set's manifest lists the whole tree at backup time, in walk order (see
 * manifest_path_cmp), each entry with its metadata, content hash and where
 * its bytes are: which set and part hold its pax entry.  Unchanged entries
 * of an incremental point into older sets, so restoring any set needs only
 * its manifest and the parts it points at.
 *
 * The encoding here is the plaintext; manifest_store/_load wrap it in the
 * compressed, encrypted envelope.
 */
#ifndef BKP_MANIFEST_H
#define BKP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "repo.h"

enum entry_type {
	ENTRY_FILE = 1,
	ENTRY_DIR = 2,
	ENTRY_SYMLINK = 3,
	ENTRY_HARDLINK = 4,	/* link to an earlier entry (link = its path) */
	ENTRY_FIFO = 5,
	ENTRY_CHR = 6,
	ENTRY_BLK = 7,
};

/* Where an entry's bytes are. */
enum entry_where {
	WHERE_NONE = 0,		/* manifest only (hard links) */
	WHERE_PART = 1,		/* a pax entry in part `part` of set `set` */
	WHERE_BLOCKS = 2,	/* reserved: a list of block references */
};

/* Flags. */
#define ENTRY_CHANGED 0x01	/* changed while read: re-read next time */
#define ENTRY_STREAM 0x02	/* a command's output, stored as chunk entries
				 * PATH.000000, PATH.000001, ... in one part */

struct manifest_entry {
	char *path;		/* relative to the root, no leading '/' */
	char *link;		/* symlink target or hard link's first path */
	char *uname, *gname;
	uint8_t type, where, flags;
	uint32_t mode, uid, gid;
	uint32_t set;		/* index into the manifest's set table */
	uint32_t part;
	int64_t mtime_sec, ctime_sec;
	uint32_t mtime_nsec, ctime_nsec;
	uint64_t size, ino, dev, rdev;
	uint8_t hash[32];	/* BLAKE2b-256 of the content (files) */
};

struct manifest {
	char setid[SETID_LEN + 1];
	struct manifest_entry *e;
	size_t n, cap;
	char (*sets)[SETID_LEN + 1];	/* sets the entries point at */
	uint32_t nsets;
};

#define MANIFEST_MAX_ENTRIES 100000000u
#define MANIFEST_MAX_SETS 100000u
#define MANIFEST_MAX_NAME 256

struct manifest *manifest_new(const char *setid);
void manifest_free(struct manifest *m);
/* Appends a copy of e (strings are duplicated).  Entries must be added in
 * walk order. */
int manifest_add(struct manifest *m, const struct manifest_entry *e);
/* The index of setid in the set table, added if new; -1 on failure. */
int64_t manifest_set_index(struct manifest *m, const char *setid);
const char *manifest_entry_set(const struct manifest *m,
    const struct manifest_entry *e);
/* The entry for path, or NULL (binary search; needs walk order). */
const struct manifest_entry *manifest_find(const struct manifest *m,
    const char *path);
/* As manifest_find, for lookups made in manifest order: *hint is where
 * the last one ended (start at 0), and the entry there is tried first. */
const struct manifest_entry *manifest_find_next(const struct manifest *m,
    const char *path, size_t *hint);

/* 1 if p is a relative path with no empty, "." or ".." component. */
int manifest_path_valid(const char *p);

/* Walk order: byte order, with '/' sorting before every other byte, so
 * that a directory's entries follow it directly. */
int manifest_path_cmp(const char *a, const char *b);

int manifest_encode(const struct manifest *m, struct wbuf *w);
int manifest_decode(const uint8_t *p, size_t n, struct manifest **m,
    const char *name);

#endif
