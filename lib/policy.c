/* policy.c: the policy file parser, on top of inih. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "error.h"
#include "log.h"
#include "policy.h"
#include "policy_sched.h"
#include "policy_stores.h"

#define POLICY_MAX (1 << 20)

enum key_type { K_STR, K_LIST, K_BOOL, K_SIZE, K_INT, K_PATH, K_PERIOD,
    K_WINDOW, K_DURATION, K_DRILL_MODE, K_VERIFY };

struct key_def {
	const char *section, *key;
	enum key_type type;
	size_t offset;
	int64_t min, max;	/* K_INT, K_SIZE */
	int required;
};

#define F(field) offsetof(struct policy, field)
static const struct key_def keys[] = {
	{ "policy", "name", K_STR, F(name), 0, 0, 1 },
	/* Required unless there are [stores]: check_required. */
	{ "source", "paths", K_LIST, F(paths), 0, 0, 0 },
	{ "source", "exclude", K_LIST, F(excludes), 0, 0, 0 },
	{ "source", "one_file_system", K_BOOL, F(one_file_system), 0, 0, 0 },
	{ "repository", "url", K_PATH, F(repo_url), 0, 0, 1 },
	{ "repository", "identity", K_PATH, F(identity), 0, 0, 0 },
	{ "repository", "known_hosts", K_PATH, F(known_hosts), 0, 0, 0 },
	{ "repository", "offsite", K_LIST, F(offsite), 0, 0, 0 },
	{ "repository", "retry_attempts", K_INT, F(retry_attempts), 0, 100,
	    0 },
	{ "repository", "retry_time", K_DURATION, F(retry_time), 1, 86400,
	    0 },
	{ "keys", "public", K_PATH, F(pubkey), 0, 0, 1 },
	{ "keys", "signing", K_PATH, F(signkey), 0, 0, 1 },
	{ "backup", "part_size", K_SIZE, F(part_size), 1 << 20,
	    (int64_t)1 << 36, 0 },
	{ "backup", "compression", K_INT, F(zstd_level), 1, 19, 0 },
	{ "backup", "threads", K_INT, F(threads), 0, 64, 0 },
	{ "retention", "keep_last", K_INT, F(retention.keep_last), 0,
	    100000, 0 },
	{ "retention", "keep_daily", K_INT, F(retention.keep_daily), 0,
	    100000, 0 },
	{ "retention", "keep_weekly", K_INT, F(retention.keep_weekly), 0,
	    100000, 0 },
	{ "retention", "keep_monthly", K_INT, F(retention.keep_monthly), 0,
	    100000, 0 },
	{ "retention", "keep_yearly", K_INT, F(retention.keep_yearly), 0,
	    100000, 0 },
	{ "retention", "min_versions", K_INT, F(retention.min_versions), 3,
	    100000, 0 },
	{ "schedule", "full", K_PERIOD, F(schedule.full), 0, 0, 0 },
	{ "schedule", "incremental", K_PERIOD, F(schedule.incr), 0, 0, 0 },
	{ "schedule", "window", K_WINDOW, F(schedule), 0, 0, 0 },
	{ "hooks", "pre", K_STR, F(hook_pre), 0, 0, 0 },
	{ "hooks", "post", K_STR, F(hook_post), 0, 0, 0 },
	{ "hooks", "on_failure", K_STR, F(hook_failure), 0, 0, 0 },
	{ "hooks", "timeout", K_DURATION, F(hook_timeout), 1, 86400, 0 },
	{ "verify", "after_backup", K_VERIFY, F(verify_after), 0, 0, 0 },
	{ "verify", "weekly", K_VERIFY, F(verify_weekly), 0, 0, 0 },
	{ "verify", "key", K_PATH, F(verify_key), 0, 0, 0 },
	{ "verify", "passphrase_file", K_PATH, F(verify_passfile), 0, 0, 0 },
	{ "verify", "compare_source", K_BOOL, F(verify_compare_source), 0, 0,
	    0 },
	{ "notify", "command", K_STR, F(notify), 0, 0, 0 },
	{ "stores", "command", K_LIST, F(stores.commands), 0, 0, 0 },
	{ "stores", "postgresql", K_LIST, F(stores.pg_databases), 0, 0, 0 },
	{ "stores", "postgresql_connection", K_STR, F(stores.pg_connection),
	    0, 0, 0 },
	{ "stores", "postgresql_run_as", K_STR, F(stores.pg_run_as), 0, 0,
	    0 },
	{ "stores", "mariadb", K_LIST, F(stores.my_databases), 0, 0, 0 },
	{ "stores", "mariadb_options", K_PATH, F(stores.my_options), 0, 0,
	    0 },
	{ "stores", "mariadb_run_as", K_STR, F(stores.my_run_as), 0, 0, 0 },
	{ "stores", "sqlite", K_LIST, F(stores.sqlite), 0, 0, 0 },
	{ "stores", "timeout", K_DURATION, F(stores.timeout), 1, 30 * 86400,
	    0 },
	{ "drill", "every", K_DURATION, F(drill.every), 1, 3650 * 86400, 0 },
	{ "drill", "mode", K_DRILL_MODE, F(drill.mode), 0, 0, 0 },
	{ "drill", "check", K_STR, F(drill.check), 0, 0, 0 },
	{ "drill", "check_query", K_LIST, F(drill.check_queries), 0, 0, 0 },
	{ "drill", "check_timeout", K_DURATION, F(drill.check_timeout), 1,
	    7 * 86400, 0 },
	{ "drill", "key", K_PATH, F(drill.key), 0, 0, 0 },
	{ "drill", "rto_target", K_DURATION, F(drill.rto_target), 1,
	    365 * 86400, 0 },
	{ "drill", "rpo_target", K_DURATION, F(drill.rpo_target), 1,
	    365 * 86400, 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct policy *p;
	const char *name;
	char *dir;		/* of the file, for relative paths */
	const char *text;
	size_t len, pos;
	int line;
	int errors;
	int seen[NKEYS];
	int oom;
	const char *cur;	/* the line inih is handling, and its length */
	size_t curlen;
	int handled;		/* the handler was called for it */
	int syntax;		/* syntax errors reported */
};

static void
perr(struct parse *ps, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		log_error("%s:%d: %s", ps->name, line, msg);
	else
		log_error("%s: %s", ps->name, msg);
	ps->errors++;
}

/* inih passes every key and continuation line to the handler, and only
 * reports the first line it cannot parse; so the line just handled is a
 * syntax error if it did not reach the handler and is not blank, a
 * comment or a section. */
static void
check_line(struct parse *ps)
{
	const char *s = ps->cur, *end = ps->cur + ps->curlen;

	if (s == NULL || ps->handled)
		return;
	if (ps->line == 1 && end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n' || *s == '\v' || *s == '\f'))
		s++;
	if (s == end || *s == ';' || *s == '#' ||
	    (*s == '[' && memchr(s, ']', (size_t)(end - s)) != NULL))
		return;
	perr(ps, ps->line, "syntax error (expected [section] or key = value)");
	ps->syntax++;
}

/* inih reads through this, so that we know the line being handled. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	size_t n = 0;

	check_line(ps);
	ps->cur = NULL;
	if (ps->pos >= ps->len)
		return NULL;
	ps->cur = ps->text + ps->pos;
	ps->handled = 0;
	while (ps->pos < ps->len && n + 1 < (size_t)num) {
		char c = ps->text[ps->pos++];

		str[n++] = c;
		if (c == '\n')
			break;
	}
	str[n] = '\0';
	ps->curlen = n;
	ps->line++;
	return str;
}

int64_t
policy_parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if ((*end == 'b' || *end == 'B') && shift)
		end++;
	if (*end != '\0' || v > (unsigned long long)INT64_MAX >> shift)
		return -1;
	return (int64_t)(v << shift);
}

int64_t
policy_parse_duration(const char *s)
{
	char *end;
	long long v;
	int64_t unit = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	switch (*end) {
	case 's': unit = 1; end++; break;
	case 'm': unit = 60; end++; break;
	case 'h': unit = 3600; end++; break;
	case 'd': unit = 86400; end++; break;
	case 'w': unit = 7 * 86400; end++; break;
	}
	if (errno || *end != '\0' || v > INT64_MAX / unit / 1000000000)
		return -1;
	return v * unit;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
parse_drill_mode(const char *v, int *out)
{
	static const char *const names[] = { "remind", "run", "off" };

	for (int i = 0; i < 3; i++)
		if (strcmp(v, names[i]) == 0)
			return *out = i, 0;
	return -1;
}

static int
parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static char *
resolve(struct parse *ps, const char *v)
{
	char *s;

	if (*v == '/' || strstr(v, "://") != NULL || ps->dir == NULL)
		return strdup(v);
	if (asprintf(&s, "%s/%s", ps->dir, v) == -1)
		return NULL;
	return s;
}

static int
list_add(struct strlist *l, const char *v)
{
	char **p = realloc(l->v, (l->n + 1) * sizeof(*l->v));

	if (p == NULL)
		return -1;
	l->v = p;
	if ((l->v[l->n] = strdup(v)) == NULL)
		return -1;
	l->n++;
	return 0;
}

int
policy_verify_level(const char *v, char *level, size_t size)
{
	static const char *const levels[] = { "structure", "hashes",
	    "sample", "full" };
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	for (size_t i = 0; i < 4; i++) {
		if (strlen(levels[i]) != n || strncmp(v, levels[i], n) != 0)
			continue;
		if (colon && (i != 2 || colon[1] < '0' || colon[1] > '9' ||
		    colon[1 + strspn(colon + 1, "0123456789")] !=
		    (colon[strlen(colon) - 1] == '%' ? '%' : '\0')))
			return -1;
		if (level)
			snprintf(level, size, "%s", levels[i]);
		return 0;
	}
	return -1;
}

static int
set_value(struct parse *ps, const struct key_def *k, const char *v)
{
	char *field = (char *)ps->p + k->offset;
	int64_t n;

	switch (k->type) {
	case K_STR:
	case K_PATH:
		if (*v == '\0')
			return -1;
		free(*(char **)field);
		*(char **)field = k->type == K_STR ? strdup(v) : resolve(ps, v);
		return *(char **)field ? 0 : (ps->oom = 1, 0);
	case K_LIST:
		if (*v != '\0' && list_add((struct strlist *)field, v) != 0)
			ps->oom = 1;
		return 0;
	case K_BOOL:
		return parse_bool(v, (int *)field);
	case K_SIZE:
		n = policy_parse_size(v);
		if (n < k->min || n > k->max)
			return -1;
		*(uint64_t *)field = (uint64_t)n;
		return 0;
	case K_INT:
		return parse_int(v, k->min, k->max, (int64_t *)field);
	case K_PERIOD:
		return schedule_parse_period(v, (struct period *)field);
	case K_WINDOW:
		return schedule_parse_window(v,
		    &((struct schedule *)field)->window_start,
		    &((struct schedule *)field)->window_end);
	case K_DURATION:
		n = policy_parse_duration(v);
		if (n < k->min || n > k->max)
			return -1;
		*(int64_t *)field = n;
		return 0;
	case K_DRILL_MODE:
		return parse_drill_mode(v, (int *)field);
	case K_VERIFY:
		if (policy_verify_level(v, NULL, 0) != 0)
			return -1;
		free(*(char **)field);
		*(char **)field = strdup(v);
		return *(char **)field ? 0 : (ps->oom = 1, 0);
	}
	return -1;
}

static const char *
type_hint(const struct key_def *k)
{
	static char buf[96];

	switch (k->type) {
	case K_BOOL:
		return "expected yes or no";
	case K_SIZE:
		return "expected a size such as 64M";
	case K_PERIOD:
		return "expected hourly, daily, weekly [sun..sat] or monthly";
	case K_WINDOW:
		return "expected a time window such as 01:00-05:00";
	case K_DURATION:
		return "expected a duration such as 30s, 15m, 2h";
	case K_DRILL_MODE:
		return "expected run, remind or off";
	case K_VERIFY:
		return "expected structure, hashes, sample[:N or :P%] or full";
	case K_INT:
		snprintf(buf, sizeof(buf), "expected a whole number from "
		    "%lld to %lld", (long long)k->min, (long long)k->max);
		return buf;
	default:
		return "a value is required";
	}
}

/* The Levenshtein distance between a and b, ignoring case; SIZE_MAX for
 * names too long to be keys. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag +
			    (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The known key of section closest to name: at most 2 edits away, and at
 * most half of name's length (so that "url" does not suggest "pre"). */
static const char *
suggest_key(const char *section, const char *name)
{
	const char *best = NULL;
	size_t best_d = 3, d;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0)
			continue;
		d = edit_distance(name, keys[i].key);
		if (d < best_d && d * 2 <= strlen(name)) {
			best = keys[i].key;
			best_d = d;
		}
	}
	return best;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	const char *msg;
	int known_section = 0;

	ps->handled = 1;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];

		if (strcmp(section, k->section) != 0)
			continue;
		known_section = 1;
		if (strcmp(name, k->key) != 0)
			continue;
		if (ps->seen[i] && k->type != K_LIST)
			perr(ps, ps->line, "[%s] %s given twice", section,
			    name);
		ps->seen[i] = ps->line;
		if (set_value(ps, k, value) != 0)
			perr(ps, ps->line, "[%s] %s = %s: %s", section, name,
			    value, type_hint(k));
		else if (k->offset == F(paths) && *value != '\0' &&
		    *value != '/')
			perr(ps, ps->line, "[source] paths: '%s' is not an "
			    "absolute path", value);
		else if (strcmp(section, "stores") == 0 &&
		    (msg = policy_stores_value(name, value)) != NULL)
			perr(ps, ps->line, "[stores] %s: %s", name, msg);
		else if (k->offset == F(drill.check_queries) &&
		    (msg = policy_check_query_value(value)) != NULL)
			perr(ps, ps->line, "[drill] check_query: %s", msg);
		return 1;
	}
	if (known_section) {
		const char *hint = suggest_key(section, name);

		perr(ps, ps->line, "unknown key '%s' in section [%s]%s%s%s",
		    name, section, hint ? "; did you mean '" : "",
		    hint ? hint : "", hint ? "'?" : "");
	} else
		perr(ps, ps->line, "unknown section [%s]", section);
	return 1;
}

