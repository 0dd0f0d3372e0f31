/* verify_sample.c: which files a sample or full verify restores.
 *
 * The candidates are the regular files of the chosen sets' manifests, each
 * stored file once: an unchanged file that several manifests list is taken
 * from the oldest chosen set that lists it.  They are put in a canonical
 * order (holding set, part, path), so that the same seed over the same
 * sets draws the same files: a partial Fisher-Yates shuffle driven by
 * splitmix64 seeded with the seed.  With rotation (the default), the draw
 * is made among the files of the parts restored longest ago (never first),
 * so that run after run every part is read; --no-rotate draws from every
 * file, and the seed alone decides.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "verify.h"

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0: rejection removes the modulo bias. */
static uint64_t
below(uint64_t *state, uint64_t n)
{
	uint64_t threshold = (0 - n) % n, r;

	do
		r = splitmix64(state);
	while (r < threshold);
	return r % n;
}

static int
cmp_cand(const void *a, const void *b, void *arg)
{
	const struct vcand *x = a, *y = b;
	const struct verify *v = arg;
	int c;

	if (x->holder != y->holder)
		return x->holder < y->holder ? -1 : 1;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	c = strcmp(v->sets[x->owner].m->e[x->entry].path,
	    v->sets[y->owner].m->e[y->entry].path);
	if (c != 0)
		return c;
	return x->owner < y->owner ? -1 : x->owner > y->owner;
}

static int
cmp_owner_entry(const void *a, const void *b)
{
	const struct vcand *x = a, *y = b;

	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Adds the files of set `owner` that are stored in verified sets. */
static int
add_set(struct verify *v, uint32_t owner, struct vcand **cand, size_t *n)
{
	const struct manifest *m = v->sets[owner].m;
	struct vcand *c;

	if ((c = realloc(*cand, (*n + m->n + 1) * sizeof(*c))) == NULL)
		return -BKP_ENOMEM;
	*cand = c;
	for (size_t i = 0; i < m->n; i++) {
		const struct manifest_entry *e = &m->e[i];
		struct vset *h;

		if (e->type != ENTRY_FILE || e->where != WHERE_PART ||
		    (h = verify_find_set(v, m->sets[e->set])) == NULL ||
		    !h->ok || e->part >= h->seal.nparts)
			continue;	/* reported by the structure check */
		c[*n].owner = owner;
		c[*n].holder = (uint32_t)(h - v->sets);
		c[*n].part = e->part;
		c[(*n)++].entry = i;
	}
	return 0;
}

static int
same_file(const struct verify *v, const struct vcand *a,
    const struct vcand *b)
{
	return a->holder == b->holder && a->part == b->part &&
	    strcmp(v->sets[a->owner].m->e[a->entry].path,
	    v->sets[b->owner].m->e[b->entry].path) == 0;
}

/* Every stored file once, in canonical order. */
static int
candidates(struct verify *v, struct vcand **cand, size_t *n)
{
	size_t k = 0;
	int rc;

	*cand = NULL;
	*n = 0;
	for (size_t i = 0; i < v->nsets; i++)
		if (v->sets[i].chosen && v->sets[i].m &&
		    (rc = add_set(v, (uint32_t)i, cand, n)) != 0)
			return rc;
	if (*n == 0)
		return 0;
	qsort_r(*cand, *n, sizeof(**cand), cmp_cand, v);
	for (size_t i = 0; i < *n; i++) {
		const struct vcand *c = &(*cand)[i];

		if (k > 0 && same_file(v, &(*cand)[k - 1], c))
			continue;
		(*cand)[k++] = *c;
	}
	*n = k;
	return 0;
}

static size_t
sample_size(const struct verify *v, size_t n)
{
	double want;
	size_t k;

	if (v->level == VERIFY_FULL)
		return n;
	if (v->sample_pct < 0)
		return v->sample_n < n ? (size_t)v->sample_n : n;
	/* Rounded up: a sample of a few files is never empty. */
	want = (double)n * v->sample_pct / 100.0;
	k = want < (double)n ? (size_t)want : n;
	if ((double)k < want && k < n)
		k++;
	return k;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Puts the candidates of age below threshold first, then those of age
 * threshold, each group in canonical order; drops the younger ones. */
static size_t
tier_order(struct vcand *cand, size_t n, const int64_t *last,
    int64_t threshold, struct vcand *tmp, size_t *older)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (last[i] < threshold)
			tmp[m++] = cand[i];
	*older = m;
	for (size_t i = 0; i < n; i++)
		if (last[i] == threshold)
			tmp[m++] = cand[i];
	memcpy(cand, tmp, m * sizeof(*cand));
	return m;
}

/* Rotation: keeps only the candidates whose parts were restored longest
 * ago, as few tiers of equal age as hold at least k files.  The tiers
 * older than the k-th file's are all taken (*older files, first); the
 * draw completes the sample from the k-th file's tier.  So every run reads
 * every part of the oldest tier, or k files of it. */
static int
rotate_pool(struct verify *v, struct vcand *cand, size_t *n, size_t k,
    size_t *older)
{
	int64_t *last, *sorted = NULL;
	struct vcand *tmp = NULL;
	int rc;

	*older = 0;
	if (k == 0 || k >= *n)
		return 0;
	if ((rc = verify_parts_last(v, cand, *n, &last)) != 0)
		return rc;
	if ((sorted = malloc(*n * sizeof(*sorted))) == NULL ||
	    (tmp = malloc(*n * sizeof(*tmp))) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	memcpy(sorted, last, *n * sizeof(*sorted));
	qsort(sorted, *n, sizeof(*sorted), cmp_i64);
	*n = tier_order(cand, *n, last, sorted[k - 1], tmp, older);
out:
	free(tmp);
	free(sorted);
	free(last);
	return rc;
}

/* Moves a seeded random choice of k of the n candidates to the front. */
static void
draw(struct vcand *cand, size_t n, size_t k, uint64_t seed)
{
	uint64_t state = seed;

	for (size_t i = 0; i < k && i + 1 < n; i++) {
		size_t j = i + (size_t)below(&state, (uint64_t)(n - i));
		struct vcand t = cand[i];

		cand[i] = cand[j];
		cand[j] = t;
	}
}

int
verify_pick(struct verify *v)
{
	struct vcand *cand;
	size_t n, k, older = 0;
	int rc;

	if ((rc = candidates(v, &cand, &n)) != 0)
		goto out;
	v->ncand = n;
	k = sample_size(v, n);
	if (v->level == VERIFY_SAMPLE) {
		if (v->rotate &&
		    (rc = rotate_pool(v, cand, &n, k, &older)) != 0)
			goto out;
		v->npool = n;
		draw(cand + older, n - older, k - older, v->seed);
	}
	if (k > 0)
		qsort(cand, k, sizeof(*cand), cmp_owner_entry);
	v->sampled = cand;
	v->nsampled = k;
	cand = NULL;
	if (v->level == VERIFY_SAMPLE && v->rotate)
		log_info("verify: %zu of %zu files picked, among the %zu of "
		    "the parts read longest ago", k, v->ncand, v->npool);
	else
		log_info("verify: %zu of %zu files picked", k, v->ncand);
out:
	free(cand);
	return rc;
}
