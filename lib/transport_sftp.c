/* transport_sftp.c: a repository on an SFTP server, through libssh 0.10.
 *
 * URL: sftp://[user@]host[:port]/path, path absolute on the server.  The
 * connection (host key, authentication, deadlines) is ssh_conn.c's, the
 * reading of objects ssh_io.c's and the writing ssh_writer.c's.
 *
 * Objects are write-once, as in the local driver: a writer writes
 * "DIR/.tmp.NAME.RANDOM" (created with O_EXCL), and commit makes it durable
 * with fsync@openssh.com when the server has it, then renames it into
 * place with the plain SSH_FXP_RENAME: OpenSSH's server implements it as
 * link(2) + unlink(2), which fails when the name exists, so an object is
 * never replaced.  (posix-rename@openssh.com would replace it: never used.)
 * SFTP cannot fsync a directory; the rename's durability is the server's.
 *
 * Throughput.  libssh 0.10 has no asynchronous write, and its asynchronous
 * reads are held to about 1.28 MB in flight by the channel window it keeps;
 * both would make a transfer cost round trips.  So objects move as raw SFTP
 * requests written to the channel and raw replies read from it (ssh_pipe.c,
 * under the connection's mutex, never mixed with libssh's own SFTP calls):
 * - downloads (ssh_io.c): up to 64 SSH_FXP_READ of 128 KiB in flight
 *   (8 MiB), their replies read into a buffer as large, and asking the
 *   channel for that much makes libssh open its window as wide; each
 *   reader takes a channel of its own (2..4 in turn), so that restore's
 *   workers, reading different parts at once, each keep their window;
 * - uploads (ssh_writer.c, ssh_lanes.c): SSH_FXP_WRITE of 252 KiB (just
 *   under the 261,120 data bytes beyond which OpenSSH's server drops a
 *   write), 8 in flight per SFTP channel (2 MiB: the window of an OpenSSH
 *   server's channel); an object beyond 1 MiB is striped over up to 4
 *   channels of the same connection (BKP_SFTP_CHANNELS), each with its
 *   own window, so that 8 MiB are in flight.  The object is created on
 *   the first channel; the opens on the others go out together and are
 *   answered while the first already carries writes.  At commit every
 *   channel gets an fsync (fsync@openssh.com) and a close right behind
 *   its last write: the server takes a channel's requests in order, so
 *   each fsync follows that channel's writes, and together they make the
 *   file durable.  Once all are answered, the rename.  The objects of a
 *   set are committed ahead (transport_write_commit_later): the writer
 *   sends the fsyncs and closes and goes on; the next object's create
 *   travels while their replies come back, the rename follows it, and its
 *   reply is taken by the next read of that channel; a failure comes with
 *   the next commit, and the seal, committed at once, waits for them all.
 *   A part costs about one round trip beyond its bytes (the next create),
 *   where it cost three committing at once, and thirteen with one call at
 *   a time;
 * - small things: a reader done with its object sends the close and goes
 *   on (ssh_conn_close_later); the seals of all sets are looked up with
 *   the lstats sent together (transport_stat_all); a connection its user
 *   closes waits 30 s for the next open of the same server and keys
 *   (take_idle below), so that a backup ships its audit records, and bkp
 *   run verifies and prunes, without another handshake.
 * Measured (bench/sftp.sh at beceaab, a quiet run; docs/BENCHMARKS.md has
 * the latest: 1 GiB, chacha20-poly1305 on both sides, a 2-CPU VM, delays
 * from a loopback proxy), bkp backup /
 * restore against OpenSSH's sftp put / get: at +40 ms 93 / 83 MiB/s
 * against 45 / 45 (2.1x, 1.9x; with one write per round trip and
 * libssh's reads, bkp moved 5.7 and 14).  At +10 ms 148 / 142 against
 * 154 / 147 (0.96x, 0.97x; the three runs 0.88-0.99x and 0.95-1.05x),
 * and on loopback 170 / 181 against 277 / 249: there the CPU is the
 * limit (the machine's two, shared with sshd and the delaying relay), as
 * bkp hashes, compresses and encrypts every byte besides SSH's cipher,
 * while at +10 ms OpenSSH's tools are held only by their one channel's
 * 2 MiB window (ssh cat: 153 MiB/s).
 * SSH_OPTIONS_NODELAY is on: without it, downloads fell from ~130 to
 * ~57 MB/s on loopback.
 *
 * Several threads may share the connection: ssh_conn serializes the calls,
 * and the reader or writer with replies in flight receives them all before
 * any other call (the settle hook of ssh_conn_begin_as), as the replies
 * of closes sent without waiting are dropped before the next call on their
 * channel.
 *
 * A lost connection (ssh_retry.c) is replaced with exponential backoff
 * and jitter, within retry_attempts and retry_time; then every operation
 * goes on where it was: a writer opens its temporary file again and sends
 * every write the server had not acknowledged (writes are idempotent, what
 * was acknowledged is in the file, and the seal's hashes prove the
 * result); a reader opens the object again at the offset it had delivered;
 * the calls below are repeated (a listing is collected whole before the
 * callback sees it, a repeated removal finds nothing, which callers take as
 * done; a create takes a fresh temporary name; a rename whose answer was
 * lost is found done).  Once the budget is spent, every later call fails
 * at once, and the repository stays valid because the seal is written
 * last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"
#include "ssh_conn.h"
#include "ssh_io.h"
#include "ssh_pipe.h"
#include "ssh_retry.h"
#include "transport_impl.h"

/* rc = expr, again while the connection is lost and can be replaced
 * (ssh_retry.h); the calls below are safe to repeat. */
