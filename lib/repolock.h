/* repolock.h: the repository lock, locks/ID in the repository
 * (docs/FORMAT.md, "Locks").
 *
 * Writers (backup, copy to a destination, key rotation) hold it shared;
 * prune and destroy hold it exclusively, so they never delete while
 * another process, on any host, writes.  Each holder writes its own lock
 * object (write-once), then lists locks/: a conflicting lock that is not
 * stale makes it remove its own and fail with -BKP_ELOCKED, naming the
 * holder; stale ones are removed (a warning and a lock.takeover audit
 * record).  While it is held, a thread writes a fresh object every
 * LOCKOBJ_REFRESH_SECS ($BKP_LOCK_REFRESH_SECS, 1 and up, for tests); a
 * failure to is a warning.  Readers take no lock.  The lock belongs to the struct repo:
 * repo_close() removes it, on every path.
 */
#ifndef BKP_REPOLOCK_H
#define BKP_REPOLOCK_H

#include <stddef.h>

#include "repo.h"

enum repolock_kind { REPOLOCK_SHARED, REPOLOCK_EXCLUSIVE };

/* what names the holder in messages ("prune of policy share").  While
 * the lock is held, SIGINT/SIGTERM/SIGHUP end the command cleanly
 * (interrupt.h). */
int repolock_acquire(struct repo *r, enum repolock_kind kind,
    const char *what);
/* Removes the lock r holds, if any. */
void repolock_release(struct repo *r);

/* bkp unlock: removes the stale and the damaged lock objects of r (all:
 * every one), each with a warning and a lock.remove audit record; calls
 * held() with the description of every lock left in place. */
int repolock_unlock(struct repo *r, int all, void (*held)(void *arg,
    const char *holder), void *arg, size_t *removed);

#endif
