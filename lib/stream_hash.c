/* stream_hash.c: BLAKE2b-256 tee filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "stream_impl.h"

struct hash_state {
	crypto_generichash_state h;
	uint64_t bytes;
	uint8_t result[32];
	int done;
	int expect;		/* check expected_* at the end */
	int size_only;		/* ... only the size: no hashing */
	uint8_t expected[32];
	uint64_t expected_size;
	char name[256];
};

static struct hash_state *
hash_state_new(void)
{
	void *p;
	struct hash_state *s;

	/* crypto_generichash_state must be 64-byte aligned; malloc only
	 * gives 16. */
	if (posix_memalign(&p, 64, sizeof(*s)) != 0)
		return NULL;
	s = memset(p, 0, sizeof(*s));
	crypto_generichash_init(&s->h, NULL, 0, 32);
	return s;
}

static void
hash_finish(struct hash_state *s, uint8_t hash[32], uint64_t *bytes)
{
	if (!s->done) {
		crypto_generichash_final(&s->h, s->result, 32);
		s->done = 1;
	}
	memcpy(hash, s->result, 32);
	if (bytes)
		*bytes = s->bytes;
}

static int
ohash_write(struct ostream *os, const void *buf, size_t n)
{
	struct hash_state *s = os->state;

	crypto_generichash_update(&s->h, buf, n);
	/* Read by ostream_hash_bytes() in another thread (progress). */
	__atomic_store_n(&s->bytes, s->bytes + n, __ATOMIC_RELAXED);
	return ostream_write(os->next, buf, n);
}

static void
hash_free_o(struct ostream *os)
{
	free(os->state);
}

static const struct ostream_ops ohash_ops = {
	.write = ohash_write, .free = hash_free_o,
};

struct ostream *
ostream_hash_new(struct ostream *next)
{
	struct hash_state *s;
	struct ostream *os;

	if (next == NULL)
		return NULL;
	if ((s = hash_state_new()) == NULL)
		goto err;
	if ((os = ostream_alloc(&ohash_ops, next, s)) == NULL)
		goto err;
	return os;
err:
	free(s);
	ostream_free(next);
	return NULL;
}

uint64_t
ostream_hash_bytes(const struct ostream *os)
{
	const struct hash_state *s = os->state;

	return __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
}

void
ostream_hash_result(struct ostream *os, uint8_t hash[32], uint64_t *bytes)
{
	hash_finish(os->state, hash, bytes);
}

static int
expect_failed(struct hash_state *s, const char *what)
{
	log_error("%s: %s (damaged or tampered with)", s->name, what);
	return -BKP_ECORRUPT;
}

static int
ihash_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	struct hash_state *s = is->state;
	int rc;

	if ((rc = istream_read(is->next, buf, n, got)) != 0)
		return rc;
	if (!s->size_only)
		crypto_generichash_update(&s->h, buf, *got);
	s->bytes += *got;
	if (s->expect && s->bytes > s->expected_size)
		return expect_failed(s, "larger than its seal says");
	if (s->expect && *got == 0) {
		hash_finish(s, s->result, NULL);
		if (s->bytes != s->expected_size)
			return expect_failed(s, "shorter than its seal says");
		if (!s->size_only &&
		    sodium_memcmp(s->result, s->expected, 32) != 0)
			return expect_failed(s, "hash differs from its seal");
		s->expect = 0;
	}
	return 0;
}

static void
hash_free_i(struct istream *is)
{
	free(is->state);
}

static const struct istream_ops ihash_ops = {
	.read = ihash_read, .free = hash_free_i,
};

struct istream *
istream_hash_new(struct istream *next)
{
	struct hash_state *s;
	struct istream *is;

	if (next == NULL)
		return NULL;
	if ((s = hash_state_new()) == NULL)
		goto err;
	if ((is = istream_alloc(&ihash_ops, next, s)) == NULL)
		goto err;
	return is;
err:
	free(s);
	istream_free(next);
	return NULL;
}

struct istream *
istream_hash_expect_new(struct istream *next, const uint8_t hash[32],
    uint64_t size, const char *name)
{
	struct istream *is = istream_hash_new(next);
	struct hash_state *s;

	if (is == NULL)
		return NULL;
	s = is->state;
	s->expect = 1;
	s->size_only = hash == NULL;
	if (hash)
		memcpy(s->expected, hash, 32);
	s->expected_size = size;
	snprintf(s->name, sizeof(s->name), "%s", name);
	return is;
}

void
istream_hash_result(struct istream *is, uint8_t hash[32], uint64_t *bytes)
{
	hash_finish(is->state, hash, bytes);
}
