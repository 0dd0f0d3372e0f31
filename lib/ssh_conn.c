/* ssh_conn.c: the SSH connection under the SFTP transport: options,
 * connect, the sftp subsystem, deadlines and error mapping.
 *
 * Options: no ssh_config is read (what a run does depends on the command
 * line and the policy only), Nagle off (SSH_OPTIONS_NODELAY: without it
 * SFTP round trips wait for delayed ACKs and writes crawl at about 1 MB/s),
 * no compression (the data is compressed and encrypted already), libssh's
 * default ciphers, passwords and keyboard-interactive never.
 *
 * Deadlines: every call may take BKP_SSH_TIMEOUT seconds (default 30; fsync
 * and close four times that) before the connection is given up, so a cut
 * link or a hung server ends a run with an error instead of a hang.
 */
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "ssh_auth.h"
#include "ssh_conn.h"
#include "ssh_pipe.h"
#include "ssh_retry.h"
#include "ssh_watchdog.h"

#define TIMEOUT_DEFAULT 30
#define TIMEOUT_MAX 3600
#define LANES_DEFAULT 4

/* SFTP version 4+ status codes that OpenSSH never sends (it reports a full
 * disk as SSH_FX_FAILURE) but other servers do. */
#define FX_NO_SPACE_ON_FILESYSTEM 14
#define FX_QUOTA_EXCEEDED 15

/* Below this many free bytes a failed write is a full disk. */
#define NEARLY_FULL (1u << 20)

/* The number in environment variable name, from min to max, else def. */
static int
env_setting(const char *name, int def, int min, int max, const char *what)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max) {
		log_warn("%s=%s is not a number of %s from %d to %d; using %d",
		    name, s, what, min, max, def);
		return def;
	}
	return (int)v;
}

/* The known_hosts file: the given one, else ~/.ssh/known_hosts. */
static char *
known_hosts_path(const struct transport_opts *o)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	char *p;

	if (o != NULL && o->known_hosts != NULL)
		return strdup(o->known_hosts);
	if ((home == NULL || *home == '\0') &&
	    (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (asprintf(&p, "%s/.ssh/known_hosts", home ? home : "") == -1)
		return NULL;
	return p;
}

static int
set_options(struct ssh_conn *c, const char *known_hosts)
{
	ssh_session s = c->ssh;
	long timeout = c->timeout;
	unsigned port = c->t->port;
	int on = 1, off = 0, quiet = SSH_LOG_NOLOG;
	bool no_config = false;

	if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no_config) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &quiet) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_HOST, c->t->host) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_USER, c->t->user) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &on) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_COMPRESSION, "no") < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
	    "/dev/null") < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PASSWORD_AUTH, &off) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_KBDINT_AUTH, &off) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_GSSAPI_AUTH, &off) < 0) {
		log_error("%s: cannot set SSH options: %s", c->t->label,
		    ssh_get_error(s));
		return -BKP_ETRANSPORT;
	}
	return 0;
}

static int
start_sftp(struct ssh_conn *c)
{
	if ((c->sftp = sftp_new(c->ssh)) == NULL) {
		log_error("%s: the server offers no sftp subsystem: %s",
		    c->t->label, ssh_get_error(c->ssh));
		return -BKP_ETRANSPORT;
	}
	if (sftp_init(c->sftp) != 0) {
		log_error("%s: cannot start SFTP: %s", c->t->label,
		    ssh_get_error(c->ssh));
		return -BKP_ETRANSPORT;
	}
	c->has_fsync = sftp_extension_supported(c->sftp, "fsync@openssh.com",
	    "1") == 1;
	c->has_statvfs = sftp_extension_supported(c->sftp,
	    "statvfs@openssh.com", "2") == 1;
	return 0;
}

