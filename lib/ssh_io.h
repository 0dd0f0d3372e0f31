/* ssh_io.h: reading (ssh_io.c) and writing (ssh_writer.c) whole objects
 * over SFTP (ssh_conn.h), for the SFTP transport.  Paths are remote,
 * absolute.  Every function reports its errors (ssh_conn_fail) and returns
 * a bkp status; after a lost connection each goes on where it was, on the
 * new one (ssh_retry.h). */
#ifndef BKP_SSH_IO_H
#define BKP_SSH_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ssh_conn.h"

struct ssh_reader;
struct ssh_writer;

/* -BKP_ENOTFOUND (reported) when the object is missing. */
int ssh_reader_open(struct ssh_conn *c, const char *path,
    struct ssh_reader **rp);
/* Up to n bytes; *got is 0 at the end. */
int ssh_reader_read(struct ssh_reader *rd, void *buf, size_t n, size_t *got);
void ssh_reader_close(struct ssh_reader *rd);

/* Writes "DIR/.tmp.NAME.RANDOM" until commit gives it the name path,
 * never replacing an existing object. */
int ssh_writer_open(struct ssh_conn *c, const char *path,
    struct ssh_writer **wp);
int ssh_writer_write(struct ssh_writer *w, const void *buf, size_t n);
/* Makes it durable and visible; frees w.  The commit in flight, if any,
 * is completed first, and its failure returned. */
int ssh_writer_commit(struct ssh_writer *w);
/* Sends what makes w durable and goes on; frees w.  The rest of the
 * commit is done while the next object is written (the replies come
 * first on their channels, the rename follows them), and its outcome
 * comes with the next commit or ssh_writer_flush(). */
int ssh_writer_commit_later(struct ssh_writer *w);
/* Completes the commit in flight: 0, or its failure (reported). */
int ssh_writer_flush(struct ssh_conn *c);
/* Removes the temporary file; frees w.  NULL is fine. */
void ssh_writer_abort(struct ssh_writer *w);

/* For ssh_writer.c (ssh_publish.c): renames tmp to path without replacing
 * anything.  A rename whose answer was lost (after a lost connection, or
 * with maybe_done from the start) is found done (path there with size
 * bytes, tmp gone) or done again. */
int ssh_publish(struct ssh_conn *c, const char *tmp, const char *path,
    uint64_t size, int maybe_done);

#endif
