/* store_jobs.c: from [stores] to dump commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "policy_stores.h"
#include "store_jobs.h"

#define LIST_MAX (4u << 20)	/* output of a database listing */
#define MAX_ARGS 16

/* A job being made: its argv, and whether memory ran out. */
struct jb {
	char *argv[MAX_ARGS + 1];
	int n, oom;
};

static void
arg(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
arg(struct jb *b, const char *fmt, ...)
{
	va_list ap;

	if (b->n >= MAX_ARGS) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&b->argv[b->n], fmt, ap) == -1) {
		b->argv[b->n] = NULL;
		b->oom = 1;
	} else
		b->n++;
	va_end(ap);
}

static void
jb_release(struct jb *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->argv[i]);
	b->n = 0;
}

char *
store_name_encode(const char *name)
{
	char *out = malloc(strlen(name) * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if (*c == '%' || *c == '/' || *c < 0x20 || *c == 0x7f ||
		    (*c == '.' && c == (const unsigned char *)name))
			o += sprintf(o, "%%%02X", *c);
		else
			*o++ = (char)*c;
	}
	*o = '\0';
	return out;
}

/* Adds the job of b (which it takes) as path, for messages name. */
static int
add(struct store_jobs *j, struct jb *b, const struct store_cmd *cmd,
    char *name, char *path, const char *tail, const char *tail_in)
{
	struct store_job *v, *job;

	if (b->oom || name == NULL || path == NULL ||
	    (v = realloc(j->v, (j->n + 1) * sizeof(*v))) == NULL) {
		jb_release(b);
		free(name);
		free(path);
		return -BKP_ENOMEM;
	}
	j->v = v;
	job = &v[j->n];
	memset(job, 0, sizeof(*job));
	if ((job->argv = calloc((size_t)b->n + 1, sizeof(char *))) == NULL) {
		jb_release(b);
		free(name);
		free(path);
		return -BKP_ENOMEM;
	}
	memcpy(job->argv, b->argv, (size_t)b->n * sizeof(char *));
	b->n = 0;
	job->name = name;
	job->path = path;
	job->what = job->argv[strcmp(job->argv[0], "/bin/sh") == 0 ? 2 : 0];
	job->cmd = *cmd;
	job->cmd.argv = job->argv;
	job->tail = tail;
	job->tail_in = tail_in;
	j->n++;
	return 0;
}

static char *
str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
str(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return rc == -1 ? NULL : s;
}

static int
name_add(struct strlist *out, char *name, const char *const *skip)
{
	char **v;

	if (*name == '\0' || strcmp(name, "all") == 0)
		return 0;
	for (size_t k = 0; skip && skip[k]; k++)
		if (strcmp(skip[k], name) == 0)
			return 0;
	for (size_t k = 0; k < out->n; k++)
		if (strcmp(out->v[k], name) == 0)
			return 0;
	if ((v = realloc(out->v, (out->n + 1) * sizeof(*v))) == NULL)
		return -BKP_ENOMEM;
	out->v = v;
	out->v[out->n++] = name;	/* borrowed */
	return 0;
}

/* The names to dump: the policy's, and for "all" the len bytes listed
 * (sep-separated; changed in place), without repeats or skip's names. */
static int
names_merge(const struct strlist *given, char *listed, size_t len, char sep,
    const char *const *skip, struct strlist *out)
{
	char *end = listed + len, *next;
	int rc = 0;

	for (size_t i = 0; i < given->n && rc == 0; i++)
		rc = name_add(out, given->v[i], NULL);
	for (char *s = listed; s && s < end && rc == 0; s = next) {
		if ((next = memchr(s, sep, (size_t)(end - s))) != NULL)
			*next++ = '\0';
		rc = name_add(out, s, skip);
	}
	return rc;
}

static int
wants_all(const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], "all") == 0)
			return 1;
	return 0;
}

char *
store_pg_quote(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 3), *o = out;

	if (out == NULL)
		return NULL;
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\\' || *s == '\'')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* A listing of database names, as a failed store when it fails. */
static int
list(struct store_jobs *j, struct jb *b, const struct store_cmd *base,
    const char *name, char **out, size_t *len)
{
	struct store_cmd c = *base;
	int rc;

	*out = NULL;
	*len = 0;
	if (b->oom) {
		jb_release(b);
		return -BKP_ENOMEM;
	}
	c.argv = b->argv;
	rc = store_proc_capture(&c, name, LIST_MAX, out, len);
	jb_release(b);
	if (rc == -BKP_EFAILED) {
		log_error("%s: the databases are not in this set", name);
		j->failed++;
		rc = 0;
	}
	return rc;
}

