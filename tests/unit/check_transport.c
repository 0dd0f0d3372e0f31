/* check_transport.c: the local directory transport. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "error.h"
#include "stream.h"
#include "testutil.h"
#include "transport.h"

static char *g_dir;
static struct transport *g_t;

static void
setup(void)
{
	g_dir = tu_tmpdir();
	ck_assert_int_eq(transport_open(g_dir, NULL, &g_t), 0);
	ck_assert_ptr_nonnull(g_t);
}

static void
teardown(void)
{
	transport_close(g_t);
	free(g_dir);
}

/* Names listed, in listing order, as one string "a,b,". */
struct names {
	char s[4096];
	int n, stop_at;
};

static int
collect(void *arg, const char *name)
{
	struct names *l = arg;

	strcat(l->s, name);
	strcat(l->s, ",");
	l->n++;
	return l->n == l->stop_at ? 42 : 0;
}

/* The number of temporary (".tmp.") names in reldir. */
static int
count_tmp(const char *reldir)
{
	struct names l;
	int rc, n = 0;

	memset(&l, 0, sizeof(l));
	rc = transport_list(g_t, reldir, collect, &l);
	ck_assert_int_eq(rc, 0);
	for (char *p = l.s; (p = strstr(p, ".tmp.")) != NULL; p++)
		n++;
	return n;
}

START_TEST(test_open)
{
	struct transport_opts o = { 0 };
	struct transport *t = NULL;
	char *sub = tu_path(g_dir, "new");

	ck_assert_str_eq(transport_url(g_t), g_dir);
	tu_quiet_begin();
	ck_assert_int_eq(transport_open(sub, NULL, &t), -BKP_EREPO);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(transport_open("", NULL, &t), -BKP_EUSAGE);
	ck_assert_int_eq(transport_open(NULL, NULL, &t), -BKP_EUSAGE);
	ck_assert_int_eq(transport_open("ftp://host/x", NULL, &t),
	    -BKP_EUSAGE);
	tu_quiet_end();
	ck_assert_ptr_null(t);
	o.create = 1;
	ck_assert_int_eq(transport_open(sub, &o, &t), 0);
	ck_assert_int_eq(tu_file_mode(sub), 0700);
	transport_close(t);
	free(sub);
}
END_TEST

