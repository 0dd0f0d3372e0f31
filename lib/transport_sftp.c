/* transport_sftp.c: a repository on an SFTP server, through libssh 0.10.
 *
 * URL: sftp://[user@]host[:port]/path, path absolute on the server.  The
 * connection (host key, authentication, deadlines) is ssh_conn.c's.
 *
 * Objects are write-once, as in the local driver: a writer writes
 * "DIR/.tmp.NAME.RANDOM" (created with O_EXCL), and commit makes it durable
 * with fsync@openssh.com when the server has it, then renames it into
 * place with the plain SSH_FXP_RENAME: OpenSSH's server implements it as
 * link(2) + unlink(2), which fails when the name exists, so an object is
 * never replaced.  (posix-rename@openssh.com would replace it: never used.)
 * SFTP cannot fsync a directory; the rename's durability is the server's.
 *
 * Throughput.  Downloads are pipelined: up to READ_DEPTH requests of
 * READ_REQ bytes are in flight (sftp_async_read_begin), so a read costs
 * bandwidth, not round trips.  libssh 0.10 has no asynchronous write, so an
 * upload is one synchronous sftp_write of WRITE_CHUNK bytes per round trip:
 * 252 KiB, just under the 261,120 data bytes beyond which OpenSSH's server
 * drops a write.  Measured on loopback (OpenSSH 9.2 sshd, libssh's default
 * cipher chacha20-poly1305, a 2-core VM busy with other work, so the
 * figures vary by 2x from run to run): this driver alone moves 100-225 MB/s
 * up and 110-320 MB/s down; a whole bkp backup of 200 MB of random data
 * takes 2.9-7.1 s over SFTP against 3.2-4.4 s to a local repository
 * (compression and encryption, not the transport, set the pace), a restore
 * 2.6-3.6 s against 1.6-2.9 s.
 * On a real link each write waits one round trip: with an RTT of R ms the
 * ceiling is about 252 KiB / R per connection, so parallel part uploads over
 * several connections are the next step for distant servers.
 *
 * A lost connection fails the call in progress within the deadline and every
 * later call at once (quietly: it was reported once); the upper layers
 * abort, and the repository stays valid because the seal is written last.
 * ssh_conn_open() is the single place that connects, so a later reconnect
 * with backoff can call it again with r->t and r->o.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "ssh_conn.h"
#include "transport_impl.h"

#define WRITE_CHUNK (252 * 1024)
#define READ_REQ (128 * 1024)
#define READ_DEPTH 16
/* fsync and close may wait for the server's disk. */
#define SLOW 4

struct remote {
	struct ssh_target t;
	struct transport_opts o;	/* kept for reconnecting */
	struct ssh_conn *c;
};

struct rd_req {
	uint64_t off;
	uint32_t id;
};

struct reader {
	struct ssh_conn *c;
	sftp_file f;
	char *path;
	struct rd_req q[READ_DEPTH];	/* requests in flight, oldest first */
	unsigned head, n, window;
	uint64_t next;			/* offset of the next request */
	uint32_t req;			/* bytes a request asks for */
	uint8_t *buf;			/* READ_REQ of data, READ_REQ scratch */
	size_t pos, len;
	int eof;
};

struct writer {
	struct ssh_conn *c;
	sftp_file f;
	char *path, *tmp;	/* remote paths: final and temporary */
	uint8_t *buf;
	size_t fill;
};

/* The remote path of rel ("" is the root). */
static char *
remote_path(const struct remote *r, const char *rel)
{
	const char *root = r->t.path;
	char *p;

	if (*rel == '\0')
		return strdup(root);
	if (asprintf(&p, "%s%s%s", root, strcmp(root, "/") ? "/" : "",
	    rel) == -1)
		return NULL;
	return p;
}

/* Every libssh call that waits for the server runs between these. */
#define CALL(c, slow, expr) \
	(ssh_conn_begin((c), (slow)) != 0 ? -1 : \
	((expr) ? (ssh_conn_end(c), 0) : (ssh_conn_end(c), -1)))

static void
close_file(struct ssh_conn *c, sftp_file f)
{
	/* Frees the handle even when the connection is gone. */
	ssh_conn_begin(c, 1);
	sftp_close(f);
	ssh_conn_end(c);
}

