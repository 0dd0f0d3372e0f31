/* repogen.h: generations of the repository config.
 *
 * `config` is written once by bkp init and never replaced.  A change of the
 * config (key rotation: a new box_pk; key trust / key revoke: the signer
 * lists) is written as a new write-once object `config.N`, N = 1, 2, ...;
 * the config in force is the one with the highest N (docs/FORMAT.md, "Key
 * rotation and revocation").  Two writers racing for the same N cannot both
 * succeed: the object is write-once, so the loser fails and runs again.
 */
#ifndef BKP_REPOGEN_H
#define BKP_REPOGEN_H

#include <stdint.h>

#include "repo.h"
#include "transport.h"

#define REPO_CONFIG_MAX 8192

/* Reads `config` and the newest `config.N`; *gen (may be NULL) gets N, 0
 * when there is none.  Every generation must carry the repository id of
 * `config`. */
int repogen_load(struct transport *t, const char *url, struct repo_config *c,
    uint32_t *gen);

/* Writes c as the next generation.  Refuses (-BKP_EREPO) when the config
 * in force is no longer the one r was opened with (another bkp changed it
 * meanwhile): the caller opens the repository again and retries. */
int repogen_update(struct repo *r, const struct repo_config *c);

/* 1 if box_pk is not the repository's key but was the key of an earlier
 * generation (rotated away from: it still opens the sets whose key
 * objects for it were kept), with a warning that says so; else 0. */
int repogen_past_key(struct repo *r, const uint8_t box_pk[32]);

/* The object name of generation gen ("config" for 0) into out[32]. */
void repogen_name(uint32_t gen, char out[32]);

#endif
