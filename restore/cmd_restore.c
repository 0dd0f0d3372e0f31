/* cmd_restore.c: bkp restore --repo URL --key FILE [--set ID] --target DIR */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "catalog.h"
#include "cli.h"
#include "error.h"
#include "extract.h"
#include "keys.h"
#include "log.h"
#include "repo.h"

static const char usage[] =
"usage: bkp restore --repo URL --key FILE [--set ID] --target DIR\n"
"                   [--passphrase-file FILE] [--numeric-owner] [--json]\n"
"                   [SFTP OPTIONS]\n"
"\n"
"Restores a set (the newest by default) into DIR, which must be empty or\n"
"absent.  Entries keep their paths below DIR.  Every file's content is\n"
"checked against the manifest before it gets its real name; files that\n"
"fail are reported and the rest is restored (exit status 10).\n"
"Needs only the repository and the secret key: no local state.\n"
"\n"
"  -r, --repo URL              the repository\n"
"  -k, --key FILE              the secret repository key (repo.key)\n"
"  -p, --passphrase-file FILE  its passphrase (else $BKP_PASSPHRASE or a\n"
"                              prompt)\n"
"  -s, --set ID                the set to restore (default: the newest)\n"
"  -t, --target DIR            where to restore\n"
"  -n, --numeric-owner         restore owners by number, not by name\n"
"  -j, --json                  print the result as JSON\n"
"  -h, --help                  this text\n"
CLI_TRANSPORT_HELP;

struct restore_args {
	const char *repo, *key, *passfile, *set, *target;
	int numeric_owner, json;
	struct transport_opts topts;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct restore_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	switch (c) {
	case 'r': a->repo = arg; break;
	case 'k': a->key = arg; break;
	case 'p': a->passfile = arg; break;
	case 's': a->set = arg; break;
	case 't': a->target = arg; break;
	case 'n': a->numeric_owner = 1; break;
	case 'j': a->json = 1; break;
	}
	return 0;
}

/* The target must be absent (it is created) or an empty directory. */
static int
prepare_target(const char *target)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (mkdir(target, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return log_errno_code("%s: cannot create target", target);
	if ((d = opendir(target)) == NULL)
		return log_errno_code("%s: cannot open target", target);
	while (!found && (de = readdir(d)) != NULL)
		found = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	if (found) {
		log_error("%s: target is not empty; restore into a new or "
		    "empty directory", target);
		return -BKP_EUSAGE;
	}
	return 0;
}

static void
report(const struct seal *s, const struct extract_stats *st, int json,
    double secs)
{
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "set", json_object_new_string(s->setid));
		json_object_object_add(o, "entries",
		    json_object_new_int64((int64_t)st->entries));
		json_object_object_add(o, "bytes",
		    json_object_new_int64((int64_t)st->bytes));
		json_object_object_add(o, "failed",
		    json_object_new_int64((int64_t)st->failed));
		json_object_object_add(o, "parts_read",
		    json_object_new_int((int)st->parts));
		json_object_object_add(o, "seconds",
		    json_object_new_double(secs));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("restored set %s: %llu entries, %.1f MiB, %u parts read, "
	    "%.2f s%s\n", s->setid, (unsigned long long)st->entries,
	    (double)st->bytes / 1048576.0, st->parts, secs,
	    st->failed ? "; SOME ENTRIES FAILED (see above)" : "");
}

int
cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "target", required_argument, NULL, 't' },
		{ "numeric-owner", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct restore_args a = { 0 };
	struct bkp_seckey *sec = NULL;
	struct repo *repo = NULL;
	struct catalog cat = { 0 };
	struct extract_stats st;
	struct extract_opts eo = { 0 };
	const struct seal *s;
	struct timespec t0, t1;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.repo == NULL)
		return cli_missing("restore", "--repo URL");
	if (a.key == NULL)
		return cli_missing("restore", "--key FILE");
	if (a.target == NULL)
		return cli_missing("restore", "--target DIR");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Only seals signed by the signer the key's owner trusts count: the
	 * repository itself is untrusted. */
	if ((rc = seckey_load(a.key, a.passfile, &sec)) != 0 ||
	    (rc = repo_open(a.repo, &a.topts, &repo)) != 0 ||
	    (rc = catalog_load(repo, &sec->sign_pk, 1, &cat)) != 0)
		goto out;
	if ((s = catalog_pick(&cat, a.set, a.repo)) == NULL) {
		rc = -BKP_ENOTFOUND;
		goto out;
	}
	log_info("restoring set %s into %s", s->setid, a.target);
	if ((rc = prepare_target(a.target)) != 0)
		goto out;
	eo.target = a.target;
	eo.numeric_owner = a.numeric_owner;
	eo.trusted = &sec->sign_pk;
	eo.ntrusted = 1;
	rc = extract_set(repo, sec, s->setid, &eo, &st);
	if (rc == 0 || rc == -BKP_EPARTIAL) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		report(s, &st, a.json, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
out:
	catalog_release(&cat);
	repo_close(repo);
	seckey_free(sec);
	return rc;
}
