/* schedule.h: what is due, when (pure logic, local time).
 *
 * Due times are calendar boundaries, not intervals since the last run: a
 * "daily" incremental is due once the newest set is older than today's
 * midnight, a "weekly sun" full once the newest full is older than the
 * last Sunday's midnight.  So calling bkp run every hour gives exactly one
 * set per day, and after days off one catch-up run, not one per missed
 * day.  Outside the window nothing starts.
 */
#ifndef BKP_SCHEDULE_H
#define BKP_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

enum period_kind { PERIOD_HOURLY, PERIOD_DAILY, PERIOD_WEEKLY,
    PERIOD_MONTHLY };

struct period {
	enum period_kind kind;
	int wday;		/* PERIOD_WEEKLY: 0 = Sunday .. 6 */
};

struct schedule {
	struct period full, incr;
	int window_start, window_end;	/* minutes after midnight; -1: none */
};

/* "hourly", "daily", "weekly [sun..sat]", "monthly"; 0 or -1. */
int schedule_parse_period(const char *s, struct period *p);
/* "01:00-05:00" (may wrap past midnight); 0 or -1. */
int schedule_parse_window(const char *s, int *start, int *end);

enum due { DUE_NOTHING, DUE_FULL, DUE_INCR };

/* What is due at now (ns) given the newest full and the newest set of any
 * level (0 when none) and whether the chain can be extended (a usable
 * parent).  *next gets the time (ns) the next backup falls due. */
enum due schedule_due(const struct schedule *s, int64_t now,
    int64_t last_full, int64_t last_any, int chain_usable, int64_t *next);

/* The nominal length of a period in seconds (a month counts 31 days). */
int64_t schedule_period_seconds(const struct period *p);

/* "daily", "weekly sun", as the policy file says it. */
void schedule_period_name(const struct period *p, char *out, size_t size);
/* The window's length in minutes (it may wrap past midnight); -1: none. */
int schedule_window_minutes(const struct schedule *s);

/* 1 if now is inside the window (or there is none). */
int schedule_in_window(const struct schedule *s, int64_t now);

#endif
