/* drill_db_check.c: the loaded scratch databases counted and checked:
 * every table's rows, then the policy's [drill] check_query, whose first
 * value must be neither NULL, empty, false nor zero (drill_db.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drill.h"
#include "drill_db.h"
#include "error.h"
#include "log.h"
#include "policy_stores.h"

#define RESULT_MAX 200

/* The first value of a query's output: up to a tab or the line's end. */
static int
truthy(const char *out)
{
	size_t n = strcspn(out, "\t\n");
	char v[64], *end;
	double x;

	if (n == 0 || n >= sizeof(v))
		return n != 0;
	memcpy(v, out, n);
	v[n] = '\0';
	if (strcasecmp(v, "NULL") == 0 || strcasecmp(v, "f") == 0 ||
	    strcasecmp(v, "false") == 0)
		return 0;
	x = strtod(v, &end);
	return !(*end == '\0' && end != v && x == 0);
}

/* The first line of out, as the report shows it. */
static char *
first_row(const char *out)
{
	size_t n = strcspn(out, "\n");

	return strndup(out, n > RESULT_MAX ? RESULT_MAX : n);
}

static void
check_one(struct drill *d, struct drill_db *db)
{
	struct db_ctx c = { &d->p->stores, d->p->drill.check_timeout };
	double t0 = db_clock();
	char *out = NULL;
	int rc;

	if (db_count(&c, db) != 0)
		db_fail(d, db, "cannot count the rows of the tables of %s",
		    db->scratch);
	if (db->query) {
		log_info("drill: %s %s: %s", db_type_names[db->type], db->name,
		    db->query);
		if ((rc = db_query(&c, db, db->query, &out)) != 0) {
			db->checked = -1;
			db_fail(d, db, "the check query failed in %s: %s",
			    db->scratch, db->query);
		} else if ((db->result = first_row(out)) != NULL &&
		    truthy(out)) {
			db->checked = 1;
		} else {
			db->checked = -1;
			db_fail(d, db, "the check query gave %s%s%s: %s",
			    *out ? "'" : "no row", *out ? db->result : "",
			    *out ? "'" : "", db->query);
		}
		free(out);
	}
	db->check_seconds = db_clock() - t0;
}

/* check_query lines that name a store the set has no dump of. */
static void
unmatched(struct drill *d)
{
	const struct strlist *l = &d->p->drill.check_queries;
	struct check_query q;
	char msg[512];

	for (size_t i = 0; i < l->n; i++) {
		int found = 0;

		if (policy_check_query_split(l->v[i], &q) != 0 || !q.type)
			continue;
		for (size_t k = 0; d->dbs && k < d->dbs->n && !found; k++) {
			const struct drill_db *db = &d->dbs->v[k];

			found = strcmp(db_type_names[db->type], q.type) == 0 &&
			    strlen(db->name) == q.namelen &&
			    strncmp(db->name, q.name, q.namelen) == 0;
		}
		if (found)
			continue;
		snprintf(msg, sizeof(msg), "%s %.*s: [drill] check_query names "
		    "it, but the set has no dump of it", q.type,
		    (int)q.namelen, q.name);
		log_error("drill: %s", msg);
		json_object_array_add(d->reasons, json_object_new_string(msg));
	}
}

void
drill_db_check(struct drill *d)
{
	if (d->restore_rc != 0)
		return;
	for (size_t i = 0; d->dbs && i < d->dbs->n; i++)
		if (d->dbs->v[i].loaded)
			check_one(d, &d->dbs->v[i]);
	unmatched(d);
}
