/* store_stream.c: a command's output as chunk entries of one part. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive_entry.h>
#include <sodium.h>

#include "error.h"
#include "log.h"
#include "store_stream.h"

#define LAST_KEEP 128

struct stream {
	const struct store_job *job;
	struct setwriter *sw;
	struct store_proc proc;
	crypto_generichash_state h;
	uint8_t *buf;
	uint8_t last[LAST_KEEP];	/* the stream's last bytes */
	size_t nlast;
	uint64_t total;
	uint32_t chunk, part;
	struct timespec start;
};

/* Owner names of the stored file: bkp's own user and group. */
static char uname[256], gname[256];

static void
owner_names(void)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = getgrgid(getegid());

	snprintf(uname, sizeof(uname), "%s", pw ? pw->pw_name : "");
	snprintf(gname, sizeof(gname), "%s", gr ? gr->gr_name : "");
}

/* Reads up to a chunk: 0 (*eof at the end of the output), or -1. */
static int
fill(struct stream *s, size_t *n, int *eof)
{
	*n = 0;
	*eof = 0;
	while (*n < STORE_CHUNK) {
		ssize_t k = store_proc_read(&s->proc, s->buf + *n,
		    STORE_CHUNK - *n);

		if (k < 0)
			return -1;
		if (k == 0) {
			*eof = 1;
			return 0;
		}
		*n += (size_t)k;
	}
	return 0;
}

static void
keep_last(struct stream *s, size_t n)
{
	if (n >= LAST_KEEP) {
		memcpy(s->last, s->buf + n - LAST_KEEP, LAST_KEEP);
		s->nlast = LAST_KEEP;
		return;
	}
	if (s->nlast + n > LAST_KEEP) {
		size_t drop = s->nlast + n - LAST_KEEP;

		memmove(s->last, s->last + drop, s->nlast - drop);
		s->nlast -= drop;
	}
	memcpy(s->last + s->nlast, s->buf, n);
	s->nlast += n;
}

/* Chunk s->chunk, of n bytes from s->buf; the first one may start a new
 * part, the others stay in its part. */
static int
write_chunk(struct stream *s, size_t n)
{
	struct archive_entry *ae;
	char name[PATH_MAX + 16];
	int rc;

	if ((ae = archive_entry_new()) == NULL)
		return -BKP_ENOMEM;
	snprintf(name, sizeof(name), "%s.%06u", s->job->path, s->chunk);
	archive_entry_copy_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0600);
	archive_entry_set_uid(ae, geteuid());
	archive_entry_set_gid(ae, getegid());
	archive_entry_copy_uname(ae, uname);
	archive_entry_copy_gname(ae, gname);
	archive_entry_set_mtime(ae, s->start.tv_sec, s->start.tv_nsec);
	archive_entry_set_size(ae, (la_int64_t)n);
	rc = s->chunk == 0 ? setwriter_entry_begin(s->sw, ae, &s->part) :
	    setwriter_entry_next(s->sw, ae);
	if (rc == 0 && n > 0)
		rc = setwriter_entry_data(s->sw, s->buf, n);
	if (rc == 0)
		rc = setwriter_entry_end(s->sw);
	archive_entry_free(ae);
	if (rc != 0)
		return rc;
	crypto_generichash_update(&s->h, s->buf, n);
	keep_last(s, n);
	s->total += n;
	s->chunk++;
	return 0;
}

/* 1 when the output ends as a complete dump of its kind does. */
static int
complete(const struct stream *s)
{
	const char *t = s->job->tail, *in = s->job->tail_in;

	if (t && (s->nlast < strlen(t) || memcmp(s->last + s->nlast -
	    strlen(t), t, strlen(t)) != 0))
		return 0;
	if (in && memmem(s->last, s->nlast, in, strlen(in)) == NULL)
		return 0;
	return 1;
}

/* The last line of the output, printable, for messages. */
static const char *
last_line(const struct stream *s)
{
	static char line[LAST_KEEP + 1];
	size_t end = s->nlast, start;

	while (end > 0 && s->last[end - 1] == '\n')
		end--;
	for (start = end; start > 0 && s->last[start - 1] != '\n'; start--)
		;
	for (size_t i = start; i < end; i++)
		line[i - start] = s->last[i] >= 0x20 && s->last[i] < 0x7f ?
		    (char)s->last[i] : '?';
	line[end - start] = '\0';
	return line;
}

/* Streams the whole output; 0, or a status that ends the set.  *why is
 * set when the source failed. */
static int
pump(struct stream *s, char *why, size_t size)
{
	size_t n;
	int eof = 0, rc;

	*why = '\0';
	while (!eof) {
		if (fill(s, &n, &eof) != 0) {
			if (!s->proc.timed_out) {
				snprintf(why, size, "reading its output "
				    "failed: %s", strerror(errno));
				store_proc_kill(&s->proc);
				return 0;
			}
			break;
		}
		if ((n > 0 || s->chunk == 0) &&
		    (rc = write_chunk(s, n)) != 0) {
			store_proc_kill(&s->proc);
			return rc;
		}
	}
	if (store_proc_finish(&s->proc, why, size) != 0)
		return 0;
	if (!complete(s))
		snprintf(why, size, "its output does not end as a complete "
		    "dump does, but with '%s'", last_line(s));
	return 0;
}

static double
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
fill_entry(const struct stream *s, uint32_t set, struct manifest_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->path = s->job->path;
	e->type = ENTRY_FILE;
	e->flags = ENTRY_STREAM;
	e->mode = 0600;
	e->uid = geteuid();
	e->gid = getegid();
	e->uname = uname;
	e->gname = gname;
	e->mtime_sec = e->ctime_sec = s->start.tv_sec;
	e->mtime_nsec = e->ctime_nsec = (uint32_t)s->start.tv_nsec;
	e->size = s->total;
	e->where = WHERE_PART;
	e->set = set;
	e->part = s->part;
}

int
store_stream(struct setwriter *sw, const struct store_job *job, uint32_t set,
    uint8_t *buf, struct manifest_entry *e, struct store_stream_stats *st)
{
	struct stream s = { .job = job, .sw = sw, .buf = buf };
	struct timespec t0;
	char why[300];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &s.start);
	owner_names();
	log_info("%s: %s", job->name, job->what);
	if ((rc = store_proc_start(&job->cmd, job->name, &s.proc)) != 0)
		return rc;
	crypto_generichash_init(&s.h, NULL, 0, 32);
	if ((rc = pump(&s, why, sizeof(why))) != 0)
		return rc;
	st->bytes = s.total;
	st->seconds = since(&t0);
	if (*why) {
		log_error("%s: %s failed (%s) after %.1f MiB; this dump is "
		    "not in the set", job->name, job->what, why,
		    (double)s.total / 1048576.0);
		store_proc_log_stderr(&s.proc, job->name, 1);
		return -BKP_EFAILED;
	}
	store_proc_log_stderr(&s.proc, job->name, 0);
	fill_entry(&s, set, e);
	crypto_generichash_final(&s.h, e->hash, 32);
	log_info("%s: %.1f MiB in %.1f s", job->name,
	    (double)s.total / 1048576.0, st->seconds);
	return 0;
}
