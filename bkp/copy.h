/* copy.h: copying sealed sets from one repository to another of the same
 * id (bkp copy, and the offsite targets of a policy).
 *
 * Only ciphertext moves: no key is needed.  Each set goes over in the
 * commit order (key objects, parts, manifest, seal last), so a copy cut
 * at any byte leaves the destination valid; a set whose seal is at the
 * destination is there, anything else is copied.  Every object read from
 * the source is checked against the seal (size and BLAKE2b hash) while it
 * streams, and only committed at the destination when it matches; the
 * key.KEYID objects of a key rotation, outside the seal, are copied as
 * they are.  An object already at the destination with the right size
 * and hash is skipped (a resumed copy redoes nothing); one that differs
 * is removed and copied again (the set is not sealed there, so nothing
 * reads it).
 */
#ifndef BKP_COPY_H
#define BKP_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "repo.h"

struct copy_opts {
	const char *policy;	/* only the sets of this policy; NULL: all */
	int quiet;		/* no line per set */
};

struct copy_stats {
	char (*copied)[SETID_LEN + 1];	/* sets copied by this run */
	size_t ncopied;
	char (*failed)[SETID_LEN + 1];	/* sets that could not be */
	size_t nfailed;
	size_t present;			/* sealed at both ends already */
	size_t objects_copied, objects_skipped;
	uint64_t bytes_copied;
};

/* Opens the destination at url for copies from src (copy_dest.c).  A
 * destination without a config (a missing or empty directory) gets the
 * source's; one with a config must have the source's repository id (else
 * -BKP_EREPO).  Then every config generation of the source (config,
 * config.N: key rotations, changes of signers) is copied, byte for byte,
 * where the destination lacks it, and must be identical where it has
 * it.  The destination is locked shared (lib/repolock.h) until it is
 * closed: prune and destroy wait. */
int copy_open_dest(struct repo *src, const char *url,
    const struct transport_opts *opts, struct repo **dst);

/* Copies every sealed set of src (of o->policy) missing at dst, oldest
 * first.  A set that fails is reported and left unsealed at dst, and its
 * descendants are not copied; the others still are.  0, or the status of
 * the first failure. */
int copy_sets(struct repo *src, struct repo *dst, const struct copy_opts *o,
    struct copy_stats *st);
void copy_stats_release(struct copy_stats *st);

/* For copy.c (copy_dest.c).  Copies key object sets/setid/name (a
 * key.KEYID of a key rotation, outside the seal) byte for byte: 1 when
 * copied, 0 when the destination has it already, or a negative status. */
int copy_keyobj(struct repo *src, struct repo *dst, const char *setid,
    const char *name);
/* When the source's keys changed (a config generation beyond config), the
 * key objects of every set sealed at both ends are brought in step: those
 * the source has are copied, those it no longer has removed. */
int copy_sync_keys(struct repo *src, struct repo *dst,
    const struct repo_setlist *from, const struct repo_setlist *to);

#endif
