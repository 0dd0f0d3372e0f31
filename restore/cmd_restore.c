/* cmd_restore.c: bkp restore --repo URL --key FILE (--at TIME | --set ID |
 * --latest) --target DIR [PATTERN...] */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "audit.h"
#include "catalog.h"
#include "cli.h"
#include "error.h"
#include "extract.h"
#include "keys.h"
#include "manifest.h"
#include "repogen.h"
#include "log.h"
#include "repo.h"
#include "repo_keyed.h"
#include "timefmt.h"

static const char usage[] =
"usage: bkp restore --repo URL --key FILE [--at TIME | --set ID | --latest]\n"
"                   --target DIR [PATTERN...] [--dry-run]\n"
"                   [--overwrite never|older|always] [--numeric-owner]\n"
"                   [--passphrase-file FILE] [--json] [SFTP OPTIONS]\n"
"\n"
"Restores a set into DIR; entries keep their paths below DIR.  The set is\n"
"the newest one (--latest, the default), the one with an id, or the newest\n"
"that started at or before TIME (ISO 8601: 2026-11-21, 2026-11-21T14:00,\n"
"2026-11-21T14:00:00+01:00; local time when no zone is given).  PATTERNs\n"
"restore part of the set: a glob on the path (a leading / is ignored; *\n"
"does not cross /), or DIR/ for a subtree; only the parts holding them are\n"
"read.  Every file's content is checked against the manifest before it gets\n"
"its real name; files that fail are reported and the rest is restored\n"
"(exit status 10).  A restore run again skips files already restored.\n"
"Needs only the repository and the secret key: no local state.\n"
"\n"
"  -r, --repo URL              the repository\n"
"  -k, --key FILE              the secret repository key (repo.key)\n"
"  -p, --passphrase-file FILE  its passphrase (else $BKP_PASSPHRASE or a\n"
"                              prompt)\n"
"  -a, --at TIME               the newest set at or before TIME\n"
"  -s, --set ID                the set with this id\n"
"  -L, --latest                the newest set (the default)\n"
"  -t, --target DIR            where to restore\n"
"  -d, --dry-run               list what would be restored; write nothing\n"
"  -o, --overwrite MODE        what to do with paths that exist in DIR:\n"
"                              never (default: keep them, report them),\n"
"                              older (replace older ones), always; a\n"
"                              non-empty DIR needs this option\n"
"  -n, --numeric-owner         restore owners by number, not by name\n"
"  -j, --json                  print the result as JSON\n"
"  -h, --help                  this text\n"
CLI_TRANSPORT_HELP;

struct restore_args {
	const char *repo, *key, *passfile, *set, *at, *target;
	int numeric_owner, json, dry_run, overwrite_given;
	enum overwrite overwrite;
	struct transport_opts topts;
};

static int
parse_overwrite(const char *arg, enum overwrite *o)
{
	if (strcmp(arg, "never") == 0)
		*o = OVERWRITE_NEVER;
	else if (strcmp(arg, "older") == 0)
		*o = OVERWRITE_OLDER;
	else if (strcmp(arg, "always") == 0)
		*o = OVERWRITE_ALWAYS;
	else {
		log_error("restore: --overwrite takes never, older or always");
		return -BKP_EUSAGE;
	}
	return 0;
}

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
	case 'a': a->at = arg; break;
	case 'L': a->set = NULL; a->at = NULL; break;
	case 't': a->target = arg; break;
	case 'd': a->dry_run = 1; break;
	case 'n': a->numeric_owner = 1; break;
	case 'j': a->json = 1; break;
	case 'o':
		a->overwrite_given = 1;
		return parse_overwrite(arg, &a->overwrite);
	}
	return 0;
}

/* The target must be absent (it is created), empty, or overwrite given. */
static int
prepare_target(const char *target, int overwrite_given, int dry_run)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (dry_run)
		return 0;
	if (mkdir(target, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return log_errno_code("%s: cannot create target", target);
	if ((d = opendir(target)) == NULL)
		return log_errno_code("%s: cannot open target", target);
	while (!found && (de = readdir(d)) != NULL)
		found = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	if (found && !overwrite_given) {
		log_error("%s: target is not empty; restore into a new or "
		    "empty directory, or say what to do with existing files "
		    "(--overwrite never|older|always)", target);
		return -BKP_EUSAGE;
	}
	return 0;
}

static void
dry_run(const struct extract *x, int json)
{
	const struct manifest *m = extract_manifest(x);
	json_object *arr = json ? json_object_new_array() : NULL;
	uint64_t total = 0, n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct manifest_entry *e = &m->e[i];
		uint64_t size = e->type == ENTRY_FILE ? e->size : 0;

		if (!extract_selected(x, i))
			continue;
		n++;
		total += size;
		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "path",
			    json_object_new_string(e->path));
			json_object_object_add(o, "size",
			    json_object_new_int64((int64_t)size));
			json_object_array_add(arr, o);
		} else
			printf("%12llu  %s\n", (unsigned long long)size,
			    e->path);
	}
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "entries", arr);
		json_object_object_add(o, "count", json_object_new_int64(
		    (int64_t)n));
		json_object_object_add(o, "bytes", json_object_new_int64(
		    (int64_t)total));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else
		printf("%llu entries, %.1f MiB would be restored\n",
		    (unsigned long long)n, (double)total / 1048576.0);
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
		json_object_object_add(o, "kept",
		    json_object_new_int64((int64_t)st->kept));
		json_object_object_add(o, "already_present",
		    json_object_new_int64((int64_t)st->present));
		json_object_object_add(o, "parts_read",
		    json_object_new_int((int)st->parts));
		json_object_object_add(o, "bytes_fetched",
		    json_object_new_int64((int64_t)st->fetched));
		json_object_object_add(o, "seconds",
		    json_object_new_double(secs));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("restored set %s: %llu entries, %.1f MiB, %u parts read, "
	    "%.2f s", s->setid, (unsigned long long)st->entries,
	    (double)st->bytes / 1048576.0, st->parts, secs);
	if (st->present)
		printf("; %llu already present", (unsigned long long)st->present);
	if (st->kept)
		printf("; %llu existing left alone", (unsigned long long)st->kept);
	if (st->failed)
		printf("; %llu FAILED (listed above)",
		    (unsigned long long)st->failed);
	putchar('\n');
}

