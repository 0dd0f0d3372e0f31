/* ssh_pipe.c: SFTP write requests and status replies on the channel;
 * see ssh_pipe.h. */
#include <string.h>

#include "ssh_pipe.h"

/* A status reply: type, id and code (then two strings, skipped). */
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

/* The header of the request into h: its length. */
static size_t
header(uint8_t *h, sftp_file f, uint32_t id, uint64_t off, uint32_t len)
{
	size_t hl = ssh_string_len(f->handle);
	uint8_t *p = h;

	p = put32(p, (uint32_t)(1 + 4 + 4 + hl + 8 + 4) + len);
	*p++ = SSH_FXP_WRITE;
	p = put32(p, id);
	p = put32(p, (uint32_t)hl);
	memcpy(p, ssh_string_data(f->handle), hl);
	p += hl;
	p = put32(p, (uint32_t)(off >> 32));
	p = put32(p, (uint32_t)off);
	p = put32(p, len);
	return (size_t)(p - h);
}

int
ssh_pipe_write(sftp_file f, uint32_t id, uint64_t off, uint8_t *data,
    uint32_t len, int room)
{
	ssh_channel ch = f->sftp->channel;
	uint8_t h[SSH_PIPE_ROOM];
	size_t hl;

	/* SFTP handles are at most 256 bytes. */
	if (ssh_string_len(f->handle) > 256)
		return -1;
	hl = header(h, f, id, off, len);
	if (room) {
		memcpy(data - hl, h, hl);
		return ssh_channel_write(ch, data - hl, (uint32_t)(hl + len)) ==
		    (int)(hl + len) ? 0 : -1;
	}
	if (ssh_channel_write(ch, h, (uint32_t)hl) != (int)hl)
		return -1;
	return ssh_channel_write(ch, data, len) == (int)len ? 0 : -1;
}

int
ssh_pipe_read(sftp_file f, uint32_t id, uint64_t off, uint32_t len)
{
	size_t hl = ssh_string_len(f->handle);
	uint8_t h[SSH_PIPE_ROOM], *p = h;

	if (hl > 256)
		return -1;
	p = put32(p, (uint32_t)(1 + 4 + 4 + hl + 8 + 4));
	*p++ = SSH_FXP_READ;
	p = put32(p, id);
	p = put32(p, (uint32_t)hl);
	memcpy(p, ssh_string_data(f->handle), hl);
	p += hl;
	p = put32(p, (uint32_t)(off >> 32));
	p = put32(p, (uint32_t)off);
	p = put32(p, len);
	return ssh_channel_write(f->sftp->channel, h, (uint32_t)(p - h)) ==
	    (int)(p - h) ? 0 : -1;
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

int
ssh_pipe_status(sftp_session s, uint32_t *id, uint32_t *status)
{
	uint8_t b[4 + STATUS_HEAD], rest[512];
	uint32_t len, left;

	if (read_full(s->channel, b, sizeof(b)) != 0)
		return -1;
	len = ssh_pipe_u32(b);
	if (len < STATUS_HEAD || len > STATUS_MAX || b[4] != SSH_FXP_STATUS)
		return -1;
	*id = ssh_pipe_u32(b + 5);
	*status = ssh_pipe_u32(b + 9);
	for (left = len - STATUS_HEAD; left > 0;) {
		uint32_t k = left < sizeof(rest) ? left : sizeof(rest);

		if (read_full(s->channel, rest, k) != 0)
			return -1;
		left -= k;
	}
	return 0;
}
