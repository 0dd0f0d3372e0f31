/* testutil.c: helpers shared by the unit tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"

/* So that sanitizer reports go to the real stderr while a test has fd 2
 * redirected (weak: absent from builds without sanitizers).  Set in the
 * test's own process: the runtime forgets it across fork. */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static char base[4096];
static int saved_fd2 = -1;
static char capture_path[4200];

int
tu_main(Suite *s)
{
	const char *tmp = getenv("TMPDIR");
	SRunner *sr;
	int failed;

	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 99;
	}
	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	snprintf(base, sizeof(base), "%s/bkp-unit-XXXXXX", tmp);
	if (mkdtemp(base) == NULL) {
		fprintf(stderr, "%s: %s\n", base, strerror(errno));
		return 99;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tu_rmtree(base);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

char *
tu_tmpdir(void)
{
	char *d;

	ck_assert_msg(base[0] != '\0', "tu_tmpdir outside tu_main");
	ck_assert_int_ne(asprintf(&d, "%s/t-XXXXXX", base), -1);
	ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp: %s", strerror(errno));
	return d;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_path(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", dir, name), -1);
	return p;
}

void
tu_write_file(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert_msg(len == 0 || write(fd, data, len) == (ssize_t)len,
	    "%s: write failed", path);
	ck_assert_int_eq(fchmod(fd, (mode_t)mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

uint8_t *
tu_read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(p);
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, p + n, (size_t)st.st_size - n);

		ck_assert_int_gt(r, 0);
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	*len = n;
	return p;
}

int
tu_file_mode(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

int
tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
tu_dir_count(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
redirect_stderr(const char *path)
{
	int fd;

	ck_assert_msg(saved_fd2 == -1, "stderr already redirected");
	fflush(stderr);
	saved_fd2 = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_fd2, 0);
	if (__sanitizer_set_report_fd != NULL)
		__sanitizer_set_report_fd((void *)(intptr_t)saved_fd2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

static void
restore_stderr(void)
{
	ck_assert_msg(saved_fd2 != -1, "stderr not redirected");
	fflush(stderr);
	ck_assert_int_eq(dup2(saved_fd2, STDERR_FILENO), STDERR_FILENO);
	if (__sanitizer_set_report_fd != NULL)
		__sanitizer_set_report_fd((void *)(intptr_t)STDERR_FILENO);
	close(saved_fd2);
	saved_fd2 = -1;
}

void
tu_capture_begin(void)
{
	snprintf(capture_path, sizeof(capture_path), "%s/stderr.%d", base,
	    (int)getpid());
	redirect_stderr(capture_path);
}

char *
tu_capture_end(void)
{
	uint8_t *p;
	size_t n;

	restore_stderr();
	p = tu_read_file(capture_path, &n);
	ck_assert_ptr_nonnull(p);
	unlink(capture_path);
	return (char *)p;
}

void
tu_quiet_begin(void)
{
	redirect_stderr("/dev/null");
}

void
tu_quiet_end(void)
{
	restore_stderr();
}

size_t
tu_count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

uint8_t *
tu_dup(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(d);
	if (n)
		memcpy(d, p, n);
	return d;
}

uint8_t *
tu_random(size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(d);
	randombytes_buf(d, n);
	return d;
}
