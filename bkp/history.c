/* history.c: a policy's sets, from the repository alone. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "error.h"
#include "history.h"
#include "manifest.h"
#include "state.h"
#include "targets.h"

static void
fold(struct history *h, const struct catalog *cat, const char *policy)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	for (size_t i = 0; i < cat->n; i++) {
		const struct seal *s = &cat->sets[i];

		if (strcmp(s->policy, policy) != 0)
			continue;
		h->nsets++;
		h->stored += s->stored;
		/* A set from a clock that ran ahead must not stop backups
		 * until that date. */
		if (s->time_ns > now + 300LL * 1000000000) {
			h->future++;
			continue;
		}
		if (s->time_ns >= h->last_any) {
			h->last_any = s->time_ns;
			memcpy(h->newest, s->setid, sizeof(h->newest));
		}
		if (s->level == LEVEL_FULL && s->time_ns > h->last_full)
			h->last_full = s->time_ns;
	}
}

/* The cache can extend the chain if the set it describes is sealed. */
static int
cache_usable(struct repo *repo, const struct policy *p)
{
	char id[REPO_ID_HEX], path[PATH_MAX], seal[REPO_PATH_MAX];
	struct manifest *m;
	uint64_t size;
	int ok;

	repo_id_hex(repo, id);
	if (state_cache_path(id, p->name, path, sizeof(path)) != 0 ||
	    state_cache_load(path, &m) != 0)
		return 0;
	repo_set_path(m->setid, "seal", seal);
	ok = transport_stat(repo_transport(repo), seal, &size) == 0;
	manifest_free(m);
	return ok;
}

/* The sets of p in the repository at url. */
static int
load_from(const struct policy *p, const char *url, int accept_new_host_key,
    struct history *h, struct repo **rp)
{
	struct transport_opts o;
	struct repo *repo = NULL;
	struct catalog cat;
	int rc;

	memset(h, 0, sizeof(*h));
	targets_opts(p, accept_new_host_key, &o);
	if ((rc = repo_open(url, &o, &repo)) != 0)
		return rc;
	*rp = repo;
	rc = catalog_load(repo, (const uint8_t (*)[32])
	    repo_config(repo)->signers, repo_config(repo)->nsigners, &cat);
	if (rc == 0) {
		fold(h, &cat, p->name);
		catalog_release(&cat);
	}
	return rc;
}

int
history_load(const struct policy *p, int accept_new_host_key,
    struct history *h)
{
	struct repo *repo = NULL;
	int rc = load_from(p, p->repo_url, accept_new_host_key, h, &repo);

	if (rc == 0)
		h->chain_usable = cache_usable(repo, p);
	repo_close(repo);
	return rc;
}

int
history_offsite_behind(const struct policy *p, size_t i,
    const struct history *h, char *why, size_t n)
{
	const char *url = p->offsite.v[i];
	struct repo *repo = NULL;
	struct history o;
	int rc = load_from(p, url, 0, &o, &repo);

	repo_close(repo);
	if (rc != 0)
		snprintf(why, n, "offsite %s unreachable", url);
	else if (o.nsets < h->nsets || strcmp(o.newest, h->newest) != 0)
		snprintf(why, n, "offsite %s is behind (%llu of %llu sets, "
		    "newest %s)", url, (unsigned long long)o.nsets,
		    (unsigned long long)h->nsets, o.newest[0] ? o.newest : "-");
	else
		return 0;
	return 1;
}
