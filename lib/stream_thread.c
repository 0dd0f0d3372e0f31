/* stream_thread.c: filters that move the rest of a stack into another
 * thread, so that what is above and what is below run side by side.
 *
 * Writing: the bytes written are handed to a worker thread that writes them
 * to the filters below (encryption, hashing, the transport) while the
 * caller goes on reading, hashing and compressing.
 * Reading: a worker thread pulls from the filters below (transport,
 * decryption, decompression) ahead of the caller, who parses and writes.
 *
 * Both use one ring of fixed buffers, which bounds the memory: a producer
 * waits when all are full, a consumer when all are empty.  An error on
 * the worker's side is returned by the caller's next call.
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

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t nslots, bufsize;
	size_t head, count;	/* full slots, oldest at head */
	size_t tail;		/* the slot being filled: producer only */
	int done;		/* the producer has finished */
	int stop;		/* the consumer has gone */
	int rc;			/* the worker's error */
};

static void
ring_free(struct ring *r)
{
	for (size_t i = 0; r->slots && i < r->nslots; i++)
		free(r->slots[i].data);
	free(r->slots);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static struct ring *
ring_new(size_t bufsize, size_t nbufs)
{
	struct ring *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->bufsize = bufsize;
	r->nslots = nbufs < 2 ? 2 : nbufs;
	if ((r->slots = calloc(r->nslots, sizeof(*r->slots))) == NULL)
		goto err;
	for (size_t i = 0; i < r->nslots; i++)
		if ((r->slots[i].data = malloc(bufsize)) == NULL)
			goto err;
	return r;
err:
	ring_free(r);
	return NULL;
}

/* The slot the producer fills next (only the producer touches it, and
 * its index: head and count change under the lock in the consumer). */
static struct slot *
ring_tail(struct ring *r)
{
	return &r->slots[r->tail];
}

/* Producer: publishes the tail slot, then waits for a free one.  Returns
 * the consumer's or worker's error, or 1 when the consumer has gone. */
static int
ring_push(struct ring *r, size_t len)
{
	int rc;

	ring_tail(r)->len = len;
	r->tail = (r->tail + 1) % r->nslots;
	pthread_mutex_lock(&r->mu);
	r->count++;
	pthread_cond_broadcast(&r->cv);
	while (r->count == r->nslots && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	rc = r->rc ? r->rc : r->stop;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Consumer: waits for a full slot; NULL when the producer is done. */
static struct slot *
ring_peek(struct ring *r)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&r->mu);
	while (r->count == 0 && !r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->count > 0)
		s = &r->slots[r->head];
	pthread_mutex_unlock(&r->mu);
	return s;
}

/* Consumer: gives the head slot back. */
static void
ring_pop(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->head = (r->head + 1) % r->nslots;
	r->count--;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void
ring_set(struct ring *r, int *field, int value)
{
	pthread_mutex_lock(&r->mu);
	*field = value;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static int
ring_error(struct ring *r)
{
	int rc;

	pthread_mutex_lock(&r->mu);
	rc = r->rc;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Writing side. */

struct owork {
	struct ring *r;
	pthread_t thread;
	int running;
	size_t fill;		/* bytes in the tail slot */
	struct ostream *next;
};

static void *
owork_main(void *arg)
{
	struct owork *w = arg;
	struct slot *s;

	while ((s = ring_peek(w->r)) != NULL) {
		if (ring_error(w->r) == 0) {
			int rc = ostream_write(w->next, s->data, s->len);

			if (rc)
				ring_set(w->r, &w->r->rc, rc);
		}
		ring_pop(w->r);
	}
	return NULL;
}

static int
othread_write(struct ostream *os, const void *buf, size_t n)
{
	struct owork *w = os->state;
	const uint8_t *p = buf;
	int rc;

	while (n > 0) {
		size_t k = w->r->bufsize - w->fill;

		if (k > n)
			k = n;
		memcpy(ring_tail(w->r)->data + w->fill, p, k);
		w->fill += k;
		p += k;
		n -= k;
		if (w->fill == w->r->bufsize) {
			w->fill = 0;
			if ((rc = ring_push(w->r, w->r->bufsize)) != 0)
				return rc;
		}
	}
	return 0;
}

/* Drains the ring and ends the worker; ostream_close then closes the
 * stack below in this thread. */
static int
othread_close(struct ostream *os)
{
	struct owork *w = os->state;
	int rc = 0;

	if (!w->running)
		return 0;
	if (w->fill > 0)
		rc = ring_push(w->r, w->fill);
	w->fill = 0;
	ring_set(w->r, &w->r->done, 1);
	pthread_join(w->thread, NULL);
	w->running = 0;
	return rc ? rc : w->r->rc;
}

static void
othread_free(struct ostream *os)
{
	struct owork *w = os->state;

	othread_close(os);
	ring_free(w->r);
	free(w);
}

static const struct ostream_ops othread_ops = {
	.write = othread_write, .close = othread_close, .free = othread_free,
};

struct ostream *
ostream_thread_new(struct ostream *next, size_t bufsize, size_t nbufs)
{
	struct owork *w;
	struct ostream *os;

	if (next == NULL)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->r = ring_new(bufsize, nbufs)) == NULL)
		goto err;
	w->next = next;
	if (pthread_create(&w->thread, NULL, owork_main, w) != 0)
		goto err;
	w->running = 1;
	if ((os = ostream_alloc(&othread_ops, next, w)) == NULL) {
		ring_set(w->r, &w->r->done, 1);
		pthread_join(w->thread, NULL);
		goto err;
	}
	return os;
err:
	if (w && w->r)
		ring_free(w->r);
	free(w);
	ostream_free(next);
	return NULL;
}

/* Reading side. */

struct iwork {
	struct ring *r;
	pthread_t thread;
	int running;
	size_t pos;		/* consumed bytes of the head slot */
	struct istream *next;
};

/* Fills slots from below until the end, an error, or the reader stops. */
static void *
iwork_main(void *arg)
{
	struct iwork *w = arg;
	int rc = 0;

	for (;;) {
		struct slot *s = ring_tail(w->r);
		size_t got = 0, k;

		while (got < w->r->bufsize) {
			if ((rc = istream_read(w->next, s->data + got,
			    w->r->bufsize - got, &k)) != 0 || k == 0)
				break;
			got += k;
		}
		if (rc) {
			/* The bytes read before the error are good: hand them
			 * over first, for the reader to salvage what they
			 * hold. */
			if (got > 0)
				ring_push(w->r, got);
			ring_set(w->r, &w->r->rc, rc);
			break;
		}
		if (got == 0 || ring_push(w->r, got) != 0)
			break;
	}
	ring_set(w->r, &w->r->done, 1);
	return NULL;
}

static int
ithread_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	struct iwork *w = is->state;
	struct slot *s = ring_peek(w->r);

	*got = 0;
	if (s == NULL)
		return ring_error(w->r);
	*got = s->len - w->pos < n ? s->len - w->pos : n;
	memcpy(buf, s->data + w->pos, *got);
	w->pos += *got;
	if (w->pos == s->len) {
		w->pos = 0;
		ring_pop(w->r);
	}
	return 0;
}

static void
ithread_free(struct istream *is)
{
	struct iwork *w = is->state;

	if (w->running) {
		ring_set(w->r, &w->r->stop, 1);
		pthread_join(w->thread, NULL);
	}
	ring_free(w->r);
	free(w);
}

static const struct istream_ops ithread_ops = {
	.read = ithread_read, .free = ithread_free,
};

struct istream *
istream_thread_new(struct istream *next, size_t bufsize, size_t nbufs)
{
	struct iwork *w;
	struct istream *is;

	if (next == NULL)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->r = ring_new(bufsize, nbufs)) == NULL)
		goto err;
	w->next = next;
	if ((is = istream_alloc(&ithread_ops, next, w)) == NULL)
		goto err;
	if (pthread_create(&w->thread, NULL, iwork_main, w) != 0) {
		is->next = NULL;
		istream_free(is);
		istream_free(next);
		return NULL;
	}
	w->running = 1;
	return is;
err:
	if (w && w->r)
		ring_free(w->r);
	free(w);
	istream_free(next);
	return NULL;
}