#define RETRYING(c, rc, expr) do {					\
	unsigned gen_;							\
	do {								\
		gen_ = ssh_conn_gen(c);					\
		(rc) = (expr);						\
	} while (ssh_conn_again((c), (rc), gen_));			\
	if ((rc) == 0)							\
		ssh_conn_progress(c);					\
} while (0)

struct remote {
	struct ssh_target t;
	struct transport_opts o;	/* kept for reconnecting */
	struct ssh_conn *c;
	time_t parked;		/* when it was left idle */
};

/* Connections whose user closed them stay open a little while for the
 * next open of the same server, user and keys: a backup opens its
 * repository again to ship its audit records, bkp run to verify and
 * prune; a new SSH session costs several round trips and a key exchange.
 * Later than IDLE_SECS the server may have dropped it: a new one then. */
#define IDLE_MAX 4
#define IDLE_SECS 30
static struct remote *idle[IDLE_MAX];
static pthread_mutex_t idle_mu = PTHREAD_MUTEX_INITIALIZER;

/* Stats sent at once by transport_stat_all(). */
#define STAT_BATCH 64
/* transport_get_all() reads objects of less than GET_CHUNK bytes, up to
 * GET_BATCH at once, in three round trips: the opens, the reads, and a
 * read past the end of each that proves it (a short read alone does
 * not).  The rest it leaves to transport_get(). */
