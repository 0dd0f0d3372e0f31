/* check_stream.c: filter stacks: zstd, the encrypted envelope, hashes. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "datakey.h"
#include "error.h"
#include "stream.h"
#include "stream_impl.h"
#include "testutil.h"

#define SETID "20261121T205810Z-1a2b3c4d"
#define OTHERSET "20261121T205810Z-1a2b3c4e"
#define MAGIC "BKPPART"
#define HEAD_LEN (16 + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define CCHUNK (STREAM_CHUNK + ABYTES)

/* What an object is bound to: the kind (magic), the key and the AD. */
struct objkey {
	const char *magic;
	uint8_t key[32];
	uint8_t ad[DATAKEY_AD_LEN];
};

static uint8_t datakey[32];

static void
setup(void)
{
	crypto_kdf_keygen(datakey);
}

static void
objkey(struct objkey *k, const char *setid, uint64_t index)
{
	k->magic = MAGIC;
	datakey_subkey(datakey, index, k->key);
	datakey_ad(setid, index, k->ad);
}

/* Writes plain through [zstd ->] encrypt -> hash -> memory; returns the
 * ciphertext (malloc'd) and its hash. */
static uint8_t *
seal_obj(const uint8_t *plain, size_t n, const struct objkey *k, int zstd,
    int threads, size_t *outlen, uint8_t hash[32])
{
	struct ostream *mem, *h, *os;
	uint64_t hbytes;
	uint8_t *out;
	size_t step = 7, off = 0;

	mem = ostream_memory_new();
	ck_assert_ptr_nonnull(mem);
	h = ostream_hash_new(mem);
	ck_assert_ptr_nonnull(h);
	os = ostream_encrypt_new(h, k->magic, k->key, k->ad, sizeof(k->ad));
	ck_assert_ptr_nonnull(os);
	if (zstd) {
		os = ostream_zstd_new(os, 3, threads);
		ck_assert_ptr_nonnull(os);
	}
	/* Uneven writes, so that chunking does not follow the calls. */
	while (off < n) {
		size_t k2 = n - off < step ? n - off : step;

		ck_assert_int_eq(ostream_write(os, plain + off, k2), 0);
		off += k2;
		step = step * 3 + 1;
		if (step > 200000)
			step = 5;
	}
	ck_assert_int_eq(ostream_close(os), 0);
	ck_assert_int_eq(ostream_close(os), 0);	/* twice is harmless */
	out = ostream_memory_take(mem, outlen);
	ostream_hash_result(h, hash, &hbytes);
	ck_assert_uint_eq(hbytes, *outlen);
	ck_assert_uint_eq(ostream_hash_bytes(h), *outlen);
	ostream_free(os);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Reads an object back in reads of readsz bytes; the status of the first
 * failure, or 0 with the plaintext in *out (malloc'd). hash may be NULL
 * (no expectation). */
static int
open_obj(const uint8_t *ct, size_t ctlen, const struct objkey *k, int zstd,
    size_t readsz, const uint8_t *hash, uint64_t hsize, uint8_t **out,
    size_t *outlen)
{
	struct istream *is;
	uint8_t *buf = malloc(readsz);
	struct wbuf w;
	size_t got;
	int rc;

	ck_assert_ptr_nonnull(buf);
	*out = NULL;
	*outlen = 0;
	is = istream_memory_new(ct, ctlen);
	if (hash)
		is = istream_hash_expect_new(is, hash, hsize, "obj");
	is = istream_decrypt_new(is, k->magic, k->key, k->ad, sizeof(k->ad),
	    "obj");
	if (zstd)
		is = istream_zstd_new(is);
	ck_assert_ptr_nonnull(is);
	wbuf_init(&w);
	for (;;) {
		if ((rc = istream_read(is, buf, readsz, &got)) != 0)
			break;
		if (got == 0)
			break;
		ck_assert_uint_le(got, readsz);
		wbuf_put(&w, buf, got);
	}
	istream_free(is);
	free(buf);
	if (rc == 0) {
		*out = tu_dup(w.data, w.len);
		*outlen = w.len;
	}
	wbuf_release(&w);
	return rc;
}

static int
open_quiet(const uint8_t *ct, size_t ctlen, const struct objkey *k,
    int zstd)
{
	uint8_t *out;
	size_t n;
	int rc;

	tu_quiet_begin();
	rc = open_obj(ct, ctlen, k, zstd, 1 << 16, NULL, 0, &out, &n);
	tu_quiet_end();
	free(out);
	return rc;
}

static size_t
chunks_of(size_t n)
{
	return n == 0 ? 1 : (n + STREAM_CHUNK - 1) / STREAM_CHUNK;
}

static const size_t sizes[] = {
	0, 1, 65535, 65536, 65537, 3 * 65536, 1 << 20,
};
#define NSIZES (int)(sizeof(sizes) / sizeof(sizes[0]))

/* Round trips, random (incompressible) and compressible data. */
START_TEST(test_roundtrip_encrypt_zstd)
{
	size_t n = sizes[_i];
	uint8_t *plain = tu_random(n ? n : 1), *ct, *out, hash[32];
	struct objkey k;
	size_t ctlen, outlen;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	for (int text = 0; text < 2; text++) {
		if (text)
			for (size_t i = 0; i < n; i++)
				plain[i] = "manifest entries\n"[i % 17];
		ct = seal_obj(plain, n, &k, 1, 0, &ctlen, hash);
		ck_assert_mem_eq(ct, MAGIC, 8);
		if (text && n >= 65536)
			ck_assert_uint_lt(ctlen, n / 4);
		/* With the hash expected, in big and small reads. */
		ck_assert_int_eq(open_obj(ct, ctlen, &k, 1, 1 << 20, hash,
		    ctlen, &out, &outlen), 0);
		ck_assert_uint_eq(outlen, n);
		ck_assert(n == 0 || memcmp(out, plain, n) == 0);
		free(out);
		ck_assert_int_eq(open_obj(ct, ctlen, &k, 1, 4096, hash, ctlen,
		    &out, &outlen), 0);
		ck_assert_uint_eq(outlen, n);
		ck_assert(n == 0 || memcmp(out, plain, n) == 0);
		free(out);
		free(ct);
	}
	free(plain);
}
END_TEST

START_TEST(test_roundtrip_encrypt_only)
{
	size_t n = sizes[_i];
	uint8_t *plain = tu_random(n ? n : 1), *ct, *out, hash[32], h2[32];
	struct objkey k;
	size_t ctlen, outlen;

	objkey(&k, SETID, DATAKEY_OBJ_MANIFEST);
	ct = seal_obj(plain, n, &k, 0, 0, &ctlen, hash);
	/* The envelope: header, then full chunks and one final chunk. */
	ck_assert_uint_eq(ctlen, HEAD_LEN + chunks_of(n) * ABYTES + n);
	ck_assert_mem_eq(ct, MAGIC, 8);
	ck_assert_uint_eq(get_le32(ct + 8), STREAM_VERSION);
	ck_assert_uint_eq(get_le32(ct + 12), 0);
	crypto_generichash(h2, 32, ct, ctlen, NULL, 0);
	ck_assert_mem_eq(h2, hash, 32);
	ck_assert_int_eq(open_obj(ct, ctlen, &k, 0, 1 << 17, hash, ctlen,
	    &out, &outlen), 0);
	ck_assert_uint_eq(outlen, n);
	ck_assert(n == 0 || memcmp(out, plain, n) == 0);
	free(out);
	/* Odd read sizes. */
	ck_assert_int_eq(open_obj(ct, ctlen, &k, 0, n < 70000 ? 1 : 999, NULL,
	    0, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, n);
	ck_assert(n == 0 || memcmp(out, plain, n) == 0);
	free(out);
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_roundtrip_zstd_threads)
{
	size_t n = (3 << 20) + 12345;
	uint8_t *plain = tu_random(n), *ct, *out, hash[32];
	struct objkey k;
	size_t ctlen, outlen;

	/* Half random, half compressible. */
	memset(plain + n / 2, 'z', n - n / 2);
	objkey(&k, SETID, DATAKEY_OBJ_PART(7));
	ct = seal_obj(plain, n, &k, 1, 2, &ctlen, hash);
	ck_assert_int_eq(open_obj(ct, ctlen, &k, 1, 65536, hash, ctlen, &out,
	    &outlen), 0);
	ck_assert_uint_eq(outlen, n);
	ck_assert_mem_eq(out, plain, n);
	free(out);
	free(ct);
	free(plain);
}
END_TEST

/* Reading decompressed data in pieces much smaller than a zstd block. */
START_TEST(test_zstd_small_reads)
{
	static const size_t readsz[] = { 1, 100, 1000, 4096, 65536 };
	size_t n = 300000;
	uint8_t *plain = tu_random(n), *ct, *out, hash[32];
	struct objkey k;
	size_t ctlen, outlen;

	objkey(&k, SETID, DATAKEY_OBJ_PART(1));
	ct = seal_obj(plain, n, &k, 1, 0, &ctlen, hash);
	for (size_t i = 0; i < sizeof(readsz) / sizeof(readsz[0]); i++) {
		int rc = open_obj(ct, ctlen, &k, 1, readsz[i], NULL, 0, &out,
		    &outlen);

		ck_assert_msg(rc == 0, "reads of %zu: %d", readsz[i], rc);
		ck_assert_uint_eq(outlen, n);
		ck_assert_mem_eq(out, plain, n);
		free(out);
	}
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_wrong_key_or_ad)
{
	uint8_t *plain = tu_random(100000), *ct, hash[32];
	struct objkey k, bad;
	size_t ctlen;

	objkey(&k, SETID, DATAKEY_OBJ_PART(3));
	ct = seal_obj(plain, 100000, &k, 1, 0, &ctlen, hash);
	ck_assert_int_eq(open_quiet(ct, ctlen, &k, 1), 0);
	/* Another key (same set and index). */
	bad = k;
	bad.key[0] ^= 1;
	ck_assert_int_eq(open_quiet(ct, ctlen, &bad, 1), -BKP_ECORRUPT);
	/* Another set: its subkey and AD. */
	objkey(&bad, OTHERSET, DATAKEY_OBJ_PART(3));
	ck_assert_int_eq(open_quiet(ct, ctlen, &bad, 1), -BKP_ECORRUPT);
	/* Right key, AD of another set. */
	bad = k;
	datakey_ad(OTHERSET, DATAKEY_OBJ_PART(3), bad.ad);
	ck_assert_int_eq(open_quiet(ct, ctlen, &bad, 1), -BKP_ECORRUPT);
	/* Right key, AD of another index (a part moved to another name). */
	bad = k;
	datakey_ad(SETID, DATAKEY_OBJ_PART(4), bad.ad);
	ck_assert_int_eq(open_quiet(ct, ctlen, &bad, 1), -BKP_ECORRUPT);
	/* Another kind of object. */
	bad = k;
	bad.magic = "BKPMANI";
	ck_assert_int_eq(open_quiet(ct, ctlen, &bad, 1), -BKP_ECORRUPT);
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_flipped_bytes)
{
	size_t n = 3 * 65536 + 1000;
	uint8_t *plain = tu_random(n), *ct, hash[32];
	struct objkey k;
	size_t ctlen, last;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	ct = seal_obj(plain, n, &k, 0, 0, &ctlen, hash);
	last = HEAD_LEN + 3 * CCHUNK;
	ck_assert_uint_eq(ctlen, last + 1000 + ABYTES);
	/* Every byte of the header: magic and flags are damage, the version
	 * is "upgrade bkp", the secretstream header fails authentication. */
	for (size_t i = 0; i < HEAD_LEN; i++) {
		int want = i >= 8 && i < 12 ? -BKP_EREPO : -BKP_ECORRUPT;
		int rc;

		ct[i] ^= 0x10;
		rc = open_quiet(ct, ctlen, &k, 0);
		ck_assert_msg(rc == want, "flip at %zu: %d", i, rc);
		ct[i] ^= 0x10;
	}
	/* The first chunk, the chunk boundaries, the last chunk, and a byte
	 * every 4001 in between. */
	{
		size_t at[] = {
			HEAD_LEN, HEAD_LEN + 1, HEAD_LEN + 100,
			HEAD_LEN + CCHUNK - 1, HEAD_LEN + CCHUNK,
			HEAD_LEN + 2 * CCHUNK - 1, HEAD_LEN + 2 * CCHUNK,
			last - 1, last, last + 1, last + 500, ctlen - 2,
			ctlen - 1,
		};

		for (size_t j = 0; j < sizeof(at) / sizeof(at[0]); j++) {
			ct[at[j]] ^= 0x01;
			ck_assert_msg(open_quiet(ct, ctlen, &k, 0) ==
			    -BKP_ECORRUPT, "flip at %zu accepted", at[j]);
			ct[at[j]] ^= 0x01;
		}
		for (size_t i = HEAD_LEN; i < ctlen; i += 4001) {
			ct[i] ^= 0x80;
			ck_assert_msg(open_quiet(ct, ctlen, &k, 0) ==
			    -BKP_ECORRUPT, "flip at %zu accepted", i);
			ct[i] ^= 0x80;
		}
	}
	ck_assert_int_eq(open_quiet(ct, ctlen, &k, 0), 0);
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_flipped_bytes_zstd)
{
	size_t n = 200000;
	uint8_t *plain = tu_random(n), *ct, hash[32];
	struct objkey k;
	size_t ctlen;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	ct = seal_obj(plain, n, &k, 1, 0, &ctlen, hash);
	for (size_t i = 0; i < ctlen; i += 3001) {
		int rc;

		ct[i] ^= 0x02;
		rc = open_quiet(ct, ctlen, &k, 1);
		ck_assert_msg(rc == (i >= 8 && i < 12 ? -BKP_EREPO :
		    -BKP_ECORRUPT), "flip at %zu: %d", i, rc);
		ct[i] ^= 0x02;
	}
	ct[ctlen - 1] ^= 0x02;
	ck_assert_int_eq(open_quiet(ct, ctlen, &k, 1), -BKP_ECORRUPT);
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_truncated)
{
	static const size_t sz[] = { 0, 1000, 65537, 3 * 65536 };
	struct objkey k;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	for (size_t s = 0; s < sizeof(sz) / sizeof(sz[0]); s++) {
		size_t n = sz[s], ctlen, nchunks = chunks_of(n);
		uint8_t *plain = tu_random(n ? n : 1), *ct, hash[32], *out;
		size_t outlen;
		char *err;
		int rc;

		ct = seal_obj(plain, n, &k, 0, 0, &ctlen, hash);
		/* Without its final chunk, exactly at a chunk boundary. */
		if (nchunks > 1) {
			tu_capture_begin();
			rc = open_obj(ct, HEAD_LEN + (nchunks - 1) * CCHUNK,
			    &k, 0, 4096, NULL, 0, &out, &outlen);
			err = tu_capture_end();
			ck_assert_msg(rc == -BKP_ECORRUPT, "size %zu: %d", n,
			    rc);
			ck_assert_msg(strstr(err, "truncated") != NULL, "%s",
			    err);
			free(err);
			/* Nor a chunk less than that. */
			ck_assert_int_eq(open_quiet(ct, HEAD_LEN + (nchunks -
			    2) * CCHUNK, &k, 0), -BKP_ECORRUPT);
		}
		/* Only the header, and every length inside it. */
		for (size_t len = 0; len <= HEAD_LEN; len++)
			ck_assert_msg(open_quiet(ct, len, &k, 0) ==
			    -BKP_ECORRUPT, "size %zu cut to %zu accepted", n,
			    len);
		/* Cut anywhere else. */
		for (size_t len = HEAD_LEN + 1; len < ctlen; len += 1009)
			ck_assert_msg(open_quiet(ct, len, &k, 0) ==
			    -BKP_ECORRUPT, "size %zu cut to %zu accepted", n,
			    len);
		ck_assert_int_eq(open_quiet(ct, ctlen - 1, &k, 0),
		    -BKP_ECORRUPT);
		ck_assert_int_eq(open_quiet(ct, ctlen, &k, 0), 0);
		free(ct);
		free(plain);
	}
}
END_TEST

START_TEST(test_reordered_chunks)
{
	size_t n = 3 * 65536 + 10;
	uint8_t *plain = tu_random(n), *ct, *sw, hash[32];
	struct objkey k;
	size_t ctlen;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	ct = seal_obj(plain, n, &k, 0, 0, &ctlen, hash);
	/* Chunks 1 and 2 swapped. */
	sw = tu_dup(ct, ctlen);
	memcpy(sw + HEAD_LEN, ct + HEAD_LEN + CCHUNK, CCHUNK);
	memcpy(sw + HEAD_LEN + CCHUNK, ct + HEAD_LEN, CCHUNK);
	ck_assert_int_eq(open_quiet(sw, ctlen, &k, 0), -BKP_ECORRUPT);
	/* The second chunk dropped. */
	memcpy(sw, ct, HEAD_LEN + CCHUNK);
	memcpy(sw + HEAD_LEN + CCHUNK, ct + HEAD_LEN + 2 * CCHUNK,
	    ctlen - HEAD_LEN - 2 * CCHUNK);
	ck_assert_int_eq(open_quiet(sw, ctlen - CCHUNK, &k, 0),
	    -BKP_ECORRUPT);
	free(sw);
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_appended)
{
	static const size_t sz[] = { 0, 65535, 65536, 65537 };
	struct objkey k;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	for (size_t s = 0; s < sizeof(sz) / sizeof(sz[0]); s++) {
		size_t n = sz[s], ctlen;
		uint8_t *plain = tu_random(n ? n : 1), *ct, *big, hash[32];
		uint8_t *out;
		size_t outlen;
		char *err;
		int rc;

		ct = seal_obj(plain, n, &k, 0, 0, &ctlen, hash);
		big = malloc(ctlen + CCHUNK);
		ck_assert_ptr_nonnull(big);
		memcpy(big, ct, ctlen);
		/* One byte. */
		big[ctlen] = 0;
		tu_capture_begin();
		rc = open_obj(big, ctlen + 1, &k, 0, 4096, NULL, 0, &out,
		    &outlen);
		err = tu_capture_end();
		ck_assert_msg(rc == -BKP_ECORRUPT, "size %zu: %d", n, rc);
		free(err);
		/* A lot of garbage. */
		randombytes_buf(big + ctlen, CCHUNK);
		ck_assert_int_eq(open_quiet(big, ctlen + CCHUNK, &k, 0),
		    -BKP_ECORRUPT);
		/* The final chunk again. */
		memcpy(big + ctlen, ct + HEAD_LEN + (chunks_of(n) - 1) *
		    CCHUNK, ctlen - HEAD_LEN - (chunks_of(n) - 1) * CCHUNK);
		ck_assert_int_eq(open_quiet(big, 2 * ctlen - HEAD_LEN -
		    (chunks_of(n) - 1) * CCHUNK, &k, 0), -BKP_ECORRUPT);
		free(big);
		free(ct);
		free(plain);
	}
}
END_TEST

START_TEST(test_header_fields)
{
	uint8_t *plain = tu_random(1000), *ct, hash[32], *out;
	struct objkey k;
	size_t ctlen, outlen;
	char *err;
	int rc;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	ct = seal_obj(plain, 1000, &k, 1, 0, &ctlen, hash);
	/* Bad magic. */
	ct[0] = 'X';
	tu_capture_begin();
	rc = open_obj(ct, ctlen, &k, 1, 4096, NULL, 0, &out, &outlen);
	err = tu_capture_end();
	ck_assert_int_eq(rc, -BKP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err, "magic"));
	free(err);
	ct[0] = 'B';
	/* Version 2. */
	put_le32(ct + 8, 2);
	tu_capture_begin();
	rc = open_obj(ct, ctlen, &k, 1, 4096, NULL, 0, &out, &outlen);
	err = tu_capture_end();
	ck_assert_int_eq(rc, -BKP_EREPO);
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	free(err);
	put_le32(ct + 8, 0);
	ck_assert_int_eq(open_quiet(ct, ctlen, &k, 1), -BKP_EREPO);
	put_le32(ct + 8, STREAM_VERSION);
	/* Unknown flags. */
	put_le32(ct + 12, 1);
	ck_assert_int_eq(open_quiet(ct, ctlen, &k, 1), -BKP_ECORRUPT);
	put_le32(ct + 12, 0);
	ck_assert_int_eq(open_quiet(ct, ctlen, &k, 1), 0);
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_hash_expect)
{
	size_t n = 150000;
	uint8_t *plain = tu_random(n), *ct, hash[32], bad[32], *out;
	struct objkey k;
	size_t ctlen, outlen;
	char *err;
	int rc;

	objkey(&k, SETID, DATAKEY_OBJ_PART(0));
	ct = seal_obj(plain, n, &k, 1, 0, &ctlen, hash);
	ck_assert_int_eq(open_obj(ct, ctlen, &k, 1, 65536, hash, ctlen, &out,
	    &outlen), 0);
	free(out);

	memcpy(bad, hash, 32);
	bad[31] ^= 1;
	tu_capture_begin();
	rc = open_obj(ct, ctlen, &k, 1, 65536, bad, ctlen, &out, &outlen);
	err = tu_capture_end();
	ck_assert_int_eq(rc, -BKP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err, "hash differs"));
	free(err);

	tu_capture_begin();
	rc = open_obj(ct, ctlen, &k, 1, 65536, hash, ctlen + 1, &out, &outlen);
	err = tu_capture_end();
	ck_assert_int_eq(rc, -BKP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err, "shorter"));
	free(err);

	tu_capture_begin();
	rc = open_obj(ct, ctlen, &k, 1, 65536, hash, ctlen - 1, &out, &outlen);
	err = tu_capture_end();
	ck_assert_int_eq(rc, -BKP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err, "larger"));
	free(err);

	tu_quiet_begin();
	ck_assert_int_eq(open_obj(ct, ctlen, &k, 1, 65536, hash, 0, &out,
	    &outlen), -BKP_ECORRUPT);
	tu_quiet_end();
	free(ct);
	free(plain);
}
END_TEST

