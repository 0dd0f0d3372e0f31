/* repolock.c: repository locks (repolock.h): lock objects in locks/. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "error.h"
#include "interrupt.h"
#include "lockobj.h"
#include "log.h"
#include "repolock.h"

struct repolock {
	struct transport *t;
	char id[LOCKOBJ_ID_LEN + 1];
	struct lockobj obj;
	int64_t refresh_secs;
	struct timespec written;	/* CLOCK_MONOTONIC */
	/* The refresher thread: it rewrites the object every refresh_secs
	 * while the lock is held, so that no step of the holder, however
	 * long (a walk of millions of unchanged files, one huge dump), lets
	 * it look stale to another host.  mu guards id, obj and written. */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop;
};

/* The ids in locks/. */
struct ids {
	char (*v)[LOCKOBJ_ID_LEN + 1];
	size_t n;
};

static int64_t
now_secs(void)
{
	return (int64_t)time(NULL);
}

static void
lock_path(const char *id, char out[REPO_PATH_MAX])
{
	snprintf(out, REPO_PATH_MAX, "locks/%s", id);
}

/* The start of process pid in Unix seconds: 0, -BKP_ENOTFOUND when there
 * is no such process, -BKP_EIO when it cannot be told (no /proc). */
static int
proc_start(int64_t pid, int64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks, btime = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return access("/proc/self/stat", R_OK) == 0 ?
		    -BKP_ENOTFOUND : -BKP_EIO;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Field 22, counted after the ")" that ends the command name. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
	    "%*u %*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
		return -BKP_EIO;
	if ((f = fopen("/proc/stat", "r")) == NULL)
		return -BKP_EIO;
	while (fgets(buf, sizeof(buf), f) != NULL &&
	    sscanf(buf, "btime %llu", &btime) != 1)
		;
	fclose(f);
	if (btime == 0)
		return -BKP_EIO;
	*start = (int64_t)(btime + ticks / (unsigned long long)
	    sysconf(_SC_CLK_TCK));
	return 0;
}

static void
host_name(char *out, size_t size)
{
	if (gethostname(out, size - 1) != 0)
		snprintf(out, size, "unknown");
	out[size - 1] = '\0';
}

/* What is known of the process holding o. */
static enum lockobj_proc
holder_proc(const struct lockobj *o)
{
	char host[256];
	int64_t start;
	int rc;

	host_name(host, sizeof(host));
	if (strcmp(o->host, host) != 0)
		return LOCKOBJ_PROC_UNKNOWN;
	rc = proc_start(o->pid, &start);
	if (rc == -BKP_ENOTFOUND)
		return LOCKOBJ_PROC_GONE;
	if (rc != 0 || o->start == 0)
		return LOCKOBJ_PROC_UNKNOWN;
	return start == o->start ? LOCKOBJ_PROC_ALIVE : LOCKOBJ_PROC_GONE;
}

/* Writes l's object under a new id. */
static int
write_obj(struct repolock *l)
{
	char path[REPO_PATH_MAX], json[LOCKOBJ_MAX];
	uint8_t raw[LOCKOBJ_ID_LEN / 2];
	size_t len;
	int rc;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(l->id, sizeof(l->id), raw, sizeof(raw));
	lock_path(l->id, path);
	if ((rc = lockobj_encode(&l->obj, json, sizeof(json), &len)) != 0 ||
	    (rc = transport_put(l->t, path, json, len)) != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &l->written);
	return 0;
}

static int
add_id(void *arg, const char *name)
{
	struct ids *l = arg;
	void *p;

	if (!lockobj_id_valid(name))
		return 0;	/* temporary names of writes in progress */
	if ((p = realloc(l->v, (l->n + 1) * sizeof(*l->v))) == NULL)
		return -BKP_ENOMEM;
	l->v = p;
	memcpy(l->v[l->n++], name, LOCKOBJ_ID_LEN + 1);
	return 0;
}

static int
list_ids(struct transport *t, struct ids *l)
{
	int rc;

	l->v = NULL;
	l->n = 0;
	rc = transport_list(t, "locks", add_id, l);
	return rc == -BKP_ENOTFOUND ? 0 : rc;
}

/* Loads lock id: 0, 1 when it is gone meanwhile, -BKP_ECORRUPT. */
static int
load(struct transport *t, const char *id, struct lockobj *o)
{
	char path[REPO_PATH_MAX];
	uint8_t *data;
	size_t len;
	int rc;

	lock_path(id, path);
	rc = transport_get(t, path, LOCKOBJ_MAX, &data, &len);
	if (rc == -BKP_ENOTFOUND)
		return 1;
	if (rc != 0)
		return rc;
	rc = lockobj_decode(data, len, o);
	free(data);
	return rc;
}

