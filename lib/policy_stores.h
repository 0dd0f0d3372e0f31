/* policy_stores.h: the [stores] section of a policy (bkp-policy(5)):
 * sources whose content is the output of a command, such as a database
 * dump, stored as regular files under STORES_DIR in the set.
 *
 * The keys are rows of the policy's key table (policy.c); this file
 * checks their values, the section as a whole, and the names the dumps
 * get in the set.
 */
#ifndef BKP_POLICY_STORES_H
#define BKP_POLICY_STORES_H

#include <stddef.h>

#include "policy.h"

/* The top directory of the dumps in a set; no [source] path may be it or
 * lie inside it. */
#define STORES_DIR "bkp-stores"
#define STORE_NAME_MAX 64

/* What is wrong with the value of [stores] key, or NULL. */
const char *policy_stores_value(const char *key, const char *value);
/* What is wrong with the [stores] section as a whole, or NULL (the
 * message is in a static buffer). */
const char *policy_stores_check(const struct policy *p);
/* 1 if the policy has any store. */
int policy_has_stores(const struct policy *p);
/* Splits "NAME: CMD": the length of NAME, and CMD; -1 when malformed. */
int policy_store_command(const char *v, size_t *namelen, const char **cmd);
void policy_stores_free(struct store_rules *s);

/* [drill] check_query: "TYPE NAME: SQL" is the query of one store (TYPE
 * postgresql, mariadb or sqlite; NAME a database, or for sqlite the
 * file), a line without "TYPE NAME: " the query of every other store.
 * Splits v: *type is NULL for the latter.  -1 when malformed. */
struct check_query {
	const char *type;	/* static, or NULL */
	const char *name;	/* in v */
	size_t namelen;
	const char *sql;	/* in v */
};
int policy_check_query_split(const char *v, struct check_query *q);
/* What is wrong with a check_query line, or NULL. */
const char *policy_check_query_value(const char *v);
/* The SQL that checks the store (type, name): its own line, else the
 * line for every store, else NULL. */
const char *policy_check_query(const struct policy *p, const char *type,
    const char *name);

#endif
