/* extract.c: restoring a set: which parts to read, and the workers that
 * read them side by side. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "extract_int.h"
#include "log.h"
#include "repo.h"
#include "select.h"

/* Workers at most: past that the disk is the limit, and each one holds
 * some 5 MiB of buffers. */
#define WORKERS_MAX 4

static int
cmp_refs(const void *a, const void *b)
{
	const struct part_ref *x = a, *y = b;

	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return x->part < y->part ? -1 : x->part > y->part;
}

/* The distinct (set, part) pairs the manifest points at, sorted. */
static struct part_ref *
needed_parts(const struct manifest *m, const uint8_t *sel, size_t *count)
{
	struct part_ref *v = malloc((m->n + 1) * sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (sel[i] && m->e[i].where == WHERE_PART) {
			v[n].set = m->e[i].set;
			v[n++].part = m->e[i].part;
		}
	qsort(v, n, sizeof(*v), cmp_refs);
	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (*count == 0 || cmp_refs(&v[*count - 1], &v[i]) != 0)
			v[(*count)++] = v[i];
	return v;
}

/* Directory times last, deepest first (reverse walk order): writing into a
 * directory changes its mtime, and a directory that already existed when
 * its own entry came had its time set too early. */
static void
restore_dir_times(struct extract *x)
{
	for (size_t i = x->m->n; i-- > 0;) {
		const struct manifest_entry *e = &x->m->e[i];
		struct timespec ts[2];

		/* Only directories restored or merged into, never through
		 * a symlink. */
		if (e->type != ENTRY_DIR || x->done[i] != DONE_OK ||
		    !extract_beneath(e->path))
			continue;
		ts[0].tv_sec = e->mtime_sec;
		ts[0].tv_nsec = e->mtime_nsec;
		ts[1] = ts[0];
		if (utimensat(AT_FDCWD, e->path, ts, AT_SYMLINK_NOFOLLOW) != 0)
			log_warn("%s: cannot set its time: %s", e->path,
			    strerror(errno));
	}
}

/* Entries below a symlink (or another non-directory) of the set itself
 * are refused before any worker starts: one worker could otherwise make
 * the symlink while another is on its way through that name.  Parents
 * sort before their children (manifest_path_cmp), so one pass does. */
static int
refuse_below_nondirs(struct extract *x, struct xworker *w)
{
	const struct manifest *m = x->m;
	uint8_t *bad = calloc(m->n + 1, 1);
	char up[PATH_MAX + 1];

	if (bad == NULL)
		return -BKP_ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct manifest_entry *a = NULL;
		char *slash;

		snprintf(up, sizeof(up), "%s", m->e[i].path);
		while (a == NULL && (slash = strrchr(up, '/')) != NULL) {
			*slash = '\0';
			a = manifest_find(m, up);
		}
		if (a == NULL || (a->type == ENTRY_DIR && !bad[a - m->e]))
			continue;
		bad[i] = 1;
		if (x->sel[i] && !x->done[i]) {
			xworker_failed(w, m->e[i].path, "below a symlink or "
			    "file of the set; refused");
			x->done[i] = DONE_SEEN;
		}
	}
	free(bad);
	return 0;
}

static void
report_missing(struct extract *x, struct xworker *w)
{
	for (size_t i = 0; i < x->m->n; i++)
		if (x->sel[i] && !x->done[i] && x->m->e[i].where == WHERE_PART)
			xworker_failed(w, x->m->e[i].path,
			    "missing from its part");
}

/* The parts, handed out one at a time. */
struct queue {
	pthread_mutex_t mu;
	struct part_ref *refs;
	size_t n, next;
	int rc;		/* the first error that stops everything */
};

static int
queue_take(struct queue *q, struct part_ref *ref)
{
	int more;

	pthread_mutex_lock(&q->mu);
	more = q->rc == 0 && q->next < q->n;
	if (more)
		*ref = q->refs[q->next++];
	pthread_mutex_unlock(&q->mu);
	return more;
}

static void
queue_fail(struct queue *q, int rc)
{
	pthread_mutex_lock(&q->mu);
	if (q->rc == 0)
		q->rc = rc;
	pthread_mutex_unlock(&q->mu);
}

struct job {
	struct xworker w;
	struct queue *q;
	pthread_t thread;
};

static void *
work(void *arg)
{
	struct job *j = arg;
	struct part_ref ref;
	int rc;

	while (queue_take(j->q, &ref)) {
		rc = xworker_part(&j->w, &ref);
		/* salvage: a damaged or missing part is reported, the rest
		 * goes on */
		if (rc != 0 && rc != -BKP_ECORRUPT && rc != -BKP_ENOTFOUND)
			queue_fail(j->q, rc);
	}
	return NULL;
}

static unsigned
worker_count(size_t nrefs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cpus < 1 ? 1 : cpus > WORKERS_MAX ? WORKERS_MAX :
	    (unsigned)cpus;

	return nrefs < n ? (nrefs ? (unsigned)nrefs : 1) : n;
}

