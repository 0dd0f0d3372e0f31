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

int
policy_check_query_split(const char *v, struct check_query *q)
{
	const char *sep;
	size_t n;

	memset(q, 0, sizeof(*q));
	q->sql = v;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i]);
		if (strncmp(v, types[i], n) == 0 && v[n] == ' ') {
			q->type = types[i];
			break;
		}
	}
	if (q->type == NULL)
		return 0;
	for (q->name = v + n; *q->name == ' '; q->name++)
		;
	if ((sep = strstr(q->name, ": ")) == NULL || sep == q->name)
		return -1;
	q->namelen = (size_t)(sep - q->name);
	for (q->sql = sep + 2; isspace((unsigned char)*q->sql); q->sql++)
		;
	return *q->sql == '\0' ? -1 : 0;
}

const char *
policy_check_query_value(const char *v)
{
	struct check_query q;

	if (*v != '\0' && policy_check_query_split(v, &q) != 0)
		return "expected TYPE NAME: SQL (TYPE postgresql, mariadb or "
		    "sqlite), or SQL for every store";
	return NULL;
}

static int
same_store(const struct check_query *a, const struct check_query *b)
{
	if (a->type == NULL || b->type == NULL)
		return a->type == b->type;
	return strcmp(a->type, b->type) == 0 && a->namelen == b->namelen &&
	    strncmp(a->name, b->name, a->namelen) == 0;
}

/* One query a store, and only for a policy with databases. */
static const char *
check_queries_problem(const struct policy *p)
{
	const struct strlist *l = &p->drill.check_queries;
	static char msg[MSG_MAX];
	struct check_query a, b;

	if (l->n && !p->stores.pg_databases.n && !p->stores.my_databases.n &&
	    !p->stores.sqlite.n)
		return "[drill] check_query: the policy has no database in "
		    "[stores] (postgresql, mariadb or sqlite)";
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = i + 1; j < l->n; j++)
			if (policy_check_query_split(l->v[i], &a) == 0 &&
			    policy_check_query_split(l->v[j], &b) == 0 &&
			    same_store(&a, &b)) {
				snprintf(msg, sizeof(msg), "[drill] check_query: "
				    "two queries for %s%.*s", a.type ? "" :
				    "every store", (int)(a.type ? a.name +
				    a.namelen - l->v[i] : 0), l->v[i]);
				return msg;
			}
	return NULL;
}

const char *
policy_check_query(const struct policy *p, const char *type,
    const char *name)
{
	const struct strlist *l = &p->drill.check_queries;
	const char *any = NULL;
	struct check_query q;

	for (size_t i = 0; i < l->n; i++) {
		if (policy_check_query_split(l->v[i], &q) != 0)
			continue;
		if (q.type == NULL)
			any = any ? any : q.sql;
		else if (strcmp(q.type, type) == 0 &&
		    strlen(name) == q.namelen &&
		    strncmp(name, q.name, q.namelen) == 0)
			return q.sql;
	}
	return any;
}

const char *
policy_stores_check(const struct policy *p)
{
	const struct store_rules *s = &p->stores;
	const char *msg;

	if ((msg = check_queries_problem(p)) != NULL)
		return msg;
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