static void
remote_free(struct remote *r)
{
	ssh_conn_close(r->c);
	ssh_target_free(&r->t);
	free((char *)r->o.identity);
	free((char *)r->o.known_hosts);
	free(r);
}

static int
copy_opts(struct remote *r, const struct transport_opts *o)
{
	if (o == NULL)
		return 0;
	r->o = *o;
	r->o.identity = o->identity ? strdup(o->identity) : NULL;
	r->o.known_hosts = o->known_hosts ? strdup(o->known_hosts) : NULL;
	if ((o->identity && !r->o.identity) ||
	    (o->known_hosts && !r->o.known_hosts))
		return -BKP_ENOMEM;
	return 0;
}

/* The root must be a directory; bkp init creates it. */
static int
check_root(struct remote *r)
{
	struct ssh_conn *c = r->c;
	const char *root = r->t.path;
	sftp_attributes a = NULL;
	int rc = 0;

	if (r->o.create && CALL(c, 1, sftp_mkdir(c->sftp, root, 0700) == 0) &&
	    sftp_get_error(c->sftp) != SSH_FX_FILE_ALREADY_EXISTS)
		return ssh_conn_fail(c, root,
		    "cannot create repository directory", 0);
	if (CALL(c, 1, (a = sftp_stat(c->sftp, root)) != NULL) != 0) {
		rc = ssh_conn_fail(c, root, "cannot open repository directory",
		    0);
		return rc == -BKP_ENOTFOUND ? -BKP_EREPO : rc;
	}
	if (a->type != SSH_FILEXFER_TYPE_DIRECTORY) {
		log_error("%s%s: not a directory", r->t.label, root);
		rc = -BKP_EREPO;
	}
	sftp_attributes_free(a);
	return rc;
}

static int
rem_open(const char *url, const struct transport_opts *o, void **ctx)
{
	struct remote *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -BKP_ENOMEM;
	if ((rc = ssh_target_parse(url, &r->t)) != 0) {
		free(r);
		return rc;
	}
	if ((rc = copy_opts(r, o)) != 0 ||
	    (rc = ssh_conn_open(&r->t, &r->o, &r->c)) != 0 ||
	    (rc = check_root(r)) != 0) {
		remote_free(r);
		return rc;
	}
	*ctx = r;
	return 0;
}

static void
rem_close(void *ctx)
{
	remote_free(ctx);
}

/* mkdir of one directory: an existing one is fine. */
static int
make_one(struct ssh_conn *c, const char *path, int quiet_missing)
{
	if (CALL(c, 1, sftp_mkdir(c->sftp, path, 0700) == 0) == 0 ||
	    (!c->lost &&
	    sftp_get_error(c->sftp) == SSH_FX_FILE_ALREADY_EXISTS))
		return 0;
	return ssh_conn_fail(c, path, "cannot create directory",
	    quiet_missing);
}

/* Creates path and its missing parents below the root (rootlen bytes). */
static int
make_dirs(struct ssh_conn *c, char *path, size_t rootlen)
{
	char *slash;
	int rc;

	if ((rc = make_one(c, path, 1)) != -BKP_ENOTFOUND)
		return rc;
	slash = strrchr(path, '/');
	if (slash == NULL || (size_t)(slash - path) <= rootlen)
		return make_one(c, path, 0);
	*slash = '\0';
	rc = make_dirs(c, path, rootlen);
	*slash = '/';
	return rc != 0 ? rc : make_one(c, path, 0);
}

static int
rem_mkdir(void *ctx, const char *path)
{
	struct remote *r = ctx;
	char *full = remote_path(r, path);
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	rc = make_dirs(r->c, full, strlen(r->t.path));
	free(full);
	return rc;
}

static int
list_names(struct ssh_conn *c, sftp_dir d, const char *full,
    int (*cb)(void *, const char *), void *arg)
{
	sftp_attributes a = NULL;
	int rc = 0;

	while (rc == 0) {
		if (CALL(c, 1, (a = sftp_readdir(c->sftp, d)) != NULL) != 0) {
			if (c->lost || !sftp_dir_eof(d))
				rc = ssh_conn_fail(c, full, "cannot list", 0);
			break;
		}
		if (strcmp(a->name, ".") != 0 && strcmp(a->name, "..") != 0)
			rc = cb(arg, a->name);
		sftp_attributes_free(a);
	}
	return rc;
}

