/* cmd_backup.c: bkp backup --policy FILE [--level full|incr|auto]. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "backup_tree.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "repo.h"
#include "setwriter.h"
#include "state.h"

static const char usage[] =
"usage: bkp backup --policy FILE [--level full|incr|auto] [--checksum]\n"
"                  [--json]\n"
"\n"
"Backs up the sources of the policy into its repository.  auto (the\n"
"default) makes a full backup when there is no usable parent (no earlier\n"
"set, or the local manifest cache is missing) and an incremental\n"
"otherwise.  Needs only the public key and the signing key.\n"
"\n"
"  -p, --policy FILE   the policy (see bkp-policy(5))\n"
"  -l, --level LEVEL   full, incr or auto\n"
"  -c, --checksum      re-read files that look unchanged and compare hashes\n"
"  -j, --json          print the result as JSON\n"
"  -A, --accept-new-host-key  trust an SFTP server seen for the first time\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 success, 1 completed with warnings (files that vanished,\n"
"changed or could not be read; listed on stderr), other codes: bkp(1).\n";

enum level_arg { ARG_AUTO, ARG_FULL, ARG_INCR };

struct backup_args {
	const char *policy;
	enum level_arg level;
	int checksum, json, accept_new_host_key;
};

struct backup_run {
	struct policy *p;
	struct bkp_pubkey pub;
	struct bkp_signkey *sig;
	struct repo *repo;
	char cache[PATH_MAX];
	struct manifest *prev;	/* parent's manifest, for incrementals */
	struct manifest *m;
	struct setwriter *sw;
	struct seal seal;
	struct backup_stats stats;
	char host[256];
	int64_t start_ns;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct backup_args *a = ctx;

	switch (c) {
	case 'p':
		a->policy = arg;
		break;
	case 'l':
		if (strcmp(arg, "full") == 0)
			a->level = ARG_FULL;
		else if (strcmp(arg, "incr") == 0 ||
		    strcmp(arg, "incremental") == 0)
			a->level = ARG_INCR;
		else if (strcmp(arg, "auto") == 0)
			a->level = ARG_AUTO;
		else {
			log_error("backup: --level must be full, incr or auto");
			return -BKP_EUSAGE;
		}
		break;
	case 'c':
		a->checksum = 1;
		break;
	case 'j':
		a->json = 1;
		break;
	case 'A':
		a->accept_new_host_key = 1;
		break;
	}
	return 0;
}

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
	struct transport_opts o = {
		.identity = r->p->identity,
		.known_hosts = r->p->known_hosts,
		.accept_new_host_key = accept_new_host_key,
	};
	char want[KEY_ID_HEX], have[KEY_ID_HEX];
	const struct repo_config *c;
	int rc;

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

/* Loads the parent's manifest from the cache when an incremental is
 * possible; explains why not when it was asked for. */
static int
choose_parent(struct backup_run *r, enum level_arg level)
{
	char id[REPO_ID_HEX], path[REPO_PATH_MAX];
	uint64_t size;
	int rc;

	repo_id_hex(r->repo, id);
	if ((rc = state_cache_path(id, r->p->name, r->cache,
	    sizeof(r->cache))) != 0)
		return rc;
	if (level == ARG_FULL)
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
		if (level == ARG_INCR)
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
	if ((rc = backup_tree(&to, r->sw, r->m, &r->stats)) != 0)
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
}

static void
run_release(struct backup_run *r)
{
	setwriter_free(r->sw);
	manifest_free(r->m);
	manifest_free(r->prev);
	repo_close(r->repo);
	signkey_free(r->sig);
	policy_free(r->p);
}

int
cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "level", required_argument, NULL, 'l' },
		{ "checksum", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "accept-new-host-key", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_args a = { .level = ARG_AUTO };
	struct backup_run r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.policy == NULL)
		return cli_missing("backup", "--policy FILE");
	r.start_ns = now_ns();
	if (gethostname(r.host, sizeof(r.host) - 1) != 0)
		strcpy(r.host, "unknown");
	if ((rc = policy_load(a.policy, &r.p)) != 0 ||
	    (rc = open_repository(&r, a.accept_new_host_key)) != 0 ||
	    (rc = choose_parent(&r, a.level)) != 0 ||
	    (rc = write_set(&r, a.checksum)) != 0)
		goto out;
	/* The set is committed; a failure to cache only costs a full next
	 * time, so it is a warning. */
	if (state_cache_save(r.cache, r.m) != 0)
		r.stats.warnings++;
	report(&r, a.json);
	rc = r.stats.warnings ? BKP_EWARN : 0;
out:
	run_release(&r);
	return rc;
}
