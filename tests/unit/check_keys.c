/* check_keys.c: key generation, the three key file encodings, key files. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "testutil.h"

#define PASS "correct horse battery staple"
#define PASSLEN (sizeof(PASS) - 1)

/* Layouts (keys.c): magic[8] version[4] ... check[16] for the public and
 * signing files; the secret file has no checksum but a MAC. */
#define PUB_LEN (8 + 4 + 32 + 32 + 16)
#define SIG_LEN (8 + 4 + 32 + 64 + 16)
#define SEC_OFF_BOXPK 12
#define SEC_OFF_SALT (SEC_OFF_BOXPK + 32)
#define SEC_OFF_OPS (SEC_OFF_SALT + crypto_pwhash_SALTBYTES)
#define SEC_OFF_MEM (SEC_OFF_OPS + 8)
#define SEC_OFF_NONCE (SEC_OFF_MEM + 8)
#define SEC_OFF_CT (SEC_OFF_NONCE + crypto_secretbox_NONCEBYTES)
#define SEC_LEN (SEC_OFF_CT + 64 + crypto_secretbox_MACBYTES)

/* One key set and its secret file, made once per test case in the parent
 * (Argon2 is slow), inherited by every forked test. */
static struct bkp_seckey *g_sec;
static struct bkp_signkey *g_sig;
static uint8_t *g_secfile;
static size_t g_secfile_len;

static void
keys_setup(void)
{
	struct wbuf w;

	ck_assert_int_eq(keys_generate(&g_sec, &g_sig), 0);
	wbuf_init(&w);
	ck_assert_int_eq(seckey_encode(g_sec, PASS, PASSLEN, &w), 0);
	g_secfile = tu_dup(w.data, w.len);
	g_secfile_len = w.len;
	wbuf_release(&w);
}

static void
keys_teardown(void)
{
	seckey_free(g_sec);
	signkey_free(g_sig);
	free(g_secfile);
	g_sec = NULL;
	g_sig = NULL;
	g_secfile = NULL;
}

static void
pub_of(struct bkp_pubkey *pub)
{
	memcpy(pub->box_pk, g_sec->box_pk, 32);
	memcpy(pub->sign_pk, g_sig->pk, 32);
}

/* Replaces the trailing 16-byte checksum of a pub/sign file. */
static void
recheck(uint8_t *p, size_t n)
{
	crypto_generichash(p + n - 16, 16, p, n - 16, NULL, 0);
}

START_TEST(test_generate)
{
	struct bkp_seckey *sec2;
	struct bkp_signkey *sig2;
	uint8_t pk[32];

	ck_assert_mem_eq(g_sec->sign_pk, g_sig->pk, 32);
	crypto_scalarmult_base(pk, g_sec->box_sk);
	ck_assert_mem_eq(pk, g_sec->box_pk, 32);
	ck_assert_mem_eq(g_sig->sk + 32, g_sig->pk, 32);
	ck_assert_int_eq(keys_generate(&sec2, &sig2), 0);
	ck_assert_mem_ne(sec2->box_pk, g_sec->box_pk, 32);
	ck_assert_mem_ne(sec2->box_sk, g_sec->box_sk, 32);
	ck_assert_mem_ne(sig2->pk, g_sig->pk, 32);
	seckey_free(sec2);
	signkey_free(sig2);
}
END_TEST

START_TEST(test_key_id)
{
	char a[KEY_ID_HEX], b[KEY_ID_HEX], c[KEY_ID_HEX];

	key_id(g_sec->box_pk, a);
	key_id(g_sec->box_pk, b);
	key_id(g_sig->pk, c);
	ck_assert_uint_eq(strlen(a), KEY_ID_HEX - 1);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), KEY_ID_HEX - 1);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
}
END_TEST

/* Public key file. */

static void
pub_encode(struct wbuf *w)
{
	struct bkp_pubkey pub;

	pub_of(&pub);
	wbuf_init(w);
	ck_assert_int_eq(pubkey_encode(&pub, w), 0);
	ck_assert_uint_eq(w->len, PUB_LEN);
}

