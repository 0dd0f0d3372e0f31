/* check_repo_config.c: the repository config object, set ids, layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "error.h"
#include "repo.h"
#include "testutil.h"

#define CHECK_LEN 32
#define HEAD_LEN (8 + 4 + REPO_ID_LEN + 32 + 4)

static void
make_config(struct repo_config *c, uint32_t nsigners)
{
	memset(c, 0, sizeof(*c));
	randombytes_buf(c->id, sizeof(c->id));
	randombytes_buf(c->box_pk, sizeof(c->box_pk));
	c->nsigners = nsigners;
	for (uint32_t i = 0; i < nsigners; i++)
		randombytes_buf(c->signers[i], 32);
}

static void
encode(const struct repo_config *c, struct wbuf *w)
{
	wbuf_init(w);
	ck_assert_int_eq(repo_config_encode(c, w), 0);
	ck_assert_uint_eq(w->len, HEAD_LEN + 32 * c->nsigners + CHECK_LEN);
}

/* Writes a fresh valid checksum over p[0..n-32). */
static void
recheck(uint8_t *p, size_t n)
{
	crypto_generichash(p + n - CHECK_LEN, CHECK_LEN, p, n - CHECK_LEN,
	    NULL, 0);
}

static int
decode_quiet(const uint8_t *p, size_t n, struct repo_config *c)
{
	int rc;

	tu_quiet_begin();
	rc = repo_config_decode(p, n, c, "config");
	tu_quiet_end();
	return rc;
}

START_TEST(test_config_roundtrip)
{
	static const uint32_t counts[] = { 1, 2, 7, REPO_MAX_SIGNERS };

	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct repo_config c, d;
		struct wbuf w;

		make_config(&c, counts[k]);
		encode(&c, &w);
		ck_assert_mem_eq(w.data, "BKPREPO\0", 8);
		ck_assert_uint_eq(get_le32(w.data + 8), REPO_FORMAT_VERSION);
		memset(&d, 0xa5, sizeof(d));
		ck_assert_int_eq(repo_config_decode(w.data, w.len, &d, "c"), 0);
		ck_assert_mem_eq(d.id, c.id, REPO_ID_LEN);
		ck_assert_mem_eq(d.box_pk, c.box_pk, 32);
		ck_assert_uint_eq(d.nsigners, counts[k]);
		for (uint32_t i = 0; i < counts[k]; i++)
			ck_assert_mem_eq(d.signers[i], c.signers[i], 32);
		/* The rest of the table is cleared, not left over. */
		ck_assert_int_eq(memcmp(&d, &c, sizeof(c)), 0);
		wbuf_release(&w);
	}
}
END_TEST

