/* check_state.c: the state directory and the manifest cache. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "manifest.h"
#include "state.h"
#include "testutil.h"

#define SETID "20261121T205810Z-1a2b3c4d"
#define REPOID "00112233445566778899aabbccddeeff"

static struct manifest *
sample(void)
{
	static const char *const paths[] = {
		"etc", "etc/passwd", "etc/passwd-", "home",
	};
	struct manifest *m = manifest_new(SETID);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(manifest_set_index(m, SETID), 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct manifest_entry e;

		memset(&e, 0, sizeof(e));
		e.path = (char *)paths[i];
		e.type = strchr(paths[i], '/') ? ENTRY_FILE : ENTRY_DIR;
		e.where = WHERE_PART;
		e.mode = 0644;
		e.size = 100 * i;
		e.part = (uint32_t)i;
		e.mtime_sec = 1700000000 + (int64_t)i;
		e.uname = (char *)"root";
		e.gname = (char *)"root";
		randombytes_buf(e.hash, 32);
		ck_assert_int_eq(manifest_add(m, &e), 0);
	}
	return m;
}

static void
assert_same(const struct manifest *a, const struct manifest *b)
{
	ck_assert_str_eq(a->setid, b->setid);
	ck_assert_uint_eq(a->nsets, b->nsets);
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_str_eq(a->e[i].path, b->e[i].path);
		ck_assert_uint_eq(a->e[i].type, b->e[i].type);
		ck_assert_uint_eq(a->e[i].size, b->e[i].size);
		ck_assert_uint_eq(a->e[i].part, b->e[i].part);
		ck_assert_int_eq(a->e[i].mtime_sec, b->e[i].mtime_sec);
		ck_assert_mem_eq(a->e[i].hash, b->e[i].hash, 32);
	}
}

/* A fresh state directory in BKP_STATE_DIR and the cache path in it. */
static char *
cache_path(char **dir)
{
	char out[PATH_MAX], *state, *want;

	*dir = tu_tmpdir();
	state = tu_path(*dir, "state/deeper");
	ck_assert_int_eq(setenv("BKP_STATE_DIR", state, 1), 0);
	ck_assert_int_eq(state_cache_path(REPOID, "home", out, sizeof(out)),
	    0);
	ck_assert_int_eq(tu_file_mode(state), 0700);
	want = malloc(strlen(state) + 100);
	ck_assert_ptr_nonnull(want);
	strcpy(want, state);
	strcat(want, "/cache/" REPOID "/home.manifest");
	ck_assert_str_eq(out, want);
	free(want);
	free(state);
	return strdup(out);
}

static int
load_capture(const char *path, struct manifest **m, char **err)
{
	int rc;

	tu_capture_begin();
	rc = state_cache_load(path, m);
	*err = tu_capture_end();
	return rc;
}

START_TEST(test_state_dir_env)
{
	char *dir = tu_tmpdir();
	char *state = tu_path(dir, "a/b/c");
	char out[PATH_MAX];

	ck_assert_int_eq(setenv("BKP_STATE_DIR", state, 1), 0);
	ck_assert_int_eq(state_dir(out, sizeof(out)), 0);
	ck_assert_str_eq(out, state);
	ck_assert_int_eq(tu_file_mode(state), 0700);
	/* Too small a buffer. */
	tu_quiet_begin();
	ck_assert_int_eq(state_dir(out, 5), -BKP_ECONFIG);
	tu_quiet_end();
	free(state);
	free(dir);
}
END_TEST

