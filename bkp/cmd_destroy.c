/* cmd_destroy.c: bkp destroy — crypto-shredding a set, or a repository. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "cli.h"
#include "error.h"
#include "keyobj.h"
#include "lock.h"
#include "log.h"
#include "policy.h"
#include "repo.h"
#include "repogen.h"
#include "repolock.h"

static const char usage[] =
"usage: bkp destroy (--policy FILE | --repo URL) --set ID [SFTP OPTIONS]\n"
"       bkp destroy --repo URL --all --confirm REPO_ID [SFTP OPTIONS]\n"
"\n"
"Destroys a set for good: its seal first (the set stops existing), then\n"
"its data key objects (key, and the key.KEYID of key rotations: from\n"
"then on no copy of its parts can be decrypted, with any key), then its\n"
"parts and manifest.  A set that later sets depend on (incrementals) is\n"
"refused: destroy those first.  With --all, every set of the repository\n"
"(all seals, then all key objects, then the rest), its audit records and\n"
"its config: REPO_ID must be the repository's id, as a confirmation.\n"
"The audit trail records what was destroyed.  Holds the repository lock\n"
"exclusively: refused (exit status 11) while anything writes to it.\n"
"\n"
"  -p, --policy FILE   the policy whose repository holds the set\n"
"  -r, --repo URL      the repository\n"
"  -s, --set ID        the set\n"
"  -a, --all           the whole repository\n"
"  -c, --confirm ID    --all: the repository id\n"
"  -h, --help          this text\n"
CLI_TRANSPORT_HELP;

struct destroy_args {
	const char *policy, *repo, *set, *confirm;
	int all;
	struct transport_opts topts;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct destroy_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	switch (c) {
	case 'p': a->policy = arg; break;
	case 'r': a->repo = arg; break;
	case 's': a->set = arg; break;
	case 'a': a->all = 1; break;
	case 'c': a->confirm = arg; break;
	}
	return 0;
}

/* 1 if the chain of set i (its parent, the parent's parent...) goes
 * through setid. */
static int
depends_on(const struct catalog *cat, size_t i, const char *setid)
{
	const char *p = cat->sets[i].parent;

	for (size_t steps = 0; p[0] && steps <= cat->n; steps++) {
		size_t j;

		if (strcmp(p, setid) == 0)
			return 1;
		for (j = 0; j < cat->n && strcmp(cat->sets[j].setid, p); j++)
			;
		if (j == cat->n)
			return 0;
		p = cat->sets[j].parent;
	}
	return 0;
}

/* Sealed sets whose chain goes through setid: they would lose files. */
static int
check_dependents(struct repo *r, const char *setid)
{
	struct catalog cat;
	char list[512] = "";
	size_t n = 0, len = 0;
	int rc;

	if ((rc = catalog_load(r, (const uint8_t (*)[32])
	    repo_config(r)->signers, repo_config(r)->nsigners, &cat)) != 0)
		return rc;
	for (size_t i = 0; i < cat.n; i++) {
		if (!depends_on(&cat, i, setid))
			continue;
		if (n++ < 8 && len + SETID_LEN + 2 < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    " %s", cat.sets[i].setid);
	}
	catalog_release(&cat);
	if (n == 0)
		return 0;
	log_error("%s: set %s is the parent of %zu later set(s) that would "
	    "lose files:%s%s; destroy them first, newest first", repo_url(r),
	    setid, n, list, n > 8 ? " ..." : "");
	return -BKP_EUSAGE;
}

static int
destroy_set(struct repo *r, const char *setid, const char *policy)
{
	struct repo_setlist l;
	struct keyobj_list k;
	char note[256];
	size_t i, n;
	int rc;

	if ((rc = repo_list_sets(r, &l)) != 0)
		return rc;
	for (i = 0; i < l.n && strcmp(l.ids[i], setid) != 0; i++)
		;
	n = l.n;
	repo_setlist_release(&l);
	if (i == n) {
		log_error("%s: no set %s", repo_url(r), setid);
		return -BKP_ENOTFOUND;
	}
	if ((rc = check_dependents(r, setid)) != 0 ||
	    (rc = keyobj_list(r, setid, &k)) != 0)
		return rc;
	snprintf(note, sizeof(note), "crypto-shredded: seal, then %zu data "
	    "key object(s), then the parts", k.n);
	keyobj_list_release(&k);
	rc = repo_delete_set(r, setid);
	audit_event("destroy.set", &(struct audit_fields){ .policy = policy,
	    .repo = repo_url(r), .set = setid, .note = note, .status = rc });
	if (rc == 0)
		printf("destroyed set %s: %s; no copy of its parts can be "
		    "decrypted any more\n", setid, note);
	return rc;
}

