/* check_regressions.c: tests of bugs found in lib/ and fixed.
 *
 * Each was a bug once; the fixes are in lib/ and these keep them fixed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "manifest.h"
#include "policy.h"
#include "stream.h"
#include "stream_impl.h"
#include "testutil.h"

#define SETID "20261121T205810Z-1a2b3c4d"
#define POLICY "/etc/bkp/p.policy"

/* manifest_decode never checks the rbuf after reading the set count and
 * the entry count: cut right after the set id (or the set table) both
 * read as 0, and the stump decodes as a valid, empty manifest. */
START_TEST(test_manifest_truncated_after_set_table)
{
	struct manifest *m = manifest_new(SETID), *d = NULL;
	struct manifest_entry e;
	size_t after_setid = 8 + 4 + 4 + SETID_LEN;
	size_t after_sets = after_setid + 4 + 2 * (4 + SETID_LEN);
	struct wbuf w;
	int rc;

	ck_assert_int_eq(manifest_set_index(m, SETID), 0);
	ck_assert_int_eq(manifest_set_index(m, "20261101T000000Z-00000000"),
	    1);
	memset(&e, 0, sizeof(e));
	e.path = (char *)"file";
	e.type = ENTRY_FILE;
	e.where = WHERE_PART;
	ck_assert_int_eq(manifest_add(m, &e), 0);
	wbuf_init(&w);
	ck_assert_int_eq(manifest_encode(m, &w), 0);
	ck_assert_uint_eq(get_le64(w.data + after_sets), 1);

	tu_quiet_begin();
	rc = manifest_decode(w.data, after_setid, &d, "m");
	tu_quiet_end();
	manifest_free(d);
	d = NULL;
	ck_assert_msg(rc == -BKP_ECORRUPT, "cut after the set id: %d", rc);
	tu_quiet_begin();
	rc = manifest_decode(w.data, after_sets, &d, "m");
	tu_quiet_end();
	manifest_free(d);
	ck_assert_msg(rc == -BKP_ECORRUPT, "cut after the set table: %d", rc);
	wbuf_release(&w);
	manifest_free(m);
}
END_TEST

/* The secret key file's memlimit is neither authenticated nor checked
 * beyond its range, and Argon2 uses it in KiB: damage to its low 10 bits
 * goes unnoticed (the file still opens). */
START_TEST(test_seckey_memlimit_low_bits)
{
	struct bkp_seckey *sec = NULL, *got = NULL;
	struct bkp_signkey *sig = NULL;
	const size_t off_mem = 8 + 4 + 32 + crypto_pwhash_SALTBYTES + 8;
	struct wbuf w;
	int rc;

	ck_assert_int_eq(keys_generate(&sec, &sig), 0);
	wbuf_init(&w);
	ck_assert_int_eq(seckey_encode(sec, "pass", 4, &w), 0);
	ck_assert_uint_eq(get_le64(w.data + off_mem),
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	w.data[off_mem] ^= 0x01;
	tu_quiet_begin();
	rc = seckey_decode(w.data, w.len, "pass", 4, &got, "sec");
	tu_quiet_end();
	seckey_free(got);
	ck_assert_msg(rc == -BKP_EKEY, "damaged memlimit accepted: %d", rc);
	wbuf_release(&w);
	seckey_free(sec);
	signkey_free(sig);
}
END_TEST

/* struct hash_state (stream_hash.c) holds a crypto_generichash_state,
 * which libsodium declares 64-byte aligned and documents as required;
 * it is calloc'd (16-byte aligned).  clang -fsanitize=alignment reports
 * "member access within misaligned address ... for type 'struct
 * hash_state', which requires 64 byte alignment".  (Passes by luck under
 * AddressSanitizer, whose allocator happens to align these blocks.) */
START_TEST(test_hash_state_alignment)
{
	struct ostream *os[8];
	struct istream *is[8];

	for (int i = 0; i < 8; i++) {
		os[i] = ostream_hash_new(ostream_memory_new());
		is[i] = istream_hash_new(istream_memory_new("", 0));
		ck_assert_ptr_nonnull(os[i]);
		ck_assert_ptr_nonnull(is[i]);
	}
	for (int i = 0; i < 8; i++) {
		ck_assert_msg(((uintptr_t)os[i]->state & 63) == 0,
		    "ostream hash state at %p", os[i]->state);
		ck_assert_msg(((uintptr_t)is[i]->state & 63) == 0,
		    "istream hash state at %p", is[i]->state);
	}
	for (int i = 0; i < 8; i++) {
		ostream_free(os[i]);
		istream_free(is[i]);
	}
}
END_TEST

/* A zstd stream of no bytes at all (not even a frame header) reads as
 * an empty stream instead of "compressed data truncated"; every stream
 * ostream_zstd writes has a frame, even for no data. */
START_TEST(test_zstd_empty_input)
{
	struct istream *is = istream_zstd_new(istream_memory_new("", 0));
	uint8_t buf[16];
	size_t got = 99;
	int rc;

	ck_assert_ptr_nonnull(is);
	tu_quiet_begin();
	rc = istream_read(is, buf, sizeof(buf), &got);
	tu_quiet_end();
	istream_free(is);
	ck_assert_msg(rc == -BKP_ECORRUPT, "no frame at all: rc %d got %zu",
	    rc, got);
}
END_TEST

/* Policy files: bkp-policy(5) says every problem is reported at once, as
 * file:line: message, and that required keys must be given. */

static const char *const minimal[] = {
	"[policy]",			/* 1 */
	"name = p",			/* 2 */
	"[source]",			/* 3 */
	"paths = /data",		/* 4 */
	"[repository]",			/* 5 */
	"url = /srv/repo",		/* 6 */
	"[keys]",			/* 7 */
	"public = /k/repo.pub",		/* 8 */
	"signing = /k/host.sign",	/* 9 */
};
#define NMIN (sizeof(minimal) / sizeof(minimal[0]))

/* The minimal policy with line index skip replaced by repl (NULL: left
 * out; skip NMIN: nothing replaced), then extra. */
static char *
policy_text(size_t skip, const char *repl, const char *extra)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < NMIN; i++) {
		if (i != skip)
			fprintf(f, "%s\n", minimal[i]);
		else if (repl)
			fprintf(f, "%s\n", repl);
	}
	if (extra)
		fputs(extra, f);
	fclose(f);
	return s;
}

