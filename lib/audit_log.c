/* audit_log.c: appending to the audit log under a lock, its head, its
 * rotation into audit.log.N, and reading it back. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "auditlog.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#define PARSE_MAX (64 * 1024)	/* longer lines are not records */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int
auditlog_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s: %s; this command is missing from the audit trail", msg,
	    strerror(e));
	return bkp_from_errno(e);
}

void
auditlog_hex(const uint8_t h[32], char out[65])
{
	sodium_bin2hex(out, 65, h, 32);
}

int
auditlog_unhex(const char *s, uint8_t h[32])
{
	size_t n;

	if (strlen(s) != 64 || sodium_hex2bin(h, 32, s, 64, NULL, &n,
	    NULL) != 0 || n != 32)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			return -1;	/* one spelling only */
	return 0;
}

int
auditlog_path(char *out, size_t size)
{
	char dir[PATH_MAX];
	int rc;

	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	if ((size_t)snprintf(out, size, "%s/%s", dir, AUDIT_LOG) >= size)
		return -BKP_ECONFIG;
	return 0;
}

/* The start of the line whose last byte is at end - 1. */
static int
line_start(int fd, off_t end, off_t *start)
{
	char buf[4096];
	off_t pos = end;

	while (pos > 0) {
		size_t n = pos < (off_t)sizeof(buf) ? (size_t)pos : sizeof(buf);

		if (pread(fd, buf, n, pos - (off_t)n) != (ssize_t)n)
			return auditlog_warn("audit log: cannot read");
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				*start = pos - (off_t)n + (off_t)i;
				return 0;
			}
		pos -= (off_t)n;
	}
	*start = 0;
	return 0;
}

/* Hashes [start, end) and keeps its first PARSE_MAX bytes in text. */
static int
read_line(int fd, off_t start, off_t end, uint8_t hash[32], char *text)
{
	crypto_generichash_state h;
	char buf[8192];
	size_t kept = 0;

	crypto_generichash_init(&h, NULL, 0, 32);
	for (off_t pos = start; pos < end;) {
		size_t n = end - pos < (off_t)sizeof(buf) ? (size_t)(end - pos) :
		    sizeof(buf);

		if (pread(fd, buf, n, pos) != (ssize_t)n)
			return auditlog_warn("audit log: cannot read");
		crypto_generichash_update(&h, (const uint8_t *)buf, n);
		if (kept + n < PARSE_MAX) {
			memcpy(text + kept, buf, n);
			kept += n;
		}
		pos += (off_t)n;
	}
	text[kept] = '\0';
	crypto_generichash_final(&h, hash, 32);
	return 0;
}

/* seq and log of a record; 0 when the line is not one. */
static int
head_fields(const char *text, uint64_t *seq, char log[AUDIT_LOG_ID_HEX])
{
	json_object *rec = audit_parse(text, strlen(text)), *v;

	if (rec == NULL)
		return 0;
	*seq = (uint64_t)json_object_get_int64(json_object_object_get(rec,
	    "seq"));
	v = json_object_object_get(rec, "log");
	snprintf(log, AUDIT_LOG_ID_HEX, "%s", json_object_get_string(v));
	json_object_put(rec);
	return 1;
}

/* The hash of the last line; the seq of the last record that parses, plus
 * the broken lines after it. */
int
auditlog_head(int fd, off_t size, struct audit_head *h, int *partial)
{
	char *text;
	off_t end = size, start;
	uint64_t broken = 0, seq;
	char last;
	int rc;

	memset(h, 0, sizeof(*h));
	*partial = 0;
	if (size == 0)
		return 0;
	if (pread(fd, &last, 1, size - 1) != 1)
		return auditlog_warn("audit log: cannot read");
	if (last == '\n')
		end--;
	else
		*partial = 1;
	if ((text = malloc(PARSE_MAX + 1)) == NULL)
		return -BKP_ENOMEM;
	if ((rc = line_start(fd, end, &start)) != 0 ||
	    (rc = read_line(fd, start, end, h->hash, text)) != 0)
		goto out;
	while (!head_fields(text, &seq, h->log)) {
		broken++;
		seq = 0;
		if (start == 0)
			break;
		end = start - 1;
		uint8_t ignored[32];

		if ((rc = line_start(fd, end, &start)) != 0 ||
		    (rc = read_line(fd, start, end, ignored, text)) != 0)
			goto out;
	}
	h->seq = seq + broken;
out:
	free(text);
	return rc;
}

