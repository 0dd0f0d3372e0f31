/* drill_db_count.c: the tables of a scratch database and their exact row
 * counts (count(*)): the user tables are listed from the catalog
 * (pg_class over the user schemas, information_schema.tables,
 * sqlite_master) with their names in hex, so that any name comes back
 * intact, then counted with quoted identifiers, CHUNK tables a query. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_db.h"
#include "error.h"
#include "log.h"

#define CHUNK 100
#define TABLES_MAX 100000

/* The query listing the user tables of a database, names in hex. */
static const char *
list_sql(enum db_type type)
{
	switch (type) {
	case DB_POSTGRESQL:
		return "select encode(convert_to(n.nspname, 'UTF8'), 'hex'), "
		    "encode(convert_to(c.relname, 'UTF8'), 'hex') from "
		    "pg_class c join pg_namespace n on n.oid = "
		    "c.relnamespace where c.relkind in ('r', 'p') and not "
		    "c.relispartition and n.nspname <> "
		    "'information_schema' and n.nspname not like 'pg\\_%' "
		    "order by n.nspname, c.relname";
	case DB_MARIADB:
		return "select hex(table_name) from information_schema.tables "
		    "where table_schema = database() and table_type = "
		    "'BASE TABLE' order by table_name";
	default:
		return "select hex(name) from sqlite_master where type = "
		    "'table' and name not like 'sqlite\\_%' escape '\\' "
		    "order by name";
	}
}

char *
db_quote_ident(enum db_type type, const char *name)
{
	char q = type == DB_MARIADB ? '`' : '"';
	char *out = malloc(strlen(name) * 2 + 3), *o = out;

	if (out == NULL)
		return NULL;
	*o++ = q;
	for (; *name; name++) {
		if (*name == q)
			*o++ = q;
		*o++ = *name;
	}
	*o++ = q;
	*o = '\0';
	return out;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The n hex digits at s, decoded; NULL when malformed or a NUL. */
static char *
unhex(const char *s, size_t n)
{
	char *out;

	if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[n / 2] = '\0';
	return out;
}

/* One line of the listing: the table's name and its quoted identifier. */
static int
parse_table(enum db_type type, const char *line, size_t len, char **name,
    char **ident)
{
	const char *tab = memchr(line, '\t', len);
	char *schema = NULL, *table, *qs = NULL, *qt = NULL;
	int rc = -1;

	*name = *ident = NULL;
	if ((type == DB_POSTGRESQL) != (tab != NULL))
		return -1;
	if (tab && (schema = unhex(line, (size_t)(tab - line))) == NULL)
		return -1;
	table = tab ? unhex(tab + 1, len - (size_t)(tab + 1 - line)) :
	    unhex(line, len);
	if (table && (qt = db_quote_ident(type, table)) != NULL &&
	    (!schema || (qs = db_quote_ident(type, schema)) != NULL) &&
	    asprintf(name, "%s%s%s", schema ? schema : "", schema ? "." : "",
	    table) != -1) {
		if (asprintf(ident, "%s%s%s", qs ? qs : "", qs ? "." : "",
		    qt) != -1)
			rc = 0;
		else {
			free(*name);
			*name = NULL;
		}
	}
	free(schema);
	free(table);
	free(qs);
	free(qt);
	return rc;
}

static int
list_tables(const struct db_ctx *c, struct drill_db *db, char ***idents)
{
	char *out, *line, *end;
	size_t cap = 0;
	int rc;

	*idents = NULL;
	if ((rc = db_query(c, db, list_sql(db->type), &out)) != 0)
		return rc;
	for (line = out; *line && rc == 0; line = *end ? end + 1 : end) {
		struct db_table *t;
		char **q;

		end = line + strcspn(line, "\n");
		if (end == line)
			continue;
		if (db->ntables == cap) {
			cap = cap ? 2 * cap : 16;
			if (cap > TABLES_MAX ||
			    (t = realloc(db->tables, cap * sizeof(*t))) == NULL ||
			    (db->tables = t, (q = realloc(*idents, cap *
			    sizeof(*q))) == NULL)) {
				rc = -BKP_ENOMEM;
				break;
			}
			*idents = q;
		}
		t = &db->tables[db->ntables];
		if (parse_table(db->type, line, (size_t)(end - line), &t->name,
		    &(*idents)[db->ntables]) != 0) {
			log_error("drill: %s %s: cannot read the list of tables "
			    "(\"%.*s\")", db_type_names[db->type], db->name,
			    (int)(end - line > 80 ? 80 : end - line), line);
			rc = -BKP_EFAILED;
			break;
		}
		t->rows = -1;
		db->ntables++;
	}
	free(out);
	return rc;
}

/* Counts the tables from..to-1 in one query. */
static int
count_chunk(const struct db_ctx *c, struct drill_db *db, char **idents,
    size_t from, size_t to)
{
	char *sql = NULL, *out = NULL, *line, *end;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((f = open_memstream(&sql, &len)) == NULL)
		return -BKP_ENOMEM;
	for (size_t i = from; i < to; i++)
		fprintf(f, "%sselect %zu, count(*) from %s", i > from ?
		    " union all " : "", i, idents[i]);
	if (fclose(f) != 0) {
		free(sql);
		return -BKP_ENOMEM;
	}
	if ((rc = db_query(c, db, sql, &out)) == 0) {
		for (line = out; *line; line = *end ? end + 1 : end) {
			unsigned long long i;
			long long n;

			end = line + strcspn(line, "\n");
			if (sscanf(line, "%llu\t%lld", &i, &n) == 2 &&
			    i >= from && i < to)
				db->tables[i].rows = n;
		}
	}
	free(sql);
	free(out);
	return rc;
}

int
db_count(const struct db_ctx *c, struct drill_db *db)
{
	char **idents = NULL;
	int rc;

	rc = list_tables(c, db, &idents);
	for (size_t i = 0; i < db->ntables && rc == 0; i += CHUNK)
		rc = count_chunk(c, db, idents, i, i + CHUNK < db->ntables ?
		    i + CHUNK : db->ntables);
	for (size_t i = 0; i < db->ntables && rc == 0; i++)
		if (db->tables[i].rows < 0) {
			log_error("drill: %s %s: no row count for table %s",
			    db_type_names[db->type], db->name,
			    db->tables[i].name);
			rc = -BKP_EFAILED;
		}
	for (size_t i = 0; idents && i < db->ntables; i++)
		free(idents[i]);
	free(idents);
	db->counted = rc == 0;
	return rc;
}
