/* check_datakey.c: a set's data key, its sealed object, subkeys, AD. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "datakey.h"
#include "error.h"
#include "keys.h"
#include "testutil.h"

#define SETID "20261121T205810Z-1a2b3c4d"
#define OBJ_LEN (8 + 4 + 32 + 32 + crypto_box_SEALBYTES)

static struct bkp_seckey *sec_a, *sec_b;
static struct bkp_signkey *sig_a, *sig_b;

static void
setup(void)
{
	ck_assert_int_eq(keys_generate(&sec_a, &sig_a), 0);
	ck_assert_int_eq(keys_generate(&sec_b, &sig_b), 0);
}

static void
teardown(void)
{
	seckey_free(sec_a);
	seckey_free(sec_b);
	signkey_free(sig_a);
	signkey_free(sig_b);
}

static int
open_quiet(const uint8_t *p, size_t n, const struct bkp_seckey *sec,
    uint8_t **key)
{
	int rc;

	tu_quiet_begin();
	rc = datakey_open(p, n, sec, key, "key");
	tu_quiet_end();
	return rc;
}

START_TEST(test_new_keys_differ)
{
	uint8_t *a = datakey_new(), *b = datakey_new();
	static const uint8_t zero[32];

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_mem_ne(a, b, 32);
	ck_assert_mem_ne(a, zero, 32);
	datakey_free(a);
	datakey_free(b);
	datakey_free(NULL);
}
END_TEST

START_TEST(test_seal_open)
{
	uint8_t *key = datakey_new(), *got = NULL;
	struct wbuf w, w2;

	wbuf_init(&w);
	ck_assert_int_eq(datakey_seal(key, sec_a->box_pk, &w), 0);
	ck_assert_uint_eq(w.len, OBJ_LEN);
	ck_assert_mem_eq(w.data, "BKPDKEY\0", 8);
	ck_assert_uint_eq(get_le32(w.data + 8), 1);
	ck_assert_mem_eq(w.data + 12, sec_a->box_pk, 32);
	ck_assert_ptr_null(memmem(w.data, w.len, key, 32));
	ck_assert_int_eq(datakey_open(w.data, w.len, sec_a, &got, "key"), 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_mem_eq(got, key, 32);
	datakey_free(got);
	/* Sealing is randomised: the same key seals differently. */
	wbuf_init(&w2);
	ck_assert_int_eq(datakey_seal(key, sec_a->box_pk, &w2), 0);
	ck_assert_mem_ne(w.data + 44, w2.data + 44, OBJ_LEN - 44);
	wbuf_release(&w2);
	wbuf_release(&w);
	datakey_free(key);
}
END_TEST

START_TEST(test_open_other_key)
{
	uint8_t *key = datakey_new(), *got = NULL;
	struct bkp_seckey *mixed;
	struct wbuf w;
	char *err;

	wbuf_init(&w);
	ck_assert_int_eq(datakey_seal(key, sec_a->box_pk, &w), 0);
	tu_capture_begin();
	ck_assert_int_eq(datakey_open(w.data, w.len, sec_b, &got, "key"),
	    -BKP_EKEY);
	err = tu_capture_end();
	ck_assert_ptr_null(got);
	ck_assert_ptr_nonnull(strstr(err, "sealed to key"));
	free(err);

	/* The right public key with the wrong secret half: does not open. */
	mixed = malloc(sizeof(*mixed));
	ck_assert_ptr_nonnull(mixed);
	memcpy(mixed, sec_a, sizeof(*mixed));
	memcpy(mixed->box_sk, sec_b->box_sk, 32);
	ck_assert_int_eq(open_quiet(w.data, w.len, mixed, &got),
	    -BKP_ECORRUPT);
	ck_assert_ptr_null(got);
	sodium_memzero(mixed, sizeof(*mixed));
	free(mixed);
	wbuf_release(&w);
	datakey_free(key);
}
END_TEST

START_TEST(test_every_byte_flipped)
{
	uint8_t *key = datakey_new(), *got = NULL;
	struct wbuf w;

	wbuf_init(&w);
	ck_assert_int_eq(datakey_seal(key, sec_a->box_pk, &w), 0);
	for (size_t i = 0; i < w.len; i++) {
		/* The recipient field names another key; anything else is
		 * damage. */
		int want = i >= 12 && i < 44 ? -BKP_EKEY : -BKP_ECORRUPT;
		int rc;

		w.data[i] ^= 0x04;
		rc = open_quiet(w.data, w.len, sec_a, &got);
		ck_assert_msg(rc == want, "flip at %zu: %d", i, rc);
		ck_assert_ptr_null(got);
		w.data[i] ^= 0x04;
	}
	ck_assert_int_eq(open_quiet(w.data, w.len, sec_a, &got), 0);
	ck_assert_mem_eq(got, key, 32);
	datakey_free(got);
	wbuf_release(&w);
	datakey_free(key);
}
END_TEST

