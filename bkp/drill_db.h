/* drill_db.h: the databases of a drill (drill.h has the interface the
 * drill uses).
 *
 * Every database dump of the restored set (STORES_DIR/postgresql/DB.dump,
 * mariadb/DB.sql, sqlite/PATH.sql) is loaded into a scratch database of
 * the store's own server, with the connection settings of the policy's
 * [stores] and the load scripts (bkp-load-postgresql, -mariadb, -sqlite):
 *
 *   postgresql  a new database bkp_drill_SET_DB on the same server
 *   mariadb     a new schema bkp_drill_SET_DB on the same server
 *   sqlite      a new file in a directory of its own in the drill's target
 *
 * (SET: the random part of the set id; DB: the database's name, as
 * letters, digits and '_', cut to fit.)  Then the rows of every table are
 * counted exactly, and the policy's [drill] check_query runs; it passes
 * when the first value of its first row is neither NULL, empty, false nor
 * zero.  The scratch databases are dropped at the end of the drill, unless
 * it keeps its target (--keep).  Every command is run by argv (fork and
 * exec, store_proc.h), never through a shell line made of names.
 */
#ifndef BKP_DRILL_DB_H
#define BKP_DRILL_DB_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum db_type { DB_POSTGRESQL, DB_MARIADB, DB_SQLITE, NDBTYPES };
extern const char *const db_type_names[NDBTYPES];

/* The longest scratch database name (PostgreSQL's limit: 63 bytes). */
#define DB_SCRATCH_MAX 63

struct db_table {
	char *name;		/* "schema.table" for PostgreSQL */
	int64_t rows;
};

struct drill_db {
	enum db_type type;
	char *name;		/* the database, or the SQLite file */
	char *dump;		/* the restored dump */
	char *scratch;		/* the scratch database, or file */
	int created;		/* ours to drop */
	int loaded, counted;
	const char *query;	/* its check query (the policy's), or NULL */
	char *result;		/* the query's first row */
	int checked;		/* the query ran: passed (1) or not (-1) */
	double load_seconds, check_seconds;
	struct db_table *tables;
	size_t ntables;
	char error[256];	/* why it failed, "" if it did not */
};

struct drill_dbs {
	struct drill_db *v;
	size_t n;
	char *sqlite_dir;	/* where the scratch SQLite files are */
};

struct drill;

/* drill_db.c */
/* A finding of the store: in db->error and among the drill's reasons. */
void db_fail(struct drill *d, struct drill_db *db, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* CLOCK_MONOTONIC, in seconds. */
double db_clock(void);

/* drill_db_sql.c: the commands, on the store's own server. */
struct db_ctx {
	const struct store_rules *s;
	int64_t timeout;	/* seconds per query (check_timeout) */
};
/* The scratch database does not exist yet: 0, 1 when it does, or
 * -BKP_EFAILED (reported). */
int db_exists(const struct db_ctx *c, const struct drill_db *db);
/* Loads the dump into the new scratch database with the load script.
 * 0, or -BKP_EFAILED (reported, with the script's error output). */
int db_load(const struct db_ctx *c, struct drill_db *db);
/* Runs sql in the scratch database: its output (rows as lines, values
 * tab-separated) in *out.  0, -BKP_EFAILED (reported), -BKP_ENOMEM. */
int db_query(const struct db_ctx *c, const struct drill_db *db,
    const char *sql, char **out);
int db_drop(const struct db_ctx *c, const struct drill_db *db);

/* drill_db_count.c: the tables of the scratch database and their rows. */
int db_count(const struct db_ctx *c, struct drill_db *db);
/* An SQL identifier of type's dialect, quoted: "a""b", `a``b`. */
char *db_quote_ident(enum db_type type, const char *name);

#endif