START_TEST(test_cache_roundtrip)
{
	struct manifest *m = sample(), *d = NULL, *m2;
	char *dir, *path = cache_path(&dir);
	char *err;

	ck_assert_int_eq(state_cache_load(path, &d), -BKP_ENOTFOUND);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(state_cache_save(path, m), 0);
	ck_assert_int_eq(tu_file_mode(path), 0600);
	ck_assert_int_eq(load_capture(path, &d, &err), 0);
	ck_assert_str_eq(err, "");
	free(err);
	ck_assert_ptr_nonnull(d);
	assert_same(m, d);
	manifest_free(d);

	/* Saving again replaces it, leaving no temporary file behind. */
	m2 = manifest_new("20261122T000000Z-00000001");
	ck_assert_int_eq(state_cache_save(path, m2), 0);
	ck_assert_int_eq(state_cache_load(path, &d), 0);
	assert_same(m2, d);
	manifest_free(d);
	{
		char *cdir = strdup(path);

		*strrchr(cdir, '/') = '\0';
		ck_assert_int_eq(tu_dir_count(cdir), 1);
		free(cdir);
	}
	manifest_free(m2);
	manifest_free(m);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_cache_mode_refused)
{
	struct manifest *m = sample(), *d = NULL;
	char *dir, *path = cache_path(&dir);
	char *err;

	ck_assert_int_eq(state_cache_save(path, m), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(load_capture(path, &d, &err), -BKP_ENOTFOUND);
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(err, "warning"));
	free(err);
	ck_assert_int_eq(chmod(path, 0620), 0);
	ck_assert_int_eq(load_capture(path, &d, &err), -BKP_ENOTFOUND);
	free(err);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(load_capture(path, &d, &err), 0);
	manifest_free(d);
	free(err);
	/* Another user's file (only root can make one). */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 12345, (gid_t)-1), 0);
		ck_assert_int_eq(load_capture(path, &d, &err),
		    -BKP_ENOTFOUND);
		ck_assert_ptr_null(d);
		ck_assert_ptr_nonnull(strstr(err, "warning"));
		free(err);
	}
	manifest_free(m);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_cache_damaged)
{
	struct manifest *m = sample(), *d = NULL;
	char *dir, *path = cache_path(&dir);
	uint8_t *orig, *p;
	size_t n;
	char *err;

	ck_assert_int_eq(state_cache_save(path, m), 0);
	orig = tu_read_file(path, &n);
	ck_assert_ptr_nonnull(orig);
	ck_assert_mem_eq(orig, "BKPCACHE", 8);
	p = tu_dup(orig, n);
	/* Every byte flipped. */
	for (size_t i = 0; i < n; i++) {
		p[i] ^= 0x01;
		tu_write_file(path, p, n, 0600);
		ck_assert_msg(load_capture(path, &d, &err) == -BKP_ENOTFOUND,
		    "flip at %zu accepted", i);
		ck_assert_ptr_null(d);
		ck_assert_msg(strstr(err, "warning") && strstr(err, "damaged"),
		    "flip at %zu: no warning: %s", i, err);
		free(err);
		p[i] ^= 0x01;
	}
	/* Truncated. */
	for (size_t len = 0; len < n; len += 7) {
		tu_write_file(path, p, len, 0600);
		ck_assert_msg(load_capture(path, &d, &err) == -BKP_ENOTFOUND,
		    "cut to %zu accepted", len);
		ck_assert_ptr_nonnull(strstr(err, "warning"));
		free(err);
	}
	/* A valid checksum over a manifest that does not decode. */
	p[12 + 8] ^= 0x01;	/* the manifest's magic */
	crypto_generichash(p + n - 32, 32, p, n - 32, NULL, 0);
	tu_write_file(path, p, n, 0600);
	ck_assert_int_eq(load_capture(path, &d, &err), -BKP_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "damaged"));
	free(err);
	/* Version 2, validly checksummed. */
	memcpy(p, orig, n);
	put_le32(p + 8, 2);
	crypto_generichash(p + n - 32, 32, p, n - 32, NULL, 0);
	tu_write_file(path, p, n, 0600);
	ck_assert_int_eq(load_capture(path, &d, &err), -BKP_ENOTFOUND);
	free(err);
	/* The original again: fine. */
	tu_write_file(path, orig, n, 0600);
	ck_assert_int_eq(load_capture(path, &d, &err), 0);
	free(err);
	assert_same(m, d);
	manifest_free(d);
	free(p);
	free(orig);
	manifest_free(m);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_write_atomic)
{
	char *dir = tu_tmpdir();
	char *path = tu_path(dir, "f");
	uint8_t *got;
	size_t n;

	tu_write_file(path, "old contents", 12, 0644);
	ck_assert_int_eq(state_write_atomic(path, "new", 3), 0);
	got = tu_read_file(path, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(got, "new", 3);
	free(got);
	ck_assert_int_eq(tu_file_mode(path), 0600);
	ck_assert_int_eq(tu_dir_count(dir), 1);
	free(path);
	/* A directory that does not exist. */
	path = tu_path(dir, "no/such/f");
	tu_quiet_begin();
	ck_assert_int_eq(state_write_atomic(path, "x", 1), -BKP_ENOTFOUND);
	tu_quiet_end();
	free(path);
	free(dir);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("cache");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_state_dir_env);
	tcase_add_test(tc, test_cache_roundtrip);
	tcase_add_test(tc, test_cache_mode_refused);
	tcase_add_test(tc, test_cache_damaged);
	tcase_add_test(tc, test_write_atomic);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(state_suite());
}
