/* lockobj.h: a repository lock object, locks/ID (docs/FORMAT.md, "Locks").
 *
 * Pure: the JSON encoding, its bounded decoding, and the decision whether
 * a lock is stale.  The I/O is in repolock.c.
 */
#ifndef BKP_LOCKOBJ_H
#define BKP_LOCKOBJ_H

#include <stddef.h>
#include <stdint.h>

/* A lock object is at most this long; anything longer is damaged. */
#define LOCKOBJ_MAX 4096
/* A lock not refreshed for this long is stale (its holder is presumed
 * gone), unless it is known to be alive on this host. */
#define LOCKOBJ_STALE_SECS (30 * 60)
/* Holders refresh their lock at this interval (repolock.c's thread). */
#define LOCKOBJ_REFRESH_SECS (5 * 60)
/* Lock ids are 16 random bytes in hex. */
#define LOCKOBJ_ID_LEN 32

struct lockobj {
	int exclusive;		/* prune, destroy; else shared (writers) */
	char host[256];
	char what[128];		/* "backup of policy share", for messages */
	int64_t pid;
	int64_t start;		/* the holder process's start, Unix seconds;
				 * 0 when unknown */
	int64_t created;	/* Unix seconds */
	int64_t refreshed;
};

/* What is known of the holder's process, on the holder's own host. */
enum lockobj_proc {
	LOCKOBJ_PROC_UNKNOWN,	/* another host, or no way to tell */
	LOCKOBJ_PROC_ALIVE,	/* the pid runs, with the recorded start */
	LOCKOBJ_PROC_GONE	/* no such pid, or one started at another
				 * time (a reused pid) */
};

/* The JSON object, NUL-terminated, into out (LOCKOBJ_MAX). */
int lockobj_encode(const struct lockobj *l, char *out, size_t size,
    size_t *len);
/* -BKP_ECORRUPT (not reported: the caller decides whether a damaged lock
 * matters) for anything but a lock object. */
int lockobj_decode(const uint8_t *p, size_t n, struct lockobj *l);
/* NULL while l is held; else why it is stale ("its process is gone",
 * "not refreshed for 42 minutes"), in why (size bytes).  A lock of a live
 * process on this host is never stale; one of a gone process on this host
 * always is; any other lock is stale once not refreshed for
 * LOCKOBJ_STALE_SECS. */
const char *lockobj_stale(const struct lockobj *l, int64_t now,
    enum lockobj_proc proc, char *why, size_t size);
/* "backup of policy share on host h (pid 12, since T, refreshed T)". */
void lockobj_describe(const struct lockobj *l, char *out, size_t size);
/* 1 if name has the shape of a lock id. */
int lockobj_id_valid(const char *name);

#endif