#define GET_BATCH 32
#define GET_CHUNK (60 * 1024)

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

	if (r->o.create &&
	    SSH_CALL(c, 1, sftp_mkdir(c->sftp, root, 0700) == 0) != 0 &&
	    ssh_conn_status() != SSH_FX_FILE_ALREADY_EXISTS)
		return ssh_conn_fail(c, root,
		    "cannot create repository directory", 0);
	if (SSH_CALL(c, 1, (a = sftp_stat(c->sftp, root)) != NULL) != 0) {
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

static time_t
now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int
same_string(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* An idle connection to the peer of t with the keys of o, taken out of
 * the idle ones; NULL if none.  Connections idle too long are closed. */
static struct remote *
take_idle(const struct ssh_target *t, const struct transport_opts *o)
{
	struct remote *r, *found = NULL;

	pthread_mutex_lock(&idle_mu);
	for (unsigned i = 0; i < IDLE_MAX; i++) {
		if ((r = idle[i]) == NULL)
			continue;
		if (now_secs() - r->parked > IDLE_SECS) {
			remote_free(r);
			idle[i] = NULL;
		} else if (found == NULL && strcmp(r->t.label, t->label) == 0 &&
		    same_string(r->o.identity, o ? o->identity : NULL) &&
		    same_string(r->o.known_hosts, o ? o->known_hosts : NULL)) {
			found = r;
			idle[i] = NULL;
		}
	}
	pthread_mutex_unlock(&idle_mu);
	return found;
}

/* The target and options of this open, in place (the connection points
 * at them). */
static int
adopt(struct remote *r, struct ssh_target *t, const struct transport_opts *o)
{
	ssh_target_free(&r->t);
	r->t = *t;
	free((char *)r->o.identity);
	free((char *)r->o.known_hosts);
	memset(&r->o, 0, sizeof(r->o));
	return copy_opts(r, o);
}

static int
rem_open(const char *url, const struct transport_opts *o, void **ctx)
{
	struct ssh_target t;
	struct remote *r;
	int rc;

	if ((rc = ssh_target_parse(url, &t)) != 0)
		return rc;
	if ((r = take_idle(&t, o)) != NULL)
		rc = adopt(r, &t, o);
	else if ((r = calloc(1, sizeof(*r))) == NULL) {
		ssh_target_free(&t);
		return -BKP_ENOMEM;
	} else {
		r->t = t;
		if ((rc = copy_opts(r, o)) == 0)
			rc = ssh_conn_open(&r->t, &r->o, &r->c);
	}
	/* A connection kept idle may have been dropped by the server: the
	 * first call reconnects, as any other. */
	if (rc == 0)
		RETRYING(r->c, rc, check_root(r));
	if (rc != 0) {
		remote_free(r);
		return rc;
	}
	*ctx = r;
	return 0;
}

/* A connection still good waits for the next open (take_idle), in place
 * of the oldest one waiting if there is no room. */
static void
rem_close(void *ctx)
{
	struct remote *r = ctx, *old;
	unsigned slot = 0;

	(void)ssh_writer_flush(r->c);	/* reported */
	r->c->fin_rc = 0;
	if (r->c->lost) {
		remote_free(r);
		return;
	}
	r->parked = now_secs();
	pthread_mutex_lock(&idle_mu);
	for (unsigned i = 1; i < IDLE_MAX && idle[slot] != NULL; i++)
		if (idle[i] == NULL || idle[i]->parked < idle[slot]->parked)
			slot = i;
	old = idle[slot];
	idle[slot] = r;
	pthread_mutex_unlock(&idle_mu);
	if (old != NULL)
		remote_free(old);
}

static void
rem_close_idle(void)
{
	pthread_mutex_lock(&idle_mu);
	for (unsigned i = 0; i < IDLE_MAX; i++) {
		if (idle[i] != NULL)
			remote_free(idle[i]);
		idle[i] = NULL;
	}
	pthread_mutex_unlock(&idle_mu);
}

/* mkdir of one directory: an existing one is fine. */
static int
make_one(struct ssh_conn *c, const char *path, int quiet_missing)
{
	if (SSH_CALL(c, 1, sftp_mkdir(c->sftp, path, 0700) == 0) == 0 ||
	    ssh_conn_status() == SSH_FX_FILE_ALREADY_EXISTS)
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
	RETRYING(r->c, rc, make_dirs(r->c, full, strlen(r->t.path)));
	free(full);
	return rc;
}

/* A listing is collected whole before the callbacks see it, so that it
 * can be started again after a reconnection. */
struct names {
	char **v;
	size_t n;
};

static void
names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
names_add(struct names *l, const char *name)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*l->v));

	if (v == NULL)
		return -BKP_ENOMEM;
	l->v = v;
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -BKP_ENOMEM;
	l->n++;
	return 0;
}

