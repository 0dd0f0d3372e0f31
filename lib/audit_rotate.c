/* audit_rotate.c: audit.log -> audit.log.N, and the list of log files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "auditlog.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#define MAX_ARCHIVES 100000

static off_t
rotate_size(void)
{
	const char *e = getenv("BKP_AUDIT_ROTATE_SIZE");
	unsigned long long v;
	char *end;

	if (e && *e >= '1' && *e <= '9') {
		v = strtoull(e, &end, 10);
		if (*end == '\0' && v < (1ULL << 40))
			return (off_t)v;
	}
	return AUDIT_ROTATE_SIZE;
}

/* N of "audit.log.N" (1..MAX_ARCHIVES, no leading zero), else 0. */
static unsigned
archive_number(const char *name)
{
	static const char prefix[] = AUDIT_LOG ".";
	unsigned long v;
	char *end;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	name += sizeof(prefix) - 1;
	if (*name < '1' || *name > '9')
		return 0;
	v = strtoul(name, &end, 10);
	return *end == '\0' && v <= MAX_ARCHIVES ? (unsigned)v : 0;
}

static int
cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The archive numbers in dir, sorted. */
static int
archives(const char *dir, unsigned **nums, size_t *n)
{
	struct dirent *de;
	unsigned *v = NULL, k;
	void *p;
	DIR *d;

	*nums = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return log_errno_code("%s: cannot list", dir);
	while ((de = readdir(d)) != NULL) {
		if ((k = archive_number(de->d_name)) == 0)
			continue;
		if ((p = realloc(v, (*n + 1) * sizeof(*v))) == NULL) {
			free(v);
			closedir(d);
			return -BKP_ENOMEM;
		}
		v = p;
		v[(*n)++] = k;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_unsigned);
	*nums = v;
	return 0;
}

int
auditlog_files(char ***pathsp, size_t *np)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], **paths;
	unsigned *nums;
	size_t n, k = 0;
	int rc;

	*pathsp = NULL;
	*np = 0;
	if ((rc = state_dir(dir, sizeof(dir))) != 0 ||
	    (rc = archives(dir, &nums, &n)) != 0)
		return rc;
	if ((paths = calloc(n + 1, sizeof(*paths))) == NULL) {
		free(nums);
		return -BKP_ENOMEM;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n)
			snprintf(path, sizeof(path), "%s/%s.%u", dir, AUDIT_LOG,
			    nums[i]);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_LOG);
		if (i == n && access(path, F_OK) != 0)
			break;
		if ((paths[k] = strdup(path)) == NULL) {
			auditlog_files_free(paths, k);
			free(nums);
			return -BKP_ENOMEM;
		}
		k++;
	}
	free(nums);
	*pathsp = paths;
	*np = k;
	return 0;
}

void
auditlog_files_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n && paths; i++)
		free(paths[i]);
	free(paths);
}

/* Renamed logs whose newest record (their last write) is older than
 * AUDIT_KEEP_DAYS; never the one just renamed. */
static void
expire(const char *dir, unsigned newest)
{
	char path[PATH_MAX + 32];
	time_t limit = time(NULL) - (time_t)AUDIT_KEEP_DAYS * 86400;
	struct stat st;
	unsigned *nums;
	size_t n;

	if (archives(dir, &nums, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (nums[i] == newest)
			continue;
		snprintf(path, sizeof(path), "%s/%s.%u", dir, AUDIT_LOG,
		    nums[i]);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < limit && unlink(path) == 0)
			log_info("%s: older than %d days, deleted", path,
			    AUDIT_KEEP_DAYS);
	}
	free(nums);
}

/* The first record of the new log: the old head, and where it went. */
static int
start_new(const char *path, const char *archive, const struct audit_head *h,
    int *fd, off_t *size)
{
	json_object *body = json_object_new_object();
	char t[32], host[256];
	struct timespec ts;
	struct wbuf w;
	int rc;

	wbuf_init(&w);
	clock_gettime(CLOCK_REALTIME, &ts);
	time_format_utc((int64_t)ts.tv_sec * 1000000000, t, sizeof(t));
	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "unknown");
	host[sizeof(host) - 1] = '\0';
	json_object_object_add(body, "time", json_object_new_string(t));
	json_object_object_add(body, "host", json_object_new_string(host));
	json_object_object_add(body, "event",
	    json_object_new_string("log.rotate"));
	json_object_object_add(body, "previous", json_object_new_string(
	    strrchr(archive, '/') ? strrchr(archive, '/') + 1 : archive));
	if ((*fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		rc = auditlog_warn("%s: cannot create the audit log", path);
	else if ((rc = auditlog_make_line(body, h, NULL, NULL, &w)) == 0 &&
	    (rc = auditlog_write_all(*fd, (const char *)w.data, w.len,
	    path)) == 0) {
		if (fdatasync(*fd) != 0)
			rc = auditlog_warn("%s: cannot sync", path);
		*size = (off_t)w.len;
	}
	json_object_put(body);
	wbuf_release(&w);
	return rc;
}

int
auditlog_rotate_if_needed(const char *path, int *fd, off_t *size)
{
	char dir[PATH_MAX], archive[PATH_MAX + 32];
	struct audit_head h;
	unsigned *nums, next;
	size_t n;
	int partial, rc;

	if (*size < rotate_size())
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if ((rc = auditlog_head(*fd, *size, &h, &partial)) != 0 ||
	    (rc = archives(dir, &nums, &n)) != 0)
		return rc;
	next = n ? nums[n - 1] + 1 : 1;
	free(nums);
	snprintf(archive, sizeof(archive), "%s.%u", path, next);
	if (next > MAX_ARCHIVES || rename(path, archive) != 0)
		return auditlog_warn("%s: cannot rename to %s", path,
		    archive);
	close(*fd);
	*fd = -1;
	if ((rc = start_new(path, archive, &h, fd, size)) != 0)
		return rc;
	auditlog_sync_dir(path);
	log_info("%s: renamed to %s (beyond %lld bytes)", path, archive,
	    (long long)rotate_size());
	expire(dir, next);
	return 0;
}
