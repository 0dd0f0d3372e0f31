/* ssh_watchdog.c: shuts a socket down when a call overstays its deadline.
 *
 * shutdown(2), unlike close(2), leaves the descriptor allocated, so the
 * thread blocked in poll(2) on it wakes up with an end of file and the
 * number cannot be reused under libssh's feet.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "error.h"
#include "ssh_watchdog.h"

struct ssh_watchdog {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	int fd;
	int armed, fired, quit;
	int idle;	/* the thread waits without a deadline */
};

static int
passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *
watch(void *arg)
{
	struct ssh_watchdog *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->quit) {
		if (!w->armed) {
			w->idle = 1;
			pthread_cond_wait(&w->cv, &w->mu);
			w->idle = 0;
			continue;
		}
		if (!passed(&w->deadline)) {
			pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline);
			continue;
		}
		shutdown(w->fd, SHUT_RDWR);
		w->fired = 1;
		w->armed = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int
init_sync(struct ssh_watchdog *w)
{
	pthread_condattr_t ca;
	int rc;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -1;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		pthread_cond_destroy(&w->cv);
		return -1;
	}
	return 0;
}

int
ssh_watchdog_start(int fd, struct ssh_watchdog **wp)
{
	struct ssh_watchdog *w;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -BKP_ENOMEM;
	w->fd = fd;
	if (init_sync(w) != 0) {
		free(w);
		return -BKP_ENOMEM;
	}
	if (pthread_create(&w->thread, NULL, watch, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return -BKP_ENOMEM;
	}
	*wp = w;
	return 0;
}

void
ssh_watchdog_stop(struct ssh_watchdog *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static int
earlier(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void
ssh_watchdog_arm(struct ssh_watchdog *w, int seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += seconds;
	pthread_mutex_lock(&w->mu);
	/* Otherwise the thread sleeps until the old deadline and then looks
	 * again: calls in a row cost no wake-up. */
	if (w->idle || earlier(&t, &w->deadline))
		pthread_cond_signal(&w->cv);
	w->deadline = t;
	w->armed = 1;
	pthread_mutex_unlock(&w->mu);
}

void
ssh_watchdog_disarm(struct ssh_watchdog *w)
{
	pthread_mutex_lock(&w->mu);
	w->armed = 0;
	pthread_mutex_unlock(&w->mu);
}

int
ssh_watchdog_fired(struct ssh_watchdog *w)
{
	int fired;

	pthread_mutex_lock(&w->mu);
	fired = w->fired;
	pthread_mutex_unlock(&w->mu);
	return fired;
}
