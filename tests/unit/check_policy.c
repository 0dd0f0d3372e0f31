/* check_policy.c: policy files and sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "policy.h"
#include "policy_stores.h"
#include "testutil.h"

#define NAME "/etc/bkp/policies/home.policy"

static const char good[] =
    "# A policy\n"
    "; with both comment styles\n"
    "[policy]\n"
    "name = home\n"
    "\n"
    "[source]\n"
    "paths = /home\n"
    "  /etc\n"
    "\t/var/lib/with space\n"
    "exclude = *.tmp\n"
    "exclude = /home/*/.cache;x\n"
    "one_file_system = yes\n"
    "\n"
    "[repository]\n"
    "url = sftp://backup@example.org:2222/srv/bkp\n"
    "identity = keys/id_ed25519\n"
    "known_hosts = /etc/ssh/known_hosts\n"
    "\n"
    "[keys]\n"
    "public = keys/repo.pub\n"
    "signing = ../host.sign\n"
    "\n"
    "[backup]\n"
    "part_size = 64M\n"
    "compression = 9\n"
    "threads = 4\n";

/* The smallest valid policy, line by line, so that tests can drop or
 * replace lines. */
static const char *const minimal[] = {
	"[policy]",
	"name = p",
	"[source]",
	"paths = /data",
	"[repository]",
	"url = /srv/repo",
	"[keys]",
	"public = /k/repo.pub",
	"signing = /k/host.sign",
};
#define NMIN (sizeof(minimal) / sizeof(minimal[0]))

/* Parses text, capturing stderr into *err (if err). */
static int
parse(const char *text, size_t len, struct policy **p, char **err)
{
	int rc;

	tu_capture_begin();
	rc = policy_parse(text, len, NAME, p);
	if (err)
		*err = tu_capture_end();
	else
		free(tu_capture_end());
	return rc;
}

/* The minimal policy with line skip left out (NMIN: none) and extra
 * appended. */
static char *
minimal_with(size_t skip, const char *extra)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < NMIN; i++)
		if (i != skip)
			fprintf(f, "%s\n", minimal[i]);
	if (extra)
		fputs(extra, f);
	fclose(f);
	return s;
}

/* Expects exactly one error, on line (0: no line number), mentioning
 * what. */
static void
expect_error(const char *text, int line, const char *what)
{
	struct policy *p = (struct policy *)1;
	char *err, want[256];
	int rc;

	rc = parse(text, strlen(text), &p, &err);
	ck_assert_msg(rc == -BKP_ECONFIG, "rc %d for:\n%s", rc, text);
	ck_assert_ptr_null(p);
	ck_assert_msg(tu_count_lines(err) == 1, "errors:\n%s\nfor:\n%s", err,
	    text);
	if (line > 0)
		snprintf(want, sizeof(want), "bkp: error: %s:%d: ", NAME, line);
	else
		snprintf(want, sizeof(want), "bkp: error: %s: ", NAME);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "want '%s...', got: %s", want, err);
	ck_assert_msg(strstr(err, what) != NULL, "want '%s' in: %s", what,
	    err);
	free(err);
}

START_TEST(test_parse_good)
{
	struct policy *p = NULL;
	char *err;

	ck_assert_int_eq(parse(good, strlen(good), &p, &err), 0);
	ck_assert_str_eq(err, "");
	free(err);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->file, NAME);
	ck_assert_str_eq(p->name, "home");
	ck_assert_uint_eq(p->paths.n, 3);
	ck_assert_str_eq(p->paths.v[0], "/home");
	ck_assert_str_eq(p->paths.v[1], "/etc");
	ck_assert_str_eq(p->paths.v[2], "/var/lib/with space");
	ck_assert_uint_eq(p->excludes.n, 2);
	ck_assert_str_eq(p->excludes.v[0], "*.tmp");
	ck_assert_str_eq(p->excludes.v[1], "/home/*/.cache;x");
	ck_assert_int_eq(p->one_file_system, 1);
	ck_assert_str_eq(p->repo_url, "sftp://backup@example.org:2222/srv/bkp");
	/* Relative paths are relative to the policy file's directory. */
	ck_assert_str_eq(p->identity, "/etc/bkp/policies/keys/id_ed25519");
	ck_assert_str_eq(p->known_hosts, "/etc/ssh/known_hosts");
	ck_assert_str_eq(p->pubkey, "/etc/bkp/policies/keys/repo.pub");
	ck_assert_str_eq(p->signkey, "/etc/bkp/policies/../host.sign");
	ck_assert_uint_eq(p->part_size, 67108864);
	ck_assert_int_eq(p->zstd_level, 9);
	ck_assert_int_eq(p->threads, 4);
	policy_free(p);
}
END_TEST