/* A drill that bkp run makes needs the key to restore with. */
static void
check_drill(struct parse *ps)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].offset == F(drill.mode) &&
		    ps->p->drill.mode == DRILL_RUN && ps->p->drill.key == NULL)
			perr(ps, ps->seen[i], "[drill] mode = run needs [drill] "
			    "key (the secret key the drill restores with)");
}

/* The line key was given at, 0 if it was not. */
static int
seen_at(const struct parse *ps, const char *section, const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].key, key) == 0)
			return ps->seen[i];
	return 0;
}

/* Whether a [verify] level restores files: sample or full. */
static int
restores_files(const char *level)
{
	char name[16];

	return level && policy_verify_level(level, name, sizeof(name)) == 0 &&
	    (strcmp(name, "sample") == 0 || strcmp(name, "full") == 0);
}

/* compare_source compares restored files with their live sources: it
 * needs a verify that restores some. */
static void
check_verify(struct parse *ps)
{
	const struct policy *p = ps->p;

	if (p->verify_compare_source && !restores_files(p->verify_after) &&
	    !restores_files(p->verify_weekly))
		perr(ps, seen_at(ps, "verify", "compare_source"), "[verify] "
		    "compare_source = yes compares restored files: it needs "
		    "after_backup or weekly at level sample or full");
	/* Restoring files needs the secret key: without it the verify that
	 * bkp run starts would fail every time. */
	if (p->verify_key == NULL && restores_files(p->verify_after))
		perr(ps, seen_at(ps, "verify", "after_backup"), "[verify] "
		    "after_backup = %s restores files: it needs [verify] key "
		    "(the secret key)", p->verify_after);
	if (p->verify_key == NULL && restores_files(p->verify_weekly))
		perr(ps, seen_at(ps, "verify", "weekly"), "[verify] weekly = "
		    "%s restores files: it needs [verify] key (the secret key)",
		    p->verify_weekly);
}

