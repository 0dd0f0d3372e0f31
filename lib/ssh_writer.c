/* ssh_writer.c: writing objects over SFTP.  The design (write-once commit,
 * pipelined writes striped over several channels, commits completed while
 * the next object is written, resuming after a reconnection) is explained
 * at the top of transport_sftp.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "ssh_io.h"
#include "ssh_lanes.h"
#include "ssh_pipe.h"
#include "ssh_retry.h"

/* OpenSSH's server drops writes of more than 261,120 data bytes. */
#define WRITE_CHUNK (252 * 1024)
/* Requests in flight per channel: 2 MiB, the window of an OpenSSH
 * server's channel. */
#define DEPTH 8
#define RING (SSH_LANES_MAX * DEPTH)
/* An object this big is striped over the connection's channels. */
#define STRIPE_AFTER (1u << 20)
/* fsync and close may wait for the server's disk. */
#define SLOW 4

/* Where a commit sent ahead (ssh_writer_commit_later) is. */
enum fin {
	FIN_NONE,	/* not committed */
	FIN_CLOSING,	/* fsync and close sent on every channel */
	FIN_RENAMING,	/* all answered, the rename sent (on channel 0) */
	FIN_DONE,	/* renamed into place */
	FIN_FAILED	/* refused: err, or the rename (renaming) */
};

/* A write request: queued, sent on a channel, then acknowledged. */
struct wreq {
	uint64_t off;
	uint32_t len, id;
	unsigned lane;
	int sent, done;
	uint8_t *mem;		/* SSH_PIPE_ROOM + WRITE_CHUNK */
};
#define DATA(r) ((r)->mem + SSH_PIPE_ROOM)

struct ssh_writer {
	struct ssh_conn *c;
	unsigned gen;		/* the session the files belong to */
	char *path, *tmp;	/* remote paths: final and temporary */
	struct ssh_lanes lanes;	/* the channels it is written on */
	struct wreq q[RING];	/* ring: n requests from head, then the
				 * one being filled (fill bytes) */
	unsigned head, n, inflight;
	size_t fill;
	uint64_t off;		/* bytes queued */
	int created;		/* tmp exists on the server */
	int striped;		/* the object is big: use every channel */
	uint32_t err;		/* the first failure status received */
	enum fin fin;		/* a commit sent ahead: where it is */
	uint32_t rename_id;	/* FIN_RENAMING: the request */
	int rename_refused;	/* FIN_FAILED by the rename */
};

/* Everything from here to step() runs under the connection's mutex; -1
 * is a failed call (ssh_conn_fail tells which), anything else negative a
 * bkp status already reported. */

static void settle(void *arg);
static int owed(struct ssh_writer *w);

/* Registered with the connection while replies are in flight (a
 * finishing writer is registered as such). */
static void
track(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;

	if (c->finishing == w)
		return;
	if (w->inflight > 0 || w->lanes.opening > 0) {
		c->settle = settle;
		c->settle_reader = w;
	} else if (c->settle_reader == w) {
		c->settle = NULL;
		c->settle_reader = NULL;
	}
}

#define REQ(w, i) (&(w)->q[((w)->head + (i)) % RING])
/* Requests in flight at most: DEPTH per open channel. */
#define FULL(w) ((w)->n >= (w)->lanes.open * DEPTH)
#define SESSION(w, k) ((w)->lanes.l[k].s)

/* Sends the queued requests not sent yet (none after a failure, nor
 * without an open channel), each on the next channel in turn. */
static int
pump(struct ssh_writer *w)
{
	for (unsigned i = 0; i < w->n && w->err == 0 && w->lanes.open > 0;
	    i++) {
		struct wreq *r = REQ(w, i);
		struct ssh_lane *l;

		if (r->sent)
			continue;
		r->lane = ssh_lanes_next(&w->lanes);
		l = &w->lanes.l[r->lane];
		r->id = ssh_pipe_id(l->s);
		if (ssh_pipe_write(l->s, &l->h, r->id, r->off, DATA(r),
		    r->len) != 0) {
			track(w);
			return -1;
		}
		r->sent = 1;
		w->inflight++;
	}
	track(w);
	return 0;
}

