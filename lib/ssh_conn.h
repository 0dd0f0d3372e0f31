/* ssh_conn.h: one SSH connection with its SFTP session, for the SFTP
 * transport.
 *
 * ssh_conn_open() does everything up to a usable SFTP session: TCP
 * connection, strict host key check, public key authentication, the sftp
 * subsystem.  Every SFTP call goes between ssh_conn_begin() and
 * ssh_conn_end(), which serialize the callers and give the call a deadline;
 * a failed call is turned into a bkp status (and reported) by
 * ssh_conn_fail().  A lost connection is replaced in place by
 * ssh_conn_again() (ssh_retry.c): the struct stays, its session changes,
 * and gen tells the handles opened on an older session.
 */
#ifndef BKP_SSH_CONN_H
#define BKP_SSH_CONN_H

#include <pthread.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "transport.h"

/* sftp://[user@]host[:port]/path, parsed. */
struct ssh_target {
	char *user;	/* the current user when the URL names none */
	char *host;	/* without the brackets of an IPv6 address */
	unsigned port;
	char *path;	/* absolute; no trailing '/' unless it is "/" */
	char *label;	/* "sftp://user@host[:port]", for messages */
};

int ssh_target_parse(const char *url, struct ssh_target *t);
void ssh_target_free(struct ssh_target *t);

struct ssh_watchdog;
struct ssh_retry;

/* SFTP channels one connection may have (BKP_SFTP_CHANNELS, default 4). */
#define SSH_LANES_MAX 8

struct ssh_conn {
	const struct ssh_target *t;
	const struct transport_opts *o;	/* the caller's, for reconnecting */
	struct ssh_retry *retry;	/* reconnection state (ssh_retry.c) */
	unsigned gen;		/* session generation, +1 per reconnection;
				 * read and written under mu */
	ssh_session ssh;
	sftp_session sftp;
	/* More SFTP channels of the session, opened on demand (lane[0] is
	 * unused: it is sftp), lanes of them at most. */
	sftp_session lane[SSH_LANES_MAX];
	int lanes;
	struct ssh_watchdog *wd;
	int timeout;	/* seconds a call may take */
	int has_fsync;	/* the server has fsync@openssh.com */
	int has_statvfs;	/* ... and statvfs@openssh.com */
	int lost;	/* the connection is gone; reported once */
	pthread_mutex_t mu;	/* one call at a time */
	/* The reader with read requests in flight, if any, and how to make
	 * it receive their replies (see ssh_conn_begin_as). */
	void (*settle)(void *reader);
	void *settle_reader;
	/* Readers on channels 1.. (lane_reader[k] on lane k) with requests
	 * in flight: their replies come on a channel of their own, so only
	 * calls on that channel, and calls of others than readers, must
	 * wait for them first. */
	void (*lane_settle)(void *reader);
	void *lane_reader[SSH_LANES_MAX];
	unsigned next_lane;	/* the lane the next reader gets */
	/* Replies to drop on lane k before anything else reads it: those
	 * of closes sent without waiting (a reader done with its object). */
	unsigned discard[SSH_LANES_MAX];
	/* The writer whose commit is in flight (ssh_writer_commit_later),
	 * and how to make it take its replies before another call; the
	 * writer that takes them itself (finish_taker) and the finishing
	 * one are not made to wait. */
	void *finishing;
	void (*finish_settle)(void *writer);
	void *finish_taker;
	/* Completing it (ssh_writer_flush) is one thread's at a time, and
	 * a failure stays: every later flush returns it, until the
	 * connection's user closes it (the set being written cannot be
	 * sealed, whichever thread found the failure). */
	pthread_mutex_t fin_mu;
	int fin_rc;
};

/* Connects; reports what went wrong (-BKP_ETRANSPORT mostly).  t and o
 * must outlive the connection. */
int ssh_conn_open(const struct ssh_target *t, const struct transport_opts *o,
    struct ssh_conn **cp);
void ssh_conn_close(struct ssh_conn *c);

/* SFTP channel k of the session (0: sftp), opened when first asked for;
 * NULL when k is beyond c->lanes or the server refuses another channel.
 * Between ssh_conn_begin() and ssh_conn_end(). */
sftp_session ssh_conn_lane(struct ssh_conn *c, unsigned k);

/* For ssh_retry.c: sets up ssh, sftp and wd of c from c->t, c->o and
 * c->timeout (nothing else is used), or leaves them NULL. */
int ssh_conn_connect(struct ssh_conn *c);
/* Frees the session of c (ssh, sftp, wd); the struct stays. */
void ssh_conn_session_free(struct ssh_conn *c);

/* Every libssh call on the connection runs between ssh_conn_begin() and
 * ssh_conn_end(): one thread at a time (a mutex), under a deadline (slow:
 * that many times the usual one, for fsync and close).  begin returns 0,
 * or -BKP_ETRANSPORT when the connection is already lost: skip the call
 * (or make only calls that free memory).  end is due either way; with
 * failed, it keeps this thread's copy of the server's status and libssh's
 * message for ssh_conn_fail().  It returns failed ? -1 : 0. */
int ssh_conn_begin(struct ssh_conn *c, int slow);
int ssh_conn_end(struct ssh_conn *c, int failed);

/* As ssh_conn_begin(), for a call of reader (NULL: of no reader).  Before
 * the call, the reader registered with settle (if another) receives all
 * the replies still in flight: an SSH channel cannot carry our writes
 * while the server waits for room to send us read replies, and replies
 * left in flight across other calls would pile up in libssh's queue.  A
 * reader registers while it has requests in flight, under the mutex. */
int ssh_conn_begin_as(struct ssh_conn *c, int slow, void *reader);
/* As ssh_conn_begin_as(), for a writer that takes the replies of the
 * commit in flight itself. */
int ssh_conn_begin_taking(struct ssh_conn *c, int slow, void *writer);
/* As ssh_conn_begin_as(), for a call of reader on its own channel lane
 * (k >= 1): a reader on another lane keeps its replies in flight. */
int ssh_conn_begin_lane(struct ssh_conn *c, int slow, void *reader,
    unsigned lane);
/* Closes the file or directory handle on lane k without waiting for the
 * reply (the next call on the lane drops it), and frees and clears the
 * handle: sftp_close() or sftp_closedir() then only free.  Under the
 * mutex. */
void ssh_conn_close_later(struct ssh_conn *c, unsigned k, ssh_string *handle);
/* The same for a handle of raw requests (ssh_pipe.h). */
struct ssh_pipe_handle;
void ssh_conn_close_handle_later(struct ssh_conn *c, unsigned k,
    const struct ssh_pipe_handle *h);
/* Forgets the registered readers (a new session). */
void ssh_conn_forget_readers(struct ssh_conn *c);

/* Runs expr (true on success) between begin and end: 0, or -1 when it
 * failed or the connection is lost; then ssh_conn_fail() tells which. */
#define SSH_CALL(c, slow, expr) \
	(ssh_conn_begin((c), (slow)) != 0 ? ssh_conn_end((c), 1) : \
	ssh_conn_end((c), !(expr)))

/* The server's status (SSH_FX_*) for this thread's last failed call. */
int ssh_conn_status(void);

/* After a failed call on the remote path: the status for it, reported as
 * "URL: what: reason" unless it is -BKP_ENOTFOUND and quiet_missing. */
int ssh_conn_fail(struct ssh_conn *c, const char *path, const char *what,
    int quiet_missing);

#endif
