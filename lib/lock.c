/* lock.c: flock-based run locks with a holder record. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "error.h"
#include "lock.h"
#include "log.h"
#include "state.h"

struct lock {
	int fd;
};

static void
read_holder(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int
lock_acquire(const char *path, const char *what, struct lock **lp,
    int *taken_over)
{
	char holder[256], host[128], rec[256];
	struct lock *l;
	int fd, n;

	*lp = NULL;
	*taken_over = 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return log_errno_code("%s: cannot open lock", path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		read_holder(fd, holder, sizeof(holder));
		close(fd);
		if (e != EWOULDBLOCK) {
			errno = e;
			return log_errno_code("%s: cannot lock", path);
		}
		log_error("%s is locked by another run (%s); it is left to "
		    "finish", what, *holder ? holder : "unknown holder");
		return -BKP_ELOCKED;
	}
	read_holder(fd, holder, sizeof(holder));
	if (*holder) {
		*taken_over = 1;
		log_warn("%s: taking over the lock left by a run that is gone "
		    "(%s)", what, holder);
		audit_event("lock.takeover", &(struct audit_fields){
		    .what = what, .target = path, .note = holder });
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "unknown");
	n = snprintf(rec, sizeof(rec), "host %s pid %d started %lld\n", host,
	    (int)getpid(), (long long)time(NULL));
	if (ftruncate(fd, 0) != 0 || pwrite(fd, rec, (size_t)n, 0) != n) {
		close(fd);
		return log_errno_code("%s: cannot write lock", path);
	}
	if ((l = malloc(sizeof(*l))) == NULL) {
		close(fd);
		return -BKP_ENOMEM;
	}
	l->fd = fd;
	*lp = l;
	return 0;
}

void
lock_release(struct lock *l)
{
	if (l == NULL)
		return;
	/* An empty record: the lock was released, not abandoned. */
	if (ftruncate(l->fd, 0) != 0)
		log_warn("cannot clear a lock record");
	close(l->fd);
	free(l);
}

int
lock_policy(const char *policy, struct lock **l)
{
	char dir[PATH_MAX], path[PATH_MAX + 128], what[128];
	int taken_over, rc;

	*l = NULL;
	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s.lock", dir, policy);
	snprintf(what, sizeof(what), "policy %s", policy);
	return lock_acquire(path, what, l, &taken_over);
}