/* The set asked for, announced before anything is written. */
static const struct seal *
choose_set(const struct catalog *cat, const struct restore_args *a)
{
	const struct seal *s;
	int64_t at;
	char t[32];

	if (a->at) {
		if (time_parse(a->at, &at) != 0) {
			log_error("restore: --at %s: not an ISO 8601 time "
			    "(e.g. 2026-11-21T14:00)", a->at);
			return NULL;
		}
		s = catalog_pick_at(cat, at, a->repo);
	} else
		s = catalog_pick(cat, a->set, a->repo);
	if (s && !a->json && !a->dry_run) {
		time_format_utc(s->time_ns, t, sizeof(t));
		fprintf(stderr, "bkp: restoring set %s (%s backup of %s at %s)\n",
		    s->setid, s->level == LEVEL_FULL ? "full" : "incremental",
		    s->host, t);
	}
	return s;
}

static double
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
restore_set(struct repo *repo, const struct bkp_seckey *sec,
    const struct seal *s, const struct restore_args *a, char **patterns,
    size_t npatterns, const struct timespec *t0)
{
	struct extract_opts eo = {
		.target = a->target,
		.numeric_owner = a->numeric_owner,
		.overwrite = a->overwrite,
		.trusted = &sec->sign_pk,
		.ntrusted = 1,
	};
	struct extract_stats st = { 0 };
	struct extract *x;
	int rc;

	if ((rc = extract_open(repo, sec, s->setid, &eo, &x)) != 0)
		return rc;
	if (npatterns && extract_select(x, patterns, npatterns) == 0) {
		log_error("no entry of set %s matches the patterns given",
		    s->setid);
		rc = -BKP_ENOTFOUND;
	} else if (a->dry_run)
		dry_run(x, a->json);
	else if ((rc = prepare_target(a->target, a->overwrite_given,
	    0)) == 0) {
		if (geteuid() != 0)
			log_info("not root: files will be owned by the user "
			    "running bkp");
		rc = extract_run(x, &st);
		if (rc == 0 || rc == -BKP_EPARTIAL)
			report(s, &st, a->json, since(t0));
	}
	extract_free(x);
	audit_event("restore", &(struct audit_fields){ .repo = a->repo,
	    .set = s->setid, .patterns = patterns, .npatterns = npatterns,
	    .what = npatterns ? "the paths matching the patterns" :
	    "the whole set", .target = a->dry_run ? NULL : a->target,
	    .note = a->dry_run ? "dry run" : NULL, .status = rc,
	    .bytes = st.bytes, .count = st.entries, .seconds = since(t0) });
	return rc;
}

int
cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "at", required_argument, NULL, 'a' },
		{ "latest", no_argument, NULL, 'L' },
		{ "target", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "overwrite", required_argument, NULL, 'o' },
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
	const struct seal *s;
	struct timespec t0;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.repo == NULL)
		return cli_missing("restore", "--repo URL");
	if (a.key == NULL)
		return cli_missing("restore", "--key FILE");
	if (a.target == NULL && !a.dry_run)
		return cli_missing("restore", "--target DIR");
	if (a.set && a.at) {
		log_error("restore: give --set or --at, not both");
		return -BKP_EUSAGE;
	}
	if (a.at && time_parse(a.at, &(int64_t){0}) != 0) {
		log_error("restore: --at %s: not an ISO 8601 time (e.g. "
		    "2026-11-21T14:00)", a.at);
		return -BKP_EUSAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Only seals signed by the signer the key's owner trusts count: the
	 * repository itself is untrusted. */
	if ((rc = repo_open_keyed(a.repo, &a.topts, a.key, a.passfile, &repo,
	    &sec)) != 0)
		goto out;
	/* The config is not authenticated, but a key other than the one it
	 * names opens nothing here: say so, rather than that no seal is
	 * signed by a trusted key. */
	if (sodium_memcmp(repo_config(repo)->box_pk, sec->box_pk, 32) != 0 &&
	    !repogen_past_key(repo, sec->box_pk)) {
		char want[KEY_ID_HEX], have[KEY_ID_HEX];

		key_id(repo_config(repo)->box_pk, want);
		key_id(sec->box_pk, have);
		log_error("%s: the repository is for key %s, but %s is key %s; "
		    "use the repository's secret key", a.repo, want, a.key,
		    have);
		rc = -BKP_EKEY;
		goto out;
	}
	if ((rc = catalog_load(repo, &sec->sign_pk, 1, &cat)) != 0)
		goto out;
	if ((s = choose_set(&cat, &a)) == NULL) {
		rc = -BKP_ENOTFOUND;
		goto out;
	}
	rc = restore_set(repo, sec, s, &a, argv + optind,
	    (size_t)(argc - optind), &t0);
out:
	catalog_release(&cat);
	repo_close(repo);
	seckey_free(sec);
	return rc;
}
