/* state.c: the local state directory and the manifest cache. */
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
#include "state.h"

static const char CACHE_MAGIC[8] = "BKPCACHE";
#define CACHE_VERSION 1
#define CACHE_MAX ((size_t)4 << 30)

static int
mkdirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			int rc = log_errno_code("%s: cannot create state "
			    "directory", path);

			*p = c;
			return rc;
		}
		if (c == '\0')
			return 0;
		*p = c;
	}
}

int
state_dir(char *out, size_t size)
{
	const char *env = getenv("BKP_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(out, size, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(out, size, "/var/lib/bkp");
	else if (xdg && *xdg == '/')
		n = snprintf(out, size, "%s/bkp", xdg);
	else if (home && *home == '/')
		n = snprintf(out, size, "%s/.local/state/bkp", home);
	else {
		log_error("no state directory: set BKP_STATE_DIR or HOME");
		return -BKP_ECONFIG;
	}
	if (n < 0 || (size_t)n >= size) {
		log_error("state directory path too long");
		return -BKP_ECONFIG;
	}
	return mkdirs(out);
}

int
state_cache_path(const char *repo_id_hex, const char *policy, char *out,
    size_t size)
{
	char dir[PATH_MAX];
	int rc;

	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	if ((size_t)snprintf(out, size, "%s/cache/%s", dir, repo_id_hex) >=
	    size)
		return -BKP_ECONFIG;
	if ((rc = mkdirs(out)) != 0)
		return rc;
	if ((size_t)snprintf(out, size, "%s/cache/%s/%s.manifest", dir,
	    repo_id_hex, policy) >= size)
		return -BKP_ECONFIG;
	return 0;
}

int
state_write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX];
	const char *slash;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return log_errno_code("%s: cannot create", tmp);
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		rc = log_errno_code("%s: cannot write", tmp);
	if (close(fd) != 0 && rc == 0)
		rc = log_errno_code("%s: cannot write", tmp);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = log_errno_code("%s: cannot rename into place", path);
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
	    slash ? path : ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int
state_cache_save(const char *path, const struct manifest *m)
{
	uint8_t check[32];
	struct wbuf w;
	int rc;

	wbuf_init(&w);
	wbuf_put(&w, CACHE_MAGIC, 8);
	wbuf_u32(&w, CACHE_VERSION);
	if ((rc = manifest_encode(m, &w)) == 0) {
		crypto_generichash(check, 32, w.data, w.len, NULL, 0);
		wbuf_put(&w, check, 32);
		if ((rc = wbuf_status(&w)) == 0)
			rc = state_write_atomic(path, w.data, w.len);
	}
	wbuf_release(&w);
	return rc;
}

static int
read_all(int fd, const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t n = 0;

	if (fstat(fd, &st) != 0)
		return log_errno_code("%s: cannot stat", path);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    st.st_uid != geteuid() || (size_t)st.st_size > CACHE_MAX) {
		log_warn("%s: not a private regular file of this user; "
		    "ignored (the next backup is full)", path);
		return -BKP_ENOTFOUND;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL)
		return -BKP_ENOMEM;
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, p + n, (size_t)st.st_size - n);

		if (r <= 0) {
			free(p);
			return log_errno_code("%s: cannot read", path);
		}
		n += (size_t)r;
	}
	*data = p;
	*len = n;
	return 0;
}

int
state_cache_load(const char *path, struct manifest **m)
{
	uint8_t *data = NULL, check[32];
	size_t len = 0;
	int fd, rc;

	*m = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -BKP_ENOTFOUND;
		return log_errno_code("%s: cannot open", path);
	}
	rc = read_all(fd, path, &data, &len);
	close(fd);
	if (rc != 0)
		return rc;
	rc = -BKP_ENOTFOUND;
	if (len < 12 + 32 || memcmp(data, CACHE_MAGIC, 8) != 0 ||
	    get_le32(data + 8) != CACHE_VERSION)
		goto damaged;
	crypto_generichash(check, 32, data, len - 32, NULL, 0);
	if (sodium_memcmp(check, data + len - 32, 32) != 0)
		goto damaged;
	if (manifest_decode(data + 12, len - 12 - 32, m, path) != 0)
		goto damaged;
	free(data);
	return 0;
damaged:
	log_warn("%s: manifest cache damaged; ignored (the next backup is "
	    "full)", path);
	free(data);
	return rc;
}