static struct wreq *
find(struct ssh_writer *w, unsigned lane, uint32_t id)
{
	for (unsigned i = 0; i < w->n; i++) {
		struct wreq *r = REQ(w, i);

		if (r->sent && !r->done && r->lane == lane && r->id == id)
			return r;
	}
	return NULL;
}

/* One reply, on the channel of the oldest request: 0, or -1 when the
 * channel failed.  A failure status is kept in w->err; acknowledged
 * requests leave the queue. */
static int
receive(struct ssh_writer *w)
{
	unsigned lane = w->q[w->head].lane;
	uint32_t id, status;
	struct wreq *r;

	if ((lane == 0 && owed(w) != 0) ||
	    ssh_pipe_status(SESSION(w, lane), &id, &status) != 0 ||
	    (r = find(w, lane, id)) == NULL)
		return -1;
	w->inflight--;
	r->done = 1;
	track(w);
	if (status != SSH_FX_OK && w->err == 0)
		w->err = status;
	while (w->n > 0 && w->q[w->head].done) {
		w->q[w->head].sent = w->q[w->head].done = 0;
		w->head = (w->head + 1) % RING;
		w->n--;
	}
	if (status == SSH_FX_OK)
		ssh_conn_progress(w->c);
	return 0;
}

/* Receives the replies already here, without waiting: the queue makes
 * room sooner, and a resumption after a lost connection starts from what
 * the server has. */
static int
take_arrived(struct ssh_writer *w)
{
	int rc = ssh_lanes_collect(&w->lanes, 0);

	track(w);
	if (rc != 0)
		return -1;
	while (w->inflight > 0 && ssh_channel_poll(
	    SESSION(w, w->q[w->head].lane)->channel, 0) > 0)
		if (receive(w) != 0)
			return -1;
	return 0;
}

static int
send_queued(struct ssh_writer *w)
{
	return pump(w) != 0 ? -1 : take_arrived(w);
}

/* The failure status, for ssh_conn_fail(). */
static int
refused(struct ssh_writer *w)
{
	w->c->sftp->errnum = (int)w->err;
	return -1;
}

/* Until every request is answered (then the channels are clean). */
static int
drain(struct ssh_writer *w)
{
	int rc = ssh_lanes_collect(&w->lanes, 1);

	track(w);
	if (rc != 0 || pump(w) != 0)
		return -1;
	while (w->inflight > 0)
		if (receive(w) != 0)
			return -1;
	return w->err ? refused(w) : 0;
}

/* Until a slot is free for the next request. */
static int
make_room(struct ssh_writer *w)
{
	if (take_arrived(w) != 0 || pump(w) != 0)
		return -1;
	while (FULL(w) && w->err == 0)
		if (receive(w) != 0)
			return -1;
	return w->err ? drain(w) : 0;
}

/* Another call is next: our replies first.  After a lost connection the
 * requests are sent again on the next one. */
static void
settle(void *arg)
{
	struct ssh_writer *w = arg;

	drain(w);
	for (unsigned i = 0; i < w->n; i++)
		REQ(w, i)->sent = 0;
	w->inflight = 0;
	track(w);
}

/* More channels for a big object: their opens are sent, and their
 * replies taken as they come (take_arrived). */
static int
add_lanes(struct ssh_writer *w)
{
	int rc;

	w->striped = 1;
	rc = ssh_lanes_add(&w->lanes, w->tmp);
	track(w);
	return rc;
}

/* The file closed on every channel after an fsync there (the server
 * takes a channel's requests in order, so each fsync follows that
 * channel's writes, and together they make every write durable: nothing
 * has to be answered first).  All the requests are sent, then all the
 * replies received, the writes' first.  0, or -1 (a refusal's status
 * kept for ssh_conn_fail, a write's first). */
static int
close_lanes(struct ssh_writer *w, int sync)
{
	int64_t refusal;

	if (ssh_lanes_collect(&w->lanes, 1) != 0 ||
	    ssh_lanes_send_close(&w->lanes, sync) != 0)
		return -1;
	while (w->inflight > 0)
		if (receive(w) != 0)
			return -1;
	if (owed(w) != 0 ||
	    (refusal = ssh_lanes_recv_close(&w->lanes)) < 0)
		return -1;
	if (w->err != 0)
		return refused(w);
	if (refusal == SSH_FX_OK)
		return 0;
	w->c->sftp->errnum = (int)refusal;
	return -1;
}

