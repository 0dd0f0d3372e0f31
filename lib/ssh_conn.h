/* ssh_conn.h: one SSH connection with its SFTP session, for the SFTP
 * transport.
 *
 * ssh_conn_open() does everything up to a usable SFTP session: TCP
 * connection, strict host key check, public key authentication, the sftp
 * subsystem.  It can be called again with the same target to replace a lost
 * connection.  Every blocking SFTP call goes between ssh_conn_begin() and
 * ssh_conn_end(), which give it a deadline; a failed call is turned into a
 * bkp status (and reported) by ssh_conn_fail().
 */
#ifndef BKP_SSH_CONN_H
#define BKP_SSH_CONN_H

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

struct ssh_conn {
	const struct ssh_target *t;
	ssh_session ssh;
	sftp_session sftp;
	struct ssh_watchdog *wd;
	int timeout;	/* seconds a call may take */
	int has_fsync;	/* the server has fsync@openssh.com */
	int has_statvfs;	/* ... and statvfs@openssh.com */
	int lost;	/* the connection is gone; reported once */
};

/* Connects; reports what went wrong (-BKP_ETRANSPORT mostly). */
int ssh_conn_open(const struct ssh_target *t, const struct transport_opts *o,
    struct ssh_conn **cp);
void ssh_conn_close(struct ssh_conn *c);

/* Before a blocking call: 0, or -BKP_ETRANSPORT (quietly) when the
 * connection is already lost.  slow: the call may take that many times the
 * usual deadline (fsync, close).  ssh_conn_end() after the call. */
int ssh_conn_begin(struct ssh_conn *c, int slow);
void ssh_conn_end(struct ssh_conn *c);

/* Runs expr (true on success) between begin and end: 0, or -1 when it
 * failed or the connection is lost; then ssh_conn_fail() tells which. */
#define SSH_CALL(c, slow, expr) \
	(ssh_conn_begin((c), (slow)) != 0 ? -1 : \
	((expr) ? (ssh_conn_end(c), 0) : (ssh_conn_end(c), -1)))

/* Closes a file handle, freeing it even when the connection is lost. */
void ssh_conn_close_file(struct ssh_conn *c, sftp_file f);

/* After a failed call on the remote path: the status for it, reported as
 * "URL: what: reason" unless it is -BKP_ENOTFOUND and quiet_missing. */
int ssh_conn_fail(struct ssh_conn *c, const char *path, const char *what,
    int quiet_missing);

#endif