START_TEST(test_pubkey_roundtrip)
{
	struct bkp_pubkey pub;
	struct wbuf w;

	pub_encode(&w);
	memset(&pub, 0, sizeof(pub));
	ck_assert_int_eq(pubkey_decode(w.data, w.len, &pub, "pub"), 0);
	ck_assert_mem_eq(pub.box_pk, g_sec->box_pk, 32);
	ck_assert_mem_eq(pub.sign_pk, g_sig->pk, 32);
	ck_assert_mem_eq(w.data, "BKPPUB\0\0", 8);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_pubkey_every_byte_flipped)
{
	struct bkp_pubkey pub;
	struct wbuf w;

	pub_encode(&w);
	tu_quiet_begin();
	for (size_t i = 0; i < w.len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			w.data[i] ^= (uint8_t)(1u << bit);
			ck_assert_msg(pubkey_decode(w.data, w.len, &pub,
			    "pub") == -BKP_EKEY, "flip at %zu bit %d accepted",
			    i, bit);
			w.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	tu_quiet_end();
	ck_assert_int_eq(pubkey_decode(w.data, w.len, &pub, "pub"), 0);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_pubkey_truncated_or_extended)
{
	struct bkp_pubkey pub;
	struct wbuf w;
	uint8_t *longer;

	pub_encode(&w);
	tu_quiet_begin();
	for (size_t n = 0; n < w.len; n++)
		ck_assert_msg(pubkey_decode(w.data, n, &pub, "pub") != 0,
		    "truncated to %zu accepted", n);
	/* A byte more (even with a checksum over everything before it). */
	longer = malloc(w.len + 1);
	ck_assert_ptr_nonnull(longer);
	memcpy(longer, w.data, w.len - 16);
	longer[w.len - 16] = 0;
	recheck(longer, w.len + 1);
	ck_assert_int_ne(pubkey_decode(longer, w.len + 1, &pub, "pub"), 0);
	tu_quiet_end();
	free(longer);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_pubkey_unknown_version)
{
	struct bkp_pubkey pub;
	struct wbuf w;
	char *err;

	pub_encode(&w);
	put_le32(w.data + 8, 2);
	recheck(w.data, w.len);
	tu_capture_begin();
	ck_assert_int_eq(pubkey_decode(w.data, w.len, &pub, "pub"),
	    -BKP_EKEY);
	err = tu_capture_end();
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	free(err);
	wbuf_release(&w);
}
END_TEST

/* Signing key file. */

static void
sig_encode(struct wbuf *w)
{
	wbuf_init(w);
	ck_assert_int_eq(signkey_encode(g_sig, w), 0);
	ck_assert_uint_eq(w->len, SIG_LEN);
}

START_TEST(test_signkey_roundtrip)
{
	struct bkp_signkey *sig = NULL;
	struct wbuf w;

	sig_encode(&w);
	ck_assert_int_eq(signkey_decode(w.data, w.len, &sig, "sig"), 0);
	ck_assert_ptr_nonnull(sig);
	ck_assert_mem_eq(sig->pk, g_sig->pk, 32);
	ck_assert_mem_eq(sig->sk, g_sig->sk, 64);
	ck_assert_mem_eq(w.data, "BKPSIGN\0", 8);
	signkey_free(sig);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_signkey_every_byte_flipped)
{
	struct bkp_signkey *sig = NULL;
	struct wbuf w;

	sig_encode(&w);
	tu_quiet_begin();
	for (size_t i = 0; i < w.len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			w.data[i] ^= (uint8_t)(1u << bit);
			ck_assert_msg(signkey_decode(w.data, w.len, &sig,
			    "sig") == -BKP_EKEY, "flip at %zu bit %d accepted",
			    i, bit);
			ck_assert_ptr_null(sig);
			w.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	tu_quiet_end();
	ck_assert_int_eq(signkey_decode(w.data, w.len, &sig, "sig"), 0);
	signkey_free(sig);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_signkey_truncated)
{
	struct bkp_signkey *sig = NULL;
	struct wbuf w;

	sig_encode(&w);
	tu_quiet_begin();
	for (size_t n = 0; n < w.len; n++) {
		ck_assert_msg(signkey_decode(w.data, n, &sig, "sig") != 0,
		    "truncated to %zu accepted", n);
		ck_assert_ptr_null(sig);
	}
	tu_quiet_end();
	wbuf_release(&w);
}
END_TEST

START_TEST(test_signkey_unknown_version)
{
	struct bkp_signkey *sig = NULL;
	struct wbuf w;

	sig_encode(&w);
	put_le32(w.data + 8, 2);
	recheck(w.data, w.len);
	tu_quiet_begin();
	ck_assert_int_eq(signkey_decode(w.data, w.len, &sig, "sig"),
	    -BKP_EKEY);
	tu_quiet_end();
	ck_assert_ptr_null(sig);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_signkey_mismatched_halves)
{
	struct bkp_signkey *sig = NULL;
	struct wbuf w;
	uint8_t otherpk[32], othersk[64];

	/* A well-formed file whose public half is not the secret's. */
	crypto_sign_keypair(otherpk, othersk);
	sig_encode(&w);
	memcpy(w.data + 12, otherpk, 32);
	recheck(w.data, w.len);
	tu_quiet_begin();
	ck_assert_int_eq(signkey_decode(w.data, w.len, &sig, "sig"),
	    -BKP_EKEY);
	tu_quiet_end();
	ck_assert_ptr_null(sig);
	wbuf_release(&w);
}
END_TEST

/* Secret key file. */

START_TEST(test_seckey_roundtrip)
{
	struct bkp_seckey *sec = NULL;

	ck_assert_uint_eq(g_secfile_len, SEC_LEN);
	ck_assert_mem_eq(g_secfile, "BKPSEC\0\0", 8);
	ck_assert_mem_eq(g_secfile + SEC_OFF_BOXPK, g_sec->box_pk, 32);
	/* The secret half is not in the clear. */
	ck_assert_ptr_null(memmem(g_secfile, g_secfile_len, g_sec->box_sk,
	    32));
	ck_assert_int_eq(seckey_decode(g_secfile, g_secfile_len, PASS,
	    PASSLEN, &sec, "sec"), 0);
	ck_assert_ptr_nonnull(sec);
	ck_assert_mem_eq(sec->box_sk, g_sec->box_sk, 32);
	ck_assert_mem_eq(sec->box_pk, g_sec->box_pk, 32);
	ck_assert_mem_eq(sec->sign_pk, g_sig->pk, 32);
	seckey_free(sec);
}
END_TEST

START_TEST(test_seckey_wrong_passphrase)
{
	struct bkp_seckey *sec = NULL;

	tu_quiet_begin();
	/* A prefix of the right one: the length counts too. */
	ck_assert_int_eq(seckey_decode(g_secfile, g_secfile_len, PASS,
	    PASSLEN - 1, &sec, "sec"), -BKP_EKEY);
	tu_quiet_end();
	ck_assert_ptr_null(sec);
}
END_TEST

/* A few positions in every field; each flip that gets past the cheap
 * checks costs an Argon2 run, so not every byte. */
static const struct {
	size_t off;
	uint8_t mask;
} sec_flips[] = {
	{ 0, 0x01 }, { 7, 0x80 },				/* magic */
	{ 8, 0x01 }, { 11, 0x80 },				/* version */
	{ SEC_OFF_BOXPK, 0x01 }, { SEC_OFF_BOXPK + 31, 0x40 },	/* box_pk */
	{ SEC_OFF_SALT, 0x01 }, { SEC_OFF_SALT + 15, 0x80 },	/* salt */
	{ SEC_OFF_OPS, 0x01 }, { SEC_OFF_OPS + 7, 0x80 },	/* opslimit */
	/* memlimit: Argon2 ignores its low 10 bits (see check_known_bugs) */
	{ SEC_OFF_MEM + 1, 0x04 }, { SEC_OFF_MEM + 7, 0x80 },
	{ SEC_OFF_NONCE, 0x01 }, { SEC_OFF_NONCE + 23, 0x80 },	/* nonce */
	{ SEC_OFF_CT, 0x01 }, { SEC_OFF_CT + 40, 0x10 },	/* box */
	{ SEC_LEN - 1, 0x80 },					/* MAC */
};

START_TEST(test_seckey_flipped)
{
	size_t k = (size_t)_i;
	struct bkp_seckey *sec = NULL;
	uint8_t *p = tu_dup(g_secfile, g_secfile_len);

	p[sec_flips[k].off] ^= sec_flips[k].mask;
	tu_quiet_begin();
	ck_assert_msg(seckey_decode(p, g_secfile_len, PASS, PASSLEN, &sec,
	    "sec") == -BKP_EKEY, "flip at %zu accepted", sec_flips[k].off);
	tu_quiet_end();
	ck_assert_ptr_null(sec);
	free(p);
}
END_TEST

START_TEST(test_seckey_truncated_or_extended)
{
	struct bkp_seckey *sec = NULL;
	uint8_t *longer;

	tu_quiet_begin();
	for (size_t n = 0; n < g_secfile_len; n++) {
		ck_assert_msg(seckey_decode(g_secfile, n, PASS, PASSLEN, &sec,
		    "sec") == -BKP_EKEY, "truncated to %zu accepted", n);
		ck_assert_ptr_null(sec);
	}
	longer = malloc(g_secfile_len + 1);
	ck_assert_ptr_nonnull(longer);
	memcpy(longer, g_secfile, g_secfile_len);
	longer[g_secfile_len] = 0;
	ck_assert_int_eq(seckey_decode(longer, g_secfile_len + 1, PASS,
	    PASSLEN, &sec, "sec"), -BKP_EKEY);
	tu_quiet_end();
	free(longer);
}
END_TEST

START_TEST(test_seckey_unknown_version)
{
	struct bkp_seckey *sec = NULL;
	uint8_t *p = tu_dup(g_secfile, g_secfile_len);
	char *err;

	put_le32(p + 8, 2);
	tu_capture_begin();
	ck_assert_int_eq(seckey_decode(p, g_secfile_len, PASS, PASSLEN, &sec,
	    "sec"), -BKP_EKEY);
	err = tu_capture_end();
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	free(err);
	free(p);
}
END_TEST

START_TEST(test_seckey_kdf_limits)
{
	/* Argon2 parameters out of the accepted range are refused before
	 * deriving anything (a hostile file cannot make us allocate 1 TiB). */
	static const struct {
		size_t off;
		uint64_t v;
	} bad[] = {
		{ SEC_OFF_OPS, 0 },
		{ SEC_OFF_OPS, 17 },
		{ SEC_OFF_OPS, UINT64_MAX },
		{ SEC_OFF_MEM, 0 },
		{ SEC_OFF_MEM, (1ULL << 30) + 1 },
		{ SEC_OFF_MEM, 1ULL << 40 },
	};
	struct bkp_seckey *sec = NULL;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		uint8_t *p = tu_dup(g_secfile, g_secfile_len);

		put_le64(p + bad[k].off, bad[k].v);
		tu_quiet_begin();
		ck_assert_msg(seckey_decode(p, g_secfile_len, PASS, PASSLEN,
		    &sec, "sec") == -BKP_EKEY, "limit %zu accepted", k);
		tu_quiet_end();
		free(p);
	}
}
END_TEST

/* Key files. */

START_TEST(test_keyfile_write_mode_and_excl)
{
	char *dir = tu_tmpdir();
	char *path = tu_path(dir, "k.pub");
	char *link = tu_path(dir, "link");
	char *target = tu_path(dir, "target");
	struct wbuf w, w2;
	struct bkp_pubkey pub;
	uint8_t *got;
	size_t n;

	pub_encode(&w);
	ck_assert_int_eq(keyfile_write(path, &w), 0);
	ck_assert_int_eq(tu_file_mode(path), 0600);
	got = tu_read_file(path, &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(n, w.len);
	ck_assert_mem_eq(got, w.data, n);
	free(got);
	ck_assert_int_eq(pubkey_load(path, &pub), 0);
	ck_assert_mem_eq(pub.box_pk, g_sec->box_pk, 32);
	ck_assert_mem_eq(pub.sign_pk, g_sig->pk, 32);

	/* An existing file is never replaced. */
	wbuf_init(&w2);
	wbuf_put(&w2, "other", 5);
	tu_quiet_begin();
	ck_assert_int_eq(keyfile_write(path, &w2), -BKP_EKEY);
	tu_quiet_end();
	got = tu_read_file(path, &n);
	ck_assert_uint_eq(n, w.len);
	ck_assert_mem_eq(got, w.data, n);
	free(got);

	/* Nor followed through a dangling symlink. */
	ck_assert_int_eq(symlink(target, link), 0);
	tu_quiet_begin();
	ck_assert_int_ne(keyfile_write(link, &w2), 0);
	tu_quiet_end();
	ck_assert(!tu_exists(target));

	wbuf_release(&w);
	wbuf_release(&w2);
	free(path);
	free(link);
	free(target);
	free(dir);
}
END_TEST

START_TEST(test_signkey_load_modes)
{
	char *dir = tu_tmpdir();
	char *path = tu_path(dir, "k.sign");
	struct bkp_signkey *sig = NULL;
	struct wbuf w;

	sig_encode(&w);
	ck_assert_int_eq(keyfile_write(path, &w), 0);
	ck_assert_int_eq(signkey_load(path, &sig), 0);
	ck_assert_ptr_nonnull(sig);
	ck_assert_mem_eq(sig->sk, g_sig->sk, 64);
	signkey_free(sig);
	sig = NULL;

	ck_assert_int_eq(chmod(path, 0644), 0);
	tu_quiet_begin();
	ck_assert_int_eq(signkey_load(path, &sig), -BKP_EKEY);
	ck_assert_ptr_null(sig);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(signkey_load(path, &sig), -BKP_EKEY);
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_int_eq(signkey_load(path, &sig), -BKP_EKEY);
	/* A directory is not a key file. */
	ck_assert_int_eq(signkey_load(dir, &sig), -BKP_EKEY);
	/* A missing one. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(signkey_load(path, &sig), -BKP_ENOTFOUND);
	tu_quiet_end();
	ck_assert_ptr_null(sig);

	wbuf_release(&w);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_seckey_load)
{
	char *dir = tu_tmpdir();
	char *path = tu_path(dir, "k.sec");
	char *passfile = tu_path(dir, "pass");
	struct bkp_seckey *sec = NULL;
	struct wbuf w;

	wbuf_init(&w);
	wbuf_put(&w, g_secfile, g_secfile_len);
	ck_assert_int_eq(keyfile_write(path, &w), 0);
	wbuf_release(&w);

	/* From the environment. */
	ck_assert_int_eq(setenv("BKP_PASSPHRASE", PASS, 1), 0);
	ck_assert_int_eq(seckey_load(path, NULL, &sec), 0);
	ck_assert_ptr_nonnull(sec);
	ck_assert_mem_eq(sec->box_sk, g_sec->box_sk, 32);
	ck_assert_mem_eq(sec->sign_pk, g_sig->pk, 32);
	seckey_free(sec);
	sec = NULL;

	/* A passphrase file wins over the environment; its newline is not
	 * part of the passphrase. */
	ck_assert_int_eq(setenv("BKP_PASSPHRASE", "wrong", 1), 0);
	tu_write_file(passfile, PASS "\n", PASSLEN + 1, 0600);
	ck_assert_int_eq(seckey_load(path, passfile, &sec), 0);
	ck_assert_ptr_nonnull(sec);
	ck_assert_mem_eq(sec->box_sk, g_sec->box_sk, 32);
	seckey_free(sec);
	sec = NULL;

	/* Mode 0644: refused before any passphrase is asked for. */
	ck_assert_int_eq(setenv("BKP_PASSPHRASE", PASS, 1), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	tu_quiet_begin();
	ck_assert_int_eq(seckey_load(path, NULL, &sec), -BKP_EKEY);
	tu_quiet_end();
	ck_assert_ptr_null(sec);
	unsetenv("BKP_PASSPHRASE");

	free(passfile);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_seckey_load_wrong_env_passphrase)
{
	char *dir = tu_tmpdir();
	char *path = tu_path(dir, "k.sec");
	struct bkp_seckey *sec = NULL;

	tu_write_file(path, g_secfile, g_secfile_len, 0600);
	ck_assert_int_eq(setenv("BKP_PASSPHRASE", PASS "!", 1), 0);
	tu_quiet_begin();
	ck_assert_int_eq(seckey_load(path, NULL, &sec), -BKP_EKEY);
	/* An empty passphrase is refused outright. */
	ck_assert_int_eq(setenv("BKP_PASSPHRASE", "", 1), 0);
	ck_assert_int_eq(seckey_load(path, NULL, &sec), -BKP_EKEY);
	tu_quiet_end();
	ck_assert_ptr_null(sec);
	unsetenv("BKP_PASSPHRASE");
	free(path);
	free(dir);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keys");

	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_key_id);
	tcase_add_test(tc, test_pubkey_roundtrip);
	tcase_add_test(tc, test_pubkey_every_byte_flipped);
	tcase_add_test(tc, test_pubkey_truncated_or_extended);
	tcase_add_test(tc, test_pubkey_unknown_version);
	tcase_add_test(tc, test_signkey_roundtrip);
	tcase_add_test(tc, test_signkey_every_byte_flipped);
	tcase_add_test(tc, test_signkey_truncated);
	tcase_add_test(tc, test_signkey_unknown_version);
	tcase_add_test(tc, test_signkey_mismatched_halves);
	tcase_add_test(tc, test_seckey_roundtrip);
	tcase_add_test(tc, test_seckey_wrong_passphrase);
	tcase_add_loop_test(tc, test_seckey_flipped, 0,
	    (int)(sizeof(sec_flips) / sizeof(sec_flips[0])));
	tcase_add_test(tc, test_seckey_truncated_or_extended);
	tcase_add_test(tc, test_seckey_unknown_version);
	tcase_add_test(tc, test_seckey_kdf_limits);
	tcase_add_test(tc, test_keyfile_write_mode_and_excl);
	tcase_add_test(tc, test_signkey_load_modes);
	tcase_add_test(tc, test_seckey_load);
	tcase_add_test(tc, test_seckey_load_wrong_env_passphrase);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(keys_suite());
}