START_TEST(test_hash_filters_plain)
{
	/* The hash filters alone, over memory. */
	uint8_t *data = tu_random(100001), want[32], got[32], buf[777];
	struct ostream *mem = ostream_memory_new(), *h;
	struct istream *is;
	uint64_t bytes;
	size_t len, n;
	uint8_t *out;

	crypto_generichash(want, 32, data, 100001, NULL, 0);
	h = ostream_hash_new(mem);
	ck_assert_int_eq(ostream_write(h, data, 100000), 0);
	ck_assert_uint_eq(ostream_hash_bytes(h), 100000);
	ck_assert_int_eq(ostream_write(h, data + 100000, 1), 0);
	ck_assert_int_eq(ostream_close(h), 0);
	ostream_hash_result(h, got, &bytes);
	ck_assert_uint_eq(bytes, 100001);
	ck_assert_mem_eq(got, want, 32);
	out = ostream_memory_take(mem, &len);
	ck_assert_uint_eq(len, 100001);
	ck_assert_mem_eq(out, data, len);
	free(out);
	ostream_free(h);

	is = istream_hash_new(istream_memory_new(data, 100001));
	ck_assert_ptr_nonnull(is);
	do
		ck_assert_int_eq(istream_read(is, buf, sizeof(buf), &n), 0);
	while (n > 0);
	istream_hash_result(is, got, &bytes);
	ck_assert_uint_eq(bytes, 100001);
	ck_assert_mem_eq(got, want, 32);
	istream_free(is);

	/* read_full: exact, then short. */
	is = istream_memory_new(data, 10);
	ck_assert_int_eq(istream_read_full(is, buf, 6), 0);
	ck_assert_mem_eq(buf, data, 6);
	ck_assert_int_eq(istream_read_full(is, buf, 5), -BKP_ECORRUPT);
	istream_free(is);
	free(data);
}
END_TEST