/* Runs the workers over the parts; job 0 runs in the caller. */
static int
run_workers(struct job *jobs, unsigned n, struct queue *q)
{
	unsigned started = 1;

	for (; started < n; started++)
		if (pthread_create(&jobs[started].thread, NULL, work,
		    &jobs[started]) != 0)
			break;
	work(&jobs[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(jobs[i].thread, NULL);
	return q->rc;
}

static void
add_stats(struct extract_stats *to, const struct extract_stats *from)
{
	to->entries += from->entries;
	to->bytes += from->bytes;
	to->failed += from->failed;
	to->kept += from->kept;
	to->present += from->present;
	to->parts += from->parts;
	to->fetched += from->fetched;
}

/* Opens the set reader of every set a part is read from, before the
 * workers share them; the set being restored has its reader open already
 * (its seal and key read again cost four round trips over SFTP). */
static int
open_readers(struct extract *x, const struct part_ref *refs, size_t n)
{
	const char *top = setreader_seal(x->top)->setid;
	int rc;

	for (size_t i = 0; i < n; i++) {
		uint32_t k = refs[i].set;

		if (x->readers[k] != NULL)
			continue;
		if (strcmp(x->m->sets[k], top) == 0)
			x->readers[k] = x->top;
		else if ((rc = setreader_open(x->r, x->m->sets[k],
		    x->o->trusted, x->o->ntrusted, x->sec,
		    &x->readers[k])) != 0)
			return rc;
	}
	return 0;
}

/* After the workers: hard links, what never came, the directories'
 * deferred permissions (libarchive) and times. */
static int
finish(struct extract *x, struct job *jobs, unsigned n, int rc)
{
	if (rc == 0)
		rc = xworker_hardlinks(&jobs[0].w);
	report_missing(x, &jobs[0].w);
	for (unsigned i = 0; i < n; i++)
		if (archive_write_close(jobs[i].w.disk) != ARCHIVE_OK) {
			log_error("%s: %s", x->o->target,
			    archive_error_string(jobs[i].w.disk));
			jobs[i].w.stats.failed++;
		}
	restore_dir_times(x);
	return rc;
}

static int
extract_all(struct extract *x, struct extract_stats *stats)
{
	struct queue q = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct job *jobs = NULL;
	unsigned n = 0;
	int rc;

	if ((q.refs = needed_parts(x->m, x->sel, &q.n)) == NULL)
		return -BKP_ENOMEM;
	n = worker_count(q.n);
	if ((jobs = calloc(n, sizeof(*jobs))) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		jobs[i].q = &q;
		if ((rc = xworker_init(&jobs[i].w, x, i)) != 0)
			goto out;
	}
	if ((rc = refuse_below_nondirs(x, &jobs[0].w)) != 0 ||
	    (rc = open_readers(x, q.refs, q.n)) != 0)
		goto out;
	rc = finish(x, jobs, n, run_workers(jobs, n, &q));
out:
	for (unsigned i = 0; jobs && i < n; i++) {
		add_stats(stats, &jobs[i].w.stats);
		xworker_release(&jobs[i].w);
	}
	free(jobs);
	free(q.refs);
	pthread_mutex_destroy(&q.mu);
	return rc;
}

/* 1 if the current directory (the target) has no entries. */
static int
target_empty(void)
{
	DIR *d = opendir(".");
	struct dirent *de;
	int empty = 1;

	if (d == NULL)
		return 0;
	while (empty && (de = readdir(d)) != NULL)
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

int
extract_open(struct repo *r, const struct bkp_seckey *sec, const char *setid,
    const struct extract_opts *o, struct extract **xp)
{
	struct extract *x;
	int rc;

	*xp = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -BKP_ENOMEM;
	x->r = r;
	x->sec = sec;
	x->o = o;
	x->rootfd = -1;
	if ((rc = setreader_open(r, setid, o->trusted, o->ntrusted, sec,
	    &x->top)) != 0 || (rc = setreader_manifest(x->top, &x->m)) != 0)
		goto err;
	if ((x->readers = calloc(x->m->nsets + 1, sizeof(*x->readers))) ==
	    NULL || (x->done = calloc(x->m->n + 1, 1)) == NULL ||
	    (x->sel = calloc(x->m->n + 1, 1)) == NULL) {
		rc = -BKP_ENOMEM;
		goto err;
	}
	extract_select(x, NULL, 0);
	*xp = x;
	return 0;
err:
	extract_free(x);
	return rc;
}

const struct manifest *
extract_manifest(const struct extract *x)
{
	return x->m;
}

size_t
extract_select(struct extract *x, char *const *patterns, size_t n)
{
	return select_entries(x->m, patterns, n, x->sel);
}

size_t
extract_select_paths(struct extract *x, const char *const *paths, size_t n)
{
	return select_paths(x->m, paths, n, x->sel);
}

int
extract_selected(const struct extract *x, size_t i)
{
	return x->sel[i];
}

int
extract_run(struct extract *x, struct extract_stats *stats)
{
	mode_t mask;
	int rc;

	memset(stats, 0, sizeof(*stats));
	stats->fetched = setreader_seal(x->top)->manifest.size;
	if (chdir(x->o->target) != 0 ||
	    (x->rootfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return log_errno_code("%s: cannot enter target", x->o->target);
	x->fresh = target_empty();
	mask = umask(0);
	umask(mask);
	x->dirmode = 0777 & ~mask;
	rc = extract_all(x, stats);
	if (rc == 0 && stats->failed)
		rc = -BKP_EPARTIAL;
	return rc;
}

void
extract_free(struct extract *x)
{
	if (x == NULL)
		return;
	if (x->readers)
		for (uint32_t i = 0; i < x->m->nsets; i++)
			if (x->readers[i] != x->top)
				setreader_free(x->readers[i]);
	free(x->readers);
	free(x->done);
	free(x->sel);
	if (x->rootfd >= 0)
		close(x->rootfd);
	manifest_free(x->m);
	setreader_free(x->top);
	free(x);
}
