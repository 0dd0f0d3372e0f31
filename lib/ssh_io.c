/* ssh_io.c: objects over SFTP.  The design (write-once commit, pipelined
 * reads, write size) is explained at the top of transport_sftp.c.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "ssh_io.h"

/* OpenSSH's server drops writes of more than 261,120 data bytes. */
#define WRITE_CHUNK (252 * 1024)
#define READ_REQ (128 * 1024)
#define READ_DEPTH 16
/* fsync and close may wait for the server's disk. */
#define SLOW 4

struct rd_req {
	uint64_t off;
	uint32_t id;
};

struct ssh_reader {
	struct ssh_conn *c;
	sftp_file f;
	char *path;
	struct rd_req q[READ_DEPTH];	/* in flight, oldest first */
	unsigned head, n, window;
	uint64_t next;		/* offset of the next request */
	uint32_t req;		/* bytes a request asks for */
	uint8_t *buf;		/* READ_REQ of data, READ_REQ scratch */
	size_t pos, len;
	int eof;
};

struct ssh_writer {
	struct ssh_conn *c;
	sftp_file f;
	char *path, *tmp;	/* remote paths: final and temporary */
	uint8_t *buf;
	size_t fill;
};

/* Reading: a window of requests in flight, growing from 1 to READ_DEPTH
 * while the replies come back full (small objects cost no wasted
 * requests). */

static void
reader_free(struct ssh_reader *rd)
{
	if (rd->f != NULL)
		ssh_conn_close_file(rd->c, rd->f);
	free(rd->path);
	free(rd->buf);
	free(rd);
}

int
ssh_reader_open(struct ssh_conn *c, const char *path, struct ssh_reader **rp)
{
	struct ssh_reader *rd;
	int rc;

	*rp = NULL;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return -BKP_ENOMEM;
	rd->c = c;
	rd->window = 1;
	rd->req = READ_REQ;
	if ((rd->path = strdup(path)) == NULL ||
	    (rd->buf = malloc(2 * READ_REQ)) == NULL) {
		reader_free(rd);
		return -BKP_ENOMEM;
	}
	if (SSH_CALL(c, 1, (rd->f = sftp_open(c->sftp, rd->path, O_RDONLY,
	    0)) != NULL) != 0) {
		rc = ssh_conn_fail(c, rd->path, "cannot open", 1);
		if (rc == -BKP_ENOTFOUND)
			log_error("%s%s: object missing from the repository",
			    c->t->label, rd->path);
		reader_free(rd);
		return rc;
	}
	*rp = rd;
	return 0;
}

/* Waits for the oldest request: its bytes, 0 at the end, -1 on failure.
 * Seeking first clears libssh's end-of-file flag, with which
 * sftp_async_read() would answer 0 without reading the reply. */
static int
receive(struct ssh_reader *rd, uint8_t *buf, struct rd_req *req)
{
	*req = rd->q[rd->head];
	rd->head = (rd->head + 1) % READ_DEPTH;
	rd->n--;
	sftp_seek64(rd->f, req->off);
	return sftp_async_read(rd->f, buf, READ_REQ, req->id);
}

/* After a short reply the later requests are for the wrong offsets: their
 * replies are read and dropped. */
static int
drain(struct ssh_reader *rd)
{
	struct rd_req req;

	while (rd->n > 0)
		if (receive(rd, rd->buf + READ_REQ, &req) < 0)
			return -1;
	return 0;
}

static int
fill_window(struct ssh_reader *rd)
{
	while (rd->n < rd->window) {
		int id;

		sftp_seek64(rd->f, rd->next);
		if ((id = sftp_async_read_begin(rd->f, rd->req)) < 0)
			return -1;
		rd->q[(rd->head + rd->n) % READ_DEPTH] =
		    (struct rd_req){ rd->next, (uint32_t)id };
		rd->n++;
		rd->next += rd->req;
	}
	return 0;
}

/* The next reply into buf: -1 on failure. */
static int
refill_locked(struct ssh_reader *rd)
{
	struct rd_req req;
	int got;

	if (fill_window(rd) != 0 ||
	    (got = receive(rd, rd->buf, &req)) < 0)
		return -1;
	rd->pos = 0;
	rd->len = (size_t)got;
	if ((uint32_t)got == rd->req) {
		if (rd->window < READ_DEPTH)
			rd->window *= 2;
		return 0;
	}
	/* The end of the object, or a server that sends less per reply
	 * (older OpenSSH: 64 KiB): ask for no more than it sends. */
	if (got == 0)
		rd->eof = 1;
	else
		rd->req = (uint32_t)got;
	rd->next = req.off + (uint64_t)got;
	return drain(rd);
}

static int
refill(struct ssh_reader *rd)
{
	int ok;

	if (ssh_conn_begin(rd->c, 1) != 0)
		return -BKP_ETRANSPORT;
	ok = refill_locked(rd) == 0;
	ssh_conn_end(rd->c);
	return ok ? 0 : ssh_conn_fail(rd->c, rd->path, "read failed", 0);
}