START_TEST(test_zstd_damage)
{
	uint8_t *plain = tu_random(200000), *z, buf[4096];
	struct ostream *mem = ostream_memory_new(), *os;
	struct istream *is;
	size_t zlen, got;
	int rc;

	/* Compressed alone, then read back whole, truncated, or damaged. */
	os = ostream_zstd_new(mem, 3, 0);
	ck_assert_ptr_nonnull(os);
	ck_assert_int_eq(ostream_write(os, plain, 200000), 0);
	ck_assert_int_eq(ostream_close(os), 0);
	z = ostream_memory_take(mem, &zlen);
	ostream_free(os);
	ck_assert_uint_gt(zlen, 1000);

	for (int mode = 0; mode < 4; mode++) {
		size_t len = mode == 1 ? zlen / 2 : mode == 2 ? zlen - 1 : zlen;
		size_t total = 0;

		if (mode == 3)
			z[3] ^= 0xff;	/* the frame magic */
		is = istream_zstd_new(istream_memory_new(z, len));
		tu_quiet_begin();
		while ((rc = istream_read(is, buf, sizeof(buf), &got)) == 0 &&
		    got > 0)
			total += got;
		tu_quiet_end();
		istream_free(is);
		if (mode == 0) {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(total, 200000);
		} else {
			ck_assert_msg(rc == -BKP_ECORRUPT, "mode %d: %d", mode,
			    rc);
		}
	}
	free(z);
	free(plain);
}
END_TEST