/* The last writes sent, and the file made durable and closed. */
static int
sync_close(struct ssh_writer *w)
{
	if (pump(w) != 0)
		return -1;
	return close_lanes(w, w->c->has_fsync);
}

/* A commit sent ahead (ssh_writer_commit_later) is completed while the
 * next object is written.  The server answers a channel's requests in
 * order, so on channel 0 the replies to its writes, fsync and close come
 * before the reply to the next object's open: they are taken while that
 * open travels, and the rename is sent then, right behind it; its reply
 * comes before anything sent later on channel 0, and whoever reads there
 * next takes it (owed).  Any other call first takes them all
 * (fin_settle, the connection's hook).  After a lost connection, or a
 * refusal, ssh_writer_flush() completes it the way ssh_writer_commit()
 * does; its outcome comes with the next commit. */

static void
release_ring(struct ssh_writer *w)
{
	for (unsigned i = 0; i < RING; i++) {
		free(w->q[i].mem);
		w->q[i].mem = NULL;
	}
}

/* The replies to f's writes, fsyncs and closes; then, if none refused,
 * its rename sent: 0, or -1 (the connection failed). */
static int
fin_answers(struct ssh_writer *f)
{
	int64_t refusal;

	while (f->inflight > 0)
		if (receive(f) != 0)
			return -1;
	if ((refusal = ssh_lanes_recv_close(&f->lanes)) < 0)
		return -1;
	if (f->err == 0 && refusal != SSH_FX_OK)
		f->err = (uint32_t)refusal;
	if (f->err != 0) {
		f->fin = FIN_FAILED;
		return 0;
	}
	release_ring(f);	/* every write is in the file */
	f->fin = FIN_RENAMING;
	f->rename_id = ssh_pipe_id(f->c->sftp);
	return ssh_pipe_rename(f->c->sftp, f->rename_id, f->tmp, f->path);
}

static int
fin_renamed(struct ssh_writer *f)
{
	uint32_t id, status;

	if (ssh_pipe_status(f->c->sftp, &id, &status) != 0 ||
	    id != f->rename_id)
		return -1;
	f->fin = status == SSH_FX_OK ? FIN_DONE : FIN_FAILED;
	f->rename_refused = status != SSH_FX_OK;
	return 0;
}

/* The connection's hook: the commit in flight takes its replies. */
static void
fin_settle(void *arg)
{
	struct ssh_writer *f = arg;

	if (f->gen != f->c->gen)
		return;
	if (f->fin == FIN_CLOSING && fin_answers(f) != 0)
		return;
	if (f->fin == FIN_RENAMING)
		(void)fin_renamed(f);
}

/* Before w reads channel 0: the reply to the rename in flight. */
static int
owed(struct ssh_writer *w)
{
	struct ssh_writer *f = w->c->finishing;

	if (f == NULL || f == w || f->fin != FIN_RENAMING ||
	    f->gen != w->c->gen)
		return 0;
	return fin_renamed(f);
}

/* The temporary file opened on the first channel, and the commit in
 * flight answered meanwhile (see above). */
static int
open_first(struct ssh_writer *w, uint32_t pflags)
{
	struct ssh_conn *c = w->c;
	struct ssh_writer *f = c->finishing;

	w->gen = c->gen;
	if (owed(w) != 0 ||
	    ssh_lanes_send_first(&w->lanes, w->tmp, pflags) != 0)
		return -1;
	if (f != NULL && f != w && f->gen == c->gen &&
	    f->fin == FIN_CLOSING) {
		if (fin_answers(f) != 0)
			return -1;
		c->finish_taker = w;
	}
	return ssh_lanes_first_opened(&w->lanes);
}

/* The last writes, fsyncs and closes sent: w is the commit in flight. */
static int
send_ahead(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;

	if (pump(w) != 0 || ssh_lanes_collect(&w->lanes, 1) != 0 ||
	    ssh_lanes_send_close(&w->lanes, c->has_fsync) != 0)
		return -1;
	if (c->settle_reader == w) {
		c->settle = NULL;
		c->settle_reader = NULL;
	}
	w->fin = FIN_CLOSING;
	c->finishing = w;
	c->finish_settle = fin_settle;
	c->finish_taker = NULL;
	return 0;
}