START_TEST(test_write_commit)
{
	struct transport_writer *w = NULL;
	char *path = tu_path(g_dir, "obj");
	uint8_t *data;
	uint64_t size;
	size_t n;

	ck_assert_int_eq(transport_write_open(g_t, "obj", &w), 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(transport_write(w, "hello ", 6), 0);
	ck_assert_int_eq(transport_write(w, "world", 5), 0);
	/* Not there before the commit, only a temporary name. */
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(transport_stat(g_t, "obj", &size), -BKP_ENOTFOUND);
	ck_assert_int_eq(count_tmp(""), 1);
	ck_assert_int_eq(transport_write_commit(w), 0);
	ck_assert(tu_exists(path));
	ck_assert_int_eq(tu_file_mode(path), 0600);
	ck_assert_int_eq(count_tmp(""), 0);
	ck_assert_int_eq(tu_dir_count(g_dir), 1);
	ck_assert_int_eq(transport_stat(g_t, "obj", &size), 0);
	ck_assert_uint_eq(size, 11);
	ck_assert_int_eq(transport_get(g_t, "obj", 100, &data, &n), 0);
	ck_assert_uint_eq(n, 11);
	ck_assert_mem_eq(data, "hello world", 11);
	free(data);
	free(path);
}
END_TEST

START_TEST(test_write_abort)
{
	struct transport_writer *w = NULL;

	ck_assert_int_eq(transport_mkdir(g_t, "sets/x"), 0);
	ck_assert_int_eq(transport_write_open(g_t, "sets/x/part", &w), 0);
	ck_assert_int_eq(transport_write(w, "data", 4), 0);
	ck_assert_int_eq(count_tmp("sets/x"), 1);
	transport_write_abort(w);
	transport_write_abort(NULL);
	ck_assert_int_eq(count_tmp("sets/x"), 0);
	{
		char *d = tu_path(g_dir, "sets/x");

		ck_assert_int_eq(tu_dir_count(d), 0);
		free(d);
	}
}
END_TEST

START_TEST(test_no_replace)
{
	struct transport_writer *w = NULL;
	uint8_t *data;
	size_t n;

	ck_assert_int_eq(transport_put(g_t, "seal", "first", 5), 0);
	ck_assert_int_eq(transport_write_open(g_t, "seal", &w), 0);
	ck_assert_int_eq(transport_write(w, "second!", 7), 0);
	tu_quiet_begin();
	ck_assert_int_ne(transport_write_commit(w), 0);
	ck_assert_int_ne(transport_put(g_t, "seal", "third", 5), 0);
	tu_quiet_end();
	ck_assert_int_eq(transport_get(g_t, "seal", 100, &data, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(data, "first", 5);
	free(data);
	/* The refused writes left nothing behind. */
	ck_assert_int_eq(tu_dir_count(g_dir), 1);
}
END_TEST

START_TEST(test_get_limits)
{
	uint8_t *big = tu_random(100000), *data = (uint8_t *)1;
	size_t n = 99;

	ck_assert_int_eq(transport_put(g_t, "big", big, 100000), 0);
	ck_assert_int_eq(transport_get(g_t, "big", 100000, &data, &n), 0);
	ck_assert_uint_eq(n, 100000);
	ck_assert_mem_eq(data, big, n);
	free(data);
	tu_quiet_begin();
	ck_assert_int_eq(transport_get(g_t, "big", 99999, &data, &n),
	    -BKP_ECORRUPT);
	ck_assert_ptr_null(data);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(transport_get(g_t, "big", 0, &data, &n),
	    -BKP_ECORRUPT);
	ck_assert_int_eq(transport_get(g_t, "missing", 10, &data, &n),
	    -BKP_ENOTFOUND);
	tu_quiet_end();
	ck_assert_ptr_null(data);
	/* An empty object within a zero limit. */
	ck_assert_int_eq(transport_put(g_t, "empty", "", 0), 0);
	ck_assert_int_eq(transport_get(g_t, "empty", 0, &data, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(data);
	free(big);
}
END_TEST

START_TEST(test_list_stat_remove)
{
	struct names l;
	uint64_t size;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(transport_list(g_t, "nope", collect, &l),
	    -BKP_ENOTFOUND);
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(transport_list(g_t, "", collect, &l), 0);
	ck_assert_int_eq(l.n, 0);

	ck_assert_int_eq(transport_mkdir(g_t, "a/b/c"), 0);
	ck_assert_int_eq(transport_mkdir(g_t, "a/b/c"), 0);
	ck_assert_int_eq(transport_put(g_t, "a/one", "1", 1), 0);
	ck_assert_int_eq(transport_put(g_t, "a/two", "22", 2), 0);
	ck_assert_int_eq(transport_list(g_t, "a", collect, &l), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_ptr_nonnull(strstr(l.s, "one,"));
	ck_assert_ptr_nonnull(strstr(l.s, "two,"));
	ck_assert_ptr_nonnull(strstr(l.s, "b,"));
	ck_assert_ptr_null(strstr(l.s, ".,"));
	/* A callback's non-zero result stops the listing. */
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	ck_assert_int_eq(transport_list(g_t, "a", collect, &l), 42);
	ck_assert_int_eq(l.n, 2);

	ck_assert_int_eq(transport_stat(g_t, "a/two", &size), 0);
	ck_assert_uint_eq(size, 2);
	ck_assert_int_eq(transport_remove(g_t, "a/two"), 0);
	ck_assert_int_eq(transport_stat(g_t, "a/two", &size), -BKP_ENOTFOUND);
	ck_assert_int_eq(transport_remove(g_t, "a/two"), -BKP_ENOTFOUND);
	ck_assert_int_eq(transport_rmdir(g_t, "a/b/c"), 0);
	ck_assert_int_eq(transport_rmdir(g_t, "a/b/c"), -BKP_ENOTFOUND);
	tu_quiet_begin();
	ck_assert_int_ne(transport_rmdir(g_t, "a"), 0);	/* not empty */
	tu_quiet_end();
}
END_TEST

START_TEST(test_read)
{
	struct transport_reader *r = NULL;
	uint8_t buf[7], all[20];
	size_t got, n = 0;

	tu_quiet_begin();
	ck_assert_int_eq(transport_read_open(g_t, "missing", &r),
	    -BKP_ENOTFOUND);
	tu_quiet_end();
	ck_assert_ptr_null(r);
	ck_assert_int_eq(transport_put(g_t, "x", "0123456789abcdef", 16), 0);
	ck_assert_int_eq(transport_read_open(g_t, "x", &r), 0);
	do {
		ck_assert_int_eq(transport_read(r, buf, sizeof(buf), &got), 0);
		ck_assert_uint_le(n + got, sizeof(all));
		memcpy(all + n, buf, got);
		n += got;
	} while (got > 0);
	ck_assert_uint_eq(n, 16);
	ck_assert_mem_eq(all, "0123456789abcdef", 16);
	transport_read_close(r);
	transport_read_close(NULL);
}
END_TEST

START_TEST(test_streams_over_transport)
{
	struct transport_writer *w;
	struct transport_reader *r;
	struct ostream *os;
	struct istream *is;
	uint8_t *data = tu_random(200000), *back = malloc(200000);
	uint64_t size;

	ck_assert_ptr_nonnull(back);
	/* Closing the stack commits the object. */
	ck_assert_int_eq(transport_write_open(g_t, "s", &w), 0);
	os = ostream_transport_new(w, 0);
	ck_assert_ptr_nonnull(os);
	ck_assert_int_eq(ostream_write(os, data, 200000), 0);
	ck_assert_int_eq(transport_stat(g_t, "s", &size), -BKP_ENOTFOUND);
	ck_assert_int_eq(ostream_close(os), 0);
	ostream_free(os);
	ck_assert_int_eq(transport_stat(g_t, "s", &size), 0);
	ck_assert_uint_eq(size, 200000);
	ck_assert_int_eq(transport_read_open(g_t, "s", &r), 0);
	is = istream_transport_new(r);
	ck_assert_int_eq(istream_read_full(is, back, 200000), 0);
	ck_assert_mem_eq(back, data, 200000);
	ck_assert_int_eq(istream_read_full(is, back, 1), -BKP_ECORRUPT);
	istream_free(is);

	/* Freeing an unclosed stack throws the object away. */
	ck_assert_int_eq(transport_write_open(g_t, "t", &w), 0);
	os = ostream_transport_new(w, 0);
	ck_assert_int_eq(ostream_write(os, data, 1000), 0);
	ostream_free(os);
	ck_assert_int_eq(transport_stat(g_t, "t", &size), -BKP_ENOTFOUND);
	ck_assert_int_eq(tu_dir_count(g_dir), 1);
	free(back);
	free(data);
}
END_TEST

static Suite *
transport_suite(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("local");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_write_commit);
	tcase_add_test(tc, test_write_abort);
	tcase_add_test(tc, test_no_replace);
	tcase_add_test(tc, test_get_limits);
	tcase_add_test(tc, test_list_stat_remove);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_streams_over_transport);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(transport_suite());
}