/* Worker-thread filters. */

static const struct {
	size_t bufsize, nbufs, n;
} thread_cfg[] = {
	{ 1, 1, 3000 },
	{ 7, 2, 30000 },
	{ 4096, 2, 300000 },
	{ 65536, 4, 1 << 20 },
	{ 1 << 20, 3, 3 << 20 },
	{ 1000, 8, 0 },
};
#define NTHREAD_CFG (int)(sizeof(thread_cfg) / sizeof(thread_cfg[0]))

START_TEST(test_thread_write)
{
	size_t bufsize = thread_cfg[_i].bufsize, n = thread_cfg[_i].n;
	uint8_t *data = tu_random(n ? n : 1), *out, want[32], got[32];
	struct ostream *mem = ostream_memory_new(), *h, *os;
	size_t off = 0, step = 1, len;
	uint64_t bytes;

	h = ostream_hash_new(mem);
	os = ostream_thread_new(h, bufsize, thread_cfg[_i].nbufs);
	ck_assert_ptr_nonnull(os);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		ck_assert_int_eq(ostream_write(os, data + off, k), 0);
		off += k;
		step = step * 2 + 3;
		if (step > 3 * bufsize + 100000)
			step = 1;
	}
	ck_assert_int_eq(ostream_close(os), 0);
	out = ostream_memory_take(mem, &len);
	ck_assert_uint_eq(len, n);
	ck_assert(n == 0 || memcmp(out, data, n) == 0);
	crypto_generichash(want, 32, data, n, NULL, 0);
	ostream_hash_result(h, got, &bytes);
	ck_assert_uint_eq(bytes, n);
	ck_assert_mem_eq(got, want, 32);
	ostream_free(os);
	free(out);
	free(data);
}
END_TEST