static int
list_names(struct ssh_conn *c, sftp_dir d, const char *full, struct names *l)
{
	sftp_attributes a = NULL;
	int rc = 0;

	while (rc == 0) {
		if (SSH_CALL(c, 1, (a = sftp_readdir(c->sftp, d)) != NULL)
		    != 0) {
			if (!sftp_dir_eof(d))
				rc = ssh_conn_fail(c, full, "cannot list", 0);
			break;
		}
		if (strcmp(a->name, ".") != 0 && strcmp(a->name, "..") != 0)
			rc = names_add(l, a->name);
		sftp_attributes_free(a);
	}
	return rc;
}

static int
list_once(struct ssh_conn *c, const char *full, struct names *l)
{
	sftp_dir d = NULL;
	int rc;

	names_free(l);
	if (SSH_CALL(c, 1, (d = sftp_opendir(c->sftp, full)) != NULL) != 0)
		return ssh_conn_fail(c, full, "cannot list", 1);
	rc = list_names(c, d, full, l);
	if (ssh_conn_begin(c, 1) == 0)
		ssh_conn_close_later(c, 0, &d->handle);
	sftp_closedir(d);	/* frees d even when lost */
	ssh_conn_end(c, 0);
	return rc;
}

static int
rem_list(void *ctx, const char *dir, int (*cb)(void *, const char *),
    void *arg)
{
	struct remote *r = ctx;
	char *full = remote_path(r, dir);
	struct names l = { NULL, 0 };
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	RETRYING(r->c, rc, list_once(r->c, full, &l));
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = cb(arg, l.v[i]);
	names_free(&l);
	free(full);
	return rc;
}

static int
stat_once(struct ssh_conn *c, const char *full, uint64_t *size)
{
	sftp_attributes a = NULL;

	if (SSH_CALL(c, 1, (a = sftp_lstat(c->sftp, full)) != NULL) != 0)
		return ssh_conn_fail(c, full, "cannot stat", 1);
	*size = a->size;
	sftp_attributes_free(a);
	return 0;
}

static int
rem_stat(void *ctx, const char *path, uint64_t *size)
{
	struct remote *r = ctx;
	char *full = remote_path(r, path);
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	RETRYING(r->c, rc, stat_once(r->c, full, size));
	free(full);
	return rc;
}

/* lstat of the paths, every request sent before the first reply is read:
 * one round trip.  rcs[i] is 0 or -BKP_ENOTFOUND; -1 is a failed call,
 * *bad the path it failed on. */
static int
lstat_batch(struct ssh_conn *c, char *const *full, size_t n,
    uint64_t *sizes, int *rcs, size_t *bad)
{
	uint32_t id[STAT_BATCH], got, status;
	int rc = 0;

	*bad = 0;
	for (size_t i = 0; i < n; i++)
		if (ssh_pipe_lstat(c->sftp, id[i] = ssh_pipe_id(c->sftp),
		    full[i]) != 0)
			return -1;
	for (size_t i = 0; i < n; i++) {
		if (ssh_pipe_attrs(c->sftp, &got, &status, &sizes[i]) != 0 ||
		    got != id[i])
			return -1;
		rcs[i] = status == SSH_FX_NO_SUCH_FILE ? -BKP_ENOTFOUND : 0;
		if (status != SSH_FX_OK && rcs[i] == 0 && rc == 0) {
			c->sftp->errnum = (int)status;
			*bad = i;
			rc = -1;
		}
	}
	return rc;
}

static int
stat_batch(struct ssh_conn *c, char *const *full, size_t n, uint64_t *sizes,
    int *rcs)
{
	size_t bad = 0;

	if (SSH_CALL(c, 1, lstat_batch(c, full, n, sizes, rcs, &bad) == 0) !=
	    0)
		return ssh_conn_fail(c, full[bad], "cannot stat", 0);
	return 0;
}

