/* policy_stores.c: checks of the [stores] section. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_stores.h"

#define MSG_MAX 512

/* Store types: their names are not command names. */
static const char *const types[] = { "postgresql", "mariadb", "sqlite" };

int
policy_store_command(const char *v, size_t *namelen, const char **cmd)
{
	const char *colon = strchr(v, ':');

	if (colon == NULL)
		return -1;
	*namelen = (size_t)(colon - v);
	while (*namelen > 0 && isspace((unsigned char)v[*namelen - 1]))
		(*namelen)--;
	for (colon++; isspace((unsigned char)*colon); colon++)
		;
	*cmd = colon;
	return 0;
}

static const char *
command_problem(const char *v)
{
	const char *cmd;
	size_t n;

	if (policy_store_command(v, &n, &cmd) != 0)
		return "expected NAME: COMMAND";
	if (n == 0 || n > STORE_NAME_MAX || v[0] == '.')
		return "the NAME before ':' takes 1 to 64 characters, no "
		    "leading '.'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i]))
			return "the NAME before ':' takes letters, digits, "
			    "'.', '_' and '-'";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && strncmp(v, types[i], n) == 0)
			return "this NAME is a store type's; choose another";
	if (*cmd == '\0')
		return "no COMMAND after ':'";
	return NULL;
}

/* A normalised absolute path: no empty, "." or ".." component. */
static const char *
sqlite_problem(const char *v)
{
	if (v[0] != '/')
		return "not an absolute path";
	if (strstr(v, "//") || strstr(v, "/./") || strstr(v, "/../") ||
	    v[strlen(v) - 1] == '/' || (strlen(v) >= 2 &&
	    strcmp(v + strlen(v) - 2, "/.") == 0) || (strlen(v) >= 3 &&
	    strcmp(v + strlen(v) - 3, "/..") == 0))
		return "give the database file's path without '//', '.' or "
		    "'..' components";
	return NULL;
}

/* Credentials belong in the store's own files, never in the policy. */
static const char *
connection_problem(const char *v)
{
	const char *at = strchr(v, '@'), *scheme = strstr(v, "://");

	if (strcasestr(v, "password") != NULL ||
	    (scheme && at && memchr(scheme + 3, ':',
	    (size_t)(at - scheme - 3)) != NULL))
		return "no passwords in a policy: use ~/.pgpass, PGSERVICE "
		    "or peer authentication";
	return NULL;
}

static const char *
user_problem(const char *v)
{
	for (const char *c = v; *c; c++)
		if (isspace((unsigned char)*c) || *c == '/' || *c == ':')
			return "expected a user name";
	return NULL;
}

const char *
policy_stores_value(const char *key, const char *value)
{
	if (*value == '\0')
		return NULL;	/* a list's first line: the values follow */
	if (strcmp(key, "command") == 0)
		return command_problem(value);
	if (strcmp(key, "sqlite") == 0)
		return sqlite_problem(value);
	if (strcmp(key, "postgresql_connection") == 0)
		return connection_problem(value);
	if (strcmp(key, "postgresql_run_as") == 0 ||
	    strcmp(key, "mariadb_run_as") == 0)
		return user_problem(value);
	return NULL;
}

int
policy_has_stores(const struct policy *p)
{
	const struct store_rules *s = &p->stores;

	return s->commands.n || s->pg_databases.n || s->my_databases.n ||
	    s->sqlite.n;
}

static const char *
duplicate_command(const struct strlist *l)
{
	static char msg[160];
	const char *a, *b;
	size_t na, nb;

	for (size_t i = 0; i < l->n; i++)
		for (size_t j = i + 1; j < l->n; j++)
			if (policy_store_command(l->v[i], &na, &a) == 0 &&
			    policy_store_command(l->v[j], &nb, &b) == 0 &&
			    na == nb && strncmp(l->v[i], l->v[j], na) == 0) {
				snprintf(msg, sizeof(msg), "[stores] command: "
				    "the name %.*s is given twice", (int)na,
				    l->v[i]);
				return msg;
			}
	return NULL;
}

static const char *
duplicate(const struct strlist *l, const char *key)
{
	static char msg[MSG_MAX];

	for (size_t i = 0; i < l->n; i++)
		for (size_t j = i + 1; j < l->n; j++)
			if (strcmp(l->v[i], l->v[j]) == 0) {
				snprintf(msg, sizeof(msg), "[stores] %s: %.200s "
				    "is given twice", key, l->v[i]);
				return msg;
			}
	return NULL;
}

/* A source path that is the stores' directory or inside it. */
static const char *
overlap(const struct policy *p)
{
	static char msg[MSG_MAX];
	size_t n = strlen(STORES_DIR);

	for (size_t i = 0; i < p->paths.n; i++) {
		const char *v = p->paths.v[i];

		while (*v == '/')
			v++;
		if (strncmp(v, STORES_DIR, n) == 0 &&
		    (v[n] == '\0' || v[n] == '/')) {
			snprintf(msg, sizeof(msg), "[source] paths: %.200s is "
			    "where the dumps of [stores] go in a set (/%s); "
			    "it cannot be a source too", p->paths.v[i],
			    STORES_DIR);
			return msg;
		}
	}
	return NULL;
}

const char *
policy_stores_check(const struct policy *p)
{
	const struct store_rules *s = &p->stores;
	const char *msg;

	if (!policy_has_stores(p))
		return NULL;
	if ((msg = overlap(p)) != NULL ||
	    (msg = duplicate_command(&s->commands)) != NULL ||
	    (msg = duplicate(&s->sqlite, "sqlite")) != NULL ||
	    (msg = duplicate(&s->pg_databases, "postgresql")) != NULL ||
	    (msg = duplicate(&s->my_databases, "mariadb")) != NULL)
		return msg;
	return NULL;
}

static void
strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
policy_stores_free(struct store_rules *s)
{
	strlist_clear(&s->commands);
	strlist_clear(&s->pg_databases);
	strlist_clear(&s->my_databases);
	strlist_clear(&s->sqlite);
	free(s->pg_connection);
	free(s->pg_run_as);
	free(s->my_options);
	free(s->my_run_as);
}