START_TEST(test_thread_read)
{
	size_t bufsize = thread_cfg[_i].bufsize, n = thread_cfg[_i].n;
	uint8_t *data = tu_random(n ? n : 1), *buf = malloc(200000);
	struct istream *is;
	size_t off = 0, step = 1, got;

	ck_assert_ptr_nonnull(buf);
	is = istream_thread_new(istream_memory_new(data, n), bufsize,
	    thread_cfg[_i].nbufs);
	ck_assert_ptr_nonnull(is);
	for (;;) {
		ck_assert_int_eq(istream_read(is, buf, step, &got), 0);
		if (got == 0)
			break;
		ck_assert_uint_le(got, step);
		ck_assert_uint_le(off + got, n);
		ck_assert_mem_eq(buf, data + off, got);
		off += got;
		step = step * 2 + 1;
		if (step > 200000)
			step = 1;
	}
	ck_assert_uint_eq(off, n);
	/* The end stays the end. */
	ck_assert_int_eq(istream_read(is, buf, 10, &got), 0);
	ck_assert_uint_eq(got, 0);
	istream_free(is);
	free(buf);
	free(data);
}
END_TEST

START_TEST(test_thread_in_object_stack)
{
	/* zstd -> thread -> encrypt -> hash -> memory, and back with the
	 * reading thread above decryption and decompression. */
	size_t n = (2 << 20) + 777;
	uint8_t *plain = tu_random(n), *ct, *back = malloc(n), hash[32];
	struct ostream *mem = ostream_memory_new(), *h, *os;
	struct istream *is;
	struct objkey k;
	size_t ctlen, got;

	ck_assert_ptr_nonnull(back);
	memset(plain, 'a', n / 3);
	objkey(&k, SETID, DATAKEY_OBJ_PART(2));
	h = ostream_hash_new(mem);
	os = ostream_zstd_new(ostream_thread_new(ostream_encrypt_new(h,
	    k.magic, k.key, k.ad, sizeof(k.ad)), 65536, 4), 3, 0);
	ck_assert_ptr_nonnull(os);
	ck_assert_int_eq(ostream_write(os, plain, n), 0);
	ck_assert_int_eq(ostream_close(os), 0);
	ct = ostream_memory_take(mem, &ctlen);
	ostream_hash_result(h, hash, NULL);
	ostream_free(os);

	is = istream_thread_new(istream_zstd_new(istream_decrypt_new(
	    istream_hash_expect_new(istream_memory_new(ct, ctlen), hash,
	    ctlen, "obj"), k.magic, k.key, k.ad, sizeof(k.ad), "obj")),
	    65536, 4);
	ck_assert_ptr_nonnull(is);
	ck_assert_int_eq(istream_read_full(is, back, n), 0);
	ck_assert_mem_eq(back, plain, n);
	ck_assert_int_eq(istream_read(is, back, 1, &got), 0);
	ck_assert_uint_eq(got, 0);
	istream_free(is);

	/* Damage below the reading thread comes out of it. */
	ct[ctlen / 2] ^= 1;
	is = istream_thread_new(istream_zstd_new(istream_decrypt_new(
	    istream_memory_new(ct, ctlen), k.magic, k.key, k.ad,
	    sizeof(k.ad), "obj")), 65536, 4);
	tu_quiet_begin();
	ck_assert_int_eq(istream_read_full(is, back, n), -BKP_ECORRUPT);
	tu_quiet_end();
	istream_free(is);
	free(ct);
	free(back);
	free(plain);
}
END_TEST