/* Host key, authentication and SFTP, under one deadline. */
static int
handshake(struct ssh_conn *c, const struct transport_opts *o,
    const char *known_hosts)
{
	int rc;

	ssh_watchdog_arm(c->wd, c->timeout);
	if ((rc = ssh_auth_check_host(c->ssh, c->t, known_hosts,
	    o != NULL && o->accept_new_host_key)) == 0 &&
	    (rc = ssh_auth_user(c->ssh, c->t, o ? o->identity : NULL)) == 0)
		rc = start_sftp(c);
	ssh_watchdog_disarm(c->wd);
	if (rc != 0 && ssh_watchdog_fired(c->wd))
		log_error("%s: no answer from the server for %d s", c->t->label,
		    c->timeout);
	return rc;
}

int
ssh_conn_connect(struct ssh_conn *c)
{
	const struct ssh_target *t = c->t;
	char *known_hosts;
	int rc;

	if ((known_hosts = known_hosts_path(c->o)) == NULL ||
	    (c->ssh = ssh_new()) == NULL) {
		rc = -BKP_ENOMEM;
		goto err;
	}
	if ((rc = set_options(c, known_hosts)) != 0)
		goto err;
	if (ssh_connect(c->ssh) != SSH_OK) {
		log_error("%s: cannot connect: %s", t->label,
		    ssh_get_error(c->ssh));
		rc = -BKP_ETRANSPORT;
		goto err;
	}
	if ((rc = ssh_watchdog_start(ssh_get_fd(c->ssh), &c->wd)) != 0 ||
	    (rc = handshake(c, c->o, known_hosts)) != 0)
		goto err;
	free(known_hosts);
	/* libssh also gives up waiting for a channel's window after this
	 * long, with a short write: past the longest deadline, so that the
	 * watchdog decides (and says so). */
	ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &(long){ 5L * c->timeout });
	return 0;
err:
	free(known_hosts);
	ssh_conn_session_free(c);
	return rc;
}

int
ssh_conn_open(const struct ssh_target *t, const struct transport_opts *o,
    struct ssh_conn **cp)
{
	struct ssh_conn *c;
	int rc;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -BKP_ENOMEM;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return -BKP_ENOMEM;
	}
	if (pthread_mutex_init(&c->fin_mu, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		return -BKP_ENOMEM;
	}
	c->t = t;
	c->o = o;
	c->timeout = env_setting("BKP_SSH_TIMEOUT", TIMEOUT_DEFAULT, 1,
	    TIMEOUT_MAX, "seconds");
	c->lanes = env_setting("BKP_SFTP_CHANNELS", LANES_DEFAULT, 1,
	    SSH_LANES_MAX, "channels");
	if ((rc = ssh_retry_new(o, &c->retry)) != 0 ||
	    (rc = ssh_conn_connect(c)) != 0) {
		ssh_conn_close(c);
		return rc;
	}
	*cp = c;
	return 0;
}

void
ssh_conn_session_free(struct ssh_conn *c)
{
	/* After a loss libssh may have closed the socket: no deadline on a
	 * descriptor that could have been reused. */
	if (c->wd != NULL && !c->lost)
		ssh_watchdog_arm(c->wd, c->timeout);
	for (int k = 1; k < SSH_LANES_MAX; k++)
		if (c->lane[k] != NULL)
			sftp_free(c->lane[k]);
	memset(c->lane, 0, sizeof(c->lane));
	if (c->sftp != NULL)
		sftp_free(c->sftp);
	if (c->ssh != NULL && ssh_is_connected(c->ssh))
		ssh_disconnect(c->ssh);
	ssh_watchdog_stop(c->wd);
	ssh_free(c->ssh);
	c->sftp = NULL;
	c->ssh = NULL;
	c->wd = NULL;
}

sftp_session
ssh_conn_lane(struct ssh_conn *c, unsigned k)
{
	sftp_session s;

	if (k == 0)
		return c->sftp;
	if (k >= (unsigned)c->lanes || c->lost)
		return NULL;
	if (c->lane[k] != NULL)
		return c->lane[k];
	if ((s = sftp_new(c->ssh)) == NULL)
		return NULL;
	if (sftp_init(s) != 0) {
		sftp_free(s);
		return NULL;
	}
	return c->lane[k] = s;
}

void
ssh_conn_close(struct ssh_conn *c)
{
	if (c == NULL)
		return;
	ssh_conn_session_free(c);
	ssh_retry_free(c->retry);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->fin_mu);
	free(c);
}

