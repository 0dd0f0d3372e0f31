/* ssh_retry.h: replacing a lost SFTP connection, with exponential backoff
 * and jitter, within a budget.
 *
 * An outage starts when a call fails because the connection is lost and
 * ends when the operation that failed makes progress again on a new
 * connection (ssh_conn_progress: a write acknowledged, a read answered, a
 * call that succeeded).  During an outage at most retry_attempts
 * connections are tried, the k-th after a pause of 0.5 s * 2^(k-1) (at
 * most 30 s), drawn at random between half and all of that (jitter, so
 * that many clients cut at once do not come back at once), and none once
 * retry_time has passed since the outage began; then the connection is
 * given up for good, with one error, and every later call fails at once.
 *
 * The new session replaces the old one inside the same struct ssh_conn;
 * the old one is kept, dead, until ssh_conn_close(), so that handles
 * opened on it (sftp_file) can still be closed safely.  c->gen counts the
 * sessions: an object whose handle belongs to an older generation must
 * open it again (ssh_io.c, ssh_writer.c).
 */
#ifndef BKP_SSH_RETRY_H
#define BKP_SSH_RETRY_H

#include "ssh_conn.h"

struct ssh_retry;

int ssh_retry_new(const struct transport_opts *o, struct ssh_retry **rp);
/* Frees the state and the dead sessions kept in it.  NULL is fine. */
void ssh_retry_free(struct ssh_retry *r);
/* 1 when lost connections are replaced (retry_attempts > 0). */
int ssh_retry_enabled(const struct ssh_retry *r);

/* The session generation now. */
unsigned ssh_conn_gen(struct ssh_conn *c);

/* After an operation begun at generation gen failed with rc: 1 when rc
 * is a lost connection and the connection has been replaced since (by
 * this call or another thread's): do the operation again.  0 otherwise,
 * rc standing (giving up is reported here). */
int ssh_conn_again(struct ssh_conn *c, int rc, unsigned gen);

/* The operation went forward: the outage, if any, is over. */
void ssh_conn_progress(struct ssh_conn *c);

#endif
