/* extract.h: restores the entries of a set into a target directory.
 *
 * Reads only the parts the manifest points at, several at once (a worker
 * thread per CPU, at most 4, each taking the next part); every
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

/* What to do with an entry whose path exists in the target. */
enum overwrite {
	OVERWRITE_NEVER,	/* leave it alone and report it */
	OVERWRITE_OLDER,	/* replace it if it is older than the entry */
	OVERWRITE_ALWAYS,
};

struct extract_opts {
	const char *target;
	int numeric_owner;
	enum overwrite overwrite;
	const uint8_t (*trusted)[32];	/* signers whose seals are accepted */
	size_t ntrusted;
};

struct extract_stats {
	uint64_t entries;	/* restored */
	uint64_t bytes;		/* content bytes written */
	uint64_t failed;	/* entries that could not be restored */
	uint64_t kept;		/* existing entries left alone */
	uint64_t present;	/* files already there with the right content */
	uint32_t parts;		/* parts read */
	uint64_t fetched;	/* ciphertext bytes read: manifest and parts */
};

struct extract;

/* Opens a set for restoring: checks its seal, decrypts its manifest. */
int extract_open(struct repo *r, const struct bkp_seckey *sec,
    const char *setid, const struct extract_opts *o, struct extract **x);
const struct manifest *extract_manifest(const struct extract *x);
/* Restores only the entries selected (select_entries); default: all. */
size_t extract_select(struct extract *x, char *const *patterns, size_t n);
/* Restores only these exact paths (select_paths). */
size_t extract_select_paths(struct extract *x, const char *const *paths,
    size_t n);
/* 1 if entry i is selected. */
int extract_selected(const struct extract *x, size_t i);
/* 0, -BKP_EPARTIAL when some entries failed, or another error. */
int extract_run(struct extract *x, struct extract_stats *stats);
void extract_free(struct extract *x);

#endif
