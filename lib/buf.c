/* buf.c: bounded little-endian encoding and decoding. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "error.h"

void
wbuf_init(struct wbuf *w)
{
	memset(w, 0, sizeof(*w));
}

void
wbuf_release(struct wbuf *w)
{
	if (w->data) {
		sodium_memzero(w->data, w->cap);
		free(w->data);
	}
	wbuf_init(w);
}

static int
wbuf_reserve(struct wbuf *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->failed)
		return -1;
	if (n <= w->cap - w->len)
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	/* No realloc: the old bytes may be secret and must be wiped. */
	if ((p = malloc(cap)) == NULL)
		goto fail;
	if (w->data) {
		memcpy(p, w->data, w->len);
		sodium_memzero(w->data, w->cap);
		free(w->data);
	}
	w->data = p;
	w->cap = cap;
	return 0;
fail:
	w->failed = 1;
	return -1;
}

void
wbuf_put(struct wbuf *w, const void *p, size_t n)
{
	if (n == 0 || wbuf_reserve(w, n))
		return;
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	wbuf_put(w, &v, 1);
}

void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	wbuf_put(w, b, 4);
}

void
wbuf_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	put_le64(b, v);
	wbuf_put(w, b, 8);
}

void
wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		w->failed = 1;
		return;
	}
	wbuf_u32(w, (uint32_t)n);
	wbuf_put(w, p, n);
}

void
wbuf_str(struct wbuf *w, const char *s)
{
	wbuf_bytes(w, s ? s : "", s ? strlen(s) : 0);
}

int
wbuf_status(const struct wbuf *w)
{
	return w->failed ? -BKP_ENOMEM : 0;
}

void
rbuf_init(struct rbuf *r, const void *p, size_t n)
{
	r->p = p;
	r->left = n;
	r->failed = 0;
}

const uint8_t *
rbuf_ref(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->failed || n > r->left) {
		r->failed = 1;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

int
rbuf_get(struct rbuf *r, void *out, size_t n)
{
	const uint8_t *p = rbuf_ref(r, n);

	if (p == NULL) {
		memset(out, 0, n);
		return -1;
	}
	memcpy(out, p, n);
	return 0;
}

uint8_t
rbuf_u8(struct rbuf *r)
{
	const uint8_t *p = rbuf_ref(r, 1);

	return p ? p[0] : 0;
}

uint32_t
rbuf_u32(struct rbuf *r)
{
	const uint8_t *p = rbuf_ref(r, 4);

	return p ? get_le32(p) : 0;
}

uint64_t
rbuf_u64(struct rbuf *r)
{
	const uint8_t *p = rbuf_ref(r, 8);

	return p ? get_le64(p) : 0;
}

const uint8_t *
rbuf_bytes(struct rbuf *r, size_t max, size_t *n)
{
	uint32_t len = rbuf_u32(r);

	*n = 0;
	if (r->failed || len > max) {
		r->failed = 1;
		return NULL;
	}
	*n = len;
	return rbuf_ref(r, len);
}

char *
rbuf_strdup(struct rbuf *r, size_t max)
{
	const uint8_t *p;
	size_t n;
	char *s;

	if ((p = rbuf_bytes(r, max, &n)) == NULL && r->failed)
		return NULL;
	if (n && memchr(p, 0, n)) {
		r->failed = 1;
		return NULL;
	}
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
rbuf_ok(const struct rbuf *r)
{
	return !r->failed;
}

void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t
get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