int
auditlog_write_all(int fd, const char *p, size_t n, const char *path)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return auditlog_warn("%s: cannot write", path);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
auditlog_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return auditlog_warn("%s: cannot open", dir);
	fsync(fd);
	close(fd);
	return 0;
}

/* Builds the line: seq, prev and log first, then body, then fin's. */
int
auditlog_make_line(json_object *body, const struct audit_head *head, auditlog_fin fin,
    void *arg, struct wbuf *w)
{
	json_object *rec = json_object_new_object();
	struct audit_head h = *head;
	char hex[65];
	uint8_t id[16];
	int rc = 0;

	if (rec == NULL)
		return -BKP_ENOMEM;
	/* A new log (or one whose id cannot be read) gets a new id. */
	if (strlen(h.log) != 32) {
		randombytes_buf(id, sizeof(id));
		sodium_bin2hex(h.log, sizeof(h.log), id, sizeof(id));
	}
	auditlog_hex(h.hash, hex);
	json_object_object_add(rec, "seq",
	    json_object_new_int64((int64_t)h.seq + 1));
	json_object_object_add(rec, "prev", json_object_new_string(hex));
	json_object_object_add(rec, "log", json_object_new_string(h.log));
	json_object_object_foreach(body, k, v)
		json_object_object_add(rec, k, json_object_get(v));
	if (fin)
		rc = fin(rec, &h, arg);
	if (rc == 0) {
		const char *s = json_object_to_json_string_ext(rec, JSON_FLAGS);

		wbuf_put(w, s, strlen(s));
		wbuf_put(w, "\n", 1);
		rc = wbuf_status(w);
	}
	json_object_put(rec);
	return rc;
}

static int
append_locked(const char *path, json_object *body, auditlog_fin fin,
    void *arg, struct wbuf *out)
{
	struct audit_head head;
	struct stat st;
	struct wbuf w;
	int fd, partial, rc;

	wbuf_init(&w);
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return auditlog_warn("%s: cannot open the audit log", path);
	if (fstat(fd, &st) != 0) {
		rc = auditlog_warn("%s: cannot open the audit log", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0)
		(void)fchmod(fd, 0600);
	if ((rc = auditlog_rotate_if_needed(path, &fd, &st.st_size)) != 0 ||
	    (rc = auditlog_head(fd, st.st_size, &head, &partial)) != 0 ||
	    (rc = auditlog_make_line(body, &head, fin, arg, &w)) != 0)
		goto out;
	/* A cut last line stays a (broken) record of its own. */
	if (partial && (rc = auditlog_write_all(fd, "\n", 1, path)) != 0)
		goto out;
	if ((rc = auditlog_write_all(fd, (const char *)w.data, w.len,
	    path)) != 0)
		goto out;
	if (fdatasync(fd) != 0) {
		rc = auditlog_warn("%s: cannot sync", path);
		goto out;
	}
	if (st.st_size == 0)
		auditlog_sync_dir(path);
	if (out)
		wbuf_put(out, w.data, w.len);
out:
	wbuf_release(&w);
	close(fd);
	return rc;
}

int
auditlog_append(json_object *body, auditlog_fin fin, void *arg,
    struct wbuf *out)
{
	char path[PATH_MAX], lock[PATH_MAX + 8];
	int lfd, rc;

	if ((rc = auditlog_path(path, sizeof(path))) != 0)
		return rc;
	snprintf(lock, sizeof(lock), "%.*s.lock", (int)(strlen(path) - 4),
	    path);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0)
		return auditlog_warn("%s: cannot open", lock);
	while (flock(lfd, LOCK_EX) != 0)
		if (errno != EINTR) {
			rc = auditlog_warn("%s: cannot lock", lock);
			close(lfd);
			return rc;
		}
	rc = append_locked(path, body, fin, arg, out);
	close(lfd);
	return rc;
}

int
auditlog_read(const char *path, auditlog_line_cb cb, void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0;
	ssize_t n;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "re")) == NULL)
		return log_errno_code("%s: cannot open", path);
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		int complete = line[n - 1] == '\n';

		rc = cb(arg, line, (size_t)n - (size_t)complete, complete,
		    ++lineno);
	}
	if (rc == 0 && ferror(f))
		rc = log_errno_code("%s: cannot read", path);
	free(line);
	fclose(f);
	return rc;
}
