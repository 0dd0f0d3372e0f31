/* cmd_snapshots.c: bkp snapshots --repo URL [--policy NAME] [--json] */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "catalog.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "repo.h"
#include "repo_keyed.h"

static const char usage[] =
"usage: bkp snapshots --repo URL [--policy NAME] [--key FILE] [--json]\n"
"                     [SFTP OPTIONS]\n"
"\n"
"Lists the sets of a repository from their seals, oldest first, and the\n"
"interrupted sets (no seal) separately.  Seals are checked against the\n"
"signing keys the repository lists, or with --key against the signing key\n"
"that the secret key's holder trusts (the repository is not trusted then).\n"
"Needs no local state.\n"
"\n"
"  -r, --repo URL      the repository\n"
"  -P, --policy NAME   only the sets of this policy\n"
"  -k, --key FILE      verify seals against this secret key's signer\n"
"  -p, --passphrase-file FILE  its passphrase\n"
"  -j, --json          print JSON\n"
"  -h, --help          this text\n"
CLI_TRANSPORT_HELP;

struct snap_args {
	const char *repo, *policy, *key, *passfile;
	int json;
	struct transport_opts topts;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct snap_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	if (c == 'r')
		a->repo = arg;
	else if (c == 'P')
		a->policy = arg;
	else if (c == 'j')
		a->json = 1;
	else if (c == 'k')
		a->key = arg;
	else if (c == 'p')
		a->passfile = arg;
	return 0;
}

static void
format_time(int64_t ns, char *out, size_t size)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_object *
set_json(const struct seal *s)
{
	json_object *o = json_object_new_object();
	char t[32];

	format_time(s->time_ns, t, sizeof(t));
	json_object_object_add(o, "id", json_object_new_string(s->setid));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "time_ns", json_object_new_int64(s->time_ns));
	json_object_object_add(o, "level", json_object_new_string(
	    s->level == LEVEL_FULL ? "full" : "incremental"));
	json_object_object_add(o, "parent", json_object_new_string(s->parent));
	json_object_object_add(o, "policy", json_object_new_string(s->policy));
	json_object_object_add(o, "host", json_object_new_string(s->host));
	json_object_object_add(o, "entries",
	    json_object_new_int64((int64_t)s->nfiles));
	json_object_object_add(o, "bytes",
	    json_object_new_int64((int64_t)s->bytes));
	json_object_object_add(o, "stored",
	    json_object_new_int64((int64_t)s->stored));
	json_object_object_add(o, "parts", json_object_new_int((int)s->nparts));
	json_object_object_add(o, "warnings",
	    json_object_new_int((int)s->warnings));
	json_object_object_add(o, "status", json_object_new_string("sealed"));
	return o;
}

static void
print_json(const struct catalog *c, const char *policy, int key_verified)
{
	json_object *o = json_object_new_object();
	json_object *sets = json_object_new_array();
	json_object *intr = json_object_new_array();

	for (size_t i = 0; i < c->n; i++)
		if (!policy || strcmp(policy, c->sets[i].policy) == 0)
			json_object_array_add(sets, set_json(&c->sets[i]));
	for (size_t i = 0; i < c->ninterrupted; i++)
		json_object_array_add(intr,
		    json_object_new_string(c->interrupted[i]));
	json_object_object_add(o, "sets", sets);
	json_object_object_add(o, "interrupted", intr);
	json_object_object_add(o, "unverified",
	    json_object_new_int((int)c->nbad));
	json_object_object_add(o, "verified_with_key",
	    json_object_new_boolean(key_verified));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static void
print_table(const struct catalog *c, const char *policy)
{
	char t[32];

	printf("%-25s  %-20s  %-4s  %-12s  %9s  %10s  %10s\n", "ID", "TIME",
	    "LVL", "POLICY", "ENTRIES", "MIB", "STORED");
	for (size_t i = 0; i < c->n; i++) {
		const struct seal *s = &c->sets[i];

		if (policy && strcmp(policy, s->policy) != 0)
			continue;
		format_time(s->time_ns, t, sizeof(t));
		printf("%-25s  %-20s  %-4s  %-12s  %9llu  %10.1f  %10.1f\n",
		    s->setid, t, s->level == LEVEL_FULL ? "full" : "incr",
		    s->policy, (unsigned long long)s->nfiles,
		    (double)s->bytes / 1048576.0,
		    (double)s->stored / 1048576.0);
	}
	for (size_t i = 0; i < c->ninterrupted; i++)
		printf("%-25s  interrupted (no seal; removed by prune)\n",
		    c->interrupted[i]);
	if (c->nbad)
		printf("%zu set(s) with a seal that does not verify (see "
		    "above)\n", c->nbad);
}

int
cmd_snapshots(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct snap_args a = { 0 };
	struct repo *repo = NULL;
	struct bkp_seckey *sec = NULL;
	struct catalog cat;
	const uint8_t (*trusted)[32];
	size_t ntrusted;
	char id[KEY_ID_HEX];
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.repo == NULL)
		return cli_missing("snapshots", "--repo URL");
	if ((rc = a.key ? repo_open_keyed(a.repo, &a.topts, a.key, a.passfile,
	    &repo, &sec) : repo_open(a.repo, &a.topts, &repo)) != 0)
		goto out;
	trusted = sec ? (const uint8_t (*)[32])&sec->sign_pk :
	    (const uint8_t (*)[32])repo_config(repo)->signers;
	ntrusted = sec ? 1 : repo_config(repo)->nsigners;
	if ((rc = catalog_load(repo, trusted, ntrusted, &cat)) != 0)
		goto out;
	if (a.json)
		print_json(&cat, a.policy, sec != NULL);
	else
		print_table(&cat, a.policy);
	if (sec && !a.json) {
		key_id(sec->sign_pk, id);
		printf("seals verified against signing key %s from %s\n", id,
		    a.key);
	}
	catalog_release(&cat);
out:
	repo_close(repo);
	seckey_free(sec);
	return rc;
}