/* Removes a stale lock (o NULL: a damaged one), with a warning and an
 * audit record. */
static int
take_over(struct transport *t, const char *id, const struct lockobj *o,
    const char *why, const char *event)
{
	char path[REPO_PATH_MAX], holder[512], note[640];
	int rc;

	lock_path(id, path);
	if (o != NULL)
		lockobj_describe(o, holder, sizeof(holder));
	else
		snprintf(holder, sizeof(holder), "a damaged object");
	snprintf(note, sizeof(note), "%s: %s", holder, why);
	if ((rc = transport_remove(t, path)) != 0 && rc != -BKP_ENOTFOUND)
		return rc;
	log_warn("%s: removed the stale lock of %s", transport_url(t), note);
	audit_event(event, &(struct audit_fields){ .repo = transport_url(t),
	    .target = path, .note = note });
	return 0;
}

/* A lock object that cannot be read as one: it stops an exclusive lock
 * (whoever wrote it may be writing), a shared one goes on. */
static int
damaged(const struct repolock *l, const char *id, struct lockobj *c,
    int *found)
{
	if (!l->obj.exclusive) {
		log_warn("%s: lock object locks/%s is damaged; ignored (bkp "
		    "unlock removes it)", transport_url(l->t), id);
		return 0;
	}
	if (!*found) {
		memset(c, 0, sizeof(*c));
		snprintf(c->host, sizeof(c->host), "unknown");
		snprintf(c->what, sizeof(c->what), "a damaged lock object "
		    "locks/%.*s", LOCKOBJ_ID_LEN, id);
	}
	*found = 1;
	return 0;
}

/* The other locks: stale ones are removed; the first one that conflicts
 * with l goes to *c.  1 when there is one. */
static int
check_others(struct repolock *l, struct lockobj *c)
{
	struct ids ids;
	struct lockobj o;
	char why[128];
	int rc, found = 0;

	if ((rc = list_ids(l->t, &ids)) != 0)
		return rc;
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		if (strcmp(ids.v[i], l->id) == 0)
			continue;
		if ((rc = load(l->t, ids.v[i], &o)) == -BKP_ECORRUPT) {
			rc = damaged(l, ids.v[i], c, &found);
			continue;
		}
		if (rc != 0) {		/* 1: released meanwhile */
			rc = rc == 1 ? 0 : rc;
			continue;
		}
		if (lockobj_stale(&o, now_secs(), holder_proc(&o), why,
		    sizeof(why)) != NULL)
			rc = take_over(l->t, ids.v[i], &o, why,
			    "lock.takeover");
		else if (!found && (l->obj.exclusive || o.exclusive)) {
			*c = o;
			found = 1;
		}
	}
	free(ids.v);
	return rc != 0 ? rc : found;
}

static int64_t
refresh_interval(void)
{
	const char *s = getenv("BKP_LOCK_REFRESH_SECS");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return LOCKOBJ_REFRESH_SECS;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 1 && v <= LOCKOBJ_REFRESH_SECS ? v :
	    LOCKOBJ_REFRESH_SECS;
}

static struct repolock *
repolock_new(struct repo *r, enum repolock_kind kind, const char *what)
{
	struct repolock *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->t = repo_transport(r);
	l->refresh_secs = refresh_interval();
	l->obj.exclusive = kind == REPOLOCK_EXCLUSIVE;
	host_name(l->obj.host, sizeof(l->obj.host));
	snprintf(l->obj.what, sizeof(l->obj.what), "%s", what);
	l->obj.pid = (int64_t)getpid();
	if (proc_start(l->obj.pid, &l->obj.start) != 0)
		l->obj.start = 0;
	l->obj.created = l->obj.refreshed = now_secs();
	return l;
}

static void
refused(const struct repolock *l, const struct lockobj *c)
{
	char holder[512];

	lockobj_describe(c, holder, sizeof(holder));
	log_error("%s: %s %s; %s %s: try again when it has finished (bkp "
	    "unlock --repo URL removes the lock of a host that crashed)",
	    transport_url(l->t), l->obj.exclusive ? "in use by" :
	    "locked by", holder, l->obj.what,
	    l->obj.exclusive ? "not done" : "not started");
}

/* A new lock object with the time of now, then the old one removed
 * (objects are write-once).  Under l->mu. */
