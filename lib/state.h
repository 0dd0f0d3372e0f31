/* state.h: local state: where it lives, and the manifest cache.
 *
 * Local state only makes things faster or remembers history: restore never
 * needs it.  The manifest cache holds the plaintext manifest of the last
 * set a policy wrote to a repository, so that a write-only backup host (no
 * secret key) can run incrementals; without it the next backup is full.
 * Files are 0600 and written atomically.
 */
#ifndef BKP_STATE_H
#define BKP_STATE_H

#include "manifest.h"

/* $BKP_STATE_DIR, else /var/lib/bkp for root, else
 * $XDG_STATE_HOME/bkp or ~/.local/state/bkp.  Created 0700 on demand. */
int state_dir(char *out, size_t size);

/* The cache file of policy for the repository id. */
int state_cache_path(const char *repo_id_hex, const char *policy, char *out,
    size_t size);
/* -BKP_ENOTFOUND when there is none; a damaged cache is reported as a
 * warning and treated as absent. */
int state_cache_load(const char *path, struct manifest **m);
int state_cache_save(const char *path, const struct manifest *m);

/* Writes data to path atomically: temporary file, fsync, rename, fsync of
 * the directory.  Mode 0600. */
int state_write_atomic(const char *path, const void *data, size_t len);

#endif
