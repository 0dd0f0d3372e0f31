/* retention.c: keep rules, chain-aware. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "retention.h"

enum period { DAY, WEEK, MONTH, YEAR };

static void
bucket(int64_t ns, enum period p, char *out, size_t size)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (p) {
	case DAY:
		strftime(out, size, "%Y-%m-%d", &tm);
		break;
	case WEEK:
		strftime(out, size, "%G-W%V", &tm);
		break;
	case MONTH:
		strftime(out, size, "%Y-%m", &tm);
		break;
	case YEAR:
		strftime(out, size, "%Y", &tm);
		break;
	}
}

static void
mark(struct retention_set *s, const char *fmt, const char *arg)
{
	if (s->keep)
		return;
	s->keep = 1;
	snprintf(s->reason_buf, sizeof(s->reason_buf), fmt, arg);
	s->reason = s->reason_buf;
}

/* Newest set of each of the newest `count` buckets of the period. */
static void
keep_buckets(struct retention_set *sets, size_t n, enum period p,
    int64_t count, const char *name)
{
	char last[32] = "", cur[32], fmt[48];

	snprintf(fmt, sizeof(fmt), "%s %%s", name);
	for (size_t i = n; i-- > 0 && count > 0;) {
		bucket(sets[i].time_ns, p, cur, sizeof(cur));
		if (strcmp(cur, last) == 0)
			continue;
		strcpy(last, cur);
		mark(&sets[i], fmt, cur);
		count--;
	}
}

/* A kept set keeps every set its manifest may point into. */
static void
keep_chains(struct retention_set *sets, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (!sets[i].keep)
			continue;
		for (int64_t p = sets[i].parent; p >= 0 && (size_t)p < n &&
		    (size_t)p < i; p = sets[p].parent) {
			if (sets[p].keep)
				break;
			sets[p].keep = 1;
			sets[p].reason = "parent of a kept set";
		}
	}
}

void
retention_apply(const struct retention_rules *r, struct retention_set *sets,
    size_t n)
{
	int64_t want;

	for (size_t i = 0; i < n; i++) {
		sets[i].keep = 0;
		sets[i].reason = "no rule keeps it";
	}
	if (n == 0)
		return;
	mark(&sets[n - 1], "%s", "newest set");
	for (int64_t k = 0; k < r->keep_last && (size_t)k < n; k++)
		mark(&sets[n - 1 - (size_t)k], "%s", "last");
	keep_buckets(sets, n, DAY, r->keep_daily, "daily");
	keep_buckets(sets, n, WEEK, r->keep_weekly, "weekly");
	keep_buckets(sets, n, MONTH, r->keep_monthly, "monthly");
	keep_buckets(sets, n, YEAR, r->keep_yearly, "yearly");
	/* At least min_versions restorable sets: the newest ones. */
	want = r->min_versions;
	for (size_t i = 0; i < n; i++)
		want -= sets[i].keep;
	for (size_t i = n; i-- > 0 && want > 0;) {
		if (sets[i].keep)
			continue;
		mark(&sets[i], "%s", "min_versions");
		want--;
	}
	keep_chains(sets, n);
}
