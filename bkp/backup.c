/* backup.c: the steps of one backup. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "audit.h"
#include "backup.h"
#include "backup_stores.h"
#include "backup_tree.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "repolock.h"
#include "setwriter.h"
#include "state.h"
#include "targets.h"

struct backup_run {
	const struct policy *p;
	struct bkp_pubkey pub;
	struct bkp_signkey *sig;
	struct repo *repo;
	char cache[PATH_MAX];
	struct manifest *prev;	/* parent's manifest, for incrementals */
	struct manifest *m;
	struct setwriter *sw;
	struct seal seal;
	struct backup_stats stats;
	struct targets targets;	/* the offsite copies */
	char host[256];
	int64_t start_ns;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The keys of the policy must be the repository's. */
static int
open_repository(struct backup_run *r, int accept_new_host_key)
{
	struct transport_opts o;
	char want[KEY_ID_HEX], have[KEY_ID_HEX];
	const struct repo_config *c;
	int rc;

	targets_opts(r->p, accept_new_host_key, &o);
	if ((rc = pubkey_load(r->p->pubkey, &r->pub)) != 0 ||
	    (rc = signkey_load(r->p->signkey, &r->sig)) != 0 ||
	    (rc = repo_open(r->p->repo_url, &o, &r->repo)) != 0)
		return rc;
	c = repo_config(r->repo);
	if (sodium_memcmp(c->box_pk, r->pub.box_pk, 32) != 0) {
		key_id(c->box_pk, have);
		key_id(r->pub.box_pk, want);
		log_error("%s: the repository is for key %s, but [keys] public "
		    "(%s) is key %s", r->p->repo_url, have, r->p->pubkey, want);
		return -BKP_EKEY;
	}
	if (!repo_trusts_signer(r->repo, r->sig->pk)) {
		key_id(r->sig->pk, have);
		log_error("%s: the repository does not trust signing key %s "
		    "(%s)", r->p->repo_url, have, r->p->signkey);
		return -BKP_EKEY;
	}
	return 0;
}

/* Prune and destroy wait while this lock is held (lib/repolock.h). */
static int
lock_repository(struct backup_run *r)
{
	char what[160];

	snprintf(what, sizeof(what), "backup of policy %s", r->p->name);
	return repolock_acquire(r->repo, REPOLOCK_SHARED, what);
}

/* Loads the parent's manifest from the cache when an incremental is
 * possible; explains why not when it was asked for. */
static int
choose_parent(struct backup_run *r, enum backup_level level)
{
	char id[REPO_ID_HEX], path[REPO_PATH_MAX];
	uint64_t size;
	int rc;

	repo_id_hex(r->repo, id);
	if ((rc = state_cache_path(id, r->p->name, r->cache,
	    sizeof(r->cache))) != 0)
		return rc;
	if (level == BACKUP_FULL)
		return 0;
	rc = state_cache_load(r->cache, &r->prev);
	if (rc == 0) {
		repo_set_path(r->prev->setid, "seal", path);
		rc = transport_stat(repo_transport(r->repo), path, &size);
		if (rc == -BKP_ENOTFOUND)
			log_warn("%s: parent set %s is gone from the "
			    "repository; making a full backup",
			    r->p->repo_url, r->prev->setid);
	}
	if (rc != 0) {
		manifest_free(r->prev);
		r->prev = NULL;
		if (rc != -BKP_ENOTFOUND)
			return rc;
		if (level == BACKUP_INCR)
			log_info("no usable parent set; making a full backup");
	}
	return 0;
}

static int
write_set(struct backup_run *r, int checksum)
{
	struct setwriter_opts o = {
		.part_size = r->p->part_size,
		.zstd_level = (int)r->p->zstd_level,
		.threads = (int)r->p->threads,
		.level = r->prev ? LEVEL_INCR : LEVEL_FULL,
		.parent = r->prev ? r->prev->setid : NULL,
		.policy = r->p->name,
		.host = r->host,
		.time_ns = r->start_ns,
	};
	struct backup_tree_opts to = { r->p, r->prev, checksum };
	int rc;

	if ((rc = setwriter_open(r->repo, r->sig, &o, &r->sw)) != 0)
		return rc;
	if ((r->m = manifest_new(setwriter_setid(r->sw))) == NULL)
		return -BKP_ENOMEM;
	if ((rc = backup_tree(&to, r->sw, r->m, &r->stats)) != 0 ||
	    (rc = backup_stores(r->p, r->sw, r->m, &r->stats)) != 0)
		return rc;
	r->seal.nfiles = r->stats.entries;
	r->seal.bytes = r->stats.bytes_total;
	r->seal.warnings = r->stats.warnings;
	r->seal.end_ns = now_ns();
	return setwriter_commit(r->sw, r->m, &r->seal);
}