/* On a new session: the temporary file opened again, and every request
 * the server did not acknowledge sent again (writes are idempotent, and
 * what was acknowledged is in the file). */
static int
reopen(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;

	if (open_first(w, SSH_FXF_WRITE) != 0 ||
	    (w->striped && add_lanes(w) != 0))
		return -1;
	for (unsigned i = 0; i < w->n; i++)
		REQ(w, i)->sent = REQ(w, i)->done = 0;
	w->inflight = 0;
	log_info("%s%s: resuming at byte %llu", c->t->label, w->tmp,
	    (unsigned long long)(w->n ? w->q[w->head].off : w->off));
	return pump(w);
}

/* Runs fn on the current session (reopening the object on a new one),
 * again after each reconnection. */
static int
step(struct ssh_writer *w, int (*fn)(struct ssh_writer *), int slow,
    const char *what)
{
	struct ssh_conn *c = w->c;
	unsigned gen;
	int rc;

	do {
		rc = -1;
		if (ssh_conn_begin_as(c, slow, w) == 0) {
			rc = 0;
			if (w->gen != c->gen || w->lanes.open == 0)
				rc = reopen(w);
			if (rc == 0)
				rc = w->err ? refused(w) : fn(w);
		}
		gen = c->gen;	/* the session this attempt used */
		if (ssh_conn_end(c, rc == -1) != 0)
			rc = ssh_conn_fail(c, w->tmp, what, 0);
	} while (rc != 0 && ssh_conn_again(c, rc, gen));
	return rc;
}

/* Leaves the connection clean and forgets the files. */
static void
let_go(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;

	if (ssh_conn_begin_as(c, SLOW, w) == 0 && w->gen == c->gen &&
	    w->lanes.n > 0) {
		drain(w);
		if (w->inflight == 0)
			(void)close_lanes(w, 0);
	}
	w->inflight = 0;
	ssh_lanes_forget(&w->lanes);
	track(w);		/* unregistered: nothing is in flight */
	ssh_conn_end(c, 0);
}

