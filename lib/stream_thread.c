/* stream_thread.c: hands the bytes to the rest of the stack in another
 * thread, so that the filters below (encryption, hashing, the transport)
 * run beside the ones above (reading, hashing, compressing).
 *
 * A fixed ring of buffers bounds the memory; the writer waits when all
 * are full.  An error below is returned by the next write or by close.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stream_impl.h"

struct slot {
	uint8_t *data;
	size_t len;
};

struct async {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t nslots, bufsize;
	size_t head, count;	/* ring of full slots: head is next to drain */
	size_t fill;		/* bytes in the slot being filled */
	int done, rc, started;
	struct ostream *next;
};

static void *
worker(void *arg)
{
	struct async *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->count == 0 && !a->done)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->count == 0)
			break;
		struct slot *s = &a->slots[a->head];

		pthread_mutex_unlock(&a->mu);
		int rc = a->rc ? 0 : ostream_write(a->next, s->data, s->len);
		pthread_mutex_lock(&a->mu);
		if (rc && !a->rc)
			a->rc = rc;
		a->head = (a->head + 1) % a->nslots;
		a->count--;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* The slot being filled: the one after the full ones. */
static struct slot *
current(struct async *a)
{
	return &a->slots[(a->head + a->count) % a->nslots];
}

/* Queues the slot being filled; waits while the ring is full. */
static int
submit(struct async *a)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	current(a)->len = a->fill;
	a->count++;
	pthread_cond_broadcast(&a->cv);
	while (a->count == a->nslots)
		pthread_cond_wait(&a->cv, &a->mu);
	rc = a->rc;
	pthread_mutex_unlock(&a->mu);
	a->fill = 0;
	return rc;
}

static int
async_write(struct ostream *os, const void *buf, size_t n)
{
	struct async *a = os->state;
	const uint8_t *p = buf;
	int rc;

	while (n > 0) {
		size_t k = a->bufsize - a->fill;

		if (k > n)
			k = n;
		memcpy(current(a)->data + a->fill, p, k);
		a->fill += k;
		p += k;
		n -= k;
		if (a->fill == a->bufsize && (rc = submit(a)) != 0)
			return rc;
	}
	return 0;
}

/* Drains the ring and stops the worker; the stack below is then closed by
 * ostream_close in this thread. */
static int
async_close(struct ostream *os)
{
	struct async *a = os->state;
	int rc = 0;

	if (a->fill > 0)
		rc = submit(a);
	pthread_mutex_lock(&a->mu);
	a->done = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	a->started = 0;
	return rc ? rc : a->rc;
}

static void
async_free(struct ostream *os)
{
	struct async *a = os->state;

	if (a == NULL)
		return;
	if (a->started)
		async_close(os);
	for (size_t i = 0; a->slots && i < a->nslots; i++)
		free(a->slots[i].data);
	free(a->slots);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

static const struct ostream_ops async_ops = {
	.write = async_write, .close = async_close, .free = async_free,
};

struct ostream *
ostream_thread_new(struct ostream *next, size_t bufsize, size_t nbufs)
{
	struct ostream *os = NULL;
	struct async *a;

	if (next == NULL)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto err;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->next = next;
	a->bufsize = bufsize;
	a->nslots = nbufs < 2 ? 2 : nbufs;
	if ((a->slots = calloc(a->nslots, sizeof(*a->slots))) == NULL)
		goto err;
	for (size_t i = 0; i < a->nslots; i++)
		if ((a->slots[i].data = malloc(bufsize)) == NULL)
			goto err;
	if ((os = ostream_alloc(&async_ops, next, a)) == NULL)
		goto err;
	if (pthread_create(&a->thread, NULL, worker, a) != 0) {
		os->next = NULL;
		ostream_free(os);
		os = NULL;
		a = NULL;
		goto err;
	}
	a->started = 1;
	return os;
err:
	if (a) {
		struct ostream tmp = { .state = a };

		async_free(&tmp);
	}
	ostream_free(next);
	return NULL;
}
