/* schedule.c: calendar boundaries in local time. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "schedule.h"

#define NS 1000000000LL

static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
    "fri", "sat" };
static const char *const day_names[] = { "sunday", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday" };

int
schedule_parse_period(const char *s, struct period *p)
{
	char word[16], day[16], extra;
	int n = sscanf(s, "%15s %15s %c", word, day, &extra);

	p->wday = 0;
	if (n < 1)
		return -1;
	if (strcasecmp(word, "hourly") == 0 && n == 1)
		p->kind = PERIOD_HOURLY;
	else if (strcasecmp(word, "daily") == 0 && n == 1)
		p->kind = PERIOD_DAILY;
	else if (strcasecmp(word, "monthly") == 0 && n == 1)
		p->kind = PERIOD_MONTHLY;
	else if (strcasecmp(word, "weekly") == 0 && n <= 2) {
		p->kind = PERIOD_WEEKLY;
		if (n == 1)
			return 0;
		/* "sun" or "sunday", not "sunflower"; nothing after it. */
		for (int i = 0; i < 7; i++)
			if (strcasecmp(day, days[i]) == 0 ||
			    strcasecmp(day, day_names[i]) == 0)
				return p->wday = i, 0;
		return -1;
	} else
		return -1;
	return 0;
}

int
schedule_parse_window(const char *s, int *start, int *end)
{
	int h1, m1, h2, m2;
	char extra;

	if (sscanf(s, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &extra) != 4 ||
	    h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 ||
	    m2 < 0 || m2 > 59 || (h1 == 24 && m1) || (h2 == 24 && m2) ||
	    h1 * 60 + m1 == h2 * 60 + m2)
		return -1;
	*start = h1 * 60 + m1;
	*end = h2 * 60 + m2;
	return 0;
}

/* The latest boundary of the period at or before now, in ns. */
static int64_t
boundary(const struct period *p, int64_t now)
{
	time_t t = (time_t)(now / NS);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_sec = 0;
	tm.tm_min = 0;
	if (p->kind != PERIOD_HOURLY)
		tm.tm_hour = 0;
	if (p->kind == PERIOD_WEEKLY)
		tm.tm_mday -= (tm.tm_wday - p->wday + 7) % 7;
	if (p->kind == PERIOD_MONTHLY)
		tm.tm_mday = 1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * NS;
}

/* The boundary after the one at or before now. */
static int64_t
next_boundary(const struct period *p, int64_t now)
{
	time_t t = (time_t)(boundary(p, now) / NS);
	struct tm tm;

	localtime_r(&t, &tm);
	switch (p->kind) {
	case PERIOD_HOURLY: tm.tm_hour++; break;
	case PERIOD_DAILY: tm.tm_mday++; break;
	case PERIOD_WEEKLY: tm.tm_mday += 7; break;
	case PERIOD_MONTHLY: tm.tm_mon++; break;
	}
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * NS;
}

static int
minute_of_day(int64_t now)
{
	time_t t = (time_t)(now / NS);
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_hour * 60 + tm.tm_min;
}

int
schedule_in_window(const struct schedule *s, int64_t now)
{
	int m;

	if (s->window_start < 0)
		return 1;
	m = minute_of_day(now);
	if (s->window_start < s->window_end)
		return m >= s->window_start && m < s->window_end;
	return m >= s->window_start || m < s->window_end;
}

/* The next time at or after t inside the window. */
static int64_t
window_open(const struct schedule *s, int64_t t)
{
	for (int i = 0; i < 48 * 60 && !schedule_in_window(s, t); i++)
		t = (t / (60 * NS) + 1) * 60 * NS;
	return t;
}

enum due
schedule_due(const struct schedule *s, int64_t now, int64_t last_full,
    int64_t last_any, int chain_usable, int64_t *next)
{
	int full = last_full == 0 || !chain_usable ||
	    last_full < boundary(&s->full, now);
	int incr = last_any < boundary(&s->incr, now);
	int64_t due_at;

	if (full || incr) {
		due_at = now;
	} else {
		due_at = next_boundary(&s->incr, now);
		if (next_boundary(&s->full, now) < due_at)
			due_at = next_boundary(&s->full, now);
	}
	*next = window_open(s, due_at);
	if (!schedule_in_window(s, now) || !(full || incr))
		return DUE_NOTHING;
	return full ? DUE_FULL : DUE_INCR;
}

int64_t
schedule_period_seconds(const struct period *p)
{
	switch (p->kind) {
	case PERIOD_HOURLY: return 3600;
	case PERIOD_DAILY: return 86400;
	case PERIOD_WEEKLY: return 7 * 86400;
	default: return 31 * 86400;
	}
}

void
schedule_period_name(const struct period *p, char *out, size_t size)
{
	static const char *const kinds[] = { "hourly", "daily", "weekly",
	    "monthly" };

	if (p->kind == PERIOD_WEEKLY && p->wday >= 0 && p->wday < 7)
		snprintf(out, size, "weekly %s", days[p->wday]);
	else
		snprintf(out, size, "%s", kinds[p->kind]);
}

int
schedule_window_minutes(const struct schedule *s)
{
	if (s->window_start < 0)
		return -1;
	if (s->window_end > s->window_start)
		return s->window_end - s->window_start;
	return s->window_end + 24 * 60 - s->window_start;
}
