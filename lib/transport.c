/* transport.c: picks the driver for a URL and forwards to it. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "interrupt.h"
#include "log.h"
#include "transport_impl.h"

struct transport {
	const struct transport_ops *ops;
	void *ctx;
	char *url;
};

struct transport_reader {
	const struct transport_ops *ops;
	void *f;
};

struct transport_writer {
	const struct transport_ops *ops;
	void *f;
};

static const struct transport_ops *const drivers[] = {
	&transport_local_ops,
	&transport_sftp_ops,
};

static const struct transport_ops *
driver_for(const char *url)
{
	const struct transport_ops *fallback = NULL;

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		const char *s = drivers[i]->scheme;

		if (*s == '\0')
			fallback = drivers[i];
		else if (strncmp(url, s, strlen(s)) == 0)
			return drivers[i];
	}
	if (strstr(url, "://") != NULL)
		return NULL;
	return fallback;
}

int
transport_open(const char *url, const struct transport_opts *opts,
    struct transport **tp)
{
	struct transport *t;
	int rc;

	*tp = NULL;
	if (url == NULL || *url == '\0') {
		log_error("no repository URL given");
		return -BKP_EUSAGE;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->url = strdup(url)) == NULL) {
		free(t);
		return -BKP_ENOMEM;
	}
	if ((t->ops = driver_for(url)) == NULL) {
		log_error("%s: unsupported repository URL scheme", url);
		rc = -BKP_EUSAGE;
		goto err;
	}
	if ((rc = t->ops->open(url, opts, &t->ctx)) != 0)
		goto err;
	*tp = t;
	return 0;
err:
	free(t->url);
	free(t);
	return rc;
}

void
transport_close(struct transport *t)
{
	if (t == NULL)
		return;
	t->ops->close(t->ctx);
	free(t->url);
	free(t);
}

void
transport_close_idle(void)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->close_idle != NULL)
			drivers[i]->close_idle();
}

int
transport_remote(const struct transport *t)
{
	return *t->ops->scheme != '\0';
}

const char *
transport_url(const struct transport *t)
{
	return t->url;
}

int
transport_mkdir(struct transport *t, const char *path)
{
	int rc;

	if ((rc = interrupt_check()) != 0)
		return rc;
	return t->ops->mkdir(t->ctx, path);
}

int
transport_list(struct transport *t, const char *dir,
    int (*cb)(void *arg, const char *name), void *arg)
{
	int rc;

	if ((rc = interrupt_check()) != 0)
		return rc;
	return t->ops->list(t->ctx, dir, cb, arg);
}

int
transport_stat(struct transport *t, const char *path, uint64_t *size)
{
	int rc;

	if ((rc = interrupt_check()) != 0)
		return rc;
	return t->ops->stat(t->ctx, path, size);
}

int
transport_stat_all(struct transport *t, const char *const *paths, size_t n,
    uint64_t *sizes, int *rcs)
{
	int rc;

	if ((rc = interrupt_check()) != 0)
		return rc;
	if (t->ops->stat_all != NULL)
		rc = t->ops->stat_all(t->ctx, paths, n, sizes, rcs);
	else
		for (size_t i = 0; i < n; i++)
			rcs[i] = t->ops->stat(t->ctx, paths[i], &sizes[i]);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (rcs[i] != 0 && rcs[i] != -BKP_ENOTFOUND)
			rc = rcs[i];
	return rc;
}

int
transport_remove(struct transport *t, const char *path)
{
	return t->ops->remove(t->ctx, path);
}

int
transport_rmdir(struct transport *t, const char *path)
{
	return t->ops->rmdir(t->ctx, path);
}

int
transport_read_open(struct transport *t, const char *path,
    struct transport_reader **rp)
{
	struct transport_reader *r;
	int rc;

	*rp = NULL;
	if ((rc = interrupt_check()) != 0)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -BKP_ENOMEM;
	r->ops = t->ops;
	if ((rc = t->ops->read_open(t->ctx, path, &r->f)) != 0) {
		free(r);
		return rc;
	}
	*rp = r;
	return 0;
}

int
transport_read(struct transport_reader *r, void *buf, size_t n, size_t *got)
{
	int rc;

	if ((rc = interrupt_check()) != 0)
		return rc;
	return r->ops->read(r->f, buf, n, got);
}

void
transport_read_close(struct transport_reader *r)
{
	if (r == NULL)
		return;
	r->ops->read_close(r->f);
	free(r);
}

int
transport_write_open(struct transport *t, const char *path,
    struct transport_writer **wp)
{
	struct transport_writer *w;
	int rc;

	*wp = NULL;
	if ((rc = interrupt_check()) != 0)
		return rc;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -BKP_ENOMEM;
	w->ops = t->ops;
	if ((rc = t->ops->write_open(t->ctx, path, &w->f)) != 0) {
		free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

int
transport_write(struct transport_writer *w, const void *buf, size_t n)
{
	int rc;

	if ((rc = interrupt_check()) != 0)
		return rc;
	return w->ops->write(w->f, buf, n);
}

static int
commit(struct transport_writer *w, int (*fn)(void *f))
{
	int rc;

	/* Interrupted: the object must not appear. */
	if ((rc = interrupt_check()) != 0) {
		transport_write_abort(w);
		return rc;
	}
	rc = fn(w->f);
	free(w);
	return rc;
}

