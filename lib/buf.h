/* buf.h: bounded binary encoding for repository objects.
 *
 * wbuf grows as it is written; rbuf reads from untrusted bytes and never
 * reads past the end: the first short or oversized read makes it fail, and
 * every later read returns zero, so a parser checks rbuf_ok() once at the end.
 * Integers are little-endian.
 */
#ifndef BKP_BUF_H
#define BKP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int failed;		/* an allocation failed */
};

void wbuf_init(struct wbuf *w);
/* Frees the bytes, wiping them first (they may be plaintext of secrets). */
void wbuf_release(struct wbuf *w);
void wbuf_put(struct wbuf *w, const void *p, size_t n);
void wbuf_u8(struct wbuf *w, uint8_t v);
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_u64(struct wbuf *w, uint64_t v);
/* A u32 length followed by the bytes. */
void wbuf_bytes(struct wbuf *w, const void *p, size_t n);
void wbuf_str(struct wbuf *w, const char *s);
/* 0, or -BKP_ENOMEM when any write failed. */
int wbuf_status(const struct wbuf *w);

struct rbuf {
	const uint8_t *p;
	size_t left;
	int failed;
};

void rbuf_init(struct rbuf *r, const void *p, size_t n);
int rbuf_get(struct rbuf *r, void *out, size_t n);
/* Points into the buffer; NULL when fewer than n bytes are left. */
const uint8_t *rbuf_ref(struct rbuf *r, size_t n);
uint8_t rbuf_u8(struct rbuf *r);
uint32_t rbuf_u32(struct rbuf *r);
uint64_t rbuf_u64(struct rbuf *r);
/* A u32 length (at most max) then bytes; *n gets the length. */
const uint8_t *rbuf_bytes(struct rbuf *r, size_t max, size_t *n);
/* As rbuf_bytes, copied into a new NUL-terminated string that may not
 * contain NUL; NULL on failure (then rbuf has failed or memory ran out). */
char *rbuf_strdup(struct rbuf *r, size_t max);
int rbuf_ok(const struct rbuf *r);

void put_le32(uint8_t *p, uint32_t v);
void put_le64(uint8_t *p, uint64_t v);
uint32_t get_le32(const uint8_t *p);
uint64_t get_le64(const uint8_t *p);

#endif
