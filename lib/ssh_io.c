/* ssh_io.c: reading objects over SFTP (writing: ssh_writer.c).  The
 * design (pipelined reads, resuming after a reconnection) is explained at
 * the top of transport_sftp.c.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "ssh_io.h"
#include "ssh_pipe.h"
#include "ssh_retry.h"

#define READ_REQ (128 * 1024)
#define READ_DEPTH 64
/* Replies are received into rx, asking the channel for as much as fits:
 * libssh then keeps a window of that size open (ssh_pipe.h). */
#define RX_CAP (READ_DEPTH * READ_REQ + 65536)
/* The longest reply: a status with its message, or READ_REQ bytes. */
#define REPLY_MAX (READ_REQ + 65536)

/* A read request and its reply. */
struct slot {
	uint64_t off;
	uint32_t id, want, len;
	enum { S_REQUESTED, S_RECEIVED, S_FAILED } state;
	uint32_t status;	/* the server's, when failed */
	int checked;		/* its length was looked at */
	uint8_t *data;		/* READ_REQ bytes, allocated on first use */
};

struct ssh_reader {
	struct ssh_conn *c;
	unsigned lane;		/* its channel: ssh_conn_lane(c, lane) */
	sftp_session sftp;	/* that channel's SFTP session */
	struct ssh_pipe_handle h;	/* the object's (len 0: none) */
	unsigned gen;		/* the session h belongs to */
	uint64_t delivered;	/* bytes returned to the caller */
	char *path;
	struct slot s[READ_DEPTH];	/* ring: n slots from head */
	unsigned head, n, window, requested;
	uint64_t next;		/* offset of the next request */
	uint32_t req;		/* bytes a request asks for */
	size_t pos;		/* bytes of the head slot returned */
	int eof;
	uint8_t *rx;		/* replies received, not yet dispatched */
	size_t rxoff, rxlen;
};

/* Reading: a window of requests in flight, growing from 8 to READ_DEPTH
 * while the replies come back full (a small object costs a few requests
 * answered at once with its end), each reply into its own slot.  Readers
 * take the channels after the first in turn, so that several read side by
 * side (restore's workers) each keep a full window of replies coming
 * instead of waiting for each other's.  Everything below runs under the
 * connection's mutex. */

/* The close of the object's handle sent, its reply left to the next call
 * on the channel. */
static void
close_later(struct ssh_reader *rd)
{
	if (rd->h.len > 0 && rd->gen == rd->c->gen)
		ssh_conn_close_handle_later(rd->c, rd->lane, &rd->h);
	rd->h.len = 0;
}

static void
reader_free(struct ssh_reader *rd)
{
	if (rd->h.len > 0) {
		if (ssh_conn_begin(rd->c, 1) == 0)
			close_later(rd);
		ssh_conn_end(rd->c, 0);
	}
	for (unsigned i = 0; i < READ_DEPTH; i++)
		free(rd->s[i].data);
	free(rd->rx);
	free(rd->path);
	free(rd);
}

static int
begin(struct ssh_reader *rd)
{
	return rd->lane > 0 ? ssh_conn_begin_lane(rd->c, 1, rd, rd->lane) :
	    ssh_conn_begin_as(rd->c, 1, rd);
}

/* Opens the object on the reader's channel (the first one if no other
 * can be had) with a raw open, as the writers do, so that the handle is
 * ours to read and close without libssh; -1 with the server's status kept
 * for ssh_conn_fail. */
static int
open_locked(struct ssh_reader *rd)
{
	struct ssh_conn *c = rd->c;
	uint32_t id, got, status;

	if ((rd->sftp = ssh_conn_lane(c, rd->lane)) == NULL) {
		rd->lane = 0;
		rd->sftp = c->sftp;
	}
	id = ssh_pipe_id(rd->sftp);
	if (ssh_pipe_open(rd->sftp, id, rd->path, SSH_FXF_READ, 0) != 0 ||
	    ssh_pipe_handle(rd->sftp, &got, &status, &rd->h) != 0 ||
	    got != id)
		return -1;
	if (status != SSH_FX_OK) {
		rd->h.len = 0;
		c->sftp->errnum = (int)status;
		return -1;
	}
	rd->gen = c->gen;
	return 0;
}

