/* repo_keyed.h: a repository opened, and its secret key unlocked, side by
 * side. */
#ifndef BKP_REPO_KEYED_H
#define BKP_REPO_KEYED_H

#include "keys.h"
#include "repo.h"

/* seckey_load(keyfile, passfile) and repo_open(url, o) at once: the key's
 * passphrase is asked for first (it may prompt), then its derivation
 * (Argon2, a tenth of a second) runs while the repository is reached (a
 * remote one takes round trips).  0 with both, or the first failure of
 * the two (the key's first) with neither. */
int repo_open_keyed(const char *url, const struct transport_opts *o,
    const char *keyfile, const char *passfile, struct repo **repo,
    struct bkp_seckey **sec);

#endif
