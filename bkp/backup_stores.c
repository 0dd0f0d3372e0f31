/* backup_stores.c: dumps of data stores into a set. */
#include <stdlib.h>
#include <string.h>

#include "backup_stores.h"
#include "error.h"
#include "log.h"
#include "policy_stores.h"
#include "store_jobs.h"

static int
cmp_entries(const void *a, const void *b)
{
	return manifest_path_cmp(((const struct manifest_entry *)a)->path,
	    ((const struct manifest_entry *)b)->path);
}

/* Moves the entries of sm (sorted here) into m at their place.  No
 * source lies under STORES_DIR (policy_stores_check), so they go in as
 * one block between two entries of the walk. */
static int
insert_block(struct manifest *m, struct manifest *sm)
{
	size_t lo = 0, hi = m->n;

	if (sm->n == 0)
		return 0;
	qsort(sm->e, sm->n, sizeof(*sm->e), cmp_entries);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (manifest_path_cmp(m->e[mid].path, sm->e[0].path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->n && manifest_path_cmp(m->e[lo].path,
	    sm->e[sm->n - 1].path) <= 0) {
		log_error("internal error: %s is both a source and a store",
		    m->e[lo].path);
		return -BKP_EINTERNAL;
	}
	if (m->cap < m->n + sm->n) {
		void *v = realloc(m->e, (m->n + sm->n) * sizeof(*m->e));

		if (v == NULL)
			return -BKP_ENOMEM;
		m->e = v;
		m->cap = m->n + sm->n;
	}
	memmove(&m->e[lo + sm->n], &m->e[lo], (m->n - lo) * sizeof(*m->e));
	memcpy(&m->e[lo], sm->e, sm->n * sizeof(*m->e));
	m->n += sm->n;
	sm->n = 0;	/* the strings are m's now */
	return 0;
}

static void
count(struct backup_stats *stats, const struct manifest_entry *e)
{
	stats->entries++;
	stats->files_stored++;
	stats->bytes_read += e->size;
	stats->bytes_total += e->size;
}

/* Runs every job; the entries of the good ones go into sm. */
static int
run_jobs(const struct store_jobs *j, struct setwriter *sw, uint32_t set,
    struct manifest *sm, struct backup_stats *stats)
{
	struct store_stream_stats st;
	struct manifest_entry e;
	uint8_t *buf;
	int rc = 0;

	if ((buf = malloc(STORE_CHUNK)) == NULL)
		return -BKP_ENOMEM;
	for (size_t i = 0; i < j->n && rc == 0; i++) {
		rc = store_stream(sw, &j->v[i], set, buf, &e, &st);
		if (rc == -BKP_EFAILED) {
			stats->stores_failed++;
			rc = 0;
		} else if (rc == 0 && (rc = manifest_add(sm, &e)) == 0)
			count(stats, &e);
	}
	free(buf);
	return rc;
}

int
backup_stores(const struct policy *p, struct setwriter *sw,
    struct manifest *m, struct backup_stats *stats)
{
	struct store_jobs j;
	struct manifest *sm;
	int64_t set;
	int rc;

	if (!policy_has_stores(p))
		return 0;
	if ((set = manifest_set_index(m, setwriter_setid(sw))) < 0 ||
	    (sm = manifest_new(setwriter_setid(sw))) == NULL)
		return -BKP_ENOMEM;
	if ((rc = store_jobs_make(p, &j)) == 0) {
		stats->stores_failed += j.failed;
		rc = run_jobs(&j, sw, (uint32_t)set, sm, stats);
		store_jobs_free(&j);
	}
	if (rc == 0)
		rc = insert_block(m, sm);
	stats->warnings += stats->stores_failed;
	manifest_free(sm);
	return rc;
}
