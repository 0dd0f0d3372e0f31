/* retention.h: which sets a retention policy keeps (pure logic, no I/O).
 *
 * Like restic's forget --keep-*: keep_last keeps the newest N sets;
 * keep_daily/weekly/monthly/yearly keep the newest set of each of the
 * newest N days/ISO weeks/months/years that have a set (in UTC).  On top:
 * at least min_versions restorable sets are kept (the newest ones), the
 * newest set is always kept, and keeping a set keeps its whole chain
 * (an incremental's parent, its parent, ... back to the full), since its
 * manifest points into them.  Every set gets the rule that decided.
 */
#ifndef BKP_RETENTION_H
#define BKP_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct retention_rules {
	int64_t keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly;
	int64_t min_versions;
};

struct retention_set {
	int64_t time_ns;
	int64_t parent;		/* index of the parent set, -1 for a full */
	/* Out: */
	int keep;
	const char *reason;	/* "daily 2026-11-21", "chain of ...", ... */
	char reason_buf[64];
};

/* Decides keep/reason for sets[0..n), which must be sorted oldest first. */
void retention_apply(const struct retention_rules *r,
    struct retention_set *sets, size_t n);

#endif
