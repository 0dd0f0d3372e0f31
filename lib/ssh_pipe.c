/* ssh_pipe.c: raw SFTP requests and their replies on the channel;
 * see ssh_pipe.h. */
#include <string.h>

#include "ssh_pipe.h"

/* The head of every reply: type, id and one more word. */
#define STATUS_HEAD 9
/* Longest reply accepted (message and language tag included). */
#define STATUS_MAX 65536

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

uint32_t
ssh_pipe_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint32_t
ssh_pipe_id(sftp_session s)
{
	return ++s->id_counter;
}

static uint8_t *
put_bytes(uint8_t *p, const void *b, uint32_t n)
{
	p = put32(p, n);
	memcpy(p, b, n);
	return p + n;
}

/* The start of a request of the given type: its length field is filled in
 * by finish(). */
static uint8_t *
start(uint8_t *p, uint8_t type, uint32_t id)
{
	p[4] = type;
	return put32(p + 5, id);
}

/* Fills in the length of the request from b to p, with extra bytes of
 * data to follow it: the header's length. */
static size_t
finish(uint8_t *b, uint8_t *p, uint32_t extra)
{
	put32(b, (uint32_t)(p - b - 4) + extra);
	return (size_t)(p - b);
}

static int
send_all(sftp_session s, const uint8_t *b, size_t n)
{
	return ssh_channel_write(s->channel, b, (uint32_t)n) == (int)n ? 0 :
	    -1;
}

static size_t
write_header(uint8_t *b, const struct ssh_pipe_handle *h, uint32_t id,
    uint64_t off, uint32_t len)
{
	uint8_t *p = start(b, SSH_FXP_WRITE, id);

	p = put_bytes(p, h->b, h->len);
	p = put32(p, (uint32_t)(off >> 32));
	p = put32(p, (uint32_t)off);
	p = put32(p, len);
	return finish(b, p, len);
}

int
ssh_pipe_write(sftp_session s, const struct ssh_pipe_handle *h, uint32_t id,
    uint64_t off, uint8_t *data, uint32_t len)
{
	uint8_t b[SSH_PIPE_ROOM];
	size_t hl = write_header(b, h, id, off, len);

	memcpy(data - hl, b, hl);
	return send_all(s, data - hl, hl + len);
}

/* The start of a request naming a path (PATH_MAX at most) into b, of
 * PATH_REQUEST bytes; NULL if the path is longer. */
#define PATH_REQUEST (4096 + 64)
static uint8_t *
start_path(uint8_t *b, uint8_t type, uint32_t id, const char *path)
{
	size_t plen = strlen(path);

	if (plen > 4096)
		return NULL;
	return put_bytes(start(b, type, id), path, (uint32_t)plen);
}

int
ssh_pipe_open(sftp_session s, uint32_t id, const char *path, uint32_t pflags,
    uint32_t mode)
{
	uint8_t b[PATH_REQUEST], *p;

	if ((p = start_path(b, SSH_FXP_OPEN, id, path)) == NULL)
		return -1;
	p = put32(p, pflags);
	if (pflags & SSH_FXF_CREAT) {
		p = put32(p, SSH_FILEXFER_ATTR_PERMISSIONS);
		p = put32(p, mode);
	} else
		p = put32(p, 0);
	return send_all(s, b, finish(b, p, 0));
}

int
ssh_pipe_lstat(sftp_session s, uint32_t id, const char *path)
{
	uint8_t b[PATH_REQUEST], *p;

	if ((p = start_path(b, SSH_FXP_LSTAT, id, path)) == NULL)
		return -1;
	return send_all(s, b, finish(b, p, 0));
}

int
ssh_pipe_rename(sftp_session s, uint32_t id, const char *from,
    const char *to)
{
	uint8_t b[2 * PATH_REQUEST], *p;
	size_t tlen = strlen(to);

	if ((p = start_path(b, SSH_FXP_RENAME, id, from)) == NULL ||
	    tlen > 4096)
		return -1;
	p = put_bytes(p, to, (uint32_t)tlen);
	return send_all(s, b, finish(b, p, 0));
}

int
ssh_pipe_close(sftp_session s, uint32_t id, const struct ssh_pipe_handle *h)
{
	uint8_t b[SSH_PIPE_ROOM], *p = start(b, SSH_FXP_CLOSE, id);

	p = put_bytes(p, h->b, h->len);
	return send_all(s, b, finish(b, p, 0));
}

int
ssh_pipe_fsync(sftp_session s, uint32_t id, const struct ssh_pipe_handle *h)
{
	static const char ext[] = "fsync@openssh.com";
	uint8_t b[SSH_PIPE_ROOM], *p = start(b, SSH_FXP_EXTENDED, id);

	p = put_bytes(p, ext, sizeof(ext) - 1);
	p = put_bytes(p, h->b, h->len);
	return send_all(s, b, finish(b, p, 0));
}

