/* ssh_pipe.h: pipelined SFTP requests for libssh 0.10, which has no
 * asynchronous write, and whose asynchronous reads are held to 1.28 MB in
 * flight by its channel window.
 *
 * SSH_FXP_WRITE, READ, OPEN, CLOSE, LSTAT and fsync@openssh.com requests go
 * to the SFTP session's channel directly, and their replies are read from
 * it directly (SFTP version 3, draft-ietf-secsh-filexfer-02), so that many
 * are in flight at once instead of one per round trip.  libssh grows the
 * channel's window to whatever one ssh_channel_read() asks for, so a
 * reader asking for megabytes at a time keeps megabytes in flight.  This
 * is safe because libssh reads SFTP packets from the channel one whole
 * packet at a time, and because the callers, under the connection's
 * mutex, receive every reply to their requests before libssh's own SFTP
 * code runs again (the settle hook of ssh_conn_begin_as, the replies of
 * closes dropped by the next call on their channel): libssh never sees
 * these replies (it refuses replies to requests it did not send), and
 * never leaves one of its own in flight when these start.
 */
#ifndef BKP_SSH_PIPE_H
#define BKP_SSH_PIPE_H

#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

/* Bytes a request's header takes at most, for ssh_pipe_write's room. */
#define SSH_PIPE_ROOM 320

/* A file handle the server gave (SFTP handles are at most 256 bytes). */
struct ssh_pipe_handle {
	uint32_t len;
	uint8_t b[256];
};

/* A request id for the session (libssh's counter, so none is reused). */
uint32_t ssh_pipe_id(sftp_session s);

/* Sends SSH_FXP_WRITE of data[0..len) at off of handle h on the
 * session's channel.  The SSH_PIPE_ROOM bytes before data are
 * overwritten (one channel write instead of two).  0, or -1 when the
 * channel failed. */
int ssh_pipe_write(sftp_session s, const struct ssh_pipe_handle *h,
    uint32_t id, uint64_t off, uint8_t *data, uint32_t len);

/* Sends SSH_FXP_OPEN of path with the SSH_FXF_* flags pflags; with
 * SSH_FXF_CREAT, a new file gets permissions mode.  0, or -1. */
int ssh_pipe_open(sftp_session s, uint32_t id, const char *path,
    uint32_t pflags, uint32_t mode);

/* Sends SSH_FXP_RENAME of from to to (OpenSSH's server links and
 * unlinks: it never replaces to): 0, or -1. */
int ssh_pipe_rename(sftp_session s, uint32_t id, const char *from,
    const char *to);

/* Sends SSH_FXP_CLOSE of h: 0, or -1. */
int ssh_pipe_close(sftp_session s, uint32_t id,
    const struct ssh_pipe_handle *h);

/* Sends SSH_FXP_LSTAT of path: 0, or -1. */
int ssh_pipe_lstat(sftp_session s, uint32_t id, const char *path);

/* Sends fsync@openssh.com of h (when the server has it): 0, or -1. */
int ssh_pipe_fsync(sftp_session s, uint32_t id,
    const struct ssh_pipe_handle *h);

/* Sends SSH_FXP_READ of len bytes at off of the handle h on the
 * session's channel: 0, or -1. */
int ssh_pipe_read_h(sftp_session s, const struct ssh_pipe_handle *h,
    uint32_t id, uint64_t off, uint32_t len);

/* The big-endian u32 at p. */
uint32_t ssh_pipe_u32(const uint8_t *p);

/* Receives the next reply, which must be an SSH_FXP_STATUS: 0 with its
 * request id and status code, or -1 (the channel failed or the server
 * sent something else: the connection cannot be used any more). */
int ssh_pipe_status(sftp_session s, uint32_t *id, uint32_t *status);

/* Receives the next reply to an open: an SSH_FXP_HANDLE (into h, status
 * SSH_FX_OK) or an SSH_FXP_STATUS.  0 with its id, or -1 as above. */
int ssh_pipe_handle(sftp_session s, uint32_t *id, uint32_t *status,
    struct ssh_pipe_handle *h);

/* Receives the next reply to a read: an SSH_FXP_DATA (its bytes into
 * buf, *len of them; status SSH_FX_OK) or an SSH_FXP_STATUS (SSH_FX_EOF
 * at the end).  0 with its id, or -1 as above, or when the data would not
 * fit in cap bytes. */
int ssh_pipe_data(sftp_session s, uint32_t *id, uint32_t *status,
    uint8_t *buf, uint32_t cap, uint32_t *len);

/* Receives the next reply to a stat: an SSH_FXP_ATTRS (the size into
 * *size, 0 if the server gave none; status SSH_FX_OK) or an
 * SSH_FXP_STATUS.  0 with its id, or -1 as above. */
int ssh_pipe_attrs(sftp_session s, uint32_t *id, uint32_t *status,
    uint64_t *size);

#endif