static void
refresh(struct repolock *l)
{
	char old[LOCKOBJ_ID_LEN + 1], path[REPO_PATH_MAX];
	int rc;

	memcpy(old, l->id, sizeof(old));
	l->obj.refreshed = now_secs();
	if ((rc = write_obj(l)) != 0) {
		memcpy(l->id, old, sizeof(old));
		/* Try again at the next interval, not at once. */
		clock_gettime(CLOCK_MONOTONIC, &l->written);
		if (!interrupt_caught())
			log_warn("%s: cannot refresh the repository lock; "
			    "carrying on", transport_url(l->t));
		return;
	}
	lock_path(old, path);
	if ((rc = transport_remove(l->t, path)) != 0 && rc != -BKP_ENOTFOUND)
		log_warn("%s: cannot remove the previous lock object %s",
		    transport_url(l->t), path);
}

static void *
refresher(void *arg)
{
	struct repolock *l = arg;
	struct timespec due;

	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		due = l->written;
		due.tv_sec += (time_t)l->refresh_secs;
		if (pthread_cond_timedwait(&l->cv, &l->mu, &due) != 0 &&
		    !l->stop)
			refresh(l);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Without the thread the lock still holds; it only ages. */
static void
refresher_start(struct repolock *l)
{
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0)
		return;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&l->cv, &ca) == 0) {
		pthread_mutex_init(&l->mu, NULL);
		l->running = pthread_create(&l->thread, NULL, refresher, l) == 0;
		if (!l->running) {
			pthread_mutex_destroy(&l->mu);
			pthread_cond_destroy(&l->cv);
			log_warn("%s: the repository lock will not be refreshed "
			    "(no thread)", transport_url(l->t));
		}
	}
	pthread_condattr_destroy(&ca);
}

static void
refresher_stop(struct repolock *l)
{
	if (!l->running)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	l->running = 0;
}

int
repolock_acquire(struct repo *r, enum repolock_kind kind, const char *what)
{
	struct repolock *l;
	struct lockobj c;
	int rc;

	if (repo_held_lock(r) != NULL) {
		log_error("%s: the repository lock is taken twice (a bug)",
		    repo_url(r));
		return -BKP_EINTERNAL;
	}
	if ((l = repolock_new(r, kind, what)) == NULL)
		return -BKP_ENOMEM;
	if ((rc = transport_mkdir(l->t, "locks")) != 0 ||
	    (rc = write_obj(l)) != 0) {
		free(l);
		return rc;
	}
	repo_set_held_lock(r, l);
	interrupt_arm();
	if ((rc = check_others(l, &c)) == 0) {
		refresher_start(l);
		return 0;
	}
	if (rc == 1) {
		refused(l, &c);
		rc = -BKP_ELOCKED;
	}
	repolock_release(r);
	return rc;
}

void
repolock_release(struct repo *r)
{
	struct repolock *l = repo_held_lock(r);
	char path[REPO_PATH_MAX];
	int rc;

	if (l == NULL)
		return;
	refresher_stop(l);
	lock_path(l->id, path);
	if ((rc = transport_remove(l->t, path)) != 0 && rc != -BKP_ENOTFOUND)
		log_warn("%s: cannot remove the repository lock %s; it goes "
		    "stale in %d minutes (or: bkp unlock --repo URL)",
		    repo_url(r), path, LOCKOBJ_STALE_SECS / 60);
	repo_set_held_lock(r, NULL);
	free(l);
	interrupt_disarm();
}

/* bkp unlock: one lock object. */
static int
unlock_one(struct repo *r, const char *id, int all,
    void (*held)(void *, const char *), void *arg, int *removed)
{
	struct transport *t = repo_transport(r);
	struct lockobj o;
	char why[128], desc[512];
	const char *stale;
	int rc;

	*removed = 0;
	if ((rc = load(t, id, &o)) == 1)
		return 0;
	if (rc == -BKP_ECORRUPT) {
		*removed = 1;
		return take_over(t, id, NULL, "not a lock object",
		    "lock.remove");
	}
	if (rc != 0)
		return rc;
	stale = lockobj_stale(&o, now_secs(), holder_proc(&o), why,
	    sizeof(why));
	if (stale == NULL && !all) {
		lockobj_describe(&o, desc, sizeof(desc));
		held(arg, desc);
		return 0;
	}
	*removed = 1;
	return take_over(t, id, &o, stale ? stale : "removed with --all",
	    "lock.remove");
}

int
repolock_unlock(struct repo *r, int all, void (*held)(void *, const char *),
    void *arg, size_t *removed)
{
	struct ids ids;
	int rc, one;

	*removed = 0;
	if ((rc = list_ids(repo_transport(r), &ids)) != 0)
		return rc;
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		rc = unlock_one(r, ids.v[i], all, held, arg, &one);
		*removed += (size_t)one;
	}
	free(ids.v);
	return rc;
}
