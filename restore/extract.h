/* extract.h: restores the entries of a set into a target directory.
 *
 * Reads only the parts the manifest points at, one after another; every
 * regular file is written under a temporary name, its hash compared with
 * the manifest, and only then renamed to its real name.  libarchive's
 * secure extraction refuses "..", absolute paths and paths through
 * symlinks; entries are also checked against the manifest (path, type,
 * set and part), so a part cannot smuggle in anything the signed seal and
 * the authenticated manifest do not list.  A file that fails is reported
 * and the rest continues.
 */
#ifndef BKP_EXTRACT_H
#define BKP_EXTRACT_H

#include <stdint.h>

#include "keys.h"
#include "repo.h"

struct extract_opts {
	const char *target;
	int numeric_owner;
	const uint8_t (*trusted)[32];	/* signers whose seals are accepted */
	size_t ntrusted;
};

struct extract_stats {
	uint64_t entries;	/* restored */
	uint64_t bytes;		/* content bytes written */
	uint64_t failed;	/* entries that could not be restored */
	uint32_t parts;		/* parts read */
};

/* 0, -BKP_EPARTIAL when some entries failed, or another error. */
int extract_set(struct repo *r, const struct bkp_seckey *sec,
    const char *setid, const struct extract_opts *o,
    struct extract_stats *stats);

#endif
