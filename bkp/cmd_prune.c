/* cmd_prune.c: bkp prune --policy FILE [--dry-run] [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "audit.h"
#include "catalog.h"
#include "cli.h"
#include "error.h"
#include "lock.h"
#include "log.h"
#include "policy.h"
#include "prune.h"
#include "repo.h"
#include "repolock.h"
#include "retention.h"
#include "timefmt.h"

static const char usage[] =
"usage: bkp prune --policy FILE [--dry-run] [--json]\n"
"\n"
"Applies the policy's [retention] rules to its sets in its repository:\n"
"keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly (the newest\n"
"set of each of the newest N days, weeks, months, years), never fewer than\n"
"min_versions restorable sets, never the newest set, and every set a kept\n"
"incremental depends on.  Interrupted sets (no seal) older than a day are\n"
"removed.  A set is deleted seal first, then its data key, then its parts.\n"
"Needs no secret key.  Holds the repository lock exclusively: while a\n"
"backup or copy (of any host) writes to the repository, prune refuses\n"
"with exit status 11 and names it.\n"
"\n"
"  -p, --policy FILE   the policy\n"
"  -n, --dry-run       show every set with keep/delete and the rule that\n"
"                      decided; delete nothing\n"
"  -j, --json          print JSON\n"
"  -A, --accept-new-host-key  trust an SFTP server seen for the first time\n"
"  -h, --help          this text\n";

#define INTERRUPTED_GRACE_NS (24LL * 3600 * 1000000000)

struct prune_args {
	const char *policy;
	struct prune_request req;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct prune_args *a = ctx;

	if (c == 'p')
		a->policy = arg;
	else if (c == 'n')
		a->req.dry_run = 1;
	else if (c == 'j')
		a->req.json = 1;
	else if (c == 'A')
		a->req.accept_new_host_key = 1;
	return 0;
}

/* The policy's sets, oldest first, with parent links as indices. */
static struct retention_set *
plan(const struct catalog *cat, const char *policy, const struct seal **v,
    size_t *n)
{
	struct retention_set *rs = calloc(cat->n + 1, sizeof(*rs));

	*n = 0;
	if (rs == NULL)
		return NULL;
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->sets[i].policy, policy) == 0)
			v[(*n)++] = &cat->sets[i];
	for (size_t i = 0; i < *n; i++) {
		rs[i].time_ns = v[i]->time_ns;
		rs[i].parent = -1;
		for (size_t j = 0; j < i && v[i]->parent[0]; j++)
			if (strcmp(v[j]->setid, v[i]->parent) == 0)
				rs[i].parent = (int64_t)j;
	}
	return rs;
}

static void
print_plan(const struct seal **v, const struct retention_set *rs, size_t n,
    int json)
{
	json_object *arr = json ? json_object_new_array() : NULL;
	char t[32];

	for (size_t i = 0; i < n; i++) {
		time_format_utc(v[i]->time_ns, t, sizeof(t));
		if (!json) {
			printf("%-25s  %s  %-4s  %-6s  %s\n", v[i]->setid, t,
			    v[i]->level == LEVEL_FULL ? "full" : "incr",
			    rs[i].keep ? "keep" : "delete", rs[i].reason);
			continue;
		}
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id",
		    json_object_new_string(v[i]->setid));
		json_object_object_add(o, "time", json_object_new_string(t));
		json_object_object_add(o, "keep",
		    json_object_new_boolean(rs[i].keep));
		json_object_object_add(o, "reason",
		    json_object_new_string(rs[i].reason));
		json_object_array_add(arr, o);
	}
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
}

/* The time encoded in a set id. */
static int64_t
setid_time(const char *id)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(id, "%Y%m%dT%H%M%SZ", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm) * 1000000000;
}

static int
delete_sets(struct repo *repo, const struct catalog *cat,
    const struct seal **v, const struct retention_set *rs, size_t n,
    int64_t now)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (rs[i].keep)
			continue;
		if ((rc = repo_delete_set(repo, v[i]->setid)) != 0)
			return rc;
		log_info("deleted set %s", v[i]->setid);
		audit_event("prune.delete", &(struct audit_fields){
		    .policy = v[i]->policy, .repo = repo_url(repo),
		    .set = v[i]->setid });
	}
	for (size_t i = 0; i < cat->ninterrupted; i++) {
		if (now - setid_time(cat->interrupted[i]) < INTERRUPTED_GRACE_NS)
			continue;
		if ((rc = repo_delete_set(repo, cat->interrupted[i])) != 0)
			return rc;
		log_info("removed interrupted set %s", cat->interrupted[i]);
		audit_event("prune.delete", &(struct audit_fields){
		    .repo = repo_url(repo), .set = cat->interrupted[i],
		    .note = "interrupted set (no seal)" });
	}
	return 0;
}

/* The prune record; the deletions go offsite with it. */
static void
audit_prune(const struct policy *p, const struct retention_set *rs,
    size_t n, int dry_run, int rc)
{
	uint64_t deleted = 0;

	for (size_t i = 0; rs && i < n; i++)
		deleted += !rs[i].keep;
	audit_event("prune", &(struct audit_fields){ .policy = p->name,
	    .repo = p->repo_url, .count = deleted, .status = rc,
	    .what = dry_run ? "sets that would be deleted (dry run)" :
	    "sets deleted" });
	if (!dry_run && deleted > 0)
		audit_ship_policy(p);
}

/* No writer may be at work while sets are deleted (lib/repolock.h). */
static int
lock_exclusive(struct repo *repo, const struct policy *p)
{
	char what[160];

	snprintf(what, sizeof(what), "prune of policy %s", p->name);
	return repolock_acquire(repo, REPOLOCK_EXCLUSIVE, what);
}

int
prune_policy(const struct policy *p, const struct prune_request *req)
{
	struct repo *repo = NULL;
	struct catalog cat = { 0 };
	struct transport_opts o = {
		.identity = p->identity,
		.known_hosts = p->known_hosts,
		.accept_new_host_key = req->accept_new_host_key,
	};
	struct retention_set *rs = NULL;
	const struct seal **v = NULL;
	struct timespec now;
	size_t n = 0;
	int rc;

	audit_policy(p);
	if ((rc = repo_open(p->repo_url, &o, &repo)) != 0 ||
	    (!req->dry_run && (rc = lock_exclusive(repo, p)) != 0) ||
	    (rc = catalog_load(repo, (const uint8_t (*)[32])
	    repo_config(repo)->signers, repo_config(repo)->nsigners,
	    &cat)) != 0)
		goto out;
	if ((v = calloc(cat.n + 1, sizeof(*v))) == NULL ||
	    (rs = plan(&cat, p->name, v, &n)) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	retention_apply(&p->retention, rs, n);
	if (!req->quiet)
		print_plan(v, rs, n, req->json);
	clock_gettime(CLOCK_REALTIME, &now);
	if (!req->dry_run)
		rc = delete_sets(repo, &cat, v, rs, n,
		    (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
out:
	audit_prune(p, rs, n, req->dry_run, rc);
	free(rs);
	free(v);
	catalog_release(&cat);
	repo_close(repo);
	return rc;
}

int
cmd_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "accept-new-host-key", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct prune_args a = { 0 };
	struct policy *p = NULL;
	struct lock *l = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.policy == NULL)
		return cli_missing("prune", "--policy FILE");
	if ((rc = policy_load(a.policy, &p)) != 0)
		return rc;
	if ((rc = lock_policy(p->name, &l)) == 0)
		rc = prune_policy(p, &a.req);
	lock_release(l);
	policy_free(p);
	return rc;
}