/* This thread's last failed call: the server's status (SSH_FX_*) and
 * libssh's message, taken before another thread's call replaces them. */
static _Thread_local int last_status;
static _Thread_local char last_msg[256];

/* Settles the reader on lane k unless it is reader. */
static void
settle_lane(struct ssh_conn *c, unsigned k, void *reader)
{
	void *r = c->lane_reader[k];

	if (r != NULL && r != reader)
		c->lane_settle(r);
}

static sftp_session
lane_session(struct ssh_conn *c, unsigned k)
{
	return k == 0 ? c->sftp : c->lane[k];
}

/* Drops the replies of closes sent on lane k.  A failure is the
 * connection's, which the call that follows finds. */
static void
drop_replies(struct ssh_conn *c, unsigned k)
{
	uint32_t id, status;

	while (c->discard[k] > 0) {
		c->discard[k]--;
		if (ssh_pipe_status(lane_session(c, k), &id, &status) != 0) {
			c->discard[k] = 0;
			return;
		}
	}
}

void
ssh_conn_close_handle_later(struct ssh_conn *c, unsigned k,
    const struct ssh_pipe_handle *h)
{
	sftp_session s = lane_session(c, k);

	if (s != NULL && ssh_pipe_close(s, ssh_pipe_id(s), h) == 0)
		c->discard[k]++;
}

void
ssh_conn_close_later(struct ssh_conn *c, unsigned k, ssh_string *handle)
{
	struct ssh_pipe_handle h;

	if (*handle != NULL &&
	    (h.len = (uint32_t)ssh_string_len(*handle)) <= sizeof(h.b)) {
		memcpy(h.b, ssh_string_data(*handle), h.len);
		ssh_conn_close_handle_later(c, k, &h);
	}
	ssh_string_free(*handle);
	*handle = NULL;
}

static int
begin(struct ssh_conn *c, int slow, void *reader, unsigned lane, int taking)
{
	pthread_mutex_lock(&c->mu);
	if (c->lost)
		return -BKP_ETRANSPORT;
	ssh_watchdog_arm(c->wd, c->timeout * (slow > 0 ? slow : 1));
	if (c->finishing != NULL && !taking && reader != c->finishing &&
	    reader != c->finish_taker)
		c->finish_settle(c->finishing);
	if (c->settle != NULL && c->settle_reader != reader)
		c->settle(c->settle_reader);
	if (lane > 0) {
		settle_lane(c, lane, reader);
		drop_replies(c, lane);
	} else
		for (unsigned k = 0; k < SSH_LANES_MAX; k++) {
			if (k > 0)
				settle_lane(c, k, reader);
			drop_replies(c, k);
		}
	/* libssh keeps the status of the last reply: clear it, so that a
	 * call failing without a reply is seen as a lost connection. */
	c->sftp->errnum = SSH_FX_OK;
	return 0;
}

int
ssh_conn_begin_as(struct ssh_conn *c, int slow, void *reader)
{
	return begin(c, slow, reader, 0, 0);
}

int
ssh_conn_begin_taking(struct ssh_conn *c, int slow, void *writer)
{
	return begin(c, slow, writer, 0, 1);
}

int
ssh_conn_begin_lane(struct ssh_conn *c, int slow, void *reader,
    unsigned lane)
{
	return begin(c, slow, reader, lane, 0);
}

void
ssh_conn_forget_readers(struct ssh_conn *c)
{
	c->settle = NULL;
	c->settle_reader = NULL;
	memset(c->lane_reader, 0, sizeof(c->lane_reader));
	memset(c->discard, 0, sizeof(c->discard));
	c->finish_taker = NULL;
}

int
ssh_conn_begin(struct ssh_conn *c, int slow)
{
	return ssh_conn_begin_as(c, slow, NULL);
}

