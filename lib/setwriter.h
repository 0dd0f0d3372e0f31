/* setwriter.h: writes one backup set into a repository.
 *
 * Order of writes (the commit protocol, docs/FORMAT.md): the sealed data
 * key, the parts, the manifest, and last the signed seal.  Until the seal is
 * in place the set does not exist for readers; setwriter_free on an
 * uncommitted writer discards the object being written and leaves the rest
 * for prune to collect.
 */
#ifndef BKP_SETWRITER_H
#define BKP_SETWRITER_H

#include <stdint.h>

#include "keys.h"
#include "manifest.h"
#include "repo.h"
#include "seal.h"

struct archive_entry;
struct setwriter;

struct setwriter_opts {
	uint64_t part_size;	/* start a new part beyond this many archive
				 * bytes (before compression) */
	int zstd_level;
	int threads;		/* zstd workers */
	uint8_t level;		/* LEVEL_FULL / LEVEL_INCR */
	const char *parent;	/* parent set id, or NULL */
	const char *policy;
	const char *host;
	int64_t time_ns;	/* start time; also the set id's time */
};

int setwriter_open(struct repo *r, const struct bkp_signkey *sig,
    const struct setwriter_opts *o, struct setwriter **sw);
const char *setwriter_setid(const struct setwriter *sw);

/* One pax entry: header, data (regular files), end.  *part gets the index
 * of the part that holds it. */
int setwriter_entry_begin(struct setwriter *sw, struct archive_entry *ae,
    uint32_t *part);
/* As setwriter_entry_begin, but always in the part of the entry before:
 * the chunk entries of one stream stay in one part. */
int setwriter_entry_next(struct setwriter *sw, struct archive_entry *ae);
int setwriter_entry_data(struct setwriter *sw, const void *buf, size_t n);
int setwriter_entry_end(struct setwriter *sw);

/* Ciphertext bytes written so far. */
uint64_t setwriter_stored(const struct setwriter *sw);

/* Finishes the last part, stores the manifest and the seal; s supplies the
 * statistics (nfiles, bytes, warnings, end time); the rest is filled in. */
int setwriter_commit(struct setwriter *sw, const struct manifest *m,
    struct seal *s);
void setwriter_free(struct setwriter *sw);

/* Encrypts and stores an object of set setid (used for the manifest). */
int setwriter_store_object(struct repo *r, const char *setid,
    const uint8_t *datakey, uint64_t index, const char *name,
    const char *magic, const void *data, size_t len,
    struct seal_object *out);

#endif
