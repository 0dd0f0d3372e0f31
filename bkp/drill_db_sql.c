/* drill_db_sql.c: the commands of a drill's databases: load scripts,
 * clients and drops, on the store's own server, as the store's user
 * ([stores] postgresql_run_as, mariadb_run_as), with its connection
 * settings (postgresql_connection, mariadb_options); see drill_db.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drill_db.h"
#include "error.h"
#include "log.h"
#include "store_jobs.h"
#include "store_proc.h"

#define MAX_ARGS 16
#define OUTPUT_MAX (4u << 20)

const char *const db_type_names[NDBTYPES] = {
	"postgresql", "mariadb", "sqlite",
};

/* An argv being made; oom once memory ran out. */
struct args {
	char *v[MAX_ARGS + 1];
	int n, oom;
};

static void
arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

static void
arg(struct args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->oom || a->n >= MAX_ARGS) {
		a->oom = 1;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&a->v[a->n], fmt, ap) == -1) {
		a->v[a->n] = NULL;
		a->oom = 1;
	} else
		a->n++;
	va_end(ap);
}

static void
args_release(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* A load script: in PATH, else beside bkp itself (its bindir). */
static void
script(struct args *a, const char *name)
{
	char self[PATH_MAX], *found = store_proc_find(name), *slash;
	ssize_t n;

	if (found == NULL && (n = readlink("/proc/self/exe", self,
	    sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		if (asprintf(&found, "%s/%s", self, name) == -1)
			found = NULL;
		else if (access(found, X_OK) != 0) {
			free(found);
			found = NULL;
		}
	}
	arg(a, "%s", found ? found : name);
	free(found);
}

/* libpq's connection string for dbname (quoted), after the policy's. */
static void
pg_dbname(struct args *a, const struct store_rules *s, const char *opt,
    const char *dbname)
{
	char *q = store_pg_quote(dbname);

	if (q == NULL)
		a->oom = 1;
	else
		arg(a, "%s%s%sdbname=%s client_encoding=UTF8", opt,
		    s->pg_connection ? s->pg_connection : "",
		    s->pg_connection ? " " : "", q);
	free(q);
}

static void
psql(struct args *a, const struct store_rules *s, const char *dbname,
    const char *sql)
{
	arg(a, "psql");
	arg(a, "--no-psqlrc");
	arg(a, "--quiet");
	arg(a, "--no-align");
	arg(a, "--tuples-only");
	arg(a, "--field-separator=\t");
	arg(a, "--set=ON_ERROR_STOP=1");
	pg_dbname(a, s, "--dbname=", dbname);
	arg(a, "--command=%s", sql);
}

/* The mariadb client (mysql's without it), the option file first. */
static void
mariadb(struct args *a, const struct store_rules *s, const char *db,
    const char *sql)
{
	char *found = store_proc_find("mariadb");

	arg(a, "%s", found ? "mariadb" : "mysql");
	free(found);
	if (s->my_options)
		arg(a, "--defaults-extra-file=%s", s->my_options);
	arg(a, "--batch");
	arg(a, "--skip-column-names");
	arg(a, "--default-character-set=utf8mb4");
	if (db)
		arg(a, "--database=%s", db);
	arg(a, "--execute=%s", sql);
}

static void
sqlite(struct args *a, const char *file, const char *sql)
{
	arg(a, "sqlite3");
	arg(a, "-init");
	arg(a, "/dev/null");
	arg(a, "-batch");
	arg(a, "-bail");
	arg(a, "-separator");
	arg(a, "\t");
	arg(a, "%s", file);
	arg(a, "%s", sql);
}

/* The command's user and time limit for a store of type. */
static struct store_cmd
cmd_for(const struct db_ctx *c, enum db_type type, struct args *a,
    int64_t timeout)
{
	struct store_cmd cmd = { .argv = a->v, .timeout = timeout };

	if (type == DB_POSTGRESQL)
		cmd.user = c->s->pg_run_as;
	else if (type == DB_MARIADB)
		cmd.user = c->s->my_run_as;
	return cmd;
}

/* Runs a to its end: its output in *out (may be NULL). */
static int
run(const struct db_ctx *c, enum db_type type, struct args *a,
    const char *name, int64_t timeout, char **out)
{
	struct store_cmd cmd = cmd_for(c, type, a, timeout);
	char *buf = NULL;
	size_t len;
	int rc;

	if (a->oom) {
		args_release(a);
		return -BKP_ENOMEM;
	}
	rc = store_proc_capture(&cmd, name, OUTPUT_MAX, &buf, &len);
	args_release(a);
	if (out)
		*out = buf;
	else
		free(buf);
	return rc;
}

int
db_query(const struct db_ctx *c, const struct drill_db *db, const char *sql,
    char **out)
{
	struct args a = { .n = 0 };
	char name[PATH_MAX + 64];

	*out = NULL;
	if (db->type == DB_POSTGRESQL)
		psql(&a, c->s, db->scratch, sql);
	else if (db->type == DB_MARIADB)
		mariadb(&a, c->s, db->scratch, sql);
	else
		sqlite(&a, db->scratch, sql);
	snprintf(name, sizeof(name), "drill: %s %s (in %s)",
	    db_type_names[db->type], db->name, db->scratch);
	return run(c, db->type, &a, name, c->timeout, out);
}

/* The scratch names are letters, digits and '_' (drill_db.c): they go
 * into these statements as they are. */
int
db_exists(const struct db_ctx *c, const struct drill_db *db)
{
	struct args a = { .n = 0 };
	char sql[256], *out = NULL;
	int rc;

	if (db->type == DB_SQLITE)
		return access(db->scratch, F_OK) == 0;
	if (db->type == DB_POSTGRESQL) {
		snprintf(sql, sizeof(sql), "select count(*) from pg_database "
		    "where datname = '%s'", db->scratch);
		psql(&a, c->s, "postgres", sql);
	} else {
		snprintf(sql, sizeof(sql), "select count(*) from "
		    "information_schema.schemata where schema_name = '%s'",
		    db->scratch);
		mariadb(&a, c->s, NULL, sql);
	}
	if ((rc = run(c, db->type, &a, db->scratch, c->timeout, &out)) == 0)
		rc = strtol(out, NULL, 10) > 0;
	free(out);
	return rc;
}

int
db_load(const struct db_ctx *c, struct drill_db *db)
{
	struct args a = { .n = 0 };
	struct store_cmd cmd;
	char name[PATH_MAX + 64], *out = NULL;
	size_t len;
	int rc;

	if (db->type == DB_POSTGRESQL) {
		script(&a, "bkp-load-postgresql");
		if (c->s->pg_connection)
			arg(&a, "--connection=%s", c->s->pg_connection);
	} else if (db->type == DB_MARIADB) {
		script(&a, "bkp-load-mariadb");
		if (c->s->my_options)
			arg(&a, "--defaults-extra-file=%s", c->s->my_options);
	} else
		script(&a, "bkp-load-sqlite");
	arg(&a, "-");		/* the dump on standard input */
	arg(&a, "%s", db->scratch);
	if (db->type == DB_POSTGRESQL)
		arg(&a, "--no-owner");
	if (a.oom) {
		args_release(&a);
		return -BKP_ENOMEM;
	}
	cmd = cmd_for(c, db->type, &a, c->s->timeout);
	cmd.input = db->dump;
	snprintf(name, sizeof(name), "drill: loading %s %s into %s",
	    db_type_names[db->type], db->name, db->scratch);
	rc = store_proc_capture(&cmd, name, OUTPUT_MAX, &out, &len);
	args_release(&a);
	free(out);
	return rc;
}

int
db_drop(const struct db_ctx *c, const struct drill_db *db)
{
	struct args a = { .n = 0 };
	char sql[128];

	if (db->type == DB_SQLITE) {
		if (unlink(db->scratch) != 0 && errno != ENOENT)
			return log_errno_code("%s: cannot remove the scratch "
			    "database", db->scratch);
		return 0;
	}
	if (db->type == DB_POSTGRESQL) {
		arg(&a, "dropdb");
		arg(&a, "--if-exists");
		pg_dbname(&a, c->s, "--maintenance-db=", "postgres");
		arg(&a, "--");
		arg(&a, "%s", db->scratch);
	} else {
		snprintf(sql, sizeof(sql), "drop database if exists `%s`",
		    db->scratch);
		mariadb(&a, c->s, NULL, sql);
	}
	return run(c, db->type, &a, db->scratch, c->timeout, NULL);
}
