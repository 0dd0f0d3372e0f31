/* catalog.h: the sets of a repository, read from their seals alone.
 *
 * Needs no local state: everything comes from the repository.  A seal that
 * does not verify is reported and left out; sets without a seal are listed
 * as interrupted.
 */
#ifndef BKP_CATALOG_H
#define BKP_CATALOG_H

#include <stddef.h>

#include "repo.h"
#include "seal.h"

struct catalog {
	struct seal *sets;	/* sealed and verified, oldest first */
	size_t n;
	char (*interrupted)[SETID_LEN + 1];
	size_t ninterrupted;
	size_t nbad;		/* seals that failed to verify */
};

int catalog_load(struct repo *r, const uint8_t (*trusted)[32],
    size_t ntrusted, struct catalog *c);
void catalog_release(struct catalog *c);
/* The newest set, or the set with this id; NULL (reported) if none. */
const struct seal *catalog_pick(const struct catalog *c, const char *setid,
    const char *url);
/* The newest set that started at or before at_ns; NULL (reported, naming
 * the earliest time there is) if none. */
const struct seal *catalog_pick_at(const struct catalog *c, int64_t at_ns,
    const char *url);

#endif
