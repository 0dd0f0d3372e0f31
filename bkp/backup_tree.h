/* backup_tree.h: turns the walked source tree into a set: for every entry,
 * decides whether it changed since the previous manifest, and either points
 * at the old copy or stores it anew (reading and hashing the content). */
#ifndef BKP_BACKUP_TREE_H
#define BKP_BACKUP_TREE_H

#include <stdint.h>

#include "manifest.h"
#include "policy.h"
#include "setwriter.h"

struct backup_stats {
	uint64_t entries;	/* in the manifest */
	uint64_t files_stored;	/* entries stored in this set */
	uint64_t bytes_read;	/* content read from the sources */
	uint64_t bytes_total;	/* content size of the whole tree */
	uint32_t warnings;
	uint32_t stores_failed;	/* [stores] dumps that failed */
};

struct backup_tree_opts {
	const struct policy *policy;
	const struct manifest *prev;	/* NULL for a full backup */
	int checksum;			/* re-read unchanged files */
};

/* Walks the policy's sources into sw and m. */
int backup_tree(const struct backup_tree_opts *o, struct setwriter *sw,
    struct manifest *m, struct backup_stats *stats);

#endif
