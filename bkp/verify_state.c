/* verify_state.c: what bkp verify remembers locally.
 *
 *   $STATE_DIR/verify.log               one JSON line per completed run
 *   $STATE_DIR/verify-parts/REPO_ID     "SETID PART TIME_NS" lines: when
 *                                       each part was last restored by a
 *                                       sample or full verify (rotation)
 *
 * Neither is needed: without them a run simply has no history.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"
#include "verify.h"

#define PARTS_MAX_LINE 128

struct part_seen {
	char id[SETID_LEN + 1];
	uint32_t part;
	int64_t ns;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static json_object *
log_record(const struct verify *v, int64_t ns)
{
	json_object *o = json_object_new_object();
	char t[32], id[REPO_ID_HEX];

	time_format_utc(ns, t, sizeof(t));
	repo_id_hex(v->repo, id);
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "repo", json_object_new_string(
	    repo_url(v->repo)));
	json_object_object_add(o, "repo_id", json_object_new_string(id));
	json_object_object_add(o, "level", json_object_new_string(
	    verify_level_names[v->level]));
	json_object_object_add(o, "sets", json_object_new_int64(
	    (int64_t)v->nchecked));
	json_object_object_add(o, "objects", json_object_new_int64(
	    (int64_t)v->objects));
	json_object_object_add(o, "files_checked", json_object_new_int64(
	    (int64_t)v->files_checked));
	json_object_object_add(o, "problems", json_object_new_int64(
	    (int64_t)v->problems));
	json_object_object_add(o, "bytes_read", json_object_new_int64(
	    (int64_t)v->bytes_read));
	json_object_object_add(o, "seed", v->level == VERIFY_SAMPLE ?
	    json_object_new_uint64(v->seed) : NULL);
	json_object_object_add(o, "rotate", v->level == VERIFY_SAMPLE ?
	    json_object_new_boolean(v->rotate) : NULL);
	json_object_object_add(o, "source_compared", v->compare_source ?
	    json_object_new_int64((int64_t)v->src.compared) : NULL);
	json_object_object_add(o, "source_differ", v->compare_source ?
	    json_object_new_int64((int64_t)v->src.differ) : NULL);
	return o;
}

int
verify_log_append(const struct verify *v)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	json_object *o;
	const char *line;
	size_t len;
	int fd, rc;

	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/verify.log", dir);
	o = log_record(v, now_ns());
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(line);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	/* One write: concurrent runs append whole lines. */
	if (fd == -1 || write(fd, line, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1)
		rc = log_errno_code("%s: cannot record this run", path);
	if (fd != -1 && close(fd) != 0 && rc == 0)
		rc = log_errno_code("%s: cannot record this run", path);
	json_object_put(o);
	return rc;
}

static int
parts_path(const struct verify *v, char *out, size_t size)
{
	char dir[PATH_MAX], id[REPO_ID_HEX];
	int rc;

	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	repo_id_hex(v->repo, id);
	if ((size_t)snprintf(out, size, "%s/verify-parts", dir) >= size ||
	    (mkdir(out, 0700) != 0 && errno != EEXIST))
		return log_errno_code("%s: cannot create", out);
	snprintf(out, size, "%s/verify-parts/%s", dir, id);
	return 0;
}

static int
cmp_seen(const void *a, const void *b)
{
	const struct part_seen *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->part < y->part ? -1 : x->part > y->part;
}

/* The record, sorted; a missing file is an empty record, and lines that
 * do not parse are skipped. */
static int
parts_load(const char *path, struct part_seen **seen, size_t *n)
{
	char line[PARTS_MAX_LINE];
	struct part_seen *p, e;
	size_t cap = 0;
	FILE *f;

	*seen = NULL;
	*n = 0;
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 :
		    log_errno_code("%s: cannot read", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		long long ns;

		if (sscanf(line, "%25s %u %lld", e.id, &e.part, &ns) != 3 ||
		    !repo_setid_valid(e.id))
			continue;
		e.ns = ns;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((p = realloc(*seen, cap * sizeof(*p))) == NULL) {
				fclose(f);
				return -BKP_ENOMEM;
			}
			*seen = p;
		}
		(*seen)[(*n)++] = e;
	}
	fclose(f);
	if (*n > 0)
		qsort(*seen, *n, sizeof(**seen), cmp_seen);
	return 0;
}

int
verify_parts_last(const struct verify *v, const struct vcand *cand,
    size_t ncand, int64_t **last)
{
	char path[PATH_MAX + 64];
	struct part_seen *seen, key, *hit;
	size_t n;
	int rc;

	*last = NULL;
	if ((rc = parts_path(v, path, sizeof(path))) != 0 ||
	    (rc = parts_load(path, &seen, &n)) != 0)
		return rc;
	if ((*last = calloc(ncand + 1, sizeof(**last))) == NULL) {
		free(seen);
		return -BKP_ENOMEM;
	}
	for (size_t i = 0; i < ncand && n > 0; i++) {
		memcpy(key.id, v->sets[cand[i].holder].id, sizeof(key.id));
		key.part = cand[i].part;
		if ((hit = bsearch(&key, seen, n, sizeof(*seen),
		    cmp_seen)) != NULL)
			(*last)[i] = hit->ns;
	}
	free(seen);
	return 0;
}

/* The record plus the parts this run restored, without the sets that are
 * gone: sorted, one line per part, its latest time. */
static int
parts_merge(const struct verify *v, struct part_seen **seen, size_t *n,
    int64_t now)
{
	struct part_seen *p;
	size_t k = 0;

	if ((p = realloc(*seen, (*n + v->nsampled + 1) * sizeof(*p))) == NULL)
		return -BKP_ENOMEM;
	*seen = p;
	for (size_t j = 0; j < v->nsampled; j++) {
		memcpy(p[*n].id, v->sets[v->sampled[j].holder].id,
		    sizeof(p->id));
		p[*n].part = v->sampled[j].part;
		p[(*n)++].ns = now;
	}
	qsort(p, *n, sizeof(*p), cmp_seen);
	for (size_t i = 0; i < *n; i++) {
		if (verify_find_set(v, p[i].id) == NULL)
			continue;
		if (k > 0 && cmp_seen(&p[k - 1], &p[i]) == 0) {
			if (p[i].ns > p[k - 1].ns)
				p[k - 1].ns = p[i].ns;
			continue;
		}
		p[k++] = p[i];
	}
	*n = k;
	return 0;
}

int
verify_parts_save(const struct verify *v)
{
	char path[PATH_MAX + 64], line[PARTS_MAX_LINE];
	struct part_seen *seen = NULL;
	struct wbuf w;
	size_t n;
	int len, rc;

	if (v->nsampled == 0)
		return 0;
	wbuf_init(&w);
	if ((rc = parts_path(v, path, sizeof(path))) != 0 ||
	    (rc = parts_load(path, &seen, &n)) != 0 ||
	    (rc = parts_merge(v, &seen, &n, now_ns())) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		len = snprintf(line, sizeof(line), "%s %u %lld\n", seen[i].id,
		    seen[i].part, (long long)seen[i].ns);
		wbuf_put(&w, line, (size_t)len);
	}
	if ((rc = wbuf_status(&w)) == 0)
		rc = state_write_atomic(path, w.data, w.len);
out:
	wbuf_release(&w);
	free(seen);
	return rc;
}