static int
rem_stat_all(void *ctx, const char *const *paths, size_t n, uint64_t *sizes,
    int *rcs)
{
	struct remote *r = ctx;
	char *full[STAT_BATCH];
	int rc = 0;

	for (size_t at = 0; rc == 0 && at < n; at += STAT_BATCH) {
		size_t k = n - at < STAT_BATCH ? n - at : STAT_BATCH, made;

		for (made = 0; made < k; made++)
			if ((full[made] = remote_path(r, paths[at + made])) ==
			    NULL)
				break;
		if (made < k)
			rc = -BKP_ENOMEM;
		else
			RETRYING(r->c, rc, stat_batch(r->c, full, k, sizes + at,
			    rcs + at));
		while (made > 0)
			free(full[--made]);
	}
	return rc;
}

/* An object transport_get_all() reads: its handle (len 0 when not open),
 * the request in flight, and what was read. */
struct getting {
	struct ssh_pipe_handle h;
	uint32_t id, len;
	uint8_t *buf;		/* GET_CHUNK bytes */
	int probe;		/* a read past the end is to prove it */
	int whole;		/* buf holds the whole object */
};

/* Sends a read on every open object (at 0), or with probe on every object
 * to probe (past what was read). */
static int
send_reads(sftp_session s, struct getting *g, size_t n, int probe)
{
	for (size_t i = 0; i < n; i++)
		if ((probe ? g[i].probe : g[i].h.len > 0) &&
		    ssh_pipe_read_h(s, &g[i].h, g[i].id = ssh_pipe_id(s),
		    probe ? g[i].len : 0, GET_CHUNK) != 0)
			return -1;
	return 0;
}

/* The three round trips of transport_get_all() for n objects: 0, or -1
 * (what was read so far stays valid, the rest is left). */
static int
get_batch(struct ssh_conn *c, char *const *full, size_t n, struct getting *g,
    uint8_t *scratch)
{
	sftp_session s = c->sftp;
	uint32_t id, status, len;
	size_t i;

	for (i = 0; i < n; i++)
		if (ssh_pipe_open(s, g[i].id = ssh_pipe_id(s), full[i],
		    SSH_FXF_READ, 0) != 0)
			return -1;
	for (i = 0; i < n; i++)
		if (ssh_pipe_handle(s, &id, &status, &g[i].h) != 0 ||
		    id != g[i].id)
			return -1;
	if (send_reads(s, g, n, 0) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (g[i].h.len == 0)
			continue;
		if (ssh_pipe_data(s, &id, &status, g[i].buf, GET_CHUNK,
		    &g[i].len) != 0 || id != g[i].id)
			return -1;
		g[i].whole = status == SSH_FX_EOF;
		g[i].probe = status == SSH_FX_OK && g[i].len < GET_CHUNK;
	}
	if (send_reads(s, g, n, 1) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!g[i].probe)
			continue;
		if (ssh_pipe_data(s, &id, &status, scratch, GET_CHUNK,
		    &len) != 0 || id != g[i].id)
			return -1;
		g[i].whole = status == SSH_FX_EOF;
	}
	return 0;
}

/* One batch: the objects read whole go to datas (rcs 0). */
static void
get_some(struct remote *r, const char *const *paths, size_t n,
    struct getting *g, uint8_t *scratch, uint8_t **datas, size_t *lens,
    int *rcs)
{
	char *full[GET_BATCH];
	size_t made;

	for (made = 0; made < n; made++)
		if ((full[made] = remote_path(r, paths[made])) == NULL)
			break;
	if (made == n && ssh_conn_begin(r->c, 1) == 0) {
		(void)get_batch(r->c, full, n, g, scratch);
		for (size_t i = 0; i < n; i++)
			if (g[i].h.len > 0)
				ssh_conn_close_handle_later(r->c, 0, &g[i].h);
	}
	ssh_conn_end(r->c, 0);
	for (size_t i = 0; i < made; i++) {
		if (g[i].whole &&
		    (datas[i] = malloc(g[i].len ? g[i].len : 1)) != NULL) {
			memcpy(datas[i], g[i].buf, g[i].len);
			lens[i] = g[i].len;
			rcs[i] = 0;
		}
		free(full[i]);
	}
}

