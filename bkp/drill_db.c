/* drill_db.c: a drill's databases: the dumps of the restored set found,
 * each loaded into a scratch database, counted and checked, and the
 * scratch databases dropped (drill_db.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "drill.h"
#include "drill_db.h"
#include "error.h"
#include "fsutil.h"
#include "log.h"
#include "policy_stores.h"

double
db_clock(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void
db_fail(struct drill *d, struct drill_db *db, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->error, sizeof(db->error), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s %s: %s", db_type_names[db->type],
	    db->name, db->error);
	log_error("drill: %s", msg);
	json_object_array_add(d->reasons, json_object_new_string(msg));
}

static int
type_declared(const struct policy *p, enum db_type t)
{
	return t == DB_POSTGRESQL ? p->stores.pg_databases.n > 0 :
	    t == DB_MARIADB ? p->stores.my_databases.n > 0 :
	    p->stores.sqlite.n > 0;
}

/* bkp-stores/TYPE/ENCODED.dump -> the database's name (%XX decoded). */
static char *
name_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	unsigned x;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 1 && sscanf(s + i + 1, "%2x",
		    &x) == 1 && x != 0) {
			*o++ = (char)x;
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Letters, digits and '_' of name, lower case, at out until size - 1. */
static size_t
sanitize(const char *name, char *out, size_t n, size_t size)
{
	for (const char *c = name; *c && n + 1 < size; c++)
		out[n++] = isalnum((unsigned char)*c) ?
		    (char)tolower((unsigned char)*c) : '_';
	out[n] = '\0';
	return n;
}

/* bkp_drill_SET_NAME, cut to fit, made unique among the drill's databases
 * of the same server; for SQLite, DIR/N-NAME.db. */
static void
scratch_name(struct drill *d, struct drill_db *db, char *out, size_t size)
{
	const char *rnd = strchr(d->set->setid, '-'), *base;
	struct drill_dbs *l = d->dbs;
	size_t n, cut;
	int unique = 0;

	if (db->type == DB_SQLITE) {
		base = strrchr(db->name, '/');
		n = (size_t)snprintf(out, size, "%s/%zu-", l->sqlite_dir, l->n);
		n = sanitize(base ? base + 1 : db->name, out, n, size - 3);
		strcat(out, ".db");
		return;
	}
	n = (size_t)snprintf(out, size, "bkp_drill_%s_", rnd ? rnd + 1 :
	    d->set->setid);
	n = sanitize(db->name, out, n, DB_SCRATCH_MAX + 1);
	for (int k = 2; !unique; k++) {
		unique = 1;
		for (size_t i = 0; i < l->n && unique; i++)
			unique = l->v[i].type != db->type ||
			    strcmp(l->v[i].scratch, out) != 0;
		cut = n > DB_SCRATCH_MAX - 6 ? DB_SCRATCH_MAX - 6 : n;
		if (!unique)
			snprintf(out + cut, size - cut, "_%d", k);
	}
}

static int
add(struct drill *d, enum db_type type, char *name, char *dump)
{
	struct drill_dbs *l = d->dbs;
	char scratch[PATH_MAX];
	struct drill_db *v, *db;

	if (name == NULL || dump == NULL ||
	    (v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(name);
		free(dump);
		return -BKP_ENOMEM;
	}
	l->v = v;
	db = &v[l->n];
	memset(db, 0, sizeof(*db));
	db->type = type;
	db->name = name;
	db->dump = dump;
	db->query = policy_check_query(d->p, db_type_names[type], name);
	scratch_name(d, db, scratch, sizeof(scratch));
	db->scratch = strdup(scratch);
	l->n++;
	return db->scratch ? 0 : -BKP_ENOMEM;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* The dumps of PostgreSQL (DB.dump) or MariaDB (DB.sql) in dir. */
static int
find_server_dumps(struct drill *d, enum db_type type, const char *dir)
{
	const char *suffix = type == DB_POSTGRESQL ? ".dump" : ".sql";
	struct dirent **de = NULL;
	int n, rc = 0;

	if ((n = scandir(dir, &de, NULL, alphasort)) < 0)
		return 0;	/* none of this type in the set */
	for (int i = 0; i < n; i++) {
		const char *e = de[i]->d_name;
		char *path;

		if (rc == 0 && de[i]->d_type != DT_DIR && has_suffix(e, suffix) &&
		    strcmp(e, "system.users.sql") != 0) {
			if (asprintf(&path, "%s/%s", dir, e) == -1)
				path = NULL;
			rc = add(d, type, name_decode(e, strlen(e) -
			    strlen(suffix)), path);
		}
		free(de[i]);
	}
	free(de);
	return rc;
}

/* The SQLite dumps under dir: the file /REL is dumped as dir/REL.sql. */
static int
find_sqlite_dumps(struct drill *d, const char *root, const char *rel)
{
	struct dirent **de = NULL;
	char path[PATH_MAX];
	int n, rc = 0;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if ((n = scandir(path, &de, NULL, alphasort)) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *e = de[i]->d_name;
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/%s", rel, e);
		if (rc != 0 || strcmp(e, ".") == 0 || strcmp(e, "..") == 0)
			;
		else if (de[i]->d_type == DT_DIR)
			rc = find_sqlite_dumps(d, root, sub);
		else if (has_suffix(e, ".sql")) {
			snprintf(path, sizeof(path), "%s%s", root, sub);
			rc = add(d, DB_SQLITE, strndup(sub, strlen(sub) - 4),
			    strdup(path));
		}
		free(de[i]);
	}
	free(de);
	return rc;
}

static int
find_dumps(struct drill *d)
{
	char dir[PATH_MAX + 64], tmpl[PATH_MAX + 64];
	int rc = 0;

	for (int t = 0; t < NDBTYPES && rc == 0; t++) {
		snprintf(dir, sizeof(dir), "%s/%s/%s", d->target, STORES_DIR,
		    db_type_names[t]);
		if (!type_declared(d->p, (enum db_type)t))
			continue;
		if (t == DB_SQLITE) {
			snprintf(tmpl, sizeof(tmpl), "%s/bkp-drill-sqlite.XXXXXX",
			    d->target);
			if (mkdtemp(tmpl) == NULL)
				return log_errno_code("%s: cannot create a "
				    "scratch directory", tmpl);
			if ((d->dbs->sqlite_dir = strdup(tmpl)) == NULL)
				return -BKP_ENOMEM;
			rc = find_sqlite_dumps(d, dir, "");
		} else
			rc = find_server_dumps(d, (enum db_type)t, dir);
	}
	return rc;
}

static struct db_ctx
ctx(const struct drill *d)
{
	return (struct db_ctx){ &d->p->stores, d->p->drill.check_timeout };
}

static void
load_one(struct drill *d, struct drill_db *db)
{
	struct db_ctx c = ctx(d);
	double t0 = db_clock();
	int rc;

	log_info("drill: loading %s %s into %s", db_type_names[db->type],
	    db->name, db->scratch);
	if ((rc = db_exists(&c, db)) == 1)
		db_fail(d, db, "the scratch database %s exists already (kept by "
		    "an earlier drill?); drop it and drill again", db->scratch);
	else if (rc < 0)
		db_fail(d, db, "cannot reach the server to make the scratch "
		    "database %s", db->scratch);
	else if ((db->created = 1, db_load(&c, db)) != 0)
		db_fail(d, db, "the dump did not load into the scratch database %s",
		    db->scratch);
	else
		db->loaded = 1;
	db->load_seconds = db_clock() - t0;
}

int
drill_db_load(struct drill *d)
{
	int rc;

	if (d->restore_rc != 0)
		return 0;
	if ((d->dbs = calloc(1, sizeof(*d->dbs))) == NULL)
		return -BKP_ENOMEM;
	if ((rc = find_dumps(d)) != 0)
		return rc;
	for (size_t i = 0; i < d->dbs->n; i++)
		load_one(d, &d->dbs->v[i]);
	return 0;
}

static void
db_free(struct drill_db *db)
{
	for (size_t i = 0; i < db->ntables; i++)
		free(db->tables[i].name);
	free(db->tables);
	free(db->name);
	free(db->dump);
	free(db->scratch);
	free(db->result);
}

/* Drops what the drill made, unless it keeps its target. */
void
drill_db_drop(struct drill *d)
{
	struct drill_dbs *l = d->dbs;
	struct db_ctx c = ctx(d);

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct drill_db *db = &l->v[i];

		if (db->created && d->req->keep) {
			if (!d->req->quiet)
				fprintf(stderr, "bkp: the scratch database of "
				    "%s %s is kept: %s\n",
				    db_type_names[db->type], db->name,
				    db->scratch);
		} else if (db->created && db_drop(&c, db) != 0)
			log_warn("%s: cannot drop the drill's scratch database; "
			    "drop it by hand", db->scratch);
		db_free(db);
	}
	if (l->sqlite_dir && !d->req->keep &&
	    fs_remove_tree(AT_FDCWD, l->sqlite_dir) != 0)
		log_warn("%s: cannot remove: %s", l->sqlite_dir,
		    strerror(errno));
	free(l->sqlite_dir);
	free(l->v);
	free(l);
	d->dbs = NULL;
}