static int
rem_list(void *ctx, const char *dir, int (*cb)(void *, const char *),
    void *arg)
{
	struct remote *r = ctx;
	struct ssh_conn *c = r->c;
	char *full = remote_path(r, dir);
	sftp_dir d = NULL;
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	if (CALL(c, 1, (d = sftp_opendir(c->sftp, full)) != NULL) != 0) {
		rc = ssh_conn_fail(c, full, "cannot list", 1);
	} else {
		rc = list_names(c, d, full, cb, arg);
		ssh_conn_begin(c, 1);
		sftp_closedir(d);
		ssh_conn_end(c);
	}
	free(full);
	return rc;
}

static int
rem_stat(void *ctx, const char *path, uint64_t *size)
{
	struct remote *r = ctx;
	struct ssh_conn *c = r->c;
	char *full = remote_path(r, path);
	sftp_attributes a = NULL;
	int rc = 0;

	if (full == NULL)
		return -BKP_ENOMEM;
	if (CALL(c, 1, (a = sftp_lstat(c->sftp, full)) != NULL) != 0) {
		rc = ssh_conn_fail(c, full, "cannot stat", 1);
	} else {
		*size = a->size;
		sftp_attributes_free(a);
	}
	free(full);
	return rc;
}

static int
remove_common(struct remote *r, const char *path, int dir)
{
	struct ssh_conn *c = r->c;
	char *full = remote_path(r, path);
	int rc = 0;

	if (full == NULL)
		return -BKP_ENOMEM;
	if (CALL(c, 1, (dir ? sftp_rmdir(c->sftp, full) :
	    sftp_unlink(c->sftp, full)) == 0) != 0)
		rc = ssh_conn_fail(c, full, dir ? "cannot remove directory" :
		    "cannot remove", 1);
	free(full);
	return rc;
}

static int
rem_remove(void *ctx, const char *path)
{
	return remove_common(ctx, path, 0);
}

static int
rem_rmdir(void *ctx, const char *path)
{
	return remove_common(ctx, path, 1);
}

/* Reading: a window of requests in flight, growing from 1 to READ_DEPTH
 * while the replies come back full (small objects cost no wasted
 * requests). */

static void
reader_free(struct reader *rd)
{
	if (rd->f != NULL)
		close_file(rd->c, rd->f);
	free(rd->path);
	free(rd->buf);
	free(rd);
}

static int
rem_read_open(void *ctx, const char *path, void **fp)
{
	struct remote *r = ctx;
	struct ssh_conn *c = r->c;
	struct reader *rd;
	int rc;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return -BKP_ENOMEM;
	rd->c = c;
	rd->window = 1;
	rd->req = READ_REQ;
	if ((rd->path = remote_path(r, path)) == NULL ||
	    (rd->buf = malloc(2 * READ_REQ)) == NULL) {
		reader_free(rd);
		return -BKP_ENOMEM;
	}
	if (CALL(c, 1, (rd->f = sftp_open(c->sftp, rd->path, O_RDONLY,
	    0)) != NULL) != 0) {
		rc = ssh_conn_fail(c, rd->path, "cannot open", 1);
		if (rc == -BKP_ENOTFOUND)
			log_error("%s%s: object missing from the repository",
			    r->t.label, rd->path);
		reader_free(rd);
		return rc;
	}
	*fp = rd;
	return 0;
}

/* Waits for the oldest request: its bytes, 0 at the end, -1 on failure.
 * Seeking first clears libssh's end-of-file flag, with which
 * sftp_async_read() would answer 0 without reading the reply. */
static int
receive(struct reader *rd, uint8_t *buf, struct rd_req *req)
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
drain(struct reader *rd)
{
	struct rd_req req;

	while (rd->n > 0)
		if (receive(rd, rd->buf + READ_REQ, &req) < 0)
			return -1;
	return 0;
}

static int
fill_window(struct reader *rd)
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
refill_locked(struct reader *rd)
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
refill(struct reader *rd)
{
	int ok;

	if (ssh_conn_begin(rd->c, 1) != 0)
		return -BKP_ETRANSPORT;
	ok = refill_locked(rd) == 0;
	ssh_conn_end(rd->c);
	return ok ? 0 : ssh_conn_fail(rd->c, rd->path, "read failed", 0);
}