static int
pg_globals(const struct store_rules *s, const struct store_cmd *c,
    struct store_jobs *j)
{
	struct jb b = { .n = 0 };

	arg(&b, "pg_dumpall");
	arg(&b, "--globals-only");
	if (s->pg_connection)
		arg(&b, "--dbname=%s", s->pg_connection);
	return add(j, &b, c, str("postgresql globals"),
	    str("%s/postgresql/globals.sql", STORES_DIR), NULL,
	    "cluster dump complete");
}

static int
pg_database(const struct store_rules *s, const struct store_cmd *c,
    const char *db, struct store_jobs *j)
{
	struct jb b = { .n = 0 };
	char *q = store_pg_quote(db), *enc = store_name_encode(db);
	int rc = -BKP_ENOMEM;

	if (q && enc) {
		arg(&b, "pg_dump");
		arg(&b, "--format=custom");
		arg(&b, "--compress=0");	/* bkp compresses */
		arg(&b, "--dbname=%s%sdbname=%s", s->pg_connection ?
		    s->pg_connection : "", s->pg_connection ? " " : "", q);
		rc = add(j, &b, c, str("postgresql database %s", db),
		    str("%s/postgresql/%s.dump", STORES_DIR, enc), NULL, NULL);
	}
	free(q);
	free(enc);
	return rc;
}

static int
pg_jobs(const struct store_rules *s, struct store_jobs *j)
{
	struct store_cmd c = { .user = s->pg_run_as, .timeout = s->timeout };
	struct strlist dbs = { NULL, 0 };
	struct jb b = { .n = 0 };
	char *listed = NULL;
	size_t len = 0;
	int rc = 0;

	if (wants_all(&s->pg_databases)) {
		arg(&b, "psql");
		arg(&b, "--no-psqlrc");
		arg(&b, "--quiet");
		arg(&b, "--no-align");
		arg(&b, "--tuples-only");
		arg(&b, "--record-separator-zero");
		arg(&b, "--set=ON_ERROR_STOP=1");
		arg(&b, "--dbname=dbname=postgres%s%s", s->pg_connection ?
		    " " : "", s->pg_connection ? s->pg_connection : "");
		arg(&b, "--command=select datname from pg_database where "
		    "datallowconn and not datistemplate order by 1");
		rc = list(j, &b, &c, "postgresql: listing the databases",
		    &listed, &len);
	}
	if (rc == 0)
		rc = names_merge(&s->pg_databases, listed, len, '\0', NULL,
		    &dbs);
	if (rc == 0)
		rc = pg_globals(s, &c, j);
	for (size_t i = 0; i < dbs.n && rc == 0; i++)
		rc = pg_database(s, &c, dbs.v[i], j);
	free(dbs.v);
	free(listed);
	return rc;
}

/* mariadb's programs, else MySQL's; with the option file first. */
static int
my_start(struct jb *b, const struct store_rules *s, const char *maria,
    const char *mysql)
{
	char *found = store_proc_find(maria);
	int is_maria = found != NULL;

	free(found);
	arg(b, "%s", is_maria ? maria : mysql);
	if (s->my_options)
		arg(b, "--defaults-extra-file=%s", s->my_options);
	return is_maria;
}

/* Undoes the escapes of batch output (\n, \t, \\, \0) in place. */
static void
my_unescape(char *s, size_t *len)
{
	char *o = s, *end = s + *len;

	for (char *c = s; c < end; c++) {
		if (*c != '\\' || c + 1 == end) {
			*o++ = *c;
			continue;
		}
		c++;
		*o++ = *c == 'n' ? '\n' : *c == 't' ? '\t' : *c == '0' ?
		    '\0' : *c;
	}
	*len = (size_t)(o - s);
}

static int
my_database(const struct store_rules *s, const struct store_cmd *c,
    const char *db, struct store_jobs *j)
{
	static const char *const opts[] = { "--single-transaction",
	    "--routines", "--events", "--triggers", "--hex-blob",
	    "--default-character-set=utf8mb4" };
	struct jb b = { .n = 0 };
	char *enc = store_name_encode(db);
	int rc;

	if (enc == NULL)
		return -BKP_ENOMEM;
	my_start(&b, s, "mariadb-dump", "mysqldump");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		arg(&b, "%s", opts[i]);
	arg(&b, "--");
	arg(&b, "%s", db);
	rc = add(j, &b, c, str("mariadb database %s", db),
	    str("%s/mariadb/%s.sql", STORES_DIR, enc), NULL,
	    "-- Dump completed");
	free(enc);
	return rc;
}

