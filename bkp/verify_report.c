/* verify_report.c: bkp verify's findings and summary. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "timefmt.h"
#include "verify.h"

const char *const verify_level_names[] = {
	"structure", "hashes", "sample", "full",
};

int
verify_is_finding(int rc)
{
	return rc == -BKP_ECORRUPT || rc == -BKP_ENOTFOUND || rc == -BKP_EKEY;
}

static int
cmp_id(const void *key, const void *elem)
{
	const struct vset *s = elem;

	return strcmp(key, s->id);
}

struct vset *
verify_find_set(const struct verify *v, const char *id)
{
	if (v->nsets == 0)
		return NULL;
	return bsearch(id, v->sets, v->nsets, sizeof(*v->sets), cmp_id);
}

void
verify_problem(struct verify *v, struct vset *s, const char *object,
    const char *kind, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[8192];
	va_list ap;

	v->problems++;
	if (s)
		s->problems++;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_error("%s: %s: %s", s ? s->id : "repository", object, msg);
	}
	json_object_object_add(o, "set", s ? json_object_new_string(s->id) :
	    NULL);
	json_object_object_add(o, "object", json_object_new_string(object));
	json_object_object_add(o, "problem", json_object_new_string(kind));
	json_object_object_add(o, "message", fmt ?
	    json_object_new_string(msg) : NULL);
	json_object_array_add(v->jproblems, o);
}

static json_object *
set_json(const struct vset *s)
{
	json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id", json_object_new_string(s->id));
	if (s->ok) {
		time_format_utc(s->seal.time_ns, t, sizeof(t));
		json_object_object_add(o, "time", json_object_new_string(t));
		json_object_object_add(o, "policy", json_object_new_string(
		    s->seal.policy));
		json_object_object_add(o, "level", json_object_new_string(
		    s->seal.level == LEVEL_FULL ? "full" : "incremental"));
		json_object_object_add(o, "parts", json_object_new_int64(
		    (int64_t)s->seal.nparts));
	}
	json_object_object_add(o, "status", json_object_new_string(
	    !s->ok ? "unverified" : s->problems ? "problems" : "ok"));
	json_object_object_add(o, "problems", json_object_new_int64(
	    (int64_t)s->problems));
	return o;
}

static json_object *
sampled_json(const struct verify *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < v->nsampled; i++) {
		const struct vcand *c = &v->sampled[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "set", json_object_new_string(
		    v->sets[c->owner].id));
		json_object_object_add(o, "path", json_object_new_string(
		    v->sets[c->owner].m->e[c->entry].path));
		json_object_object_add(o, "stored_in", json_object_new_string(
		    v->sets[c->holder].id));
		json_object_object_add(o, "part", json_object_new_int64(
		    (int64_t)c->part));
		json_object_array_add(a, o);
	}
	return a;
}

static void
add_int(json_object *o, const char *key, uint64_t n)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)n));
}

static json_object *
source_json(const struct verify *v)
{
	json_object *o;

	if (!v->compare_source)
		return NULL;
	o = json_object_new_object();
	add_int(o, "compared", v->src.compared);
	add_int(o, "differ", v->src.differ);
	add_int(o, "skipped_changed", v->src.changed);
	add_int(o, "skipped_other", v->src.skipped);
	return o;
}

/* How the sample was drawn: seed, rotation, pool, files. */
static void
sample_json(const struct verify *v, json_object *o)
{
	int sample = v->level == VERIFY_SAMPLE;

	json_object_object_add(o, "seed", sample ?
	    json_object_new_uint64(v->seed) : NULL);
	json_object_object_add(o, "rotate", sample ?
	    json_object_new_boolean(v->rotate) : NULL);
	if (v->level < VERIFY_SAMPLE)
		return;
	add_int(o, "candidates", v->ncand);
	if (sample)
		add_int(o, "pool", v->npool);
	json_object_object_add(o, "sampled", sampled_json(v));
	json_object_object_add(o, "source", source_json(v));
}

static void
print_json(const struct verify *v)
{
	json_object *o = json_object_new_object();
	json_object *sets = json_object_new_array();
	json_object *intr = json_object_new_array();
	char id[REPO_ID_HEX];

	for (size_t i = 0; i < v->nsets; i++) {
		if (v->sets[i].chosen)
			json_object_array_add(sets, set_json(&v->sets[i]));
		else if (!v->sets[i].sealed && v->set == NULL)
			json_object_array_add(intr, json_object_new_string(
			    v->sets[i].id));
	}
	repo_id_hex(v->repo, id);
	json_object_object_add(o, "repo", json_object_new_string(
	    repo_url(v->repo)));
	json_object_object_add(o, "repo_id", json_object_new_string(id));
	json_object_object_add(o, "level", json_object_new_string(
	    verify_level_names[v->level]));
	json_object_object_add(o, "sets", sets);
	json_object_object_add(o, "interrupted", intr);
	add_int(o, "sets_checked", v->nchecked);
	add_int(o, "objects", v->objects);
	add_int(o, "bytes_read", v->bytes_read);
	add_int(o, "files_checked", v->files_checked);
	add_int(o, "problems", v->problems);
	json_object_object_add(o, "problem_list",
	    json_object_get(v->jproblems));
	sample_json(v, o);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static void
print_text(const struct verify *v)
{
	for (size_t i = 0; i < v->nsets; i++)
		if (!v->sets[i].sealed && v->set == NULL)
			printf("%s  interrupted (no seal; not a set, prune "
			    "removes it)\n", v->sets[i].id);
	for (size_t i = 0; i < v->nsampled; i++)
		log_info("sampled %s (set %s, part %u of set %s)",
		    v->sets[v->sampled[i].owner].m->e[
		    v->sampled[i].entry].path, v->sets[v->sampled[i].owner].id,
		    v->sampled[i].part, v->sets[v->sampled[i].holder].id);
	printf("verify (%s): %zu set%s checked, %llu objects, %.1f MiB read",
	    verify_level_names[v->level], v->nchecked,
	    v->nchecked == 1 ? "" : "s",
	    (unsigned long long)v->objects, (double)v->bytes_read / 1048576.0);
	if (v->level >= VERIFY_SAMPLE)
		printf(", %llu of %zu files restored and checked",
		    (unsigned long long)v->files_checked, v->ncand);
	if (v->level == VERIFY_SAMPLE)
		printf(", seed %llu%s", (unsigned long long)v->seed,
		    v->rotate ? " (rotating)" : "");
	if (v->compare_source)
		printf(", sources: %llu compared, %llu differ, %llu skipped "
		    "(source changed), %llu skipped (nothing to compare)",
		    (unsigned long long)v->src.compared,
		    (unsigned long long)v->src.differ,
		    (unsigned long long)v->src.changed,
		    (unsigned long long)v->src.skipped);
	printf(": %llu problem%s%s\n", (unsigned long long)v->problems,
	    v->problems == 1 ? "" : "s", v->problems ? " (listed above)" : "");
}

void
verify_print(const struct verify *v)
{
	if (v->json)
		print_json(v);
	else
		print_text(v);
}