static void
rem_get_all(void *ctx, const char *const *paths, size_t n, uint8_t **datas,
    size_t *lens, int *rcs)
{
	struct getting g[GET_BATCH];
	uint8_t *block = malloc((GET_BATCH + 1) * (size_t)GET_CHUNK);

	for (size_t at = 0; block != NULL && at < n; at += GET_BATCH) {
		size_t k = n - at < GET_BATCH ? n - at : GET_BATCH;

		memset(g, 0, sizeof(g));
		for (size_t i = 0; i < k; i++)
			g[i].buf = block + i * (size_t)GET_CHUNK;
		get_some(ctx, paths + at, k, g, block + GET_BATCH *
		    (size_t)GET_CHUNK, datas + at, lens + at, rcs + at);
	}
	free(block);
}

/* Repeated after a lost reply, a removal finds nothing: -BKP_ENOTFOUND,
 * which the callers take as done. */
static int
remove_once(struct ssh_conn *c, const char *full, int dir)
{
	if (SSH_CALL(c, 1, (dir ? sftp_rmdir(c->sftp, full) :
	    sftp_unlink(c->sftp, full)) == 0) != 0)
		return ssh_conn_fail(c, full, dir ? "cannot remove directory" :
		    "cannot remove", 1);
	return 0;
}

static int
remove_common(struct remote *r, const char *path, int dir)
{
	char *full = remote_path(r, path);
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	RETRYING(r->c, rc, remove_once(r->c, full, dir));
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

/* Objects: ssh_io.c, on the remote path. */

static int
rem_read_open(void *ctx, const char *path, void **fp)
{
	struct remote *r = ctx;
	char *full = remote_path(r, path);
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	rc = ssh_reader_open(r->c, full, (struct ssh_reader **)fp);
	free(full);
	return rc;
}

static int
rem_read(void *fp, void *buf, size_t n, size_t *got)
{
	return ssh_reader_read(fp, buf, n, got);
}

static void
rem_read_close(void *fp)
{
	ssh_reader_close(fp);
}

static int
rem_write_open(void *ctx, const char *path, void **fp)
{
	struct remote *r = ctx;
	char *full = remote_path(r, path);
	int rc;

	if (full == NULL)
		return -BKP_ENOMEM;
	rc = ssh_writer_open(r->c, full, (struct ssh_writer **)fp);
	free(full);
	return rc;
}

static int
rem_write(void *fp, const void *buf, size_t n)
{
	return ssh_writer_write(fp, buf, n);
}

static int
rem_write_commit(void *fp)
{
	return ssh_writer_commit(fp);
}

static int
rem_write_commit_later(void *fp)
{
	return ssh_writer_commit_later(fp);
}

static int
rem_flush(void *ctx)
{
	struct remote *r = ctx;

	return ssh_writer_flush(r->c);
}

static void
rem_write_abort(void *fp)
{
	ssh_writer_abort(fp);
}

const struct transport_ops transport_sftp_ops = {
	.scheme = "sftp://",
	.open = rem_open,
	.close = rem_close,
	.close_idle = rem_close_idle,
	.mkdir = rem_mkdir,
	.list = rem_list,
	.stat = rem_stat,
	.stat_all = rem_stat_all,
	.get_all = rem_get_all,
	.remove = rem_remove,
	.rmdir = rem_rmdir,
	.read_open = rem_read_open,
	.read = rem_read,
	.read_close = rem_read_close,
	.write_open = rem_write_open,
	.write = rem_write,
	.write_commit = rem_write_commit,
	.write_commit_later = rem_write_commit_later,
	.flush = rem_flush,
	.write_abort = rem_write_abort,
};