static int
rem_read(void *fp, void *buf, size_t n, size_t *got)
{
	struct reader *rd = fp;
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

static void
rem_read_close(void *fp)
{
	struct reader *rd = fp;

	/* Replies still on their way would pile up in libssh's queue. */
	if (rd->n > 0 && ssh_conn_begin(rd->c, 1) == 0) {
		drain(rd);
		ssh_conn_end(rd->c);
	}
	reader_free(rd);
}

/* Writing. */

static void
writer_free(struct writer *w)
{
	if (w->f != NULL)
		close_file(w->c, w->f);
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

static int
rem_write_open(void *ctx, const char *path, void **fp)
{
	struct remote *r = ctx;
	struct ssh_conn *c = r->c;
	struct writer *w;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -BKP_ENOMEM;
	w->c = c;
	if ((w->path = remote_path(r, path)) == NULL ||
	    (w->tmp = temp_name(w->path)) == NULL ||
	    (w->buf = malloc(WRITE_CHUNK)) == NULL) {
		writer_free(w);
		return -BKP_ENOMEM;
	}
	if (CALL(c, 1, (w->f = sftp_open(c->sftp, w->tmp, O_WRONLY | O_CREAT |
	    O_EXCL, 0600)) != NULL) != 0) {
		rc = ssh_conn_fail(c, w->tmp, "cannot create", 0);
		writer_free(w);
		return rc;
	}
	*fp = w;
	return 0;
}

/* One SSH_FXP_WRITE of at most WRITE_CHUNK bytes. */
static int
put(struct writer *w, const void *data, size_t n)
{
	if (CALL(w->c, 1, sftp_write(w->f, data, n) == (ssize_t)n) != 0)
		return ssh_conn_fail(w->c, w->tmp, "write failed", 0);
	return 0;
}

static int
rem_write(void *fp, const void *buf, size_t n)
{
	struct writer *w = fp;
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

static void
rem_write_abort(void *fp)
{
	struct writer *w = fp;

	if (w == NULL)
		return;
	if (w->f != NULL) {
		close_file(w->c, w->f);
		w->f = NULL;
	}
	(void)CALL(w->c, 1, sftp_unlink(w->c->sftp, w->tmp) == 0);
	writer_free(w);
}

/* Gives the temporary file its name, never replacing an object. */
static int
publish(struct writer *w)
{
	struct ssh_conn *c = w->c;
	sftp_attributes a = NULL;

#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 11, 0)
	/* libssh 0.11 renames with posix-rename@openssh.com, which
	 * replaces: link and unlink instead, as OpenSSH's RENAME does. */
	if (CALL(c, 1, sftp_hardlink(c->sftp, w->tmp, w->path) == 0) == 0) {
		(void)CALL(c, 1, sftp_unlink(c->sftp, w->tmp) == 0);
		return 0;
	}
#else
	if (CALL(c, 1, sftp_rename(c->sftp, w->tmp, w->path) == 0) == 0)
		return 0;
#endif
	if (!c->lost && CALL(c, 1, (a = sftp_lstat(c->sftp, w->path)) !=
	    NULL) == 0) {
		sftp_attributes_free(a);
		log_error("%s%s: cannot rename into place: an object of that "
		    "name exists (objects are never replaced)", c->t->label,
		    w->path);
		return -BKP_EIO;
	}
	return ssh_conn_fail(c, w->path, "cannot rename into place", 0);
}

static int
rem_write_commit(void *fp)
{
	struct writer *w = fp;
	struct ssh_conn *c = w->c;
	int rc = 0;

	if (w->fill > 0 && (rc = put(w, w->buf, w->fill)) != 0)
		goto err;
	if (c->has_fsync &&
	    CALL(c, SLOW, sftp_fsync(w->f) == 0) != 0) {
		rc = ssh_conn_fail(c, w->tmp, "cannot sync", 0);
		goto err;
	}
	rc = CALL(c, SLOW, sftp_close(w->f) == 0);
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
	rem_write_abort(w);
	return rc;
}

const struct transport_ops transport_sftp_ops = {
	.scheme = "sftp://",
	.open = rem_open,
	.close = rem_close,
	.mkdir = rem_mkdir,
	.list = rem_list,
	.stat = rem_stat,
	.remove = rem_remove,
	.rmdir = rem_rmdir,
	.read_open = rem_read_open,
	.read = rem_read,
	.read_close = rem_read_close,
	.write_open = rem_write_open,
	.write = rem_write,
	.write_commit = rem_write_commit,
	.write_abort = rem_write_abort,
};
