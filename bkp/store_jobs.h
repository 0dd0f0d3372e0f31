/* store_jobs.h: the dump commands of a policy's [stores].
 *
 * Each store type becomes one job (one command, one file in the set) per
 * database, so that a database restores on its own:
 *
 *   postgresql  STORES_DIR/postgresql/globals.sql   pg_dumpall --globals-only
 *               STORES_DIR/postgresql/DB.dump       pg_dump --format=custom
 *   mariadb     STORES_DIR/mariadb/system.users.sql mariadb-dump --system=users
 *               STORES_DIR/mariadb/DB.sql           mariadb-dump
 *                                                   --single-transaction
 *   sqlite      STORES_DIR/sqlite/PATH.sql          sqlite3 PATH .dump
 *   command     STORES_DIR/NAME                     /bin/sh -c COMMAND
 *
 * "all" databases are listed by asking the server when the backup runs.
 * Database names are stored with '%', '/', control bytes and a leading
 * '.' written as %XX.
 */
#ifndef BKP_STORE_JOBS_H
#define BKP_STORE_JOBS_H

#include <stddef.h>

#include "policy.h"
#include "store_stream.h"

struct store_jobs {
	struct store_job *v;
	size_t n;
	unsigned failed;	/* stores that failed before a dump (listing
				 * the databases, a missing file); reported */
};

/* The jobs of p.  0, or -BKP_ENOMEM. */
int store_jobs_make(const struct policy *p, struct store_jobs *j);
void store_jobs_free(struct store_jobs *j);

/* name with '%', '/', bytes below 0x20, 0x7f and a leading '.' written as
 * %XX; NULL when out of memory. */
char *store_name_encode(const char *name);

/* A value for a libpq connection string: 'x', with \\ and ' escaped;
 * NULL when out of memory. */
char *store_pg_quote(const char *s);

#endif
