/* policy_sched.c: impossible or contradictory schedules. */
#include <stdio.h>

#include "policy_sched.h"
#include "schedule.h"

/* bkp run is called every hour (cron, the systemd timer): a shorter
 * window may fall between two calls. */
#define WINDOW_MIN_MINUTES 60

typedef void (*report_fn)(void *arg, int line, const char *msg);

/* An incremental as frequent as the full, or less, never runs: a full is
 * due first every time.  Only when incremental is given: a policy that
 * sets full = daily alone wants fulls only. */
static void
check_incr(const struct schedule *s, int line, report_fn report, void *arg)
{
	char full[32], incr[32], msg[256];

	if (line == 0 || schedule_period_seconds(&s->incr) <
	    schedule_period_seconds(&s->full))
		return;
	schedule_period_name(&s->full, full, sizeof(full));
	schedule_period_name(&s->incr, incr, sizeof(incr));
	snprintf(msg, sizeof(msg), "[schedule] incremental = %s is not more "
	    "frequent than full = %s: every backup would be a full; make it "
	    "shorter, or remove it", incr, full);
	report(arg, line, msg);
}

static void
check_window(const struct schedule *s, int line, report_fn report,
    void *arg)
{
	char msg[256];
	int len = schedule_window_minutes(s);

	if (line == 0 || len < 0 || len >= WINDOW_MIN_MINUTES)
		return;
	snprintf(msg, sizeof(msg), "[schedule] window = %02d:%02d-%02d:%02d "
	    "is %d minutes long: bkp run, called every hour, may never fall "
	    "into it; make it at least an hour", s->window_start / 60,
	    s->window_start % 60, s->window_end / 60, s->window_end % 60, len);
	report(arg, line, msg);
}

/* A drill restores the newest set: more often than backups are made, it
 * would drill the same set again. */
static void
check_drill(const struct policy *p, int line, report_fn report, void *arg)
{
	const struct schedule *s = &p->schedule;
	const struct period *often = schedule_period_seconds(&s->incr) <
	    schedule_period_seconds(&s->full) ? &s->incr : &s->full;
	char name[32], msg[256];

	if (line == 0 || p->drill.every >= schedule_period_seconds(often))
		return;
	schedule_period_name(often, name, sizeof(name));
	snprintf(msg, sizeof(msg), "[drill] every is shorter than the "
	    "interval of the backups (%s): a drill would be due again before "
	    "there is a new set to drill", name);
	report(arg, line, msg);
}

void
policy_sched_check(const struct policy *p,
    const struct policy_sched_lines *l, report_fn report, void *arg)
{
	check_incr(&p->schedule, l->incr, report, arg);
	check_window(&p->schedule, l->window, report, arg);
	check_drill(p, l->drill_every, report, arg);
}
