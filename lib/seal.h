/* seal.h: the signed commit record of a set.
 *
 * Written last: a set exists only once its seal is in place.  It names the
 * set, its parent and level, and lists the size and BLAKE2b-256 hash of the
 * ciphertext of every object of the set (sealed key, manifest, parts), so
 * that a host without the secret key can prove the set complete and
 * untampered.  Signed with Ed25519 by the backup host's signing key.
 */
#ifndef BKP_SEAL_H
#define BKP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"
#include "repo.h"

enum set_level { LEVEL_FULL = 1, LEVEL_INCR = 2 };

struct seal_object {
	uint64_t size;
	uint8_t hash[32];
};

struct seal {
	char setid[SETID_LEN + 1];
	char parent[SETID_LEN + 1];	/* "" for a full set */
	uint8_t level;
	int64_t time_ns;		/* start of the backup, UTC */
	int64_t end_ns;
	char *policy, *host;
	uint64_t nfiles, bytes, stored;	/* entries, source bytes, ciphertext */
	uint32_t warnings;
	struct seal_object key, manifest;
	uint32_t nparts;
	struct seal_object *parts;
	uint8_t signer[32];
};

#define SEAL_MAX (64u << 20)
#define SEAL_MAX_PARTS 1000000u
#define SEAL_MAX_NAME 256

void seal_release(struct seal *s);
/* Encodes and signs. */
int seal_encode(const struct seal *s, const struct bkp_signkey *sig,
    struct wbuf *w);
/* Decodes and checks the signature: the signer must be one of trusted[]
 * (refused before the check otherwise).  0, or -BKP_ECORRUPT. */
int seal_decode(const uint8_t *p, size_t n, const uint8_t (*trusted)[32],
    size_t ntrusted, struct seal *s, const char *name);

#endif
