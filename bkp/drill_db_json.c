/* drill_db_json.c: a drill's databases in its report ("stores"). */
#include <stdio.h>
#include <string.h>

#include "drill.h"
#include "drill_db.h"

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

/* Seconds, to the microsecond, printed as rounded. */
static void
add_secs(json_object *o, const char *key, double s)
{
	double r = (double)(int64_t)(s * 1e6 + 0.5) / 1e6;
	char b[40];

	snprintf(b, sizeof(b), "%.6f", r);
	json_object_object_add(o, key, json_object_new_double_s(r, b));
}

static json_object *
tables_json(const struct drill_db *db)
{
	json_object *a = json_object_new_array(), *t;

	for (size_t i = 0; i < db->ntables; i++) {
		t = json_object_new_object();
		add_str(t, "name", db->tables[i].name);
		json_object_object_add(t, "rows", json_object_new_int64(
		    db->tables[i].rows));
		json_object_array_add(a, t);
	}
	return a;
}

static json_object *
check_json(const struct drill_db *db)
{
	json_object *o = json_object_new_object();

	add_str(o, "query", db->query);
	add_str(o, "result", db->result);
	add_str(o, "status", !db->query ? "none" : db->checked > 0 ? "pass" :
	    db->checked < 0 ? "fail" : "skipped");
	add_secs(o, "seconds", db->check_seconds);
	return o;
}

static json_object *
db_json(const struct drill *d, const struct drill_db *db)
{
	json_object *o = json_object_new_object(), *load;
	size_t tl = strlen(d->target);

	add_str(o, "type", db_type_names[db->type]);
	add_str(o, "database", db->name);
	add_str(o, "dump", strncmp(db->dump, d->target, tl) == 0 ?
	    db->dump + tl : db->dump);
	add_str(o, "scratch", db->scratch);
	json_object_object_add(o, "kept", json_object_new_boolean(
	    db->created && d->req->keep));
	load = json_object_new_object();
	add_str(load, "status", db->loaded ? "ok" : "fail");
	add_secs(load, "seconds", db->load_seconds);
	json_object_object_add(o, "load", load);
	json_object_object_add(o, "tables", db->counted ? tables_json(db) :
	    NULL);
	json_object_object_add(o, "check", check_json(db));
	add_str(o, "status", db->error[0] ? "fail" : "pass");
	add_str(o, "error", db->error[0] ? db->error : NULL);
	return o;
}

json_object *
drill_db_json(const struct drill *d)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; d->dbs && i < d->dbs->n; i++)
		json_object_array_add(a, db_json(d, &d->dbs->v[i]));
	return a;
}

uint64_t
drill_db_failures(const struct drill *d)
{
	uint64_t n = 0;

	for (size_t i = 0; d->dbs && i < d->dbs->n; i++)
		n += d->dbs->v[i].error[0] != '\0';
	return n;
}
