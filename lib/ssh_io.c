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

/* A read request and its reply. */
struct slot {
	uint64_t off;
	uint32_t id, want, len;
	enum { S_REQUESTED, S_RECEIVED, S_FAILED } state;
	int checked;		/* its length was looked at */
	uint8_t *data;		/* READ_REQ bytes, allocated on first use */
};

struct ssh_reader {
	struct ssh_conn *c;
	sftp_file f;
	char *path;
	struct slot s[READ_DEPTH];	/* ring: n slots from head */
	unsigned head, n, window, requested;
	uint64_t next;		/* offset of the next request */
	uint32_t req;		/* bytes a request asks for */
	size_t pos;		/* bytes of the head slot returned */
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
 * requests), each reply into its own slot.  Everything below runs under
 * the connection's mutex. */

static void
reader_free(struct ssh_reader *rd)
{
	if (rd->f != NULL)
		ssh_conn_close_file(rd->c, rd->f);
	for (unsigned i = 0; i < READ_DEPTH; i++)
		free(rd->s[i].data);
	free(rd->path);
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
	if ((rd->path = strdup(path)) == NULL) {
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

static void settle(void *reader);

/* Registers the reader while it has requests in flight. */
static void
track(struct ssh_reader *rd)
{
	struct ssh_conn *c = rd->c;

	if (rd->requested > 0) {
		c->settle = settle;
		c->settle_reader = rd;
	} else if (c->settle_reader == rd) {
		c->settle = NULL;
		c->settle_reader = NULL;
	}
}

/* Waits for the reply of a requested slot: 0, or -1 on failure.  Seeking
 * first clears libssh's end-of-file flag, with which sftp_async_read()
 * would answer 0 without reading the reply. */
static int
collect(struct ssh_reader *rd, struct slot *sl)
{
	int got;

	sftp_seek64(rd->f, sl->off);
	got = sftp_async_read(rd->f, sl->data, READ_REQ, sl->id);
	sl->state = got < 0 ? S_FAILED : S_RECEIVED;
	sl->len = got < 0 ? 0 : (uint32_t)got;
	rd->requested--;
	track(rd);
	return got < 0 ? -1 : 0;
}

/* All the replies in flight, into their slots (another call is next). */
static void
settle(void *reader)
{
	struct ssh_reader *rd = reader;

	for (unsigned i = 0; i < rd->n; i++) {
		struct slot *sl = &rd->s[(rd->head + i) % READ_DEPTH];

		if (sl->state == S_REQUESTED)
			collect(rd, sl);
	}
}

/* Fills the window with requests: 0, -1 on failure, or -BKP_ENOMEM. */
static int
request(struct ssh_reader *rd)
{
	int rc = 0;

	while (rc == 0 && rd->n < rd->window) {
		struct slot *sl = &rd->s[(rd->head + rd->n) % READ_DEPTH];
		int id;

		if (sl->data == NULL && (sl->data = malloc(READ_REQ)) == NULL) {
			rc = -BKP_ENOMEM;
			break;
		}
		sftp_seek64(rd->f, rd->next);
		if ((id = sftp_async_read_begin(rd->f, rd->req)) < 0) {
			rc = -1;
			break;
		}
		*sl = (struct slot){ rd->next, (uint32_t)id, rd->req, 0,
		    S_REQUESTED, 0, sl->data };
		rd->n++;
		rd->requested++;
		rd->next += rd->req;
	}
	track(rd);
	return rc;
}

/* After a short reply the slots after the head are for the wrong
 * offsets: their replies are received and dropped. */
static int
drop_rest(struct ssh_reader *rd)
{
	int rc = 0;

	settle(rd);
	for (unsigned i = 1; i < rd->n; i++)
		if (rd->s[(rd->head + i) % READ_DEPTH].state == S_FAILED)
			rc = -1;
	rd->n = 1;
	return rc;
}

/* A reply seen for the first time: a full one widens the window; a short
 * one is the end of the object, or a server that sends less per reply
 * (older OpenSSH: 64 KiB), which is then asked for no more. */
static int
check(struct ssh_reader *rd, struct slot *sl)
{
	sl->checked = 1;
	if (sl->len == sl->want) {
		if (rd->window < READ_DEPTH)
			rd->window *= 2;
		return 0;
	}
	if (drop_rest(rd) != 0)
		return -1;
	if (sl->len == 0)
		rd->eof = 1;
	else
		rd->req = sl->len;
	rd->next = sl->off + sl->len;
	return 0;
}

/* 0 with *got bytes (0 at the end), -1 when a libssh call failed. */
static int
read_locked(struct ssh_reader *rd, uint8_t *buf, size_t n, size_t *got)
{
	for (;;) {
		struct slot *sl = &rd->s[rd->head];

		if (rd->eof)
			return 0;
		if (rd->n == 0 || sl->state == S_REQUESTED) {
			int rc = request(rd);

			if (rc != 0)
				return rc;
			if (sl->state == S_REQUESTED && collect(rd, sl) != 0)
				return -1;
		}
		if (sl->state == S_FAILED)
			return -1;
		if (!sl->checked && check(rd, sl) != 0)
			return -1;
		if (rd->pos < sl->len) {
			*got = sl->len - rd->pos < n ? sl->len - rd->pos : n;
			memcpy(buf, sl->data + rd->pos, *got);
			rd->pos += *got;
			return 0;
		}
		rd->head = (rd->head + 1) % READ_DEPTH;
		rd->n--;
		rd->pos = 0;
	}
}

int
ssh_reader_read(struct ssh_reader *rd, void *buf, size_t n, size_t *got)
{
	int rc = -1;

	*got = 0;
	if (ssh_conn_begin_as(rd->c, 1, rd) == 0)
		rc = read_locked(rd, buf, n, got);
	if (ssh_conn_end(rd->c, rc == -1) != 0)
		return ssh_conn_fail(rd->c, rd->path, "read failed", 0);
	return rc;
}

void
ssh_reader_close(struct ssh_reader *rd)
{
	if (rd == NULL)
		return;
	/* Replies still in flight would pile up in libssh's queue; and the
	 * connection must forget the reader in any case. */
	if (ssh_conn_begin_as(rd->c, 1, rd) == 0)
		settle(rd);
	rd->requested = 0;
	track(rd);
	ssh_conn_end(rd->c, 0);
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

/* 1 if path exists; keeps the status of the call before for
 * ssh_conn_fail() (end without failed). */
static int
exists(struct ssh_conn *c, const char *path)
{
	sftp_attributes a = NULL;

	if (ssh_conn_begin(c, 1) == 0)
		a = sftp_lstat(c->sftp, path);
	ssh_conn_end(c, 0);
	sftp_attributes_free(a);
	return a != NULL;
}

/* Gives the temporary file its name, never replacing an object. */
static int
publish(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;

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
	/* OpenSSH answers a plain failure when the name is taken. */
	if (ssh_conn_status() == SSH_FX_FAILURE && exists(c, w->path)) {
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