START_TEST(test_truncated_or_extended)
{
	uint8_t *key = datakey_new(), *got = NULL;
	struct wbuf w;

	wbuf_init(&w);
	ck_assert_int_eq(datakey_seal(key, sec_a->box_pk, &w), 0);
	for (size_t n = 0; n < w.len; n++) {
		ck_assert_msg(open_quiet(w.data, n, sec_a, &got) ==
		    -BKP_ECORRUPT, "truncated to %zu accepted", n);
		ck_assert_ptr_null(got);
	}
	wbuf_u8(&w, 0);
	ck_assert_int_eq(open_quiet(w.data, w.len, sec_a, &got),
	    -BKP_ECORRUPT);
	ck_assert_ptr_null(got);
	wbuf_release(&w);
	datakey_free(key);
}
END_TEST

START_TEST(test_unknown_version)
{
	uint8_t *key = datakey_new(), *got = NULL;
	struct wbuf w;

	wbuf_init(&w);
	ck_assert_int_eq(datakey_seal(key, sec_a->box_pk, &w), 0);
	put_le32(w.data + 8, 2);
	ck_assert_int_eq(open_quiet(w.data, w.len, sec_a, &got),
	    -BKP_ECORRUPT);
	ck_assert_ptr_null(got);
	wbuf_release(&w);
	datakey_free(key);
}
END_TEST

START_TEST(test_subkeys)
{
	static const uint64_t idx[] = {
		DATAKEY_OBJ_MANIFEST, DATAKEY_OBJ_PART(0), DATAKEY_OBJ_PART(1),
		DATAKEY_OBJ_PART(999999), 1ull << 32, UINT64_MAX,
	};
	const size_t n = sizeof(idx) / sizeof(idx[0]);
	uint8_t *key = datakey_new(), *key2 = datakey_new();
	uint8_t sub[6][32], again[32], other[32], want[32];

	ck_assert_uint_eq(DATAKEY_OBJ_PART(0), 1);
	for (size_t i = 0; i < n; i++)
		datakey_subkey(key, idx[i], sub[i]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			ck_assert_msg(memcmp(sub[i], sub[j], 32) != 0,
			    "subkeys %zu and %zu equal", i, j);
		ck_assert_mem_ne(sub[i], key, 32);
		/* Deterministic, and tied to the data key. */
		datakey_subkey(key, idx[i], again);
		ck_assert_mem_eq(again, sub[i], 32);
		datakey_subkey(key2, idx[i], other);
		ck_assert_mem_ne(other, sub[i], 32);
	}
	/* The format: crypto_kdf with context "bkp-data", id = index. */
	crypto_kdf_derive_from_key(want, 32, 5, "bkp-data", key);
	datakey_subkey(key, 5, again);
	ck_assert_mem_eq(again, want, 32);
	datakey_free(key);
	datakey_free(key2);
}
END_TEST

START_TEST(test_ad_layout)
{
	uint8_t ad[DATAKEY_AD_LEN], ad2[DATAKEY_AD_LEN];

	ck_assert_uint_eq(DATAKEY_AD_LEN, SETID_LEN + 8);
	memset(ad, 0xee, sizeof(ad));
	datakey_ad(SETID, 0x0102030405060708ull, ad);
	ck_assert_mem_eq(ad, SETID, SETID_LEN);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(ad[SETID_LEN + i], 8 - i);
	datakey_ad(SETID, DATAKEY_OBJ_MANIFEST, ad2);
	ck_assert_mem_eq(ad2, SETID, SETID_LEN);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(ad2[SETID_LEN + i], 0);
	datakey_ad(SETID, DATAKEY_OBJ_PART(0), ad2);
	ck_assert_uint_eq(ad2[SETID_LEN], 1);
	datakey_ad("20261121T205810Z-1a2b3c4e", DATAKEY_OBJ_PART(0), ad);
	ck_assert_mem_ne(ad, ad2, DATAKEY_AD_LEN);
}
END_TEST

static Suite *
datakey_suite(void)
{
	Suite *s = suite_create("datakey");
	TCase *tc = tcase_create("datakey");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_new_keys_differ);
	tcase_add_test(tc, test_seal_open);
	tcase_add_test(tc, test_open_other_key);
	tcase_add_test(tc, test_every_byte_flipped);
	tcase_add_test(tc, test_truncated_or_extended);
	tcase_add_test(tc, test_unknown_version);
	tcase_add_test(tc, test_subkeys);
	tcase_add_test(tc, test_ad_layout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(datakey_suite());
}
