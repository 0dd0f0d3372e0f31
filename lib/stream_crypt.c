/* stream_crypt.c: the encrypted object envelope.
 *
 *   magic[8] | version u32 | flags u32 | secretstream header[24] | chunks
 *
 * Every chunk is STREAM_CHUNK bytes of plaintext plus the 17-byte
 * authenticator, except the last, which is shorter or equal and carries the
 * FINAL tag.  The 16-byte prefix and the caller's additional data (set id,
 * object index) are bound to every chunk, so an object cannot be moved to
 * another name, truncated, reordered or replayed without failing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "error.h"
#include "log.h"
#include "stream_impl.h"

#define PREFIX_LEN 16
#define AD_MAX 128
#define CCHUNK (STREAM_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)

/* Kept in guarded, locked memory: the stream state is derived key material. */
struct crypt_secret {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[32];
};

struct crypt {
	struct crypt_secret *sec;
	uint8_t ad[PREFIX_LEN + AD_MAX];
	size_t adlen;
	uint8_t *plain;		/* STREAM_CHUNK bytes */
	uint8_t *cipher;	/* CCHUNK bytes */
	size_t fill;		/* bytes in plain */
	size_t pos;		/* reader: next byte of plain to hand out */
	int started, finished;
	char name[256];
	char magic[STREAM_MAGIC_LEN];
};

static void
crypt_free(struct crypt *c)
{
	if (c == NULL)
		return;
	if (c->sec)
		sodium_free(c->sec);
	if (c->plain) {
		sodium_memzero(c->plain, STREAM_CHUNK);
		free(c->plain);
	}
	free(c->cipher);
	free(c);
}

static struct crypt *
crypt_new(const char *magic, const uint8_t key[32], const uint8_t *ad,
    size_t adlen)
{
	struct crypt *c;

	if (adlen > AD_MAX || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->sec = sodium_malloc(sizeof(*c->sec))) == NULL ||
	    (c->plain = malloc(STREAM_CHUNK)) == NULL ||
	    (c->cipher = malloc(CCHUNK)) == NULL) {
		crypt_free(c);
		return NULL;
	}
	memcpy(c->sec->key, key, 32);
	memcpy(c->magic, magic, STREAM_MAGIC_LEN);
	memcpy(c->ad, magic, STREAM_MAGIC_LEN);
	put_le32(c->ad + 8, STREAM_VERSION);
	put_le32(c->ad + 12, 0);
	memcpy(c->ad + PREFIX_LEN, ad, adlen);
	c->adlen = PREFIX_LEN + adlen;
	return c;
}

/* Encryption. */

static int
enc_start(struct ostream *os)
{
	struct crypt *c = os->state;
	uint8_t head[PREFIX_LEN +
	    crypto_secretstream_xchacha20poly1305_HEADERBYTES];

	memcpy(head, c->ad, PREFIX_LEN);
	crypto_secretstream_xchacha20poly1305_init_push(&c->sec->st,
	    head + PREFIX_LEN, c->sec->key);
	sodium_memzero(c->sec->key, 32);
	c->started = 1;
	return ostream_write(os->next, head, sizeof(head));
}

static int
enc_push(struct ostream *os, uint8_t tag)
{
	struct crypt *c = os->state;
	unsigned long long clen;

	crypto_secretstream_xchacha20poly1305_push(&c->sec->st, c->cipher,
	    &clen, c->plain, c->fill, c->ad, c->adlen, tag);
	c->fill = 0;
	return ostream_write(os->next, c->cipher, (size_t)clen);
}

static int
enc_write(struct ostream *os, const void *buf, size_t n)
{
	struct crypt *c = os->state;
	const uint8_t *p = buf;
	int rc;

	if (!c->started && (rc = enc_start(os)) != 0)
		return rc;
	while (n > 0) {
		size_t k;

		/* Push a full chunk only once more data follows, so that the
		 * final chunk is never empty unless the object is. */
		if (c->fill == STREAM_CHUNK &&
		    (rc = enc_push(os, 0)) != 0)
			return rc;
		k = STREAM_CHUNK - c->fill;
		if (k > n)
			k = n;
		memcpy(c->plain + c->fill, p, k);
		c->fill += k;
		p += k;
		n -= k;
	}
	return 0;
}