static int
parse_capture(const char *text, char **err)
{
	struct policy *p = NULL;
	int rc;

	tu_capture_begin();
	rc = policy_parse(text, strlen(text), POLICY, &p);
	*err = tu_capture_end();
	policy_free(p);
	return rc;
}

/* A required key given with an empty value is taken as given: "name ="
 * gives the name "", "url =" the policy's directory, and "paths =" with
 * no indented lines a policy that backs up nothing. */
START_TEST(test_policy_empty_required_values)
{
	static const struct {
		size_t line;
		const char *repl;
	} empty[] = {
		{ 1, "name =" },
		{ 3, "paths =" },
		{ 5, "url =" },
		{ 7, "public =" },
		{ 8, "signing =" },
	};

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		char *text = policy_text(empty[i].line, empty[i].repl, NULL);
		char *err;
		int rc = parse_capture(text, &err);

		ck_assert_msg(rc == -BKP_ECONFIG && tu_count_lines(err) == 1,
		    "'%s' accepted (rc %d): %s", empty[i].repl, rc, err);
		free(err);
		free(text);
	}
}
END_TEST

/* A file with a NUL byte is not parsed at all, yet check_required()
 * then reports every required key as missing: six errors for one. */
START_TEST(test_policy_nul_byte_only_error)
{
	char *text = policy_text(NMIN, NULL, NULL);
	char *err;

	text[3] = '\0';
	tu_capture_begin();
	{
		struct policy *p = NULL;

		ck_assert_int_eq(policy_parse(text, strlen(text + 4) + 4,
		    POLICY, &p), -BKP_ECONFIG);
	}
	err = tu_capture_end();
	ck_assert_msg(tu_count_lines(err) == 1, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	free(err);
	free(text);
}
END_TEST

/* inih returns the line of the first syntax error only; later ones are
 * not reported. */
START_TEST(test_policy_every_syntax_error)
{
	char *text = policy_text(NMIN, NULL,
	    "[backup]\n"		/* 10 */
	    "first bad line\n"		/* 11 */
	    "threads = 1\n"		/* 12 */
	    "second bad line\n");	/* 13 */
	char *err;

	ck_assert_int_eq(parse_capture(text, &err), -BKP_ECONFIG);
	ck_assert_msg(strstr(err, POLICY ":11: syntax error") != NULL, "%s",
	    err);
	ck_assert_msg(strstr(err, POLICY ":13: syntax error") != NULL,
	    "second syntax error not reported: %s", err);
	ck_assert_uint_eq(tu_count_lines(err), 2);
	free(err);
	free(text);
}
END_TEST

/* A relative source path is reported on the line of the last "paths"
 * key, not on its own line. */
START_TEST(test_policy_relative_path_line)
{
	char *text = policy_text(3, "paths = relative",	/* line 4 */
	    "[source]\n"				/* 10 */
	    "paths = /absolute\n");			/* 11 */
	char *err;

	ck_assert_int_eq(parse_capture(text, &err), -BKP_ECONFIG);
	ck_assert_msg(strstr(err, POLICY ":4: [source] paths: 'relative'") !=
	    NULL, "wrong line: %s", err);
	free(err);
	free(text);
}
END_TEST

static Suite *
known_bugs_suite(void)
{
	Suite *s = suite_create("known_bugs");
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = {
		{ "manifest_truncated_after_set_table",
		    test_manifest_truncated_after_set_table },
		{ "seckey_memlimit_low_bits", test_seckey_memlimit_low_bits },
		{ "hash_state_alignment", test_hash_state_alignment },
		{ "zstd_empty_input", test_zstd_empty_input },
		{ "policy_empty_required_values",
		    test_policy_empty_required_values },
		{ "policy_nul_byte_only_error",
		    test_policy_nul_byte_only_error },
		{ "policy_every_syntax_error", test_policy_every_syntax_error },
		{ "policy_relative_path_line", test_policy_relative_path_line },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_set_timeout(tc, 30);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	return tu_main(known_bugs_suite());
}