/* A sink that accepts so many bytes, then fails every write. */
struct failsink {
	size_t accept, got;
	int failed, calls_after;
};

static int
failsink_write(struct ostream *os, const void *buf, size_t n)
{
	struct failsink *f = os->state;

	(void)buf;
	if (f->failed) {
		f->calls_after++;
		return -BKP_EIO;
	}
	if (f->got + n > f->accept) {
		f->failed = 1;
		return -BKP_EIO;
	}
	f->got += n;
	return 0;
}

static void
failsink_free(struct ostream *os)
{
	(void)os;
}

static const struct ostream_ops failsink_ops = {
	.write = failsink_write, .free = failsink_free,
};

START_TEST(test_thread_write_error)
{
	struct failsink f = { 100000, 0, 0, 0 };
	struct ostream *os;
	uint8_t *data = tu_random(1 << 20);
	int rc = 0;

	os = ostream_thread_new(ostream_alloc(&failsink_ops, NULL, &f), 4096,
	    2);
	ck_assert_ptr_nonnull(os);
	/* The error shows up in a later write, and again at close (or at
	 * close only). */
	for (size_t off = 0; off < (1 << 20) && rc == 0; off += 1000)
		rc = ostream_write(os, data + off, 1000);
	ck_assert_int_eq(rc, -BKP_EIO);
	ck_assert_int_eq(ostream_close(os), -BKP_EIO);
	ck_assert(f.failed);
	/* Nothing more was written below after the failure. */
	ck_assert_int_eq(f.calls_after, 0);
	ostream_free(os);

	/* Failing at close only (less than one buffer written). */
	memset(&f, 0, sizeof(f));
	f.accept = 10;
	os = ostream_thread_new(ostream_alloc(&failsink_ops, NULL, &f), 4096,
	    2);
	ck_assert_int_eq(ostream_write(os, data, 100), 0);
	ck_assert_int_eq(ostream_close(os), -BKP_EIO);
	ostream_free(os);
	free(data);
}
END_TEST