static int
read_request(sftp_session s, const void *handle, size_t hl, uint32_t id,
    uint64_t off, uint32_t len)
{
	uint8_t b[SSH_PIPE_ROOM], *p = start(b, SSH_FXP_READ, id);

	if (hl > 256)
		return -1;
	p = put_bytes(p, handle, (uint32_t)hl);
	p = put32(p, (uint32_t)(off >> 32));
	p = put32(p, (uint32_t)off);
	p = put32(p, len);
	return send_all(s, b, finish(b, p, 0));
}

int
ssh_pipe_read_h(sftp_session s, const struct ssh_pipe_handle *h, uint32_t id,
    uint64_t off, uint32_t len)
{
	return read_request(s, h->b, h->len, id, off, len);
}

static int
read_full(ssh_channel ch, uint8_t *buf, uint32_t n)
{
	while (n > 0) {
		int got = ssh_channel_read(ch, buf, n, 0);

		if (got <= 0)
			return -1;
		buf += got;
		n -= (uint32_t)got;
	}
	return 0;
}

/* Reads and drops n bytes of the reply. */
static int
skip(ssh_channel ch, uint32_t n)
{
	uint8_t rest[512];

	while (n > 0) {
		uint32_t k = n < sizeof(rest) ? n : sizeof(rest);

		if (read_full(ch, rest, k) != 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* The head of the next reply: its type, id, the word after the id (a
 * status's code, a handle's length, the flags of attributes) and the
 * bytes left of it.  0, or -1. */
static int
head(sftp_session s, uint8_t *type, uint32_t *id, uint32_t *word,
    uint32_t *left)
{
	uint8_t b[4 + STATUS_HEAD];
	uint32_t len;

	if (read_full(s->channel, b, sizeof(b)) != 0)
		return -1;
	len = ssh_pipe_u32(b);
	if (len < STATUS_HEAD || len > STATUS_MAX)
		return -1;
	*type = b[4];
	*id = ssh_pipe_u32(b + 5);
	*word = ssh_pipe_u32(b + 9);
	*left = len - STATUS_HEAD;
	return 0;
}

/* The next reply: a status (0), a handle into h when h is not NULL (1),
 * or -1. */
static int
reply(sftp_session s, uint32_t *id, uint32_t *status,
    struct ssh_pipe_handle *h)
{
	uint32_t left;
	uint8_t type;

	if (head(s, &type, id, status, &left) != 0)
		return -1;
	if (type == SSH_FXP_STATUS)
		return skip(s->channel, left);
	if (type != SSH_FXP_HANDLE || h == NULL || *status == 0 ||
	    *status > sizeof(h->b) || left != *status)
		return -1;
	h->len = *status;
	*status = SSH_FX_OK;
	return read_full(s->channel, h->b, h->len) == 0 ? 1 : -1;
}

int
ssh_pipe_status(sftp_session s, uint32_t *id, uint32_t *status)
{
	return reply(s, id, status, NULL) == 0 ? 0 : -1;
}

int
ssh_pipe_handle(sftp_session s, uint32_t *id, uint32_t *status,
    struct ssh_pipe_handle *h)
{
	int r = reply(s, id, status, h);

	/* An open is answered with a handle, or a status saying why not. */
	return r == 1 || (r == 0 && *status != SSH_FX_OK) ? 0 : -1;
}

int
ssh_pipe_attrs(sftp_session s, uint32_t *id, uint32_t *status,
    uint64_t *size)
{
	uint32_t left;
	uint8_t type, b[8];

	*size = 0;
	if (head(s, &type, id, status, &left) != 0)
		return -1;
	if (type == SSH_FXP_STATUS)
		return *status == SSH_FX_OK ? -1 : skip(s->channel, left);
	if (type != SSH_FXP_ATTRS)
		return -1;
	if (*status & SSH_FILEXFER_ATTR_SIZE) {
		if (left < 8 || read_full(s->channel, b, 8) != 0)
			return -1;
		*size = (uint64_t)ssh_pipe_u32(b) << 32 | ssh_pipe_u32(b + 4);
		left -= 8;
	}
	*status = SSH_FX_OK;
	return skip(s->channel, left);
}

int
ssh_pipe_data(sftp_session s, uint32_t *id, uint32_t *status, uint8_t *buf,
    uint32_t cap, uint32_t *len)
{
	uint32_t left;
	uint8_t type;

	*len = 0;
	if (head(s, &type, id, status, &left) != 0)
		return -1;
	if (type == SSH_FXP_STATUS)
		return *status == SSH_FX_OK ? -1 : skip(s->channel, left);
	/* Data: its length where a status has its code. */
	if (type != SSH_FXP_DATA || *status != left || left > cap)
		return -1;
	*len = left;
	*status = SSH_FX_OK;
	return read_full(s->channel, buf, left);
}
