/* catalog.c: listing sets from their seals. */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "error.h"
#include "log.h"
#include "setreader.h"
#include "timefmt.h"

static int
cmp_time(const void *a, const void *b)
{
	const struct seal *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return strcmp(x->setid, y->setid);
}

/* The seals of the sealed sets of l, read all at once and checked. */
static int
load_seals(struct repo *r, const struct repo_setlist *l,
    const uint8_t (*trusted)[32], size_t ntrusted, struct catalog *c)
{
	const char **ids = calloc(l->n + 1, sizeof(*ids));
	struct seal_batch b;
	size_t n = 0;
	int rc = -BKP_ENOMEM;

	for (size_t i = 0; ids != NULL && i < l->n; i++)
		if (l->sealed[i])
			ids[n++] = l->ids[i];
	if (ids != NULL && (rc = setreader_get_seals(r, ids, n, &b)) == 0) {
		for (size_t i = 0; i < n && rc != -BKP_ENOMEM; i++) {
			if ((rc = b.rcs[i]) == 0)
				rc = setreader_decode_seal(r, ids[i],
				    b.datas[i], b.lens[i], trusted, ntrusted,
				    &c->sets[c->n]);
			if (rc == 0)
				c->n++;
			else if (rc != -BKP_ENOMEM)
				c->nbad++;
		}
		if (rc != -BKP_ENOMEM)
			rc = 0;
		seal_batch_release(&b);
	}
	free(ids);
	return rc;
}

int
catalog_load(struct repo *r, const uint8_t (*trusted)[32], size_t ntrusted,
    struct catalog *c)
{
	struct repo_setlist l;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = repo_list_sets(r, &l)) != 0)
		return rc;
	if ((c->sets = calloc(l.n + 1, sizeof(*c->sets))) == NULL ||
	    (c->interrupted = calloc(l.n + 1, sizeof(*c->interrupted))) ==
	    NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!l.sealed[i])
			memcpy(c->interrupted[c->ninterrupted++], l.ids[i],
			    SETID_LEN + 1);
	if ((rc = load_seals(r, &l, trusted, ntrusted, c)) != 0)
		goto out;
	if (c->n > 0)
		qsort(c->sets, c->n, sizeof(*c->sets), cmp_time);
out:
	repo_setlist_release(&l);
	if (rc != 0)
		catalog_release(c);
	return rc;
}

void
catalog_release(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		seal_release(&c->sets[i]);
	free(c->sets);
	free(c->interrupted);
	memset(c, 0, sizeof(*c));
}

const struct seal *
catalog_pick(const struct catalog *c, const char *setid, const char *url)
{
	if (setid == NULL) {
		if (c->n == 0)
			log_error("%s: no sealed set to restore", url);
		return c->n ? &c->sets[c->n - 1] : NULL;
	}
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->sets[i].setid, setid) == 0)
			return &c->sets[i];
	log_error("%s: no sealed, verified set %s (see bkp snapshots)", url,
	    setid);
	return NULL;
}

const struct seal *
catalog_pick_at(const struct catalog *c, int64_t at_ns, const char *url)
{
	char t[32];

	for (size_t i = c->n; i-- > 0;)
		if (c->sets[i].time_ns <= at_ns)
			return &c->sets[i];
	if (c->n == 0) {
		log_error("%s: no sealed set to restore", url);
		return NULL;
	}
	time_format_utc(c->sets[0].time_ns, t, sizeof(t));
	log_error("%s: no set at or before that time; the earliest is %s "
	    "(%s)", url, t, c->sets[0].setid);
	return NULL;
}