static void
report_sched(void *arg, int line, const char *msg)
{
	perr(arg, line, "%s", msg);
}

/* Schedules that cannot work as written (policy_sched.h). */
static void
check_schedule(struct parse *ps)
{
	struct policy_sched_lines l = {
		.full = seen_at(ps, "schedule", "full"),
		.incr = seen_at(ps, "schedule", "incremental"),
		.window = seen_at(ps, "schedule", "window"),
		.drill_every = seen_at(ps, "drill", "every"),
	};

	policy_sched_check(ps->p, &l, report_sched, ps);
}

static void
check_required(struct parse *ps)
{
	struct policy *p = ps->p;
	const char *msg;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct strlist *l =
		    (const struct strlist *)((const char *)p + keys[i].offset);

		/* A list key given only empty values gave no value. */
		if (keys[i].required && (!ps->seen[i] ||
		    (keys[i].type == K_LIST && l->n == 0)))
			perr(ps, 0, "missing [%s] %s", keys[i].section,
			    keys[i].key);
	}
	if (p->paths.n == 0 && !policy_has_stores(p))
		perr(ps, 0, "missing [source] paths (or a [stores] source)");
	if ((msg = policy_stores_check(p)) != NULL)
		perr(ps, 0, "%s", msg);
	if (p->name && (strchr(p->name, '/') || p->name[0] == '.' ||
	    strlen(p->name) > 64))
		perr(ps, ps->seen[0], "[policy] name: use at most 64 "
		    "characters, no '/' and no leading '.'");
	check_drill(ps);
	check_verify(ps);
	check_schedule(ps);
}