static void
report(const struct backup_run *r, int json)
{
	double secs = (double)(r->seal.end_ns - r->start_ns) / 1e9;
	double mib = (double)r->stats.bytes_read / 1048576.0;
	double ratio = r->seal.stored ?
	    (double)r->stats.bytes_read / (double)r->seal.stored : 0;
	const char *level = r->seal.level == LEVEL_FULL ? "full" :
	    "incremental";

	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "set",
		    json_object_new_string(r->seal.setid));
		json_object_object_add(o, "level",
		    json_object_new_string(level));
		json_object_object_add(o, "parent",
		    json_object_new_string(r->seal.parent));
		json_object_object_add(o, "policy",
		    json_object_new_string(r->p->name));
		json_object_object_add(o, "entries",
		    json_object_new_int64((int64_t)r->stats.entries));
		json_object_object_add(o, "files_stored",
		    json_object_new_int64((int64_t)r->stats.files_stored));
		json_object_object_add(o, "bytes_total",
		    json_object_new_int64((int64_t)r->stats.bytes_total));
		json_object_object_add(o, "bytes_read",
		    json_object_new_int64((int64_t)r->stats.bytes_read));
		json_object_object_add(o, "bytes_stored",
		    json_object_new_int64((int64_t)r->seal.stored));
		json_object_object_add(o, "parts",
		    json_object_new_int((int)r->seal.nparts));
		json_object_object_add(o, "warnings",
		    json_object_new_int((int)r->stats.warnings));
		json_object_object_add(o, "seconds",
		    json_object_new_double(secs));
		targets_json(r->p, &r->targets, o);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("%s backup %s: %llu entries, %.1f MiB read, %.1f MiB stored "
	    "(ratio %.2f), %.2f s, %.1f MiB/s%s\n", level, r->seal.setid,
	    (unsigned long long)r->stats.entries, mib,
	    (double)r->seal.stored / 1048576.0, ratio, secs,
	    secs > 0 ? mib / secs : 0.0,
	    r->stats.warnings ? ", with warnings (see above)" : "");
	targets_print(r->p, &r->targets);
}

static void
run_release(struct backup_run *r)
{
	setwriter_free(r->sw);
	targets_release(&r->targets);
	manifest_free(r->m);
	manifest_free(r->prev);
	repo_close(r->repo);
	signkey_free(r->sig);
}

static void
fill_result(const struct backup_run *r, struct backup_result *res)
{
	memcpy(res->setid, r->seal.setid, sizeof(res->setid));
	res->level = r->seal.level;
	res->entries = r->stats.entries;
	res->bytes_read = r->stats.bytes_read;
	res->stored = r->seal.stored;
	res->warnings = r->stats.warnings;
	res->seconds = (double)(r->seal.end_ns - r->start_ns) / 1e9;
}

int
backup_policy(const struct policy *p, const struct backup_request *req,
    struct backup_result *res)
{
	struct backup_run r;
	int rc, orc;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.p = p;
	r.start_ns = now_ns();
	audit_policy(p);
	audit_event("backup.start", &(struct audit_fields){ .policy = p->name,
	    .repo = p->repo_url, .what = req->level == BACKUP_FULL ? "full" :
	    req->level == BACKUP_INCR ? "incr" : "auto" });
	if (gethostname(r.host, sizeof(r.host) - 1) != 0)
		strcpy(r.host, "unknown");
	if ((rc = open_repository(&r, req->accept_new_host_key)) != 0 ||
	    (rc = lock_repository(&r)) != 0 ||
	    (rc = choose_parent(&r, req->level)) != 0 ||
	    (rc = write_set(&r, req->checksum)) != 0)
		goto out;
	/* The set is committed; a failure to cache only costs a full next
	 * time, so it is a warning. */
	if (state_cache_save(r.cache, r.m) != 0)
		r.stats.warnings++;
	fill_result(&r, res);
	if (r.stats.stores_failed)
		log_error("%u of the [stores] dumps failed (listed above); set "
		    "%s holds everything else", r.stats.stores_failed,
		    r.seal.setid);
	/* Then the copies: a failed one is reported, and fails the run. */
	orc = targets_ship(p, r.repo, req->accept_new_host_key, &r.targets);
	if (!req->quiet)
		report(&r, req->json);
	rc = r.stats.stores_failed ? -BKP_EPARTIAL : orc ? orc :
	    r.stats.warnings ? BKP_EWARN : 0;
out:
	audit_event("backup.end", &(struct audit_fields){ .policy = p->name,
	    .repo = p->repo_url, .set = r.seal.setid[0] ? r.seal.setid : NULL,
	    .what = r.seal.level == LEVEL_FULL ? "full" :
	    r.seal.level == LEVEL_INCR ? "incremental" : NULL, .status = rc,
	    .bytes = r.stats.bytes_read, .count = r.stats.entries,
	    .seconds = (double)(now_ns() - r.start_ns) / 1e9 });
	if (r.sw)	/* it wrote to the repository */
		audit_ship_policy(p);
	run_release(&r);
	return rc;
}