int
ssh_reader_read(struct ssh_reader *rd, void *buf, size_t n, size_t *got)
{
	size_t k;
	int rc;

	*got = 0;
	while (rd->pos == rd->len) {
		if (rd->eof)
			return 0;
		if ((rc = refill(rd)) != 0)
			return rc;
	}
	k = rd->len - rd->pos < n ? rd->len - rd->pos : n;
	memcpy(buf, rd->buf + rd->pos, k);
	rd->pos += k;
	*got = k;
	return 0;
}

void
ssh_reader_close(struct ssh_reader *rd)
{
	if (rd == NULL)
		return;
	/* Replies still on their way would pile up in libssh's queue. */
	if (rd->n > 0 && ssh_conn_begin(rd->c, 1) == 0) {
		drain(rd);
		ssh_conn_end(rd->c);
	}
	reader_free(rd);
}

/* Writing. */

static void
writer_free(struct ssh_writer *w)
{
	if (w->f != NULL)
		ssh_conn_close_file(w->c, w->f);
	free(w->path);
	free(w->tmp);
	free(w->buf);
	free(w);
}

static char *
temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	int dirlen = (int)(slash - path + 1);
	char *tmp;

	if (asprintf(&tmp, "%.*s.tmp.%s.%08x", dirlen, path, path + dirlen,
	    randombytes_random()) == -1)
		return NULL;
	return tmp;
}

int
ssh_writer_open(struct ssh_conn *c, const char *path, struct ssh_writer **wp)
{
	struct ssh_writer *w;
	int rc;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -BKP_ENOMEM;
	w->c = c;
	if ((w->path = strdup(path)) == NULL ||
	    (w->tmp = temp_name(w->path)) == NULL ||
	    (w->buf = malloc(WRITE_CHUNK)) == NULL) {
		writer_free(w);
		return -BKP_ENOMEM;
	}
	if (SSH_CALL(c, 1, (w->f = sftp_open(c->sftp, w->tmp, O_WRONLY |
	    O_CREAT | O_EXCL, 0600)) != NULL) != 0) {
		rc = ssh_conn_fail(c, w->tmp, "cannot create", 0);
		writer_free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

/* One SSH_FXP_WRITE of at most WRITE_CHUNK bytes. */
static int
put(struct ssh_writer *w, const void *data, size_t n)
{
	if (SSH_CALL(w->c, 1, sftp_write(w->f, data, n) == (ssize_t)n) != 0)
		return ssh_conn_fail(w->c, w->tmp, "write failed", 0);
	return 0;
}

int
ssh_writer_write(struct ssh_writer *w, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	int rc;

	while (n > 0) {
		size_t k = WRITE_CHUNK - w->fill < n ? WRITE_CHUNK - w->fill :
		    n;

		if (w->fill == 0 && k == WRITE_CHUNK) {
			rc = put(w, p, k);	/* no copy for big writes */
		} else {
			memcpy(w->buf + w->fill, p, k);
			w->fill += k;
			rc = 0;
			if (w->fill == WRITE_CHUNK) {
				rc = put(w, w->buf, w->fill);
				w->fill = 0;
			}
		}
		if (rc != 0)
			return rc;
		p += k;
		n -= k;
	}
	return 0;
}

void
ssh_writer_abort(struct ssh_writer *w)
{
	if (w == NULL)
		return;
	if (w->f != NULL) {
		ssh_conn_close_file(w->c, w->f);
		w->f = NULL;
	}
	(void)SSH_CALL(w->c, 1, sftp_unlink(w->c->sftp, w->tmp) == 0);
	writer_free(w);
}

/* Gives the temporary file its name, never replacing an object. */
static int
publish(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;
	sftp_attributes a = NULL;

#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 11, 0)
	/* libssh 0.11 renames with posix-rename@openssh.com, which
	 * replaces: link and unlink instead, as OpenSSH's RENAME does. */
	if (SSH_CALL(c, 1, sftp_hardlink(c->sftp, w->tmp, w->path) == 0) == 0) {
		(void)SSH_CALL(c, 1, sftp_unlink(c->sftp, w->tmp) == 0);
		return 0;
	}
#else
	if (SSH_CALL(c, 1, sftp_rename(c->sftp, w->tmp, w->path) == 0) == 0)
		return 0;
#endif
	if (!c->lost && SSH_CALL(c, 1, (a = sftp_lstat(c->sftp, w->path)) !=
	    NULL) == 0) {
		sftp_attributes_free(a);
		log_error("%s%s: cannot rename into place: an object of that "
		    "name exists (objects are never replaced)", c->t->label,
		    w->path);
		return -BKP_EIO;
	}
	return ssh_conn_fail(c, w->path, "cannot rename into place", 0);
}

int
ssh_writer_commit(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;
	int rc = 0;

	if (w->fill > 0 && (rc = put(w, w->buf, w->fill)) != 0)
		goto err;
	if (c->has_fsync &&
	    SSH_CALL(c, SLOW, sftp_fsync(w->f) == 0) != 0) {
		rc = ssh_conn_fail(c, w->tmp, "cannot sync", 0);
		goto err;
	}
	rc = SSH_CALL(c, SLOW, sftp_close(w->f) == 0);
	w->f = NULL;
	if (rc != 0) {
		rc = ssh_conn_fail(c, w->tmp, "cannot close", 0);
		goto err;
	}
	if ((rc = publish(w)) != 0)
		goto err;
	writer_free(w);
	return 0;
err:
	ssh_writer_abort(w);
	return rc;
}
