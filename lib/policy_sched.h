/* policy_sched.h: schedules that cannot work as written (pure logic).
 *
 * bkp policy check reports each as file:line: message (bkp-policy(5),
 * "Impossible schedules"): an incremental that is not more frequent than
 * the full (it would never run), a window shorter than the hour between
 * two calls of bkp run (it may never see one), and a drill more frequent
 * than the backups (it would be due again before there is a new set).
 */
#ifndef BKP_POLICY_SCHED_H
#define BKP_POLICY_SCHED_H

#include "policy.h"

/* The lines the keys were given at; 0: not given (a default). */
struct policy_sched_lines {
	int full, incr, window, drill_every;
};

/* Calls report once per problem, with the line to blame. */
void policy_sched_check(const struct policy *p,
    const struct policy_sched_lines *l,
    void (*report)(void *arg, int line, const char *msg), void *arg);

#endif
