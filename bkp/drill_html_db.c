/* drill_html_db.c: the databases of a drill's report in its HTML page: a
 * table per store (its load, its tables and rows, its check query and
 * result); every value from the report escaped. */
#include <stdio.h>
#include <string.h>

#include "drill.h"

static const char *
s(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

static json_object *
obj(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void
cell(FILE *f, const char *head, const char *value, const char *cls)
{
	fprintf(f, "<tr><th>%s</th><td%s%s%s>", head, cls ? " class=\"" : "",
	    cls ? cls : "", cls ? "\"" : "");
	drill_html_esc(f, value);
	fputs("</td></tr>\n", f);
}

static const char *
verdict_class(const char *status)
{
	return strcmp(status, "pass") == 0 || strcmp(status, "ok") == 0 ?
	    "ok" : strcmp(status, "fail") == 0 ? "miss" : NULL;
}

static void
tables(FILE *f, json_object *a)
{
	size_t n = a ? json_object_array_length(a) : 0;

	if (a == NULL) {
		fputs("<p class=\"miss\">The tables were not counted.</p>\n", f);
		return;
	}
	fprintf(f, "<table>\n<tr><th>Table (%zu)</th><th>Rows</th></tr>\n", n);
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(a, i);

		fputs("<tr><td>", f);
		drill_html_esc(f, s(t, "name"));
		fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n",
		    (long long)json_object_get_int64(obj(t, "rows")));
	}
	fputs("</table>\n", f);
}

static void
store(FILE *f, json_object *db)
{
	json_object *load = obj(db, "load"), *check = obj(db, "check");
	char secs[64];

	fputs("<h3>", f);
	drill_html_esc(f, s(db, "type"));
	fputs(" ", f);
	drill_html_esc(f, s(db, "database"));
	fputs("</h3>\n<table>\n", f);
	cell(f, "Verdict", s(db, "status"), verdict_class(s(db, "status")));
	if (*s(db, "error"))
		cell(f, "Why", s(db, "error"), "miss");
	cell(f, "Dump", s(db, "dump"), NULL);
	cell(f, "Scratch database", s(db, "scratch"), NULL);
	snprintf(secs, sizeof(secs), "%s, %.3f s", s(load, "status"),
	    json_object_get_double(obj(load, "seconds")));
	cell(f, "Load", secs, verdict_class(s(load, "status")));
	if (*s(check, "query")) {
		cell(f, "Check query", s(check, "query"), NULL);
		cell(f, "Result", s(check, "result"), NULL);
	}
	cell(f, "Check", s(check, "status"), verdict_class(s(check,
	    "status")));
	fputs("</table>\n", f);
	tables(f, obj(db, "tables"));
}

void
drill_html_stores(FILE *f, json_object *r)
{
	json_object *a = obj(r, "stores");
	size_t n = a ? json_object_array_length(a) : 0;

	if (n == 0)
		return;
	fputs("<h2>Databases loaded and checked</h2>\n<p>Each restored dump "
	    "was loaded into a scratch database on its server, its tables' "
	    "rows counted exactly, and its check query run.</p>\n", f);
	for (size_t i = 0; i < n; i++)
		store(f, json_object_array_get_idx(a, i));
}