/* Removes name in dir of every set (phase: "seal" or the key objects). */
static int
remove_each(struct repo *r, const struct repo_setlist *l, int keys)
{
	struct keyobj_list k = { 0 };
	char path[REPO_PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < l->n && rc == 0; i++) {
		if (!keys) {
			repo_set_path(l->ids[i], "seal", path);
			rc = transport_remove(repo_transport(r), path);
			rc = rc == -BKP_ENOTFOUND ? 0 : rc;
			continue;
		}
		if ((rc = keyobj_list(r, l->ids[i], &k)) != 0)
			break;
		for (size_t j = 0; j < k.n && rc == 0; j++) {
			repo_set_path(l->ids[i], k.names[j], path);
			rc = transport_remove(repo_transport(r), path);
		}
		keyobj_list_release(&k);
	}
	return rc;
}

struct names {
	char **v;
	size_t n;
};

static int
add_name(void *arg, const char *name)
{
	struct names *l = arg;
	void *p;

	if ((p = realloc(l->v, (l->n + 1) * sizeof(*l->v))) == NULL)
		return -BKP_ENOMEM;
	l->v = p;
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -BKP_ENOMEM;
	l->n++;
	return 0;
}

/* The audit records and the config generations, then `config`. */
static int
remove_rest(struct repo *r)
{
	struct transport *t = repo_transport(r);
	struct names l = { NULL, 0 };
	char path[1024];
	uint32_t gen;
	int rc;

	rc = transport_list(t, "audit", add_name, &l);
	for (size_t i = 0; i < l.n; i++) {
		snprintf(path, sizeof(path), "audit/%s", l.v[i]);
		if (rc == 0)
			rc = transport_remove(t, path);
		free(l.v[i]);
	}
	free(l.v);
	if (rc == 0)
		rc = transport_rmdir(t, "audit");
	if (rc == -BKP_ENOTFOUND)
		rc = 0;
	if (rc != 0 || (rc = repogen_load(t, repo_url(r),
	    &(struct repo_config){ 0 }, &gen)) != 0)
		return rc;
	for (uint32_t g = gen + 1; g-- > 0 && rc == 0;) {
		repogen_name(g, path);
		if ((rc = transport_remove(t, path)) == -BKP_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0 && (rc = transport_rmdir(t, "sets")) == -BKP_ENOTFOUND)
		rc = 0;
	/* Last, its own lock and locks/ (empty unless stale locks). */
	repolock_release(r);
	if (rc == 0 && (rc = transport_rmdir(t, "locks")) == -BKP_ENOTFOUND)
		rc = 0;
	return rc;
}

static int
destroy_all(struct repo *r, const char *confirm)
{
	struct repo_setlist l;
	char id[REPO_ID_HEX];
	int rc;

	repo_id_hex(r, id);
	if (confirm == NULL || strcmp(confirm, id) != 0) {
		log_error("%s: --confirm must be this repository's id, %s",
		    repo_url(r), id);
		return -BKP_EUSAGE;
	}
	if ((rc = repo_list_sets(r, &l)) != 0)
		return rc;
	if ((rc = remove_each(r, &l, 0)) == 0 &&
	    (rc = remove_each(r, &l, 1)) == 0)
		for (size_t i = 0; i < l.n && rc == 0; i++)
			rc = repo_delete_set(r, l.ids[i]);
	if (rc == 0)
		rc = remove_rest(r);
	audit_event("destroy.repo", &(struct audit_fields){ .repo = repo_url(r),
	    .what = id, .count = l.n, .status = rc, .note = "crypto-shredded: "
	    "every seal, then every data key object, then the rest" });
	if (rc == 0)
		printf("destroyed repository %s at %s: %zu sets, their keys "
		    "first\n", id, repo_url(r), l.n);
	repo_setlist_release(&l);
	return rc;
}

static int
check_args(const struct destroy_args *a)
{
	if ((a->policy == NULL) == (a->repo == NULL)) {
		log_error("destroy: give --policy FILE or --repo URL");
		return -BKP_EUSAGE;
	}
	if (a->all == (a->set != NULL) || (a->all && a->policy)) {
		log_error("destroy: give --set ID, or --repo URL --all");
		return -BKP_EUSAGE;
	}
	return 0;
}

int
cmd_destroy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "repo", required_argument, NULL, 'r' },
		{ "set", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "confirm", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct destroy_args a = { 0 };
	struct policy *p = NULL;
	struct lock *l = NULL;
	struct repo *r = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if ((rc = check_args(&a)) != 0)
		return rc;
	if (a.policy && ((rc = policy_load(a.policy, &p)) != 0 ||
	    (rc = lock_policy(p->name, &l)) != 0))
		goto out;
	if (p) {
		audit_policy(p);
		a.repo = p->repo_url;
		a.topts.identity = p->identity;
		a.topts.known_hosts = p->known_hosts;
	}
	if ((rc = repo_open(a.repo, &a.topts, &r)) != 0 ||
	    (rc = repolock_acquire(r, REPOLOCK_EXCLUSIVE, a.all ?
	    "destroy of the repository" : "destroy of a set")) != 0)
		goto out;
	if (a.all)
		rc = destroy_all(r, a.confirm);
	else {
		if ((rc = destroy_set(r, a.set, p ? p->name : NULL)) == 0)
			audit_ship_to(a.repo, &a.topts);
	}
out:
	repo_close(r);
	lock_release(l);
	policy_free(p);
	return rc;
}
