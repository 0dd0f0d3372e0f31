/* check_seal.c: the signed commit record of a set. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "seal.h"
#include "testutil.h"

#define SETID "20261121T205810Z-1a2b3c4d"
#define PARENT "20261120T000001Z-deadbeef"
#define SIG_LEN crypto_sign_BYTES

static struct bkp_signkey key_a, key_b;
static uint8_t trust_a[1][32], trust_b[1][32];

static void
keys_setup(void)
{
	crypto_sign_keypair(key_a.pk, key_a.sk);
	crypto_sign_keypair(key_b.pk, key_b.sk);
	memcpy(trust_a[0], key_a.pk, 32);
	memcpy(trust_b[0], key_b.pk, 32);
}

/* The policy and host strings are not owned (seal_release is not called
 * on these). */
static void
make_seal(struct seal *s, int incremental, uint32_t nparts)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->setid, SETID);
	strcpy(s->parent, incremental ? PARENT : "");
	s->level = incremental ? LEVEL_INCR : LEVEL_FULL;
	s->time_ns = 1795294690123456789LL;
	s->end_ns = 1795294790987654321LL;
	s->policy = (char *)"home";
	s->host = (char *)"host.example.org";
	s->nfiles = 123456;
	s->bytes = 9876543210ull;
	s->stored = 1234567890ull;
	s->warnings = 3;
	s->key.size = 92;
	randombytes_buf(s->key.hash, 32);
	s->manifest.size = 4567;
	randombytes_buf(s->manifest.hash, 32);
	s->nparts = nparts;
	s->parts = nparts ? calloc(nparts, sizeof(*s->parts)) : NULL;
	for (uint32_t i = 0; i < nparts; i++) {
		s->parts[i].size = (64u << 20) + i;
		randombytes_buf(s->parts[i].hash, 32);
	}
}

static void
free_seal(struct seal *s)
{
	free(s->parts);
	s->parts = NULL;
}

static void
encode(const struct seal *s, const struct bkp_signkey *k, struct wbuf *w)
{
	wbuf_init(w);
	ck_assert_int_eq(seal_encode(s, k, w), 0);
}

/* Signs p[0..n-64) again with k (the signer field is left as it is). */
static void
resign(uint8_t *p, size_t n, const struct bkp_signkey *k)
{
	crypto_sign_detached(p + n - SIG_LEN, NULL, p, n - SIG_LEN, k->sk);
}

static int
decode_quiet(const uint8_t *p, size_t n, const uint8_t (*trusted)[32],
    size_t ntrusted, struct seal *d)
{
	int rc;

	tu_quiet_begin();
	rc = seal_decode(p, n, trusted, ntrusted, d, "seal");
	tu_quiet_end();
	return rc;
}

static void
assert_seals_equal(const struct seal *a, const struct seal *b)
{
	ck_assert_str_eq(a->setid, b->setid);
	ck_assert_str_eq(a->parent, b->parent);
	ck_assert_uint_eq(a->level, b->level);
	ck_assert_int_eq(a->time_ns, b->time_ns);
	ck_assert_int_eq(a->end_ns, b->end_ns);
	ck_assert_str_eq(a->policy, b->policy);
	ck_assert_str_eq(a->host, b->host);
	ck_assert_uint_eq(a->nfiles, b->nfiles);
	ck_assert_uint_eq(a->bytes, b->bytes);
	ck_assert_uint_eq(a->stored, b->stored);
	ck_assert_uint_eq(a->warnings, b->warnings);
	ck_assert_uint_eq(a->key.size, b->key.size);
	ck_assert_mem_eq(a->key.hash, b->key.hash, 32);
	ck_assert_uint_eq(a->manifest.size, b->manifest.size);
	ck_assert_mem_eq(a->manifest.hash, b->manifest.hash, 32);
	ck_assert_uint_eq(a->nparts, b->nparts);
	for (uint32_t i = 0; i < a->nparts; i++) {
		ck_assert_uint_eq(a->parts[i].size, b->parts[i].size);
		ck_assert_mem_eq(a->parts[i].hash, b->parts[i].hash, 32);
	}
}

