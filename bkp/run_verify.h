/* run_verify.h: the verification bkp run does for a policy: the
 * [verify] after_backup level after each backup, and the weekly level when
 * no verify of the repository at that level or above was recorded in the
 * last seven days. */
#ifndef BKP_RUN_VERIFY_H
#define BKP_RUN_VERIFY_H

#include <stdint.h>

#include "policy.h"

/* 0 when nothing was due or all was good; -BKP_ECORRUPT when problems
 * were found (listed on stderr); another status when it could not run. */
int run_verify(const struct policy *p, int after_backup);

/* From STATE/verify.log: the newest verify of url (time and problems;
 * time 0 when none), and the bytes read by verifies of url since since_ns.
 * (For bkp status.) */
void run_verify_history(const char *url, int64_t since_ns, int64_t *last_ns,
    int64_t *last_problems, uint64_t *bytes_since);

#endif