/* A source that gives its bytes in pieces, then fails (no end). */
struct failsrc {
	const uint8_t *p;
	size_t left;
};

static int
failsrc_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	struct failsrc *s = is->state;

	*got = 0;
	if (s->left == 0)
		return -BKP_ECORRUPT;
	*got = n < s->left ? n : s->left;
	if (*got > 999)
		*got = 999;
	memcpy(buf, s->p, *got);
	s->p += *got;
	s->left -= *got;
	return 0;
}

static void
failsrc_free(struct istream *is)
{
	(void)is;
}

static const struct istream_ops failsrc_ops = {
	.read = failsrc_read, .free = failsrc_free,
};

START_TEST(test_thread_read_error)
{
	uint8_t *data = tu_random(10000), buf[3000];
	struct failsrc s = { data, 10000 };
	struct istream *is;
	size_t off = 0, got;
	int rc;

	is = istream_thread_new(istream_alloc(&failsrc_ops, NULL, &s), 4096,
	    2);
	ck_assert_ptr_nonnull(is);
	/* What comes out is a prefix, then the error: never a clean end. */
	while ((rc = istream_read(is, buf, sizeof(buf), &got)) == 0) {
		ck_assert_msg(got > 0, "clean end after %zu bytes", off);
		ck_assert_uint_le(off + got, 10000);
		ck_assert_mem_eq(buf, data + off, got);
		off += got;
	}
	ck_assert_int_eq(rc, -BKP_ECORRUPT);
	istream_free(is);
	free(data);
}
END_TEST