START_TEST(test_roundtrip)
{
	static const uint32_t nparts[] = { 0, 1, 5, 300 };

	for (int incr = 0; incr < 2; incr++) {
		for (size_t k = 0; k < sizeof(nparts) / sizeof(nparts[0]);
		    k++) {
			struct seal s, d;
			struct wbuf w;

			make_seal(&s, incr, nparts[k]);
			encode(&s, &key_a, &w);
			ck_assert_mem_eq(w.data, "BKPSEAL\0", 8);
			ck_assert_uint_eq(get_le32(w.data + 8), 1);
			ck_assert_mem_eq(w.data + w.len - SIG_LEN - 32,
			    key_a.pk, 32);
			memset(&d, 0x5a, sizeof(d));
			ck_assert_int_eq(seal_decode(w.data, w.len,
			    (const uint8_t (*)[32])trust_a, 1, &d, "seal"), 0);
			assert_seals_equal(&s, &d);
			ck_assert_mem_eq(d.signer, key_a.pk, 32);
			seal_release(&d);
			ck_assert_ptr_null(d.parts);
			free_seal(&s);
			wbuf_release(&w);
		}
	}
}
END_TEST

START_TEST(test_trusted_among_several)
{
	uint8_t trusted[3][32];
	struct seal s, d;
	struct wbuf w;

	randombytes_buf(trusted[0], 32);
	memcpy(trusted[1], key_b.pk, 32);
	memcpy(trusted[2], key_a.pk, 32);
	make_seal(&s, 1, 2);
	encode(&s, &key_a, &w);
	ck_assert_int_eq(seal_decode(w.data, w.len,
	    (const uint8_t (*)[32])trusted, 3, &d, "seal"), 0);
	ck_assert_mem_eq(d.signer, key_a.pk, 32);
	seal_release(&d);
	/* The same list without the signer. */
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trusted, 2, &d), -BKP_ECORRUPT);
	free_seal(&s);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_untrusted_signer)
{
	struct seal s, d;
	struct wbuf w;
	char *err;

	make_seal(&s, 0, 1);
	encode(&s, &key_a, &w);
	tu_capture_begin();
	ck_assert_int_eq(seal_decode(w.data, w.len,
	    (const uint8_t (*)[32])trust_b, 1, &d, "seal"), -BKP_ECORRUPT);
	err = tu_capture_end();
	/* Refused for the signer, before the signature is checked. */
	ck_assert_ptr_nonnull(strstr(err, "not trusted"));
	ck_assert_ptr_null(d.parts);
	ck_assert_ptr_null(d.policy);
	free(err);
	ck_assert_int_eq(decode_quiet(w.data, w.len, NULL, 0, &d),
	    -BKP_ECORRUPT);
	free_seal(&s);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_every_byte_flipped)
{
	struct seal s, d;
	struct wbuf w;

	make_seal(&s, 1, 3);
	encode(&s, &key_a, &w);
	for (size_t i = 0; i < w.len; i++) {
		int want = i >= 8 && i < 12 ? -BKP_EREPO : -BKP_ECORRUPT;
		int rc;

		w.data[i] ^= 0x01;
		rc = decode_quiet(w.data, w.len,
		    (const uint8_t (*)[32])trust_a, 1, &d);
		ck_assert_msg(rc == want, "flip at %zu of %zu: %d", i, w.len,
		    rc);
		ck_assert_ptr_null(d.parts);
		w.data[i] ^= 0x01;
	}
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), 0);
	seal_release(&d);
	free_seal(&s);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_truncated_or_extended)
{
	struct seal s, d;
	struct wbuf w;

	make_seal(&s, 1, 3);
	encode(&s, &key_a, &w);
	for (size_t n = 0; n < w.len; n++) {
		ck_assert_msg(decode_quiet(w.data, n,
		    (const uint8_t (*)[32])trust_a, 1, &d) == -BKP_ECORRUPT,
		    "truncated to %zu accepted", n);
		ck_assert_ptr_null(d.parts);
	}
	wbuf_u8(&w, 0);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	free_seal(&s);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_forged)
{
	struct seal s, d;
	struct wbuf wa, wb;
	uint8_t *p;

	/* A modified seal signed by another key: refused when only the
	 * first is trusted, accepted when the other is. */
	make_seal(&s, 1, 2);
	encode(&s, &key_a, &wa);
	s.nfiles++;
	s.parts[1].hash[0] ^= 1;
	encode(&s, &key_b, &wb);
	ck_assert_int_eq(decode_quiet(wb.data, wb.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	ck_assert_int_eq(decode_quiet(wb.data, wb.len,
	    (const uint8_t (*)[32])trust_b, 1, &d), 0);
	seal_release(&d);

	/* Signed by B but naming A as the signer. */
	p = tu_dup(wb.data, wb.len);
	memcpy(p + wb.len - SIG_LEN - 32, key_a.pk, 32);
	ck_assert_int_eq(decode_quiet(p, wb.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	/* Re-signed by B after naming A. */
	resign(p, wb.len, &key_b);
	ck_assert_int_eq(decode_quiet(p, wb.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	free(p);

	/* A's signature moved onto B's modified body. */
	ck_assert_uint_eq(wa.len, wb.len);
	p = tu_dup(wb.data, wb.len);
	memcpy(p + wb.len - SIG_LEN - 32, wa.data + wa.len - SIG_LEN - 32,
	    32 + SIG_LEN);
	ck_assert_int_eq(decode_quiet(p, wb.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	free(p);
	ck_assert_ptr_null(d.parts);

	free_seal(&s);
	wbuf_release(&wa);
	wbuf_release(&wb);
}
END_TEST

START_TEST(test_unknown_version)
{
	struct seal s, d;
	struct wbuf w;
	char *err;

	make_seal(&s, 0, 1);
	encode(&s, &key_a, &w);
	/* Validly signed version 2: "upgrade", not "forged". */
	put_le32(w.data + 8, 2);
	resign(w.data, w.len, &key_a);
	tu_capture_begin();
	ck_assert_int_eq(seal_decode(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d, "seal"), -BKP_EREPO);
	err = tu_capture_end();
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	free(err);
	/* The version is looked at before the signer and the signature. */
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_b, 1, &d), -BKP_EREPO);
	w.data[w.len - 1] ^= 0x80;
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_EREPO);
	ck_assert_ptr_null(d.parts);
	free_seal(&s);
	wbuf_release(&w);
}
END_TEST

/* Signed by a trusted key but malformed inside. */
START_TEST(test_signed_but_malformed)
{
	struct seal s, d;
	struct wbuf w;
	size_t nparts_off;
	char *longname;

	make_seal(&s, 1, 2);
	s.level = 3;
	encode(&s, &key_a, &w);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	wbuf_release(&w);
	s.level = 0;
	encode(&s, &key_a, &w);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	wbuf_release(&w);
	s.level = LEVEL_INCR;

	/* Set ids. */
	strcpy(s.setid, "20261121T205810Z-1A2B3C4D");
	encode(&s, &key_a, &w);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	wbuf_release(&w);
	strcpy(s.setid, SETID);
	strcpy(s.parent, "../");
	encode(&s, &key_a, &w);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	wbuf_release(&w);
	strcpy(s.parent, PARENT);

	/* A policy name over the limit (and at it, the control). */
	longname = malloc(SEAL_MAX_NAME + 2);
	ck_assert_ptr_nonnull(longname);
	memset(longname, 'p', SEAL_MAX_NAME + 1);
	longname[SEAL_MAX_NAME + 1] = '\0';
	s.policy = longname;
	encode(&s, &key_a, &w);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	wbuf_release(&w);
	longname[SEAL_MAX_NAME] = '\0';
	encode(&s, &key_a, &w);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), 0);
	seal_release(&d);
	wbuf_release(&w);
	s.policy = (char *)"home";
	free(longname);

	/* Part counts that do not match the bytes, validly signed. */
	encode(&s, &key_a, &w);
	nparts_off = w.len - SIG_LEN - 32 - 40 * 2 - 4;
	ck_assert_uint_eq(get_le32(w.data + nparts_off), 2);
	put_le32(w.data + nparts_off, 3);
	resign(w.data, w.len, &key_a);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	put_le32(w.data + nparts_off, 1);
	resign(w.data, w.len, &key_a);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	put_le32(w.data + nparts_off, UINT32_MAX);
	resign(w.data, w.len, &key_a);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), -BKP_ECORRUPT);
	put_le32(w.data + nparts_off, 2);
	resign(w.data, w.len, &key_a);
	ck_assert_int_eq(decode_quiet(w.data, w.len,
	    (const uint8_t (*)[32])trust_a, 1, &d), 0);
	seal_release(&d);
	wbuf_release(&w);
	free_seal(&s);
}
END_TEST

static Suite *
seal_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");

	tcase_add_unchecked_fixture(tc, keys_setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_trusted_among_several);
	tcase_add_test(tc, test_untrusted_signer);
	tcase_add_test(tc, test_every_byte_flipped);
	tcase_add_test(tc, test_truncated_or_extended);
	tcase_add_test(tc, test_forged);
	tcase_add_test(tc, test_unknown_version);
	tcase_add_test(tc, test_signed_but_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(seal_suite());
}
