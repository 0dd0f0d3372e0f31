/* backup_stores.h: the [stores] of a policy into a set: each dump streamed
 * into the set's parts (store_stream.h), its entry put into the manifest
 * at its place in walk order, under STORES_DIR. */
#ifndef BKP_BACKUP_STORES_H
#define BKP_BACKUP_STORES_H

#include "backup_tree.h"
#include "manifest.h"
#include "policy.h"
#include "setwriter.h"

/* Runs after backup_tree.  A store that fails is reported, left out of
 * the set and counted in stats->stores_failed (and warnings); the status
 * is 0, or negative when the set cannot be finished. */
int backup_stores(const struct policy *p, struct setwriter *sw,
    struct manifest *m, struct backup_stats *stats);

#endif
