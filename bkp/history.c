/* history.c: a policy's sets, from the repository alone. */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "error.h"
#include "history.h"
#include "manifest.h"
#include "state.h"

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

int
history_load(const struct policy *p, int accept_new_host_key,
    struct history *h)
{
	struct transport_opts o = {
		.identity = p->identity,
		.known_hosts = p->known_hosts,
		.accept_new_host_key = accept_new_host_key,
	};
	struct repo *repo = NULL;
	struct catalog cat;
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = repo_open(p->repo_url, &o, &repo)) != 0)
		return rc;
	rc = catalog_load(repo, (const uint8_t (*)[32])
	    repo_config(repo)->signers, repo_config(repo)->nsigners, &cat);
	if (rc == 0) {
		fold(h, &cat, p->name);
		catalog_release(&cat);
		h->chain_usable = cache_usable(repo, p);
	}
	repo_close(repo);
	return rc;
}
