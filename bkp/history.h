/* history.h: what a policy's repository holds, from its seals: the
 * newest full and newest set, how many restorable sets, and whether the
 * local manifest cache can extend the chain. */
#ifndef BKP_HISTORY_H
#define BKP_HISTORY_H

#include <stdint.h>

#include "policy.h"
#include "repo.h"

struct history {
	int64_t last_full, last_any;	/* ns, 0 when none */
	char newest[SETID_LEN + 1];
	uint64_t nsets;
	uint64_t stored;		/* ciphertext bytes of the policy's sets */
	uint64_t future;		/* sets dated in the future (clock was
					 * wrong): not counted as recent */
	int chain_usable;		/* the cache's set is in the repository */
};

int history_load(const struct policy *p, int accept_new_host_key,
    struct history *h);

/* Offsite repository i of p against h (the first repository's history):
 * 1 with why[] set when it is unreachable or behind (fewer of the
 * policy's sets, or not the newest), else 0. */
int history_offsite_behind(const struct policy *p, size_t i,
    const struct history *h, char *why, size_t n);

#endif