START_TEST(test_config_every_byte_flipped)
{
	struct repo_config c, d;
	struct wbuf w;

	make_config(&c, 2);
	encode(&c, &w);
	for (size_t i = 0; i < w.len; i++) {
		int rc;

		w.data[i] ^= 0x01;
		rc = decode_quiet(w.data, w.len, &d);
		/* Magic and version: not a (known) repository; the rest:
		 * damaged. */
		ck_assert_msg(rc == (i < 12 ? -BKP_EREPO : -BKP_ECORRUPT),
		    "flip at %zu: %d", i, rc);
		w.data[i] ^= 0x01;
	}
	ck_assert_int_eq(decode_quiet(w.data, w.len, &d), 0);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_config_truncated_or_extended)
{
	struct repo_config c, d;
	struct wbuf w;
	uint8_t *p;

	make_config(&c, 3);
	encode(&c, &w);
	for (size_t n = 0; n < w.len; n++) {
		int rc = decode_quiet(w.data, n, &d);

		ck_assert_msg(rc == (n < 12 ? -BKP_EREPO : -BKP_ECORRUPT),
		    "truncated to %zu: %d", n, rc);
	}
	/* One byte more, with a valid checksum over it. */
	p = calloc(1, w.len + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, w.data, w.len - CHECK_LEN);
	recheck(p, w.len + 1);
	ck_assert_int_eq(decode_quiet(p, w.len + 1, &d), -BKP_ECORRUPT);
	/* A checksummed config that claims one signer fewer. */
	memcpy(p, w.data, w.len);
	put_le32(p + HEAD_LEN - 4, 2);
	recheck(p, w.len);
	ck_assert_int_eq(decode_quiet(p, w.len, &d), -BKP_ECORRUPT);
	free(p);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_config_unknown_version)
{
	struct repo_config c, d;
	struct wbuf w;
	char *err;

	make_config(&c, 1);
	encode(&c, &w);
	put_le32(w.data + 8, 2);
	recheck(w.data, w.len);
	tu_capture_begin();
	ck_assert_int_eq(repo_config_decode(w.data, w.len, &d, "config"),
	    -BKP_EREPO);
	err = tu_capture_end();
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	free(err);
	/* Version 0 too. */
	put_le32(w.data + 8, 0);
	recheck(w.data, w.len);
	ck_assert_int_eq(decode_quiet(w.data, w.len, &d), -BKP_EREPO);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_config_bad_signer_count)
{
	struct repo_config c, d;
	struct wbuf w;
	uint8_t *p;
	size_t n;

	/* No signer: a well-formed, checksummed object is still refused. */
	make_config(&c, 1);
	encode(&c, &w);
	n = HEAD_LEN + CHECK_LEN;
	p = tu_dup(w.data, n);
	put_le32(p + HEAD_LEN - 4, 0);
	recheck(p, n);
	ck_assert_int_eq(decode_quiet(p, n, &d), -BKP_ECORRUPT);
	free(p);
	wbuf_release(&w);

	/* 65 signers, all present and checksummed. */
	n = HEAD_LEN + 32 * (REPO_MAX_SIGNERS + 1) + CHECK_LEN;
	make_config(&c, REPO_MAX_SIGNERS);
	encode(&c, &w);
	p = calloc(1, n);
	ck_assert_ptr_nonnull(p);
	memcpy(p, w.data, w.len - CHECK_LEN);
	randombytes_buf(p + w.len - CHECK_LEN, 32);
	put_le32(p + HEAD_LEN - 4, REPO_MAX_SIGNERS + 1);
	recheck(p, n);
	ck_assert_int_eq(decode_quiet(p, n, &d), -BKP_ECORRUPT);
	/* The same with 64 is fine (the test object is right). */
	put_le32(p + HEAD_LEN - 4, REPO_MAX_SIGNERS);
	memmove(p + w.len - CHECK_LEN, p + n - CHECK_LEN, CHECK_LEN);
	recheck(p, w.len);
	ck_assert_int_eq(decode_quiet(p, w.len, &d), 0);
	/* A huge count in a short object. */
	put_le32(p + HEAD_LEN - 4, UINT32_MAX);
	recheck(p, w.len);
	ck_assert_int_eq(decode_quiet(p, w.len, &d), -BKP_ECORRUPT);
	free(p);
	wbuf_release(&w);
}
END_TEST

/* Set ids and names. */

