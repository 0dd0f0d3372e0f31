/* cmd_find.c: bkp find --repo URL --key FILE PATTERN... : every version of
 * the matching paths across the sets, to find "the last good copy". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "catalog.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "manifest.h"
#include "repo.h"
#include "repo_keyed.h"
#include "select.h"
#include "setreader.h"
#include "timefmt.h"

static const char usage[] =
"usage: bkp find --repo URL --key FILE [--json] PATTERN... [SFTP OPTIONS]\n"
"\n"
"Lists every version of the paths that match a PATTERN (as for restore)\n"
"across all sets, oldest first: the path, its size and mtime, and the sets\n"
"in which that version is the current one (first and last, with times).\n"
"A new version starts when the content, size or mtime changes; a gap\n"
"between two versions of a path means it was deleted in between.\n"
"\n"
"  -r, --repo URL              the repository\n"
"  -k, --key FILE              the secret repository key\n"
"  -p, --passphrase-file FILE  its passphrase\n"
"  -j, --json                  print JSON\n"
"  -h, --help                  this text\n"
CLI_TRANSPORT_HELP;

struct find_args {
	const char *repo, *key, *passfile;
	int json;
	struct transport_opts topts;
};

/* One version of one path: an entry and the span of sets it lives in. */
struct version {
	char *path;
	uint8_t type;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint8_t hash[32];
	const struct seal *first, *last;
	int open;		/* still current in the newest set seen */
};

struct versions {
	struct version *v;
	size_t n, cap;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct find_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	if (c == 'r')
		a->repo = arg;
	else if (c == 'k')
		a->key = arg;
	else if (c == 'p')
		a->passfile = arg;
	else if (c == 'j')
		a->json = 1;
	return 0;
}

static struct version *
open_version(struct versions *vs, const char *path)
{
	for (size_t i = vs->n; i-- > 0;)
		if (vs->v[i].open && strcmp(vs->v[i].path, path) == 0)
			return &vs->v[i];
	return NULL;
}

static int
same_version(const struct version *v, const struct manifest_entry *e)
{
	return v->type == e->type && v->size == e->size &&
	    v->mtime_sec == e->mtime_sec && v->mtime_nsec == e->mtime_nsec &&
	    sodium_memcmp(v->hash, e->hash, 32) == 0;
}

static int
add_version(struct versions *vs, const struct manifest_entry *e,
    const struct seal *s)
{
	struct version *v;

	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 64;
		void *p = realloc(vs->v, cap * sizeof(*vs->v));

		if (p == NULL)
			return -BKP_ENOMEM;
		vs->v = p;
		vs->cap = cap;
	}
	v = &vs->v[vs->n];
	memset(v, 0, sizeof(*v));
	if ((v->path = strdup(e->path)) == NULL)
		return -BKP_ENOMEM;
	v->type = e->type;
	v->size = e->size;
	v->mtime_sec = e->mtime_sec;
	v->mtime_nsec = e->mtime_nsec;
	memcpy(v->hash, e->hash, 32);
	v->first = v->last = s;
	v->open = 1;
	vs->n++;
	return 0;
}

/* Folds one set's matching entries into the versions. */
static int
scan_set(struct versions *vs, const struct manifest *m, const struct seal *s,
    char *const *patterns, size_t npatterns)
{
	struct version *v;
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		const struct manifest_entry *e = &m->e[i];
		size_t j;

		for (j = 0; j < npatterns; j++)
			if (select_match(patterns[j], e->path))
				break;
		if (j == npatterns)
			continue;
		v = open_version(vs, e->path);
		if (v && same_version(v, e)) {
			v->last = s;
			continue;
		}
		if (v)
			v->open = 0;
		if ((rc = add_version(vs, e, s)) != 0)
			return rc;
	}
	/* Paths absent from this set end their version. */
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].open && vs->v[i].last != s)
			vs->v[i].open = 0;
	return 0;
}

static int
cmp_versions(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	int c = manifest_path_cmp(x->path, y->path);

	if (c)
		return c;
	return x->first->time_ns < y->first->time_ns ? -1 :
	    x->first->time_ns > y->first->time_ns;
}

static void
print_versions(const struct versions *vs, int json)
{
	json_object *arr = json ? json_object_new_array() : NULL;
	char mt[32], t1[32], t2[32];

	for (size_t i = 0; i < vs->n; i++) {
		const struct version *v = &vs->v[i];

		time_format_utc(v->mtime_sec * 1000000000, mt, sizeof(mt));
		time_format_utc(v->first->time_ns, t1, sizeof(t1));
		time_format_utc(v->last->time_ns, t2, sizeof(t2));
		if (!json) {
			printf("%s  %llu bytes  mtime %s  in %s (%s) .. %s "
			    "(%s)\n", v->path, (unsigned long long)v->size, mt,
			    v->first->setid, t1, v->last->setid, t2);
			continue;
		}
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(v->path));
		json_object_object_add(o, "size",
		    json_object_new_int64((int64_t)v->size));
		json_object_object_add(o, "mtime", json_object_new_string(mt));
		json_object_object_add(o, "first_set",
		    json_object_new_string(v->first->setid));
		json_object_object_add(o, "first_time",
		    json_object_new_string(t1));
		json_object_object_add(o, "last_set",
		    json_object_new_string(v->last->setid));
		json_object_object_add(o, "last_time",
		    json_object_new_string(t2));
		json_object_array_add(arr, o);
	}
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
}

static int
find_versions(struct repo *repo, const struct bkp_seckey *sec,
    const struct catalog *cat, char *const *patterns, size_t npatterns,
    struct versions *vs)
{
	struct setreader *sr;
	struct manifest *m;
	int rc;

	for (size_t i = 0; i < cat->n; i++) {
		const struct seal *s = &cat->sets[i];

		if ((rc = setreader_open(repo, s->setid, &sec->sign_pk, 1, sec,
		    &sr)) != 0)
			return rc;
		rc = setreader_manifest(sr, &m);
		setreader_free(sr);
		if (rc != 0)
			return rc;
		rc = scan_set(vs, m, s, patterns, npatterns);
		manifest_free(m);
		if (rc != 0)
			return rc;
	}
	if (vs->n > 0)
		qsort(vs->v, vs->n, sizeof(*vs->v), cmp_versions);
	return 0;
}

int
cmd_find(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct find_args a = { 0 };
	struct bkp_seckey *sec = NULL;
	struct repo *repo = NULL;
	struct catalog cat = { 0 };
	struct versions vs = { 0 };
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.repo == NULL)
		return cli_missing("find", "--repo URL");
	if (a.key == NULL)
		return cli_missing("find", "--key FILE");
	if (optind >= argc)
		return cli_missing("find", "PATTERN");
	if ((rc = repo_open_keyed(a.repo, &a.topts, a.key, a.passfile, &repo,
	    &sec)) != 0 ||
	    (rc = catalog_load(repo, &sec->sign_pk, 1, &cat)) != 0 ||
	    (rc = find_versions(repo, sec, &cat, argv + optind,
	    (size_t)(argc - optind), &vs)) != 0)
		goto out;
	print_versions(&vs, a.json);
	if (vs.n == 0) {
		log_error("no path in any set matches");
		rc = -BKP_ENOTFOUND;
	}
out:
	for (size_t i = 0; i < vs.n; i++)
		free(vs.v[i].path);
	free(vs.v);
	catalog_release(&cat);
	repo_close(repo);
	seckey_free(sec);
	return rc;
}