static int
enc_close(struct ostream *os)
{
	struct crypt *c = os->state;
	int rc;

	if (!c->started && (rc = enc_start(os)) != 0)
		return rc;
	return enc_push(os, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
}

static void
enc_free(struct ostream *os)
{
	crypt_free(os->state);
}

static const struct ostream_ops enc_ops = {
	.write = enc_write, .close = enc_close, .free = enc_free,
};

struct ostream *
ostream_encrypt_new(struct ostream *next, const char *magic,
    const uint8_t key[32], const uint8_t *ad, size_t adlen)
{
	struct crypt *c;
	struct ostream *os;

	if (next == NULL)
		return NULL;
	if ((c = crypt_new(magic, key, ad, adlen)) == NULL)
		goto err;
	if ((os = ostream_alloc(&enc_ops, next, c)) == NULL)
		goto err;
	return os;
err:
	crypt_free(c);
	ostream_free(next);
	return NULL;
}

/* Decryption. */

/* Reads up to n bytes, stopping early only at the end of the stream. */
static int
read_upto(struct istream *is, uint8_t *buf, size_t n, size_t *got)
{
	size_t k;
	int rc;

	*got = 0;
	while (*got < n) {
		if ((rc = istream_read(is, buf + *got, n - *got, &k)) != 0)
			return rc;
		if (k == 0)
			break;
		*got += k;
	}
	return 0;
}

static int
corrupt(struct crypt *c, const char *what)
{
	log_error("%s: %s", c->name, what);
	return -BKP_ECORRUPT;
}

static int
dec_start(struct istream *is)
{
	struct crypt *c = is->state;
	uint8_t head[PREFIX_LEN +
	    crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	size_t got;
	uint32_t version;
	int rc;

	c->started = 1;
	if ((rc = read_upto(is->next, head, sizeof(head), &got)) != 0)
		return rc;
	if (got < STREAM_MAGIC_LEN ||
	    memcmp(head, c->magic, STREAM_MAGIC_LEN) != 0)
		return corrupt(c, "not an object of the expected kind "
		    "(bad magic)");
	if (got < sizeof(head))
		return corrupt(c, "object truncated in its header");
	version = get_le32(head + 8);
	if (version != STREAM_VERSION) {
		log_error("%s: format version %u is not supported (this bkp "
		    "reads version %d); upgrade bkp", c->name, version,
		    STREAM_VERSION);
		return -BKP_EREPO;
	}
	if (get_le32(head + 12) != 0)
		return corrupt(c, "unknown flags in header");
	if (crypto_secretstream_xchacha20poly1305_init_pull(&c->sec->st,
	    head + PREFIX_LEN, c->sec->key) != 0)
		return corrupt(c, "invalid stream header");
	sodium_memzero(c->sec->key, 32);
	return 0;
}

static int
dec_next_chunk(struct istream *is)
{
	struct crypt *c = is->state;
	unsigned long long plen;
	size_t got;
	uint8_t tag, extra;
	int rc;

	if ((rc = read_upto(is->next, c->cipher, CCHUNK, &got)) != 0)
		return rc;
	if (got == 0)
		return corrupt(c, "object truncated (final chunk missing)");
	if (got < crypto_secretstream_xchacha20poly1305_ABYTES ||
	    crypto_secretstream_xchacha20poly1305_pull(&c->sec->st, c->plain,
	    &plen, &tag, c->cipher, got, c->ad, c->adlen) != 0)
		return corrupt(c, "authentication failed (damaged, tampered "
		    "with, moved, or wrong key)");
	c->fill = (size_t)plen;
	c->pos = 0;
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		if ((rc = read_upto(is->next, &extra, 1, &got)) != 0)
			return rc;
		if (got != 0)
			return corrupt(c, "data after the final chunk");
		c->finished = 1;
	} else if (tag != 0 || got < CCHUNK) {
		return corrupt(c, "object truncated (short chunk)");
	}
	return 0;
}

static int
dec_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	struct crypt *c = is->state;
	int rc;

	if (!c->started && (rc = dec_start(is)) != 0)
		return rc;
	while (c->pos == c->fill) {
		if (c->finished) {
			*got = 0;
			return 0;
		}
		if ((rc = dec_next_chunk(is)) != 0)
			return rc;
	}
	*got = c->fill - c->pos < n ? c->fill - c->pos : n;
	memcpy(buf, c->plain + c->pos, *got);
	c->pos += *got;
	return 0;
}

static void
dec_free(struct istream *is)
{
	crypt_free(is->state);
}

static const struct istream_ops dec_ops = { .read = dec_read, .free = dec_free };

struct istream *
istream_decrypt_new(struct istream *next, const char *magic,
    const uint8_t key[32], const uint8_t *ad, size_t adlen, const char *name)
{
	struct crypt *c;
	struct istream *is;

	if (next == NULL)
		return NULL;
	if ((c = crypt_new(magic, key, ad, adlen)) == NULL)
		goto err;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if ((is = istream_alloc(&dec_ops, next, c)) == NULL)
		goto err;
	return is;
err:
	crypt_free(c);
	istream_free(next);
	return NULL;
}
