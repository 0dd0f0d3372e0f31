/* ssh_lanes.c: the channels an object is written on; see ssh_lanes.h. */
#include <string.h>

#include "ssh_lanes.h"

void
ssh_lanes_forget(struct ssh_lanes *ls)
{
	memset(ls->l, 0, sizeof(ls->l));
	ls->n = ls->open = ls->opening = ls->rr = 0;
	ls->sync = 0;
}

/* The reply to the open in flight on l: 0 (l has the handle, or the
 * server refused: its status kept for ssh_conn_fail), or -1. */
static int
opened(struct ssh_lanes *ls, struct ssh_lane *l)
{
	uint32_t got, status;

	if (ssh_pipe_handle(l->s, &got, &status, &l->h) != 0 ||
	    got != l->opening)
		return -1;
	l->opening = 0;
	ls->opening--;
	if (status == SSH_FX_OK) {
		ls->open++;
		return 0;
	}
	ls->c->sftp->errnum = (int)status;
	l->h.len = 0;
	return 0;
}

static int
send_open(struct ssh_lanes *ls, struct ssh_lane *l, const char *path,
    uint32_t pflags)
{
	ls->opening++;
	l->opening = ssh_pipe_id(l->s);
	return ssh_pipe_open(l->s, l->opening, path, pflags, 0600);
}

int
ssh_lanes_send_first(struct ssh_lanes *ls, const char *path, uint32_t pflags)
{
	struct ssh_lane *l = &ls->l[0];

	ssh_lanes_forget(ls);
	l->s = ls->c->sftp;
	ls->n = 1;
	return send_open(ls, l, path, pflags);
}

int
ssh_lanes_first_opened(struct ssh_lanes *ls)
{
	struct ssh_lane *l = &ls->l[0];

	if (opened(ls, l) != 0)
		return -1;
	return l->h.len > 0 ? 0 : -1;
}

int
ssh_lanes_add(struct ssh_lanes *ls, const char *path)
{
	struct ssh_lane *l;

	while (ls->n < (unsigned)ls->c->lanes) {
		l = &ls->l[ls->n];
		if ((l->s = ssh_conn_lane(ls->c, ls->n)) == NULL)
			break;
		ls->n++;
		if (send_open(ls, l, path, SSH_FXF_WRITE) != 0)
			return -1;
	}
	return 0;
}

int
ssh_lanes_collect(struct ssh_lanes *ls, int wait)
{
	for (unsigned k = 1; k < ls->n; k++) {
		struct ssh_lane *l = &ls->l[k];

		if (l->opening == 0 ||
		    (!wait && ssh_channel_poll(l->s->channel, 0) <= 0))
			continue;
		if (opened(ls, l) != 0)
			return -1;
	}
	return 0;
}

unsigned
ssh_lanes_next(struct ssh_lanes *ls)
{
	unsigned k;

	do
		k = ls->rr++ % ls->n;
	while (ls->l[k].h.len == 0);
	return k;
}

int
ssh_lanes_send_close(struct ssh_lanes *ls, int sync)
{
	ls->sync = sync;
	for (unsigned k = 0; k < ls->n; k++) {
		struct ssh_lane *l = &ls->l[k];

		if (l->h.len == 0)
			continue;
		if (sync && ssh_pipe_fsync(l->s, l->closing[0] =
		    ssh_pipe_id(l->s), &l->h) != 0)
			return -1;
		if (ssh_pipe_close(l->s, l->closing[1] = ssh_pipe_id(l->s),
		    &l->h) != 0)
			return -1;
	}
	return 0;
}

int64_t
ssh_lanes_recv_close(struct ssh_lanes *ls)
{
	uint32_t got, status, refusal = SSH_FX_OK;

	for (unsigned k = 0; k < ls->n; k++) {
		struct ssh_lane *l = &ls->l[k];

		if (l->h.len == 0)
			continue;
		for (unsigned j = ls->sync ? 0 : 1; j < 2; j++) {
			if (ssh_pipe_status(l->s, &got, &status) != 0 ||
			    got != l->closing[j])
				return -1;
			if (status != SSH_FX_OK && refusal == SSH_FX_OK)
				refusal = status;
		}
	}
	ssh_lanes_forget(ls);
	return refusal;
}
