/* lock.h: one run at a time per policy.
 *
 * An flock(2) on a file in the state directory: the kernel releases it when
 * its holder dies, so a lock left by a killed run is taken over safely; the
 * file records host, pid and start time so that a second run can say who
 * holds it, and the next holder can say whose lock it took over.
 */
#ifndef BKP_LOCK_H
#define BKP_LOCK_H

struct lock;

/* -BKP_ELOCKED (reported, naming the holder) when another process holds
 * it.  *taken_over is set when a dead holder's record was found. */
int lock_acquire(const char *path, const char *what, struct lock **l,
    int *taken_over);
void lock_release(struct lock *l);

/* The lock of a policy, STATE/NAME.lock: taken by every command that
 * writes to the policy's repository (backup, prune, run). */
int lock_policy(const char *policy, struct lock **l);

#endif