int
policy_parse(const char *text, size_t len, const char *name,
    struct policy **pp)
{
	struct parse ps;
	struct policy *p;
	char *copy = NULL;
	int line;

	*pp = NULL;
	memset(&ps, 0, sizeof(ps));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -BKP_ENOMEM;
	p->part_size = 64 << 20;
	p->zstd_level = 3;
	p->threads = 2;
	p->schedule = (struct schedule){
		.full = { PERIOD_WEEKLY, 0 }, .incr = { PERIOD_DAILY, 0 },
		.window_start = -1, .window_end = -1,
	};
	p->hook_timeout = 300;
	p->retry_attempts = 5;
	p->retry_time = 600;
	p->drill = (struct drill_rules){
		.every = 90 * 86400, .mode = DRILL_REMIND, .check_timeout = 600,
	};
	p->retention = (struct retention_rules){
		.keep_daily = 7, .keep_weekly = 5, .keep_monthly = 12,
		.keep_yearly = 3, .min_versions = 3,
	};
	ps.p = p;
	ps.name = name;
	ps.text = text;
	ps.len = len;
	if ((p->file = strdup(name)) == NULL || (copy = strdup(name)) == NULL ||
	    (ps.dir = strdup(dirname(copy))) == NULL) {
		free(copy);
		policy_free(p);
		return -BKP_ENOMEM;
	}
	free(copy);
	/* Debian's inih reads these at run time: long lines (paths) are
	 * allowed, and ';' inside values is not a comment. */
	ini_max_line = PATH_MAX + 512;
	ini_use_stack = false;
	ini_allow_inline_comments = false;
	if (memchr(text, '\0', len) != NULL) {
		perr(&ps, 0, "contains a NUL byte; not a policy file");
	} else {
		line = ini_parse_stream(reader, &ps, handler, &ps);
		if (line > 0 && ps.syntax == 0)	/* missed by check_line */
			perr(&ps, line, "syntax error (expected [section] or "
			    "key = value)");
		else if (line < 0)
			ps.oom = 1;
		if (!ps.oom)
			check_required(&ps);
	}
	free(ps.dir);
	if (ps.oom || ps.errors) {
		policy_free(p);
		return ps.oom && !ps.errors ? -BKP_ENOMEM : -BKP_ECONFIG;
	}
	*pp = p;
	return 0;
}

