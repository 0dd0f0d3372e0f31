/* ssh_retry.c: replacing a lost connection; see ssh_retry.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "ssh_retry.h"
#include "ssh_watchdog.h"

#define ATTEMPTS_DEFAULT 5
#define SECONDS_DEFAULT 600
#define PAUSE_FIRST_MS 500u
#define PAUSE_MAX_MS 30000u

/* A replaced session, kept until the connection is closed. */
struct grave {
	ssh_session ssh;
	sftp_session sftp;
	sftp_session lane[SSH_LANES_MAX];
};

struct ssh_retry {
	pthread_mutex_t mu;	/* one reconnection at a time */
	int max_attempts, max_seconds;
	int attempts;		/* connections tried in this outage */
	double start;		/* when it began (CLOCK_MONOTONIC, s) */
	int progressed;		/* atomic: progress since the last loss */
	int gave_up;
	struct grave *graves;
	size_t ngraves;
};

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
ssh_retry_new(const struct transport_opts *o, struct ssh_retry **rp)
{
	struct ssh_retry *r;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -BKP_ENOMEM;
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		free(r);
		return -BKP_ENOMEM;
	}
	r->max_attempts = o && o->retry_attempts ? o->retry_attempts :
	    ATTEMPTS_DEFAULT;
	if (r->max_attempts < 0)
		r->max_attempts = 0;
	r->max_seconds = o && o->retry_seconds > 0 ? o->retry_seconds :
	    SECONDS_DEFAULT;
	*rp = r;
	return 0;
}

void
ssh_retry_free(struct ssh_retry *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ngraves; i++) {
		for (int k = 1; k < SSH_LANES_MAX; k++)
			if (r->graves[i].lane[k] != NULL)
				sftp_free(r->graves[i].lane[k]);
		if (r->graves[i].sftp != NULL)
			sftp_free(r->graves[i].sftp);
		ssh_free(r->graves[i].ssh);
	}
	free(r->graves);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int
ssh_retry_enabled(const struct ssh_retry *r)
{
	return r != NULL && r->max_attempts > 0;
}

unsigned
ssh_conn_gen(struct ssh_conn *c)
{
	unsigned gen;

	pthread_mutex_lock(&c->mu);
	gen = c->gen;
	pthread_mutex_unlock(&c->mu);
	return gen;
}

void
ssh_conn_progress(struct ssh_conn *c)
{
	if (!__atomic_load_n(&c->retry->progressed, __ATOMIC_RELAXED))
		__atomic_store_n(&c->retry->progressed, 1, __ATOMIC_RELAXED);
}

/* The pause before attempt k (1, 2, ...), in ms, with jitter. */
static unsigned
pause_ms(int k)
{
	unsigned ms = PAUSE_FIRST_MS << (k - 1 < 7 ? k - 1 : 7);

	if (ms > PAUSE_MAX_MS)
		ms = PAUSE_MAX_MS;
	return ms / 2 + randombytes_uniform(ms / 2 + 1);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A new session into c; the old one into the graves. */
static int
reconnect(struct ssh_conn *c)
{
	struct ssh_retry *r = c->retry;
	struct ssh_conn n;
	void *g;
	int rc;

	memset(&n, 0, sizeof(n));
	n.t = c->t;
	n.o = c->o;
	n.timeout = c->timeout;
	n.lanes = c->lanes;
	if ((rc = ssh_conn_connect(&n)) != 0)
		return rc;
	if ((g = realloc(r->graves, (r->ngraves + 1) * sizeof(*r->graves))) ==
	    NULL) {
		ssh_conn_session_free(&n);
		return -BKP_ENOMEM;
	}
	r->graves = g;
	pthread_mutex_lock(&c->mu);
	ssh_watchdog_stop(c->wd);
	r->graves[r->ngraves].ssh = c->ssh;
	r->graves[r->ngraves].sftp = c->sftp;
	memcpy(r->graves[r->ngraves++].lane, c->lane, sizeof(c->lane));
	memset(c->lane, 0, sizeof(c->lane));
	c->ssh = n.ssh;
	c->sftp = n.sftp;
	c->wd = n.wd;
	c->has_fsync = n.has_fsync;
	c->has_statvfs = n.has_statvfs;
	c->lost = 0;
	ssh_conn_forget_readers(c);
	c->gen++;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* Under r->mu: 0 once c is of a generation after gen. */
static int
recover(struct ssh_conn *c, unsigned gen)
{
	struct ssh_retry *r = c->retry;
	unsigned ms;
	int rc;

	if (ssh_conn_gen(c) != gen)
		return 0;	/* another thread did it */
	if (r->gave_up)
		return -BKP_ETRANSPORT;
	if (__atomic_exchange_n(&r->progressed, 0, __ATOMIC_RELAXED) ||
	    r->attempts == 0) {
		r->attempts = 0;
		r->start = now_s();
	}
	while (r->attempts < r->max_attempts) {
		ms = pause_ms(++r->attempts);
		if (now_s() - r->start + ms / 1e3 > r->max_seconds)
			break;
		sleep_ms(ms);
		log_warn("%s: reconnecting (attempt %d of %d)", c->t->label,
		    r->attempts, r->max_attempts);
		if ((rc = reconnect(c)) == 0) {
			log_warn("%s: reconnected", c->t->label);
			return 0;
		}
		if (rc == -BKP_ENOMEM)
			return rc;
	}
	r->gave_up = 1;
	log_error("%s: connection lost and not restored: %d attempts in %.0f "
	    "s (retry_attempts %d, retry_time %d s); giving up", c->t->label,
	    r->attempts, now_s() - r->start, r->max_attempts, r->max_seconds);
	return -BKP_ETRANSPORT;
}

int
ssh_conn_again(struct ssh_conn *c, int rc, unsigned gen)
{
	struct ssh_retry *r = c->retry;
	int lost;

	if (rc != -BKP_ETRANSPORT || !ssh_retry_enabled(r))
		return 0;
	pthread_mutex_lock(&c->mu);
	lost = c->lost || c->gen != gen;
	pthread_mutex_unlock(&c->mu);
	if (!lost)
		return 0;
	pthread_mutex_lock(&r->mu);
	rc = recover(c, gen);
	pthread_mutex_unlock(&r->mu);
	return rc == 0;
}