static void
writer_free(struct ssh_writer *w)
{
	let_go(w);
	for (unsigned i = 0; i < RING; i++)
		free(w->q[i].mem);
	free(w->path);
	free(w->tmp);
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

/* O_EXCL on a fresh name each time: a create whose reply was lost left
 * its file behind. */
static int
create(struct ssh_writer *w)
{
	struct ssh_conn *c = w->c;
	unsigned gen;
	int rc;

	do {
		free(w->tmp);
		if ((w->tmp = temp_name(w->path)) == NULL)
			return -BKP_ENOMEM;
		gen = ssh_conn_gen(c);
		if (ssh_conn_begin_taking(c, 1, w) != 0)
			rc = ssh_conn_end(c, 1);
		else
			rc = ssh_conn_end(c, open_first(w, SSH_FXF_WRITE |
			    SSH_FXF_CREAT | SSH_FXF_EXCL) != 0);
		if (rc != 0)
			rc = ssh_conn_fail(c, w->tmp, "cannot create", 0);
	} while (rc != 0 && ssh_conn_again(c, rc, gen));
	w->created = rc == 0;
	return rc;
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
	w->lanes.c = c;
	if ((w->path = strdup(path)) == NULL)
		rc = -BKP_ENOMEM;
	else
		rc = create(w);
	if (rc != 0) {
		writer_free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

/* The request being filled joins the queue and is sent. */
static int
enqueue(struct ssh_writer *w)
{
	struct wreq *r = REQ(w, w->n);
	int rc;

	r->off = w->off;
	r->len = (uint32_t)w->fill;
	r->sent = r->done = 0;
	w->off += w->fill;
	w->fill = 0;
	w->n++;
	if (!w->striped && w->off >= STRIPE_AFTER && w->c->lanes > 1 &&
	    (rc = step(w, add_lanes, 1, "cannot open another channel")) != 0)
		return rc;
	return step(w, send_queued, 1, "write failed");
}

int
ssh_writer_write(struct ssh_writer *w, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	struct wreq *r;
	size_t k;
	int rc;

	while (n > 0) {
		if (FULL(w) &&
		    (rc = step(w, make_room, 1, "write failed")) != 0)
			return rc;
		r = REQ(w, w->n);
		if (r->mem == NULL &&
		    (r->mem = malloc(SSH_PIPE_ROOM + WRITE_CHUNK)) == NULL)
			return -BKP_ENOMEM;
		k = WRITE_CHUNK - w->fill < n ? WRITE_CHUNK - w->fill : n;
		memcpy(DATA(r) + w->fill, p, k);
		w->fill += k;
		p += k;
		n -= k;
		if (w->fill == WRITE_CHUNK && (rc = enqueue(w)) != 0)
			return rc;
	}
	return 0;
}

void
ssh_writer_abort(struct ssh_writer *w)
{
	if (w == NULL)
		return;
	let_go(w);
	if (w->created)
		(void)SSH_CALL(w->c, 1, sftp_unlink(w->c->sftp, w->tmp) == 0);
	writer_free(w);
}

/* The request being filled, queued. */
static int
queue_rest(struct ssh_writer *w)
{
	int rc = 0;

	if (w->fill > 0 && FULL(w))
		rc = step(w, make_room, 1, "write failed");
	if (rc == 0 && w->fill > 0)
		rc = enqueue(w);
	return rc;
}

/* A refusal the commit in flight received, reported. */
static int
report_refusal(struct ssh_writer *f)
{
	struct ssh_conn *c = f->c;

	if (ssh_conn_begin(c, 1) == 0)
		(void)refused(f);
	ssh_conn_end(c, 1);
	return ssh_conn_fail(c, f->tmp, "cannot sync", 0);
}

/* The commit in flight, completed where it is: 0, or its status. */
static int
complete(struct ssh_writer *f)
{
	int rc;

	switch (f->fin) {
	case FIN_DONE:
		return 0;
	case FIN_FAILED:
		return f->rename_refused ?
		    ssh_publish(f->c, f->tmp, f->path, f->off, 0) :
		    report_refusal(f);
	case FIN_RENAMING:	/* the reply was lost with the connection */
		return ssh_publish(f->c, f->tmp, f->path, f->off, 1);
	default:		/* the replies were, or some of them */
		rc = step(f, sync_close, SLOW, "cannot sync");
		return rc != 0 ? rc :
		    ssh_publish(f->c, f->tmp, f->path, f->off, 0);
	}
}

/* ssh_writer_flush() for self, a writer whose own requests stay in
 * flight (NULL: none). */
static int
flush_as(struct ssh_conn *c, struct ssh_writer *self)
{
	struct ssh_writer *f;
	int rc;

	pthread_mutex_lock(&c->fin_mu);
	/* Its replies on this session are taken by the connection's hook;
	 * then it is the connection's no more. */
	(void)ssh_conn_begin_as(c, SLOW, self);
	if ((f = c->finishing) != NULL && !c->lost)
		fin_settle(f);	/* the hook's, when self took them */
	c->finishing = NULL;
	c->finish_taker = NULL;
	ssh_conn_end(c, 0);
	if (f != NULL && (rc = complete(f)) != 0) {
		ssh_writer_abort(f);
		c->fin_rc = rc;
	} else if (f != NULL) {
		ssh_conn_progress(c);
		writer_free(f);
	}
	rc = c->fin_rc;
	pthread_mutex_unlock(&c->fin_mu);
	return rc;
}

int
ssh_writer_flush(struct ssh_conn *c)
{
	return flush_as(c, NULL);
}

/* The commit in flight completed, the rest of w queued, then fn run on
 * it: the start of both commits. */
static int
send_rest(struct ssh_writer *w, int (*fn)(struct ssh_writer *))
{
	int rc = flush_as(w->c, w);

	if (rc == 0)
		rc = queue_rest(w);
	if (rc == 0)
		rc = step(w, fn, SLOW, "cannot sync");
	return rc;
}

int
ssh_writer_commit(struct ssh_writer *w)
{
	int rc = send_rest(w, sync_close);

	if (rc == 0)
		rc = ssh_publish(w->c, w->tmp, w->path, w->off, 0);
	if (rc != 0) {
		ssh_writer_abort(w);
		return rc;
	}
	ssh_conn_progress(w->c);
	writer_free(w);
	return 0;
}

int
ssh_writer_commit_later(struct ssh_writer *w)
{
	int rc = send_rest(w, send_ahead);

	if (rc != 0)
		ssh_writer_abort(w);
	return rc;
}