int
policy_load(const char *path, struct policy **pp)
{
	FILE *f;
	char *text;
	size_t n;
	int rc;

	*pp = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		rc = log_errno_code("%s: cannot read policy", path);
		return rc == -BKP_ENOTFOUND ? -BKP_ECONFIG : rc;
	}
	if ((text = malloc(POLICY_MAX + 1)) == NULL) {
		fclose(f);
		return -BKP_ENOMEM;
	}
	n = fread(text, 1, POLICY_MAX + 1, f);
	rc = ferror(f) ? log_errno_code("%s: cannot read policy", path) : 0;
	fclose(f);
	if (rc == 0 && n > POLICY_MAX) {
		log_error("%s: larger than %d bytes; not a policy file", path,
		    POLICY_MAX);
		rc = -BKP_ECONFIG;
	}
	if (rc == 0)
		rc = policy_parse(text, n, path, pp);
	free(text);
	return rc;
}

static void
strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->file);
	free(p->name);
	strlist_release(&p->paths);
	strlist_release(&p->excludes);
	free(p->repo_url);
	free(p->identity);
	free(p->known_hosts);
	strlist_release(&p->offsite);
	free(p->pubkey);
	free(p->signkey);
	free(p->hook_pre);
	free(p->hook_post);
	free(p->hook_failure);
	free(p->verify_after);
	free(p->verify_weekly);
	free(p->verify_key);
	free(p->verify_passfile);
	free(p->notify);
	policy_stores_free(&p->stores);
	free(p->drill.check);
	strlist_release(&p->drill.check_queries);
	free(p->drill.key);
	free(p);
}
