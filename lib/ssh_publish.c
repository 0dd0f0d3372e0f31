/* ssh_publish.c: the commit of an uploaded object: its temporary file
 * renamed into place, never replacing an object (transport_sftp.c). */
#include <stdint.h>

#include "error.h"
#include "log.h"
#include "ssh_io.h"
#include "ssh_retry.h"

/* 1 if path exists; keeps the status of the call before for
 * ssh_conn_fail() (end without failed). */
static int
exists(struct ssh_conn *c, const char *path, uint64_t *size)
{
	sftp_attributes a = NULL;

	if (ssh_conn_begin(c, 1) == 0)
		a = sftp_lstat(c->sftp, path);
	ssh_conn_end(c, 0);
	if (a != NULL && size != NULL)
		*size = a->size;
	sftp_attributes_free(a);
	return a != NULL;
}

/* Gives the temporary file its name, never replacing an object. */
static int
publish(struct ssh_conn *c, const char *tmp, const char *path)
{
#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 11, 0)
	/* libssh 0.11 renames with posix-rename@openssh.com, which
	 * replaces: link and unlink instead, as OpenSSH's RENAME does. */
	if (SSH_CALL(c, 1, sftp_hardlink(c->sftp, tmp, path) == 0) == 0) {
		(void)SSH_CALL(c, 1, sftp_unlink(c->sftp, tmp) == 0);
		return 0;
	}
#else
	if (SSH_CALL(c, 1, sftp_rename(c->sftp, tmp, path) == 0) == 0)
		return 0;
#endif
	/* OpenSSH answers a plain failure when the name is taken. */
	if (ssh_conn_status() == SSH_FX_FAILURE && exists(c, path, NULL)) {
		log_error("%s%s: cannot rename into place: an object of that "
		    "name exists (objects are never replaced)", c->t->label,
		    path);
		return -BKP_EIO;
	}
	return ssh_conn_fail(c, path, "cannot rename into place", 0);
}

/* After a reconnection: the rename was done if the temporary file is
 * gone and the object is there with its size; else it is done now. */
static int
publish_again(struct ssh_conn *c, const char *tmp, const char *path,
    uint64_t size)
{
	uint64_t have = 0;

	if (!exists(c, tmp, NULL) && exists(c, path, &have) && have == size)
		return 0;
	return publish(c, tmp, path);
}

int
ssh_publish(struct ssh_conn *c, const char *tmp, const char *path,
    uint64_t size, int maybe_done)
{
	unsigned gen = ssh_conn_gen(c);
	int rc = maybe_done ? publish_again(c, tmp, path, size) :
	    publish(c, tmp, path);

	while (rc != 0 && ssh_conn_again(c, rc, gen)) {
		gen = ssh_conn_gen(c);
		rc = publish_again(c, tmp, path, size);
	}
	return rc;
}