static int
open_once(struct ssh_reader *rd)
{
	int failed = 1;

	if (begin(rd) == 0)
		failed = open_locked(rd) != 0;
	return ssh_conn_end(rd->c, failed);
}

int
ssh_reader_open(struct ssh_conn *c, const char *path, struct ssh_reader **rp)
{
	struct ssh_reader *rd;
	unsigned gen;
	int rc;

	*rp = NULL;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return -BKP_ENOMEM;
	rd->c = c;
	rd->window = 8;
	rd->req = READ_REQ;
	if ((rd->path = strdup(path)) == NULL ||
	    (rd->rx = malloc(RX_CAP)) == NULL) {
		reader_free(rd);
		return -BKP_ENOMEM;
	}
	if (c->lanes > 1)
		rd->lane = 1 + __atomic_fetch_add(&c->next_lane, 1,
		    __ATOMIC_RELAXED) % (unsigned)(c->lanes - 1);
	do {
		gen = ssh_conn_gen(c);
		rc = open_once(rd);
		if (rc != 0)
			rc = ssh_conn_fail(c, rd->path, "cannot open", 1);
	} while (rc != 0 && ssh_conn_again(c, rc, gen));
	if (rc != 0) {
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

	if (rd->lane > 0) {
		c->lane_settle = settle;
		if (rd->requested > 0)
			c->lane_reader[rd->lane] = rd;
		else if (c->lane_reader[rd->lane] == rd)
			c->lane_reader[rd->lane] = NULL;
	} else if (rd->requested > 0) {
		c->settle = settle;
		c->settle_reader = rd;
	} else if (c->settle_reader == rd) {
		c->settle = NULL;
		c->settle_reader = NULL;
	}
}

/* Until rx holds need bytes, asking for all the room there is. */
static int
fill(struct ssh_reader *rd, size_t need)
{
	ssh_channel ch = rd->sftp->channel;

	if (rd->rxoff > RX_CAP / 2 || rd->rxoff + need > RX_CAP) {
		memmove(rd->rx, rd->rx + rd->rxoff, rd->rxlen);
		rd->rxoff = 0;
	}
	while (rd->rxlen < need) {
		size_t end = rd->rxoff + rd->rxlen;
		int got = ssh_channel_read(ch, rd->rx + end,
		    (uint32_t)(RX_CAP - end), 0);

		if (got <= 0)
			return -1;
		rd->rxlen += (size_t)got;
	}
	return 0;
}

static struct slot *
find(struct ssh_reader *rd, uint32_t id)
{
	for (unsigned i = 0; i < rd->n; i++) {
		struct slot *sl = &rd->s[(rd->head + i) % READ_DEPTH];

		if (sl->state == S_REQUESTED && sl->id == id)
			return sl;
	}
	return NULL;
}

/* The reply p[0..len) (type onwards) into its slot: 0, or -1 when it is
 * not a reply to a request in flight. */
static int
dispatch(struct ssh_reader *rd, const uint8_t *p, uint32_t len)
{
	struct slot *sl = len >= 9 ? find(rd, ssh_pipe_u32(p + 1)) : NULL;
	uint32_t v = len >= 9 ? ssh_pipe_u32(p + 5) : 0;

	if (sl == NULL)
		return -1;
	if (p[0] == SSH_FXP_DATA && v == len - 9 && v <= sl->want) {
		memcpy(sl->data, p + 9, v);
		sl->len = v;
		sl->state = S_RECEIVED;
	} else if (p[0] == SSH_FXP_STATUS) {
		sl->len = 0;
		sl->status = v;
		sl->state = v == SSH_FX_EOF ? S_RECEIVED : S_FAILED;
	} else
		return -1;
	rd->requested--;
	return 0;
}

/* Receives one reply: 0, or -1 when the connection failed. */
static int
receive(struct ssh_reader *rd)
{
	uint32_t len;
	int rc;

	if (fill(rd, 4) != 0)
		return -1;
	len = ssh_pipe_u32(rd->rx + rd->rxoff);
	if (len < 1 || len > REPLY_MAX || fill(rd, 4 + (size_t)len) != 0)
		return -1;
	rc = dispatch(rd, rd->rx + rd->rxoff + 4, len);
	rd->rxoff += 4 + (size_t)len;
	rd->rxlen -= 4 + (size_t)len;
	track(rd);
	return rc;
}

/* Until the slot has its reply: 0, or -1 (the server's status, if it
 * refused, for ssh_conn_fail). */
static int
collect(struct ssh_reader *rd, struct slot *sl)
{
	while (sl->state == S_REQUESTED)
		if (receive(rd) != 0)
			return -1;
	if (sl->state == S_FAILED) {
		rd->c->sftp->errnum = (int)sl->status;
		return -1;
	}
	return 0;
}

/* All the replies in flight, into their slots (another call is next).
 * When the connection fails they are given up. */
static void
settle(void *reader)
{
	struct ssh_reader *rd = reader;

	while (rd->requested > 0)
		if (receive(rd) != 0)
			break;
	if (rd->requested == 0)
		return;
	for (unsigned i = 0; i < rd->n; i++)
		if (rd->s[(rd->head + i) % READ_DEPTH].state == S_REQUESTED)
			rd->s[(rd->head + i) % READ_DEPTH].state = S_FAILED;
	rd->requested = 0;
	rd->rxoff = rd->rxlen = 0;
	track(rd);
}

/* Fills the window with requests: 0, -1 on failure, or -BKP_ENOMEM. */
static int
request(struct ssh_reader *rd)
{
	int rc = 0;

	while (rc == 0 && rd->n < rd->window) {
		struct slot *sl = &rd->s[(rd->head + rd->n) % READ_DEPTH];
		uint32_t id;

		if (sl->data == NULL && (sl->data = malloc(READ_REQ)) == NULL) {
			rc = -BKP_ENOMEM;
			break;
		}
		id = ssh_pipe_id(rd->sftp);
		if (ssh_pipe_read_h(rd->sftp, &rd->h, id, rd->next,
		    rd->req) != 0) {
			rc = -1;
			break;
		}
		*sl = (struct slot){ rd->next, id, rd->req, 0, S_REQUESTED, 0,
		    0, sl->data };
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
		if (sl->state == S_FAILED) {
			rd->c->sftp->errnum = (int)sl->status;
			return -1;
		}
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

/* On a new session: the object opened again, reading resumed where the
 * caller is. */
static int
reopen(struct ssh_reader *rd)
{
	rd->h.len = 0;		/* of the old session */
	rd->n = rd->head = rd->requested = 0;
	rd->pos = 0;
	rd->window = 8;
	rd->eof = 0;
	rd->req = READ_REQ;
	rd->next = rd->delivered;
	rd->rxoff = rd->rxlen = 0;
	return open_locked(rd);
}

static int
read_once(struct ssh_reader *rd, void *buf, size_t n, size_t *got,
    unsigned *gen)
{
	struct ssh_conn *c = rd->c;
	int rc = -1;

	*got = 0;
	if (begin(rd) == 0) {
		rc = rd->gen == c->gen ? 0 : reopen(rd);
		if (rc == 0)
			rc = read_locked(rd, buf, n, got);
	}
	*gen = c->gen;
	if (ssh_conn_end(c, rc == -1) != 0)
		return ssh_conn_fail(c, rd->path, "read failed", 0);
	return rc;
}

int
ssh_reader_read(struct ssh_reader *rd, void *buf, size_t n, size_t *got)
{
	unsigned gen;
	int rc;

	while ((rc = read_once(rd, buf, n, got, &gen)) != 0 &&
	    ssh_conn_again(rd->c, rc, gen))
		;
	if (rc == 0 && *got > 0) {
		rd->delivered += *got;
		ssh_conn_progress(rd->c);
	}
	return rc;
}

void
ssh_reader_close(struct ssh_reader *rd)
{
	if (rd == NULL)
		return;
	/* Replies still in flight would pile up in libssh's queue; and the
	 * connection must forget the reader in any case. */
	if (begin(rd) == 0 && rd->gen == rd->c->gen) {
		settle(rd);
		/* The next call on the lane takes the close's reply. */
		if (rd->requested == 0)
			close_later(rd);
	}
	rd->requested = 0;
	track(rd);
	ssh_conn_end(rd->c, 0);
	reader_free(rd);
}