int
transport_write_commit(struct transport_writer *w)
{
	return commit(w, w->ops->write_commit);
}

int
transport_write_commit_later(struct transport_writer *w)
{
	return commit(w, w->ops->write_commit_later ?
	    w->ops->write_commit_later : w->ops->write_commit);
}

int
transport_flush(struct transport *t)
{
	return t->ops->flush ? t->ops->flush(t->ctx) : 0;
}

void
transport_write_abort(struct transport_writer *w)
{
	if (w == NULL)
		return;
	w->ops->write_abort(w->f);
	free(w);
}

int
transport_get(struct transport *t, const char *path, size_t max,
    uint8_t **data, size_t *len)
{
	struct transport_reader *r = NULL;
	uint8_t *buf = NULL;
	size_t n = 0, got;
	int rc;

	*data = NULL;
	*len = 0;
	if ((rc = transport_read_open(t, path, &r)) != 0)
		return rc;
	if ((buf = malloc(max + 1)) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	do {
		if ((rc = transport_read(r, buf + n, max + 1 - n, &got)) != 0)
			goto out;
		n += got;
	} while (got > 0 && n <= max);
	if (n > max) {
		log_error("%s/%s: object larger than %zu bytes; the repository "
		    "is damaged or hostile", t->url, path, max);
		rc = -BKP_ECORRUPT;
		goto out;
	}
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	transport_read_close(r);
	return rc;
}

void
transport_get_all(struct transport *t, const char *const *paths, size_t n,
    size_t max, uint8_t **datas, size_t *lens, int *rcs)
{
	for (size_t i = 0; i < n; i++) {
		datas[i] = NULL;
		lens[i] = 0;
		rcs[i] = 1;
	}
	if (t->ops->get_all != NULL && interrupt_check() == 0)
		t->ops->get_all(t->ctx, paths, n, datas, lens, rcs);
	for (size_t i = 0; i < n; i++) {
		if (rcs[i] == 0 && lens[i] > max) {
			log_error("%s/%s: object larger than %zu bytes; the "
			    "repository is damaged or hostile", t->url,
			    paths[i], max);
			rcs[i] = -BKP_ECORRUPT;
		} else if (rcs[i] != 0) {
			/* What the driver could not read at once (a big
			 * object, a failure) is read, or reported, here. */
			free(datas[i]);
			datas[i] = NULL;
			rcs[i] = transport_get(t, paths[i], max, &datas[i],
			    &lens[i]);
		}
		if (rcs[i] != 0) {
			free(datas[i]);
			datas[i] = NULL;
		}
	}
}

int
transport_put(struct transport *t, const char *path, const void *data,
    size_t len)
{
	struct transport_writer *w;
	int rc;

	if ((rc = transport_write_open(t, path, &w)) != 0)
		return rc;
	if ((rc = transport_write(w, data, len)) != 0) {
		transport_write_abort(w);
		return rc;
	}
	return transport_write_commit(w);
}
