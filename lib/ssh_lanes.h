/* ssh_lanes.h: the SFTP channels one object is written on (ssh_writer.c),
 * and the object's handle on each.  Opens and closes are pipelined: the
 * requests for every channel go out together, and the replies to opens
 * are taken as they arrive, while the first channel already carries the
 * object's writes.  Under the connection's mutex, like the writer. */
#ifndef BKP_SSH_LANES_H
#define BKP_SSH_LANES_H

#include <stdint.h>

#include "ssh_conn.h"
#include "ssh_pipe.h"

struct ssh_lane {
	sftp_session s;
	struct ssh_pipe_handle h;	/* len 0: not open (yet) */
	uint32_t opening;		/* the open in flight, or 0 */
	uint32_t closing[2];		/* fsync and close in flight */
};

struct ssh_lanes {
	struct ssh_conn *c;
	struct ssh_lane l[SSH_LANES_MAX];
	unsigned n;		/* channels in use: open, or opening */
	unsigned open;		/* of which open */
	unsigned opening;	/* opens in flight */
	unsigned rr;		/* for ssh_lanes_next() */
	int sync;		/* the closes in flight follow fsyncs */
};

/* Forgets every handle (a new session, or after the closes). */
void ssh_lanes_forget(struct ssh_lanes *ls);

/* Sends the open of path on the first channel (the session's own) with
 * the SSH_FXF_* flags pflags, a new file with mode 0600: 0, or -1. */
int ssh_lanes_send_first(struct ssh_lanes *ls, const char *path,
    uint32_t pflags);
/* Receives its reply: 0, or -1 (the server's refusal, if it refused, kept
 * for ssh_conn_fail). */
int ssh_lanes_first_opened(struct ssh_lanes *ls);

/* Sends opens of path for writing on the connection's other channels
 * (as many as it has and grants): 0, or -1 when a channel failed. */
int ssh_lanes_add(struct ssh_lanes *ls, const char *path);

/* Takes the replies to opens that have arrived, or waits for all of them
 * with wait.  A channel whose open was refused is left out.  0, or -1. */
int ssh_lanes_collect(struct ssh_lanes *ls, int wait);

/* The open channel to send the next write on, in turn (one must be). */
unsigned ssh_lanes_next(struct ssh_lanes *ls);

/* Sends a close on every open channel, after an fsync there when sync:
 * 0, or -1.  Their replies come after those of the writes sent before. */
int ssh_lanes_send_close(struct ssh_lanes *ls, int sync);

/* Receives the replies of ssh_lanes_send_close(), then forgets the
 * handles: SSH_FX_OK, the first refusal's status, or -1 (a channel
 * failed). */
int64_t ssh_lanes_recv_close(struct ssh_lanes *ls);

#endif