static int
my_jobs(const struct store_rules *s, struct store_jobs *j)
{
	static const char *const system[] = { "information_schema",
	    "performance_schema", "sys", "mysql", NULL };
	struct store_cmd c = { .user = s->my_run_as, .timeout = s->timeout };
	struct strlist dbs = { NULL, 0 };
	struct jb b = { .n = 0 };
	char *listed = NULL;
	size_t len = 0;
	int rc = 0;

	if (wants_all(&s->my_databases)) {
		my_start(&b, s, "mariadb", "mysql");
		arg(&b, "--batch");
		arg(&b, "--skip-column-names");
		arg(&b, "--execute=show databases");
		rc = list(j, &b, &c, "mariadb: listing the databases",
		    &listed, &len);
		if (listed)
			my_unescape(listed, &len);
	}
	if (rc == 0)
		rc = names_merge(&s->my_databases, listed, len, '\n', system,
		    &dbs);
	if (rc == 0 && my_start(&b, s, "mariadb-dump", "mysqldump")) {
		/* Users and grants, as CREATE USER and GRANT statements. */
		arg(&b, "--system=users");
		rc = add(j, &b, &c, str("mariadb users"),
		    str("%s/mariadb/system.users.sql", STORES_DIR), NULL,
		    "-- Dump completed");
	} else
		jb_release(&b);
	for (size_t i = 0; i < dbs.n && rc == 0; i++)
		rc = my_database(s, &c, dbs.v[i], j);
	free(dbs.v);
	free(listed);
	return rc;
}

/* sqlite3's .dump reads in one transaction: a consistent copy.  It runs
 * as the file's owner, so that files it creates (-wal, -shm) are the
 * application's. */
static int
sqlite_job(const struct store_rules *s, const char *file,
    struct store_jobs *j)
{
	struct store_cmd c = { .timeout = s->timeout };
	struct jb b = { .n = 0 };
	struct stat st;

	/* sqlite3 would make an empty database of a missing file. */
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("sqlite %s: %s; not in this set", file,
		    errno ? strerror(errno) : "not a regular file");
		j->failed++;
		return 0;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		c.as_owner = 1;
		c.uid = st.st_uid;
		c.gid = st.st_gid;
	}
	arg(&b, "sqlite3");
	arg(&b, "-batch");
	arg(&b, "-cmd");
	arg(&b, ".timeout 60000");
	arg(&b, "%s", file);
	arg(&b, ".dump");
	return add(j, &b, &c, str("sqlite %s", file),
	    str("%s/sqlite/%s.sql", STORES_DIR, file + 1), "COMMIT;\n", NULL);
}

static int
command_job(const struct store_rules *s, const char *v, struct store_jobs *j)
{
	struct store_cmd c = { .timeout = s->timeout };
	struct jb b = { .n = 0 };
	const char *cmd;
	size_t n;

	if (policy_store_command(v, &n, &cmd) != 0)
		return 0;	/* refused when the policy was loaded */
	arg(&b, "/bin/sh");
	arg(&b, "-c");
	arg(&b, "%s", cmd);
	return add(j, &b, &c, str("command %.*s", (int)n, v),
	    str("%s/%.*s", STORES_DIR, (int)n, v), NULL, NULL);
}

int
store_jobs_make(const struct policy *p, struct store_jobs *j)
{
	const struct store_rules *s = &p->stores;
	int rc = 0;

	memset(j, 0, sizeof(*j));
	if (s->pg_databases.n)
		rc = pg_jobs(s, j);
	if (rc == 0 && s->my_databases.n)
		rc = my_jobs(s, j);
	for (size_t i = 0; i < s->sqlite.n && rc == 0; i++) {
		errno = 0;
		rc = sqlite_job(s, s->sqlite.v[i], j);
	}
	for (size_t i = 0; i < s->commands.n && rc == 0; i++)
		rc = command_job(s, s->commands.v[i], j);
	if (rc != 0)
		store_jobs_free(j);
	return rc;
}

void
store_jobs_free(struct store_jobs *j)
{
	for (size_t i = 0; i < j->n; i++) {
		for (char **a = j->v[i].argv; *a; a++)
			free(*a);
		free(j->v[i].argv);
		free(j->v[i].name);
		free(j->v[i].path);
	}
	free(j->v);
	j->v = NULL;
	j->n = 0;
}