START_TEST(test_setid_valid)
{
	static const char *const good[] = {
		"20261121T205810Z-1a2b3c4d",
		"00000000T000000Z-00000000",
		"99999999T999999Z-ffffffff",
	};
	static const char *const bad[] = {
		"",
		"20261121T205810Z-1a2b3c4",		/* short */
		"20261121T205810Z-1a2b3c4d0",		/* long */
		"20261121T205810Z-1A2B3C4D",		/* upper case hex */
		"20261121T205810Z-1a2b3c4g",
		"20261121t205810Z-1a2b3c4d",
		"20261121T205810z-1a2b3c4d",
		"20261121T205810Z_1a2b3c4d",
		"2026112xT205810Z-1a2b3c4d",
		"20261121T20581aZ-1a2b3c4d",
		"20261121T205810Z-1a2b3c4\n",
		" 20261121T205810Z-1a2b3c4",
		"20261121T205810Z-../../..",
		"2026-11-21T20:58:10Z-1a2b",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(repo_setid_valid(good[i]), "%s refused",
		    good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!repo_setid_valid(bad[i]), "%s accepted",
		    bad[i]);
	/* Every single-character change of a good id that breaks its shape
	 * is caught. */
	for (int i = 0; i < SETID_LEN; i++) {
		char id[] = "20261121T205810Z-1a2b3c4d";

		id[i] = 'X';
		ck_assert_msg(!repo_setid_valid(id), "%s accepted", id);
	}
}
END_TEST

START_TEST(test_new_setid)
{
	/* 2026-11-21 20:58:10.5 UTC */
	const int64_t t = 1795294690LL * 1000000000LL + 500000000LL;
	char a[SETID_LEN + 1], b[SETID_LEN + 1];
	int differ = 0;

	repo_new_setid(t, a);
	ck_assert_uint_eq(strlen(a), SETID_LEN);
	ck_assert_msg(repo_setid_valid(a), "%s", a);
	ck_assert_msg(strncmp(a, "20261121T205810Z-", 17) == 0, "%s", a);
	repo_new_setid(0, b);
	ck_assert_msg(strncmp(b, "19700101T000000Z-", 17) == 0, "%s", b);
	ck_assert(repo_setid_valid(b));
	/* The random suffix differs (16 tries: 2^-512 to fail by chance). */
	for (int i = 0; i < 16 && !differ; i++) {
		repo_new_setid(t, b);
		ck_assert(repo_setid_valid(b));
		differ = strcmp(a, b) != 0;
	}
	ck_assert(differ);
}
END_TEST

START_TEST(test_set_paths)
{
	char path[REPO_PATH_MAX], part[32];

	repo_set_path("20261121T205810Z-1a2b3c4d", "seal", path);
	ck_assert_str_eq(path, "sets/20261121T205810Z-1a2b3c4d/seal");
	repo_part_name(0, part);
	ck_assert_str_eq(part, "part-000000");
	repo_part_name(42, part);
	ck_assert_str_eq(part, "part-000042");
	repo_part_name(1234567, part);
	ck_assert_str_eq(part, "part-1234567");
	repo_part_name(UINT32_MAX, part);
	ck_assert_str_eq(part, "part-4294967295");
}
END_TEST

/* A repository in a local directory. */

static void
make_pub(struct bkp_pubkey *pub)
{
	randombytes_buf(pub->box_pk, 32);
	randombytes_buf(pub->sign_pk, 32);
}

START_TEST(test_repo_init_open)
{
	char *dir = tu_tmpdir();
	char *url = tu_path(dir, "repo");
	char *cfg = tu_path(url, "config");
	char id[REPO_ID_HEX], id2[REPO_ID_HEX];
	struct bkp_pubkey pub;
	struct repo *r = NULL;
	uint8_t other[32];

	make_pub(&pub);
	ck_assert_int_eq(repo_init(url, NULL, &pub, id), 0);
	ck_assert_uint_eq(strlen(id), 2 * REPO_ID_LEN);
	ck_assert(tu_exists(cfg));
	ck_assert_int_eq(repo_open(url, NULL, &r), 0);
	ck_assert_ptr_nonnull(r);
	repo_id_hex(r, id2);
	ck_assert_str_eq(id, id2);
	ck_assert_mem_eq(repo_config(r)->box_pk, pub.box_pk, 32);
	ck_assert_uint_eq(repo_config(r)->nsigners, 1);
	ck_assert(repo_trusts_signer(r, pub.sign_pk));
	memcpy(other, pub.sign_pk, 32);
	other[31] ^= 1;
	ck_assert(!repo_trusts_signer(r, other));
	ck_assert(!repo_trusts_signer(r, pub.box_pk));
	repo_close(r);

	/* A second init of the same directory is refused. */
	tu_quiet_begin();
	ck_assert_int_eq(repo_init(url, NULL, &pub, id), -BKP_EREPO);
	tu_quiet_end();
	free(cfg);
	free(url);
	free(dir);
}
END_TEST

START_TEST(test_repo_open_refusals)
{
	char *dir = tu_tmpdir();
	char *url = tu_path(dir, "repo");
	char *missing = tu_path(dir, "nothing-here");
	char *cfg = tu_path(url, "config");
	char id[REPO_ID_HEX];
	struct bkp_pubkey pub;
	struct repo *r = NULL;
	uint8_t *data;
	size_t n;

	make_pub(&pub);
	tu_quiet_begin();
	/* No directory, and a directory that is not a repository. */
	ck_assert_int_eq(repo_open(missing, NULL, &r), -BKP_EREPO);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(repo_open(dir, NULL, &r), -BKP_EREPO);
	ck_assert_ptr_null(r);
	tu_quiet_end();

	/* A damaged config. */
	ck_assert_int_eq(repo_init(url, NULL, &pub, id), 0);
	data = tu_read_file(cfg, &n);
	ck_assert_ptr_nonnull(data);
	data[20] ^= 0x10;
	ck_assert_int_eq(chmod(cfg, 0600), 0);
	tu_write_file(cfg, data, n, 0600);
	tu_quiet_begin();
	ck_assert_int_eq(repo_open(url, NULL, &r), -BKP_ECORRUPT);
	tu_quiet_end();
	ck_assert_ptr_null(r);
	free(data);

	/* A non-empty directory cannot become a repository. */
	tu_quiet_begin();
	ck_assert_int_eq(repo_init(dir, NULL, &pub, id), -BKP_EREPO);
	tu_quiet_end();
	free(cfg);
	free(missing);
	free(url);
	free(dir);
}
END_TEST

START_TEST(test_repo_list_sets)
{
	static const char *const ids[] = {
		"20261121T205810Z-0000000c",
		"20250101T000000Z-000000aa",
		"20261121T205810Z-0000000b",
	};
	char *dir = tu_tmpdir();
	char *url = tu_path(dir, "repo");
	char id[REPO_ID_HEX], path[REPO_PATH_MAX];
	struct transport *t;
	struct bkp_pubkey pub;
	struct repo_setlist l;
	struct repo *r;

	make_pub(&pub);
	ck_assert_int_eq(repo_init(url, NULL, &pub, id), 0);
	ck_assert_int_eq(repo_open(url, NULL, &r), 0);
	ck_assert_int_eq(repo_list_sets(r, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	repo_setlist_release(&l);

	t = repo_transport(r);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "sets/%s", ids[i]);
		ck_assert_int_eq(transport_mkdir(t, path), 0);
	}
	/* Only the middle one (by id) is sealed; junk names are skipped. */
	repo_set_path(ids[2], "seal", path);
	ck_assert_int_eq(transport_put(t, path, "x", 1), 0);
	ck_assert_int_eq(transport_mkdir(t, "sets/not-a-set"), 0);
	ck_assert_int_eq(transport_put(t, "sets/20261121T205810Z-0000000", "",
	    0), 0);

	ck_assert_int_eq(repo_list_sets(r, &l), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.ids[0], ids[1]);
	ck_assert_str_eq(l.ids[1], ids[2]);
	ck_assert_str_eq(l.ids[2], ids[0]);
	ck_assert_uint_eq(l.sealed[0], 0);
	ck_assert_uint_eq(l.sealed[1], 1);
	ck_assert_uint_eq(l.sealed[2], 0);
	repo_setlist_release(&l);
	repo_close(r);
	free(url);
	free(dir);
}
END_TEST

static Suite *
repo_suite(void)
{
	Suite *s = suite_create("repo_config");
	TCase *tc = tcase_create("config");
	TCase *ids = tcase_create("setid");
	TCase *dir = tcase_create("local");

	tcase_add_test(tc, test_config_roundtrip);
	tcase_add_test(tc, test_config_every_byte_flipped);
	tcase_add_test(tc, test_config_truncated_or_extended);
	tcase_add_test(tc, test_config_unknown_version);
	tcase_add_test(tc, test_config_bad_signer_count);
	suite_add_tcase(s, tc);
	tcase_add_test(ids, test_setid_valid);
	tcase_add_test(ids, test_new_setid);
	tcase_add_test(ids, test_set_paths);
	suite_add_tcase(s, ids);
	tcase_add_test(dir, test_repo_init_open);
	tcase_add_test(dir, test_repo_open_refusals);
	tcase_add_test(dir, test_repo_list_sets);
	suite_add_tcase(s, dir);
	return s;
}

int
main(void)
{
	return tu_main(repo_suite());
}
