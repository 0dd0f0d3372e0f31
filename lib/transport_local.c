/* transport_local.c: a repository in a local directory.
 *
 * Writes go to ".tmp.NAME.RANDOM" beside the final name; commit fsyncs the
 * file, renames it into place without replacing anything (RENAME_NOREPLACE)
 * and fsyncs the directory, so a crash at any point leaves either nothing
 * or the whole object under its name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "transport_impl.h"

struct local {
	int rootfd;
	char *root;
};

struct local_file {
	struct local *l;
	int fd;
	char *path;	/* final name */
	char *tmp;	/* temporary name (writers) */
};

static int
local_open(const char *url, const struct transport_opts *opts, void **ctx)
{
	struct local *l;

	if (opts && opts->create && mkdir(url, 0700) == -1 && errno != EEXIST)
		return log_errno_code("%s: cannot create repository directory",
		    url);
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->root = strdup(url)) == NULL) {
		free(l);
		return -BKP_ENOMEM;
	}
	if ((l->rootfd = open(url, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		int rc = log_errno_code("%s: cannot open repository directory",
		    url);

		free(l->root);
		free(l);
		return rc == -BKP_ENOTFOUND ? -BKP_EREPO : rc;
	}
	*ctx = l;
	return 0;
}

static void
local_close(void *ctx)
{
	struct local *l = ctx;

	close(l->rootfd);
	free(l->root);
	free(l);
}

static int
fail(struct local *l, const char *path, const char *what)
{
	return log_errno_code("%s/%s: %s", l->root, path, what);
}

static int
local_mkdir(void *ctx, const char *path)
{
	struct local *l = ctx;
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -BKP_EINTERNAL;
	strcpy(buf, path);
	for (char *p = buf;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdirat(l->rootfd, buf, 0700) == -1 && errno != EEXIST)
			return fail(l, buf, "cannot create directory");
		if (c == '\0')
			break;
		*p = c;
	}
	return 0;
}

static int
local_list(void *ctx, const char *dir, int (*cb)(void *, const char *),
    void *arg)
{
	struct local *l = ctx;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = openat(l->rootfd, *dir ? dir : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -BKP_ENOTFOUND;
		return fail(l, dir, "cannot list");
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return fail(l, dir, "cannot list");
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((rc = cb(arg, de->d_name)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
local_stat(void *ctx, const char *path, uint64_t *size)
{
	struct local *l = ctx;
	struct stat st;

	if (fstatat(l->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return -BKP_ENOTFOUND;
		return fail(l, path, "cannot stat");
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int
sync_parent(struct local *l, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		strcpy(dir, ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = openat(l->rootfd, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return fail(l, dir, "cannot open directory");
	if (fsync(fd) == -1)
		rc = fail(l, dir, "cannot sync directory");
	close(fd);
	return rc;
}

static int
local_remove(void *ctx, const char *path)
{
	struct local *l = ctx;

	if (unlinkat(l->rootfd, path, 0) == -1) {
		if (errno == ENOENT)
			return -BKP_ENOTFOUND;
		return fail(l, path, "cannot remove");
	}
	return sync_parent(l, path);
}

static int
local_rmdir(void *ctx, const char *path)
{
	struct local *l = ctx;

	if (unlinkat(l->rootfd, path, AT_REMOVEDIR) == -1) {
		if (errno == ENOENT)
			return -BKP_ENOTFOUND;
		return fail(l, path, "cannot remove directory");
	}
	return 0;
}

static void
file_free(struct local_file *f)
{
	if (f == NULL)
		return;
	if (f->fd != -1)
		close(f->fd);
	free(f->path);
	free(f->tmp);
	free(f);
}

static struct local_file *
file_new(struct local *l, const char *path)
{
	struct local_file *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->l = l;
	f->fd = -1;
	if ((f->path = strdup(path)) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

static int
local_read_open(void *ctx, const char *path, void **fp)
{
	struct local *l = ctx;
	struct local_file *f;
	int rc;

	if ((f = file_new(l, path)) == NULL)
		return -BKP_ENOMEM;
	f->fd = openat(l->rootfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd == -1) {
		rc = errno == ENOENT ? -BKP_ENOTFOUND :
		    fail(l, path, "cannot open");
		if (rc == -BKP_ENOTFOUND)
			log_error("%s/%s: object missing from the repository",
			    l->root, path);
		file_free(f);
		return rc;
	}
	*fp = f;
	return 0;
}

static int
local_read(void *fp, void *buf, size_t n, size_t *got)
{
	struct local_file *f = fp;
	ssize_t r;

	do
		r = read(f->fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return fail(f->l, f->path, "read failed");
	*got = (size_t)r;
	return 0;
}

static void
local_read_close(void *fp)
{
	file_free(fp);
}

static int
local_write_open(void *ctx, const char *path, void **fp)
{
	struct local *l = ctx;
	struct local_file *f;
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	if ((f = file_new(l, path)) == NULL)
		return -BKP_ENOMEM;
	if (asprintf(&f->tmp, "%.*s.tmp.%s.%08x", dirlen, path,
	    path + dirlen, randombytes_random()) == -1) {
		f->tmp = NULL;
		file_free(f);
		return -BKP_ENOMEM;
	}
	f->fd = openat(l->rootfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd == -1) {
		int rc = fail(l, f->tmp, "cannot create");

		file_free(f);
		return rc;
	}
	*fp = f;
	return 0;
}

static int
local_write(void *fp, const void *buf, size_t n)
{
	struct local_file *f = fp;
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(f->fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return fail(f->l, f->tmp, "write failed");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
local_write_abort(void *fp)
{
	struct local_file *f = fp;

	if (f == NULL)
		return;
	unlinkat(f->l->rootfd, f->tmp, 0);
	file_free(f);
}

static int
local_write_commit(void *fp)
{
	struct local_file *f = fp;
	struct local *l = f->l;
	int rc;

	if (fsync(f->fd) == -1) {
		rc = fail(l, f->tmp, "cannot sync");
		goto err;
	}
	if (renameat2(l->rootfd, f->tmp, l->rootfd, f->path,
	    RENAME_NOREPLACE) == -1) {
		rc = fail(l, f->path, "cannot rename into place");
		goto err;
	}
	rc = sync_parent(l, f->path);
	file_free(f);
	return rc;
err:
	local_write_abort(f);
	return rc;
}

const struct transport_ops transport_local_ops = {
	.scheme = "",
	.open = local_open,
	.close = local_close,
	.mkdir = local_mkdir,
	.list = local_list,
	.stat = local_stat,
	.remove = local_remove,
	.rmdir = local_rmdir,
	.read_open = local_read_open,
	.read = local_read,
	.read_close = local_read_close,
	.write_open = local_write_open,
	.write = local_write,
	.write_commit = local_write_commit,
	.write_abort = local_write_abort,
};