int
ssh_conn_end(struct ssh_conn *c, int failed)
{
	if (!c->lost)
		ssh_watchdog_disarm(c->wd);
	if (failed) {
		last_status = c->lost ? SSH_FX_CONNECTION_LOST :
		    sftp_get_error(c->sftp);
		snprintf(last_msg, sizeof(last_msg), "%s",
		    ssh_get_error(c->ssh));
	}
	pthread_mutex_unlock(&c->mu);
	return failed ? -1 : 0;
}

int
ssh_conn_status(void)
{
	return last_status;
}

/* A failure without a status from the server is the connection's. */
static int
connection_lost(struct ssh_conn *c, int status)
{
	switch (status) {
	case SSH_FX_OK:
	case SSH_FX_EOF:
	case SSH_FX_BAD_MESSAGE:
	case SSH_FX_NO_CONNECTION:
	case SSH_FX_CONNECTION_LOST:
		return 1;
	}
	return ssh_watchdog_fired(c->wd) || !ssh_is_connected(c->ssh);
}

/* OpenSSH reports a full disk as a plain failure: ask statvfs. */
static int
server_full(struct ssh_conn *c)
{
	sftp_statvfs_t v;
	int full = 0;

	if (!c->has_statvfs)
		return 0;
	v = ssh_conn_begin(c, 1) == 0 ? sftp_statvfs(c->sftp, c->t->path) :
	    NULL;
	ssh_conn_end(c, 0);
	if (v != NULL) {
		full = v->f_bavail * (v->f_frsize ? v->f_frsize : v->f_bsize) <
		    NEARLY_FULL;
		sftp_statvfs_free(v);
	}
	return full;
}

/* Under the mutex. */
static void
lost(struct ssh_conn *c, const char *path, const char *what)
{
	/* A warning when it is going to be reconnected. */
	void (*say)(const char *, ...) = ssh_retry_enabled(c->retry) ?
	    log_warn : log_error;

	/* Whatever state it is in, the connection is not used again: later
	 * calls (closing handles) then fail at once. */
	if (ssh_is_connected(c->ssh))
		shutdown(ssh_get_fd(c->ssh), SHUT_RDWR);
	c->lost = 1;
	if (ssh_watchdog_fired(c->wd))
		say("%s%s: %s: no answer from the server for %d s; "
		    "connection given up", c->t->label, path, what,
		    c->timeout);
	else
		say("%s%s: %s: connection lost: %s", c->t->label, path,
		    what, last_msg);
}

int
ssh_conn_fail(struct ssh_conn *c, const char *path, const char *what,
    int quiet_missing)
{
	int status = last_status, rc = -BKP_ETRANSPORT;
	const char *reason;
	char said[sizeof(last_msg)];

	/* What libssh said (usually "SFTP server: ..."), before server_full()
	 * makes another call. */
	memcpy(said, last_msg, sizeof(said));
	reason = said;
	pthread_mutex_lock(&c->mu);
	if (!c->lost && connection_lost(c, status))
		lost(c, path, what);
	rc = c->lost ? -BKP_ETRANSPORT : 0;
	pthread_mutex_unlock(&c->mu);
	if (rc != 0)
		return rc;
	rc = -BKP_ETRANSPORT;
	switch (status) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		if (quiet_missing)
			return -BKP_ENOTFOUND;
		rc = -BKP_ENOTFOUND;
		reason = "no such file or directory";
		break;
	case SSH_FX_PERMISSION_DENIED:
		rc = -BKP_EIO;
		reason = "permission denied by the server";
		break;
	case SSH_FX_WRITE_PROTECT:
		rc = -BKP_EIO;
		reason = "read-only on the server";
		break;
	case SSH_FX_FILE_ALREADY_EXISTS:
		rc = -BKP_EIO;
		reason = "already exists";
		break;
	case FX_NO_SPACE_ON_FILESYSTEM:
	case FX_QUOTA_EXCEEDED:
		rc = -BKP_ENOSPC;
		reason = "no space left on the server (or quota exceeded)";
		break;
	default:
		if (server_full(c)) {
			rc = -BKP_ENOSPC;
			reason = "no space left on the server";
		}
	}
	log_error("%s%s: %s: %s", c->t->label, path, what, reason);
	return rc;
}
