/* stream.c: the filter stack plumbing, memory and transport ends. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "log.h"
#include "stream_impl.h"
#include "transport.h"

struct ostream *
ostream_alloc(const struct ostream_ops *ops, struct ostream *next,
    void *state)
{
	struct ostream *os;

	if ((os = calloc(1, sizeof(*os))) == NULL)
		return NULL;
	os->ops = ops;
	os->next = next;
	os->state = state;
	return os;
}

struct istream *
istream_alloc(const struct istream_ops *ops, struct istream *next,
    void *state)
{
	struct istream *is;

	if ((is = calloc(1, sizeof(*is))) == NULL)
		return NULL;
	is->ops = ops;
	is->next = next;
	is->state = state;
	return is;
}

int
ostream_write(struct ostream *os, const void *buf, size_t n)
{
	if (n == 0)
		return 0;
	return os->ops->write(os, buf, n);
}

int
ostream_close(struct ostream *os)
{
	int rc;

	if (os->closed)
		return 0;
	os->closed = 1;
	rc = os->ops->close ? os->ops->close(os) : 0;
	if (rc == 0 && os->next)
		rc = ostream_close(os->next);
	return rc;
}

void
ostream_free(struct ostream *os)
{
	while (os) {
		struct ostream *next = os->next;

		os->ops->free(os);
		free(os);
		os = next;
	}
}

int
istream_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	*got = 0;
	if (n == 0)
		return 0;
	return is->ops->read(is, buf, n, got);
}

int
istream_read_full(struct istream *is, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got;
	int rc;

	while (n > 0) {
		if ((rc = istream_read(is, p, n, &got)) != 0)
			return rc;
		if (got == 0)
			return -BKP_ECORRUPT;
		p += got;
		n -= got;
	}
	return 0;
}

void
istream_free(struct istream *is)
{
	while (is) {
		struct istream *next = is->next;

		is->ops->free(is);
		free(is);
		is = next;
	}
}

/* Transport sink and source. */

static int
tw_write(struct ostream *os, const void *buf, size_t n)
{
	return transport_write(os->state, buf, n);
}

static int
tw_close(struct ostream *os)
{
	struct transport_writer *w = os->state;

	os->state = NULL;
	return transport_write_commit(w);
}

static int
tw_close_later(struct ostream *os)
{
	struct transport_writer *w = os->state;

	os->state = NULL;
	return transport_write_commit_later(w);
}

static void
tw_free(struct ostream *os)
{
	transport_write_abort(os->state);
}

static const struct ostream_ops tw_ops = {
	.write = tw_write, .close = tw_close, .free = tw_free,
};
static const struct ostream_ops tw_later_ops = {
	.write = tw_write, .close = tw_close_later, .free = tw_free,
};

struct ostream *
ostream_transport_new(struct transport_writer *w, int later)
{
	struct ostream *os = ostream_alloc(later ? &tw_later_ops : &tw_ops,
	    NULL, w);

	if (os == NULL)
		transport_write_abort(w);
	return os;
}

static int
tr_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	return transport_read(is->state, buf, n, got);
}

static void
tr_free(struct istream *is)
{
	transport_read_close(is->state);
}

static const struct istream_ops tr_ops = { .read = tr_read, .free = tr_free };

struct istream *
istream_transport_new(struct transport_reader *r)
{
	struct istream *is = istream_alloc(&tr_ops, NULL, r);

	if (is == NULL)
		transport_read_close(r);
	return is;
}

/* Memory sink and source. */

static int
mw_write(struct ostream *os, const void *buf, size_t n)
{
	wbuf_put(os->state, buf, n);
	return wbuf_status(os->state);
}

static void
mw_free(struct ostream *os)
{
	wbuf_release(os->state);
	free(os->state);
}

static const struct ostream_ops mw_ops = { .write = mw_write, .free = mw_free };

struct ostream *
ostream_memory_new(void)
{
	struct wbuf *w;
	struct ostream *os;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((os = ostream_alloc(&mw_ops, NULL, w)) == NULL)
		free(w);
	return os;
}

uint8_t *
ostream_memory_take(struct ostream *os, size_t *len)
{
	struct wbuf *w = os->state;
	uint8_t *p = w->data;

	*len = w->len;
	wbuf_init(w);
	return p;
}

struct mem_source {
	const uint8_t *p;
	size_t left;
};

static int
mr_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	struct mem_source *m = is->state;

	*got = n < m->left ? n : m->left;
	memcpy(buf, m->p, *got);
	m->p += *got;
	m->left -= *got;
	return 0;
}

static void
mr_free(struct istream *is)
{
	free(is->state);
}

static const struct istream_ops mr_ops = { .read = mr_read, .free = mr_free };

struct istream *
istream_memory_new(const void *buf, size_t len)
{
	struct mem_source *m;
	struct istream *is;

	if ((m = malloc(sizeof(*m))) == NULL)
		return NULL;
	m->p = buf;
	m->left = len;
	if ((is = istream_alloc(&mr_ops, NULL, m)) == NULL)
		free(m);
	return is;
}