START_TEST(test_parse_defaults)
{
	char *text = minimal_with(NMIN, NULL);
	struct policy *p = NULL;

	ck_assert_int_eq(parse(text, strlen(text), &p, NULL), 0);
	ck_assert_str_eq(p->name, "p");
	ck_assert_uint_eq(p->paths.n, 1);
	ck_assert_str_eq(p->paths.v[0], "/data");
	ck_assert_uint_eq(p->excludes.n, 0);
	ck_assert_int_eq(p->one_file_system, 0);
	ck_assert_str_eq(p->repo_url, "/srv/repo");
	ck_assert_ptr_null(p->identity);
	ck_assert_ptr_null(p->known_hosts);
	ck_assert_uint_eq(p->part_size, 64u << 20);
	ck_assert_int_eq(p->zstd_level, 3);
	ck_assert_int_eq(p->threads, 2);
	policy_free(p);
	free(text);
}
END_TEST

START_TEST(test_parse_values)
{
	static const struct {
		const char *extra;
		uint64_t part_size;
		int64_t level, threads;
		int ofs;
	} ok[] = {
		{ "[backup]\npart_size = 1M\n", 1 << 20, 3, 2, 0 },
		{ "[backup]\npart_size = 64GiB\n", 64ull << 30, 3, 2, 0 },
		{ "[backup]\npart_size = 1048576\n", 1 << 20, 3, 2, 0 },
		{ "[backup]\ncompression = 1\nthreads = 0\n", 64 << 20, 1, 0,
		    0 },
		{ "[backup]\ncompression = 19\nthreads = 64\n", 64 << 20, 19,
		    64, 0 },
		{ "[source]\none_file_system = TRUE\n", 64 << 20, 3, 2, 1 },
		{ "[source]\none_file_system = on\n", 64 << 20, 3, 2, 1 },
		{ "[source]\none_file_system = 1\n", 64 << 20, 3, 2, 1 },
		{ "[source]\none_file_system = No\n", 64 << 20, 3, 2, 0 },
		{ "[source]\none_file_system = off\n", 64 << 20, 3, 2, 0 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *text = minimal_with(NMIN, ok[i].extra);
		struct policy *p = NULL;

		ck_assert_msg(parse(text, strlen(text), &p, NULL) == 0,
		    "refused: %s", ok[i].extra);
		ck_assert_uint_eq(p->part_size, ok[i].part_size);
		ck_assert_int_eq(p->zstd_level, ok[i].level);
		ck_assert_int_eq(p->threads, ok[i].threads);
		ck_assert_int_eq(p->one_file_system, ok[i].ofs);
		policy_free(p);
		free(text);
	}
}
END_TEST

START_TEST(test_list_continuation)
{
	/* An empty first value, then one value per indented line; giving the
	 * key again adds more. */
	char *text = minimal_with(3, "[source]\npaths =\n  /a\n\t/b c\n"
	    "paths = /d\nexclude =\n  x\n");
	struct policy *p = NULL;

	ck_assert_int_eq(parse(text, strlen(text), &p, NULL), 0);
	ck_assert_uint_eq(p->paths.n, 3);
	ck_assert_str_eq(p->paths.v[0], "/a");
	ck_assert_str_eq(p->paths.v[1], "/b c");
	ck_assert_str_eq(p->paths.v[2], "/d");
	ck_assert_uint_eq(p->excludes.n, 1);
	ck_assert_str_eq(p->excludes.v[0], "x");
	policy_free(p);
	free(text);
}
END_TEST

START_TEST(test_relative_url)
{
	char *text = minimal_with(5, "[repository]\nurl = ../repo\n");
	struct policy *p = NULL;

	ck_assert_int_eq(parse(text, strlen(text), &p, NULL), 0);
	ck_assert_str_eq(p->repo_url, "/etc/bkp/policies/../repo");
	policy_free(p);
	free(text);
}
END_TEST

/* Each error alone, with the line it is reported on (the minimal policy
 * has 9 lines, so an appended line 10 is the first extra one). */
START_TEST(test_errors_one_by_one)
{
	static const struct {
		const char *extra;
		int line;
		const char *what;
	} bad[] = {
		{ "[nosuch]\nkey = 1\n", 11, "unknown section [nosuch]" },
		{ "[backup]\nbogus = 1\n", 11, "unknown key 'bogus'" },
		{ "[policy]\nName = q\n", 11, "unknown key 'Name'" },
		{ "[source]\none_file_system = maybe\n", 11, "yes or no" },
		{ "[source]\none_file_system =\n", 11, "yes or no" },
		{ "[backup]\npart_size = 64Q\n", 11, "size" },
		{ "[backup]\npart_size = 1K\n", 11, "size" },
		{ "[backup]\npart_size = 65G\n", 11, "size" },
		{ "[backup]\npart_size = -64M\n", 11, "size" },
		{ "[backup]\ncompression = 20\n", 11, "from 1 to 19" },
		{ "[backup]\ncompression = 0\n", 11, "from 1 to 19" },
		{ "[backup]\ncompression = 3x\n", 11, "from 1 to 19" },
		{ "[backup]\ncompression =\n", 11, "from 1 to 19" },
		{ "[backup]\nthreads = 65\n", 11, "from 0 to 64" },
		{ "[backup]\nthreads = -1\n", 11, "from 0 to 64" },
		{ "[backup]\nthreads = 99999999999999999999\n", 11,
		    "from 0 to 64" },
		{ "[policy]\nname = again\n", 11, "given twice" },
		{ "[keys]\nsigning = /x\n", 11, "given twice" },
		{ "[source]\nno equals sign here\n", 11, "syntax error" },
		{ "[source\n", 10, "syntax error" },
		{ "\n\n\n[source]\npaths = relative/dir\n", 14,
		    "not an absolute path" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = minimal_with(NMIN, bad[i].extra);

		expect_error(text, bad[i].line, bad[i].what);
		free(text);
	}
}
END_TEST

/* [drill] check_query: one line a store, a line for every other store. */
START_TEST(test_check_query)
{
	static const char extra[] =
	    "[stores]\n"
	    "postgresql = app\n"
	    "sqlite = /var/lib/a b.db\n"
	    "[drill]\n"
	    "check_query = postgresql app: select x::int: 1 from t\n"
	    "    sqlite /var/lib/a b.db:  select 2\n"
	    "    select count(*) > 0 from t\n";
	char *text = minimal_with(NMIN, extra), *err;
	struct policy *p;

	ck_assert_int_eq(parse(text, strlen(text), &p, &err), 0);
	free(err);
	ck_assert_str_eq(policy_check_query(p, "postgresql", "app"),
	    "select x::int: 1 from t");
	ck_assert_str_eq(policy_check_query(p, "sqlite", "/var/lib/a b.db"),
	    "select 2");
	ck_assert_str_eq(policy_check_query(p, "postgresql", "ap"),
	    "select count(*) > 0 from t");
	ck_assert_str_eq(policy_check_query(p, "mariadb", "app"),
	    "select count(*) > 0 from t");
	policy_free(p);
	free(text);
}
END_TEST

START_TEST(test_check_query_errors)
{
	static const struct {
		const char *extra;
		int line;
		const char *what;
	} bad[] = {
		{ "[stores]\nmariadb = a\n[drill]\ncheck_query = mariadb a:\n",
		    13, "expected TYPE NAME: SQL" },
		{ "[stores]\nmariadb = a\n[drill]\ncheck_query = mariadb : "
		    "select 1\n", 13, "expected TYPE NAME: SQL" },
		{ "[stores]\nmariadb = a\n[drill]\ncheck_query = mariadb a "
		    "select 1\n", 13, "expected TYPE NAME: SQL" },
		{ "[stores]\nmariadb = a\n[drill]\ncheck_query = mariadb a: "
		    "select 1\n  mariadb a: select 2\n", 0,
		    "two queries for mariadb a" },
		{ "[stores]\nmariadb = a\n[drill]\ncheck_query = select 1\n"
		    "  select 2\n", 0, "two queries for every store" },
		{ "[stores]\ncommand = x: true\n[drill]\ncheck_query = "
		    "select 1\n", 0, "no database in [stores]" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = minimal_with(NMIN, bad[i].extra);

		expect_error(text, bad[i].line, bad[i].what);
		free(text);
	}
}
END_TEST

START_TEST(test_missing_required)
{
	static const struct {
		size_t line;
		const char *what;
	} req[] = {
		{ 1, "missing [policy] name" },
		{ 3, "missing [source] paths" },
		{ 5, "missing [repository] url" },
		{ 7, "missing [keys] public" },
		{ 8, "missing [keys] signing" },
	};

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		char *text = minimal_with(req[i].line, NULL);

		expect_error(text, 0, req[i].what);
		free(text);
	}
}
END_TEST

START_TEST(test_bad_names)
{
	static const char *const bad[] = {
		"[policy]\nname = a/b\n",
		"[policy]\nname = .hidden\n",
	};
	char line[128];
	struct policy *p = NULL;
	char *text;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = minimal_with(1, bad[i]);
		/* The name line is the 10th (line 2 was dropped). */
		expect_error(text, 10, "[policy] name");
		free(text);
	}
	/* 65 characters is too long, 64 is fine. */
	snprintf(line, sizeof(line), "[policy]\nname = %065d\n", 7);
	text = minimal_with(1, line);
	expect_error(text, 10, "at most 64 characters");
	free(text);
	snprintf(line, sizeof(line), "[policy]\nname = %064d\n", 7);
	text = minimal_with(1, line);
	ck_assert_int_eq(parse(text, strlen(text), &p, NULL), 0);
	ck_assert_uint_eq(strlen(p->name), 64);
	policy_free(p);
	free(text);
}
END_TEST

START_TEST(test_nul_byte)
{
	char *text = minimal_with(NMIN, "[backup]\nthreads = 1\n");
	size_t len = strlen(text);
	struct policy *p = (struct policy *)1;
	char *err;

	text[len - 3] = '\0';	/* "threads =\0" "1\n" */
	ck_assert_int_eq(parse(text, len, &p, &err), -BKP_ECONFIG);
	ck_assert_ptr_null(p);
	/* Reported first (only, in check_known_bugs). */
	ck_assert_msg(strncmp(err, "bkp: error: " NAME ": contains a NUL byte",
	    strlen("bkp: error: " NAME ": contains a NUL byte")) == 0, "%s",
	    err);
	free(err);
	free(text);
}
END_TEST

START_TEST(test_all_errors_at_once)
{
	static const char text[] =
	    "[policy]\n"				/* 1 */
	    "name = ok\n"				/* 2 */
	    "colour = blue\n"				/* 3: unknown key */
	    "[source]\n"				/* 4 */
	    "paths = /a\n"				/* 5 */
	    "one_file_system = perhaps\n"		/* 6: bad bool */
	    "[repository]\n"				/* 7 */
	    "url = /r\n"				/* 8 */
	    "\n"					/* 9 */
	    "[keys]\n"					/* 10 */
	    "public = /p\n"				/* 11 */
	    "signing = /s\n"				/* 12 */
	    "[backup]\n"				/* 13 */
	    "compression = 42\n"			/* 14: range */
	    "part_size = lots\n"			/* 15: size */
	    "[extra]\n"					/* 16 */
	    "x = 1\n"					/* 17: section */
	    "[keys]\n"					/* 18 */
	    "public = /p2\n";				/* 19: twice */
	static const int lines[] = { 3, 6, 14, 15, 17, 19 };
	struct policy *p = (struct policy *)1;
	char *err, *at;

	ck_assert_int_eq(parse(text, sizeof(text) - 1, &p, &err),
	    -BKP_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_msg(tu_count_lines(err) == 6, "%s", err);
	at = err;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char want[256];
		char *hit;

		snprintf(want, sizeof(want), "bkp: error: %s:%d: ", NAME,
		    lines[i]);
		hit = strstr(at, want);
		ck_assert_msg(hit == at, "want '%s' next in: %s", want, err);
		at = strchr(hit, '\n') + 1;
	}
	free(err);
}
END_TEST

START_TEST(test_missing_with_others)
{
	/* A missing key is reported together with the other errors. */
	char *text = minimal_with(5, "[backup]\nbogus = 1\n");
	struct policy *p = (struct policy *)1;
	char *err;

	ck_assert_int_eq(parse(text, strlen(text), &p, &err), -BKP_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_msg(tu_count_lines(err) == 2, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, NAME ":10: unknown key 'bogus'"));
	ck_assert_ptr_nonnull(strstr(err, NAME ": missing [repository] url"));
	free(err);
	free(text);
}
END_TEST

START_TEST(test_syntax_error_with_others)
{
	static const char text[] =
	    "[policy]\n"				/* 1 */
	    "name = ok\n"				/* 2 */
	    "[source]\n"				/* 3 */
	    "paths = /a\n"				/* 4 */
	    "what is this\n"				/* 5: syntax */
	    "one_file_system = 2\n"			/* 6: bool */
	    "[repository]\n"
	    "url = /r\n"
	    "[keys]\n"
	    "public = /p\n"
	    "signing = /s\n";
	struct policy *p = (struct policy *)1;
	char *err;

	ck_assert_int_eq(parse(text, sizeof(text) - 1, &p, &err),
	    -BKP_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_msg(tu_count_lines(err) == 2, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, NAME ":5: syntax error"));
	ck_assert_ptr_nonnull(strstr(err, NAME ":6: [source] one_file_system"));
	free(err);
}
END_TEST

START_TEST(test_parse_size)
{
	static const struct {
		const char *s;
		int64_t v;
	} cases[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "1k", 1024 },
		{ "1K", 1024 },
		{ "1KiB", 1024 },
		{ "1KB", 1024 },
		{ "1kb", 1024 },
		{ "64M", 67108864 },
		{ "64m", 67108864 },
		{ "64MiB", 67108864 },
		{ "3G", 3ll << 30 },
		{ "2T", 2ll << 40 },
		{ "8388607T", 8388607ll << 40 },
		{ "9223372036854775807", INT64_MAX },
		{ "", -1 },
		{ "M", -1 },
		{ "-1", -1 },
		{ "+1", -1 },
		{ " 1", -1 },
		{ "1 ", -1 },
		{ "1 M", -1 },
		{ "1X", -1 },
		{ "1MM", -1 },
		{ "1Mi", 1 << 20 },
		{ "1iB", -1 },
		{ "1B", -1 },
		{ "1P", -1 },
		{ "1.5G", -1 },
		{ "0x10", -1 },
		{ "8388608T", -1 },
		{ "8589934592G", -1 },
		{ "9223372036854775808", -1 },
		{ "99999999999999999999", -1 },
		{ "18446744073709551616", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(policy_parse_size(cases[i].s) == cases[i].v,
		    "'%s': %lld, want %lld", cases[i].s,
		    (long long)policy_parse_size(cases[i].s),
		    (long long)cases[i].v);
}
END_TEST

START_TEST(test_load_file)
{
	char *dir = tu_tmpdir();
	char *path = tu_path(dir, "home.policy");
	char *missing = tu_path(dir, "none.policy");
	char *want;
	struct policy *p = NULL;

	tu_write_file(path, good, strlen(good), 0644);
	ck_assert_int_eq(policy_load(path, &p), 0);
	ck_assert_str_eq(p->file, path);
	ck_assert_str_eq(p->name, "home");
	want = tu_path(dir, "keys/repo.pub");
	ck_assert_str_eq(p->pubkey, want);
	free(want);
	want = tu_path(dir, "keys/id_ed25519");
	ck_assert_str_eq(p->identity, want);
	free(want);
	policy_free(p);

	tu_quiet_begin();
	ck_assert_int_eq(policy_load(missing, &p), -BKP_ECONFIG);
	tu_quiet_end();
	ck_assert_ptr_null(p);
	free(missing);
	free(path);
	free(dir);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("parse");
	TCase *err = tcase_create("errors");

	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_defaults);
	tcase_add_test(tc, test_parse_values);
	tcase_add_test(tc, test_list_continuation);
	tcase_add_test(tc, test_relative_url);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_check_query);
	suite_add_tcase(s, tc);
	tcase_add_test(err, test_errors_one_by_one);
	tcase_add_test(err, test_missing_required);
	tcase_add_test(err, test_check_query_errors);
	tcase_add_test(err, test_bad_names);
	tcase_add_test(err, test_nul_byte);
	tcase_add_test(err, test_all_errors_at_once);
	tcase_add_test(err, test_missing_with_others);
	tcase_add_test(err, test_syntax_error_with_others);
	suite_add_tcase(s, err);
	return s;
}

int
main(void)
{
	return tu_main(policy_suite());
}