START_TEST(test_thread_early_free)
{
	size_t n = 8 << 20;
	uint8_t *data = tu_random(n), buf[100];
	struct ostream *mem, *os;
	struct istream *is;
	size_t got;

	/* A reader freed after a few bytes stops its worker. */
	is = istream_thread_new(istream_memory_new(data, n), 4096, 2);
	ck_assert_int_eq(istream_read(is, buf, sizeof(buf), &got), 0);
	ck_assert_uint_gt(got, 0);
	istream_free(is);
	/* A writer freed without close. */
	mem = ostream_memory_new();
	os = ostream_thread_new(mem, 4096, 2);
	ck_assert_int_eq(ostream_write(os, data, 1 << 20), 0);
	ostream_free(os);
	free(data);
}
END_TEST

static Suite *
stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *rt = tcase_create("roundtrip");
	TCase *neg = tcase_create("damage");
	TCase *hash = tcase_create("hash");
	TCase *thr = tcase_create("thread");

	tcase_add_unchecked_fixture(rt, setup, NULL);
	tcase_set_timeout(rt, 60);
	tcase_add_loop_test(rt, test_roundtrip_encrypt_zstd, 0, NSIZES);
	tcase_add_loop_test(rt, test_roundtrip_encrypt_only, 0, NSIZES);
	tcase_add_test(rt, test_roundtrip_zstd_threads);
	tcase_add_test(rt, test_zstd_small_reads);
	suite_add_tcase(s, rt);

	tcase_add_unchecked_fixture(neg, setup, NULL);
	tcase_set_timeout(neg, 60);
	tcase_add_test(neg, test_wrong_key_or_ad);
	tcase_add_test(neg, test_flipped_bytes);
	tcase_add_test(neg, test_flipped_bytes_zstd);
	tcase_add_test(neg, test_truncated);
	tcase_add_test(neg, test_reordered_chunks);
	tcase_add_test(neg, test_appended);
	tcase_add_test(neg, test_header_fields);
	tcase_add_test(neg, test_zstd_damage);
	suite_add_tcase(s, neg);

	tcase_add_unchecked_fixture(thr, setup, NULL);
	tcase_set_timeout(thr, 60);
	tcase_add_loop_test(thr, test_thread_write, 0, NTHREAD_CFG);
	tcase_add_loop_test(thr, test_thread_read, 0, NTHREAD_CFG);
	tcase_add_test(thr, test_thread_in_object_stack);
	tcase_add_test(thr, test_thread_write_error);
	tcase_add_test(thr, test_thread_read_error);
	tcase_add_test(thr, test_thread_early_free);
	suite_add_tcase(s, thr);

	tcase_add_unchecked_fixture(hash, setup, NULL);
	tcase_add_test(hash, test_hash_expect);
	tcase_add_test(hash, test_hash_filters_plain);
	suite_add_tcase(s, hash);
	return s;
}

int
main(void)
{
	return tu_main(stream_suite());
}
