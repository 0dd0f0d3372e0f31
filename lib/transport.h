/* transport.h: where repository objects live (a local directory, SFTP).
 *
 * Paths are relative to the repository root and use '/'.  Objects are
 * write-once: a writer writes to a temporary name, and only
 * transport_write_commit() makes the object appear under its name, after it
 * is durable.  An object that already exists is never replaced.
 */
#ifndef BKP_TRANSPORT_H
#define BKP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct transport;
struct transport_reader;
struct transport_writer;

/* Options for transports that need them (SFTP); all may be NULL / 0. */
struct transport_opts {
	const char *identity;		/* private key file */
	const char *known_hosts;	/* known_hosts file */
	int accept_new_host_key;
	int create;			/* create the root if missing (init) */
	/* After a lost connection: reconnections allowed per outage (0: 5,
	 * -1: none) and the seconds an outage may last (0: 600). */
	int retry_attempts;
	int retry_seconds;
};

/* Opens the transport for URL: a local path or sftp://user@host[:port]/p. */
int transport_open(const char *url, const struct transport_opts *opts,
    struct transport **t);
void transport_close(struct transport *t);
/* Closes the connections transport_close() kept for reuse by the next
 * transport_open() of the same server (SFTP); before the process ends. */
void transport_close_idle(void);
/* 1 when the objects are on another machine (SFTP), 0 for a local path. */
int transport_remote(const struct transport *t);
/* The URL it was opened with, for messages. */
const char *transport_url(const struct transport *t);

/* Creates a directory (and its parents); an existing one is fine. */
int transport_mkdir(struct transport *t, const char *path);
/* Calls cb for every name in dir (not "." / ".."); a non-zero result from
 * cb stops the listing and is returned.  -BKP_ENOTFOUND if dir is absent. */
int transport_list(struct transport *t, const char *dir,
    int (*cb)(void *arg, const char *name), void *arg);
/* 0 and *size, or -BKP_ENOTFOUND. */
int transport_stat(struct transport *t, const char *path, uint64_t *size);
/* transport_stat() of n paths at once (over SFTP, in one round trip):
 * rcs[i] and sizes[i] for paths[i].  0, or the first status other than 0
 * and -BKP_ENOTFOUND. */
int transport_stat_all(struct transport *t, const char *const *paths,
    size_t n, uint64_t *sizes, int *rcs);
int transport_remove(struct transport *t, const char *path);
int transport_rmdir(struct transport *t, const char *path);

int transport_read_open(struct transport *t, const char *path,
    struct transport_reader **r);
/* Reads up to n bytes; *got is 0 at the end. */
int transport_read(struct transport_reader *r, void *buf, size_t n,
    size_t *got);
void transport_read_close(struct transport_reader *r);

int transport_write_open(struct transport *t, const char *path,
    struct transport_writer **w);
int transport_write(struct transport_writer *w, const void *buf, size_t n);
/* Makes the object durable and visible under its name; frees w.  Objects
 * committed before it are, too (their failure is returned). */
int transport_write_commit(struct transport_writer *w);
/* Starts the commit and goes on; frees w.  The commit completes while
 * other objects are written: its outcome comes with the next commit of the
 * same transport, or with transport_flush().  Commits complete in order,
 * so an object committed after others appears after them. */
int transport_write_commit_later(struct transport_writer *w);
/* The commits started: 0 when every one is complete, or the first
 * failure (reported). */
int transport_flush(struct transport *t);
/* Throws the temporary object away; frees w.  NULL is fine. */
void transport_write_abort(struct transport_writer *w);

/* Whole small objects: reads at most max bytes (more is -BKP_ECORRUPT). */
int transport_get(struct transport *t, const char *path, size_t max,
    uint8_t **data, size_t *len);
/* transport_get() of n objects at once (over SFTP, small ones in three
 * round trips for all): rcs[i], and datas[i] (the caller frees it) and
 * lens[i] when it is 0, for paths[i]. */
void transport_get_all(struct transport *t, const char *const *paths,
    size_t n, size_t max, uint8_t **datas, size_t *lens, int *rcs);
int transport_put(struct transport *t, const char *path, const void *data,
    size_t len);

#endif
