/* fuzz_policy.c: policy_parse, backup policy files (INI, via inih).
 *
 * Input: the text of a policy file (not NUL-terminated: the parser is given
 * the length).  A policy that parses must hold what bkp backup, run and
 * prune rely on (the limits of bkp-policy(5)); its schedule and retention
 * rules are then used as bkp run and prune use them, on a fixed history.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "policy.h"
#include "retention.h"
#include "schedule.h"

static volatile uint64_t sink;

#define NOW ((int64_t)1709251199 * 1000000000)
#define DAY ((int64_t)86400 * 1000000000)
#define NSETS 40

static void
check(const struct policy *p)
{
	if (p->name == NULL || strlen(p->name) > 64 ||
	    strchr(p->name, '/') != NULL || p->name[0] == '.')
		fuzz_fail("policy", "bad name accepted");
	if (p->paths.n == 0)
		fuzz_fail("policy", "no source path");
	for (size_t i = 0; i < p->paths.n; i++)
		if (p->paths.v[i][0] != '/')
			fuzz_fail("policy", "relative source path");
	for (size_t i = 0; i < p->excludes.n; i++)
		(void)strlen(p->excludes.v[i]);
	if (p->repo_url == NULL || p->pubkey == NULL || p->signkey == NULL)
		fuzz_fail("policy", "required key missing");
	if (p->part_size < (1u << 20) || p->part_size > (1ULL << 36) ||
	    p->zstd_level < 1 || p->zstd_level > 19 ||
	    p->threads < 0 || p->threads > 64)
		fuzz_fail("policy", "number out of range");
	if (p->one_file_system != 0 && p->one_file_system != 1)
		fuzz_fail("policy", "boolean not 0 or 1");
	if (p->retention.keep_last < 0 || p->retention.keep_last > 100000 ||
	    p->retention.keep_daily < 0 || p->retention.keep_daily > 100000 ||
	    p->retention.keep_weekly < 0 ||
	    p->retention.keep_weekly > 100000 ||
	    p->retention.keep_monthly < 0 ||
	    p->retention.keep_monthly > 100000 ||
	    p->retention.keep_yearly < 0 ||
	    p->retention.keep_yearly > 100000 ||
	    p->retention.min_versions < 3 ||
	    p->retention.min_versions > 100000)
		fuzz_fail("policy", "retention out of range");
	if (p->schedule.full.kind > PERIOD_MONTHLY ||
	    p->schedule.incr.kind > PERIOD_MONTHLY ||
	    p->schedule.full.wday < 0 || p->schedule.full.wday > 6 ||
	    p->schedule.incr.wday < 0 || p->schedule.incr.wday > 6)
		fuzz_fail("policy", "schedule out of range");
	if ((p->schedule.window_start == -1) !=
	    (p->schedule.window_end == -1) ||
	    (p->schedule.window_start != -1 &&
	    (p->schedule.window_start < 0 ||
	    p->schedule.window_start > 24 * 60 ||
	    p->schedule.window_end < 0 || p->schedule.window_end > 24 * 60 ||
	    p->schedule.window_start == p->schedule.window_end)))
		fuzz_fail("policy", "window out of range");
	if (p->hook_timeout < 1 || p->hook_timeout > 86400)
		fuzz_fail("policy", "hook timeout out of range");
	if ((p->hook_pre && !*p->hook_pre) ||
	    (p->hook_post && !*p->hook_post) ||
	    (p->hook_failure && !*p->hook_failure))
		fuzz_fail("policy", "empty hook");
}

/* What bkp run and prune do with the rules: on a fixed history of a full
 * every 7 days and daily incrementals. */
static void
use(const struct policy *p)
{
	static struct retention_set sets[NSETS];
	int64_t next;
	size_t kept = 0;

	for (int i = 0; i < NSETS; i++) {
		memset(&sets[i], 0, sizeof(sets[i]));
		sets[i].time_ns = NOW - (int64_t)(NSETS - i) * DAY;
		sets[i].parent = i % 7 == 0 ? -1 : i - 1;
	}
	retention_apply(&p->retention, sets, NSETS);
	for (int i = 0; i < NSETS; i++) {
		if (sets[i].reason == NULL)
			fuzz_fail("policy", "retention gave no reason");
		sink += strlen(sets[i].reason);
		kept += sets[i].keep != 0;
		/* A kept incremental keeps its parent. */
		if (sets[i].keep && sets[i].parent >= 0 &&
		    !sets[sets[i].parent].keep)
			fuzz_fail("policy", "kept a set without its parent");
	}
	if (!sets[NSETS - 1].keep)
		fuzz_fail("policy", "the newest set is not kept");
	if (kept < (size_t)(p->retention.min_versions < NSETS ?
	    p->retention.min_versions : NSETS))
		fuzz_fail("policy", "fewer than min_versions kept");
	(void)schedule_due(&p->schedule, NOW, NOW - 8 * DAY, NOW - DAY, 1,
	    &next);
	(void)schedule_due(&p->schedule, NOW, 0, 0, 0, &next);
	sink += (uint64_t)schedule_in_window(&p->schedule, NOW) +
	    (uint64_t)schedule_period_seconds(&p->schedule.full) +
	    (uint64_t)schedule_period_seconds(&p->schedule.incr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = (struct policy *)&p;

	if (policy_parse((const char *)data, size, "/etc/bkp/fuzz.policy",
	    &p) == 0) {
		if (p == NULL)
			fuzz_fail("policy", "success without a policy");
		check(p);
		use(p);
		policy_free(p);
	} else if (p != NULL) {
		fuzz_fail("policy", "failure left a policy behind");
	}
	return 0;
}
