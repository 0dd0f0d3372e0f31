/* audit_ship.c: the audit records shipped to a repository
 * (audit/HOST-SEQ-TIME.jsonl): writing them, and checking them, against
 * the local log too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auditlog.h"
#include "error.h"
#include "log.h"
#include "transport.h"

#define SHIP_MAX (64u << 20)
#define REPORT_MAX 20

int
audit_ship_put(const char *url, const struct transport_opts *o,
    const char *name, const void *data, size_t len)
{
	struct transport *t;
	int rc;

	if ((rc = transport_open(url, o, &t)) != 0)
		return rc;
	if ((rc = transport_mkdir(t, "audit")) == 0)
		rc = transport_put(t, name, data, len);
	transport_close(t);
	return rc;
}

struct shipped {
	char log[AUDIT_LOG_ID_HEX];
	uint64_t seq;
	uint8_t hash[32], prev[32];
	uint32_t obj, line;
};

struct ship_ctx {
	struct repo *r;
	const uint8_t (*pubs)[32];
	size_t npubs;
	char **names;
	size_t nnames;
	struct shipped *v;
	size_t n;
	uint64_t problems;
};

static void
problem(struct ship_ctx *c, const char *obj, uint32_t line, const char *why)
{
	if (c->problems++ < REPORT_MAX)
		log_error("%s/audit/%s:%u: %s", repo_url(c->r), obj, line, why);
}

static int
add_name(void *arg, const char *name)
{
	struct ship_ctx *c = arg;
	size_t len = strlen(name);
	void *p;

	if (len < 7 || strcmp(name + len - 6, ".jsonl") != 0 ||
	    strncmp(name, ".tmp.", 5) == 0)
		return 0;
	if ((p = realloc(c->names, (c->nnames + 1) * sizeof(char *))) == NULL)
		return -BKP_ENOMEM;
	c->names = p;
	if ((c->names[c->nnames] = strdup(name)) == NULL)
		return -BKP_ENOMEM;
	c->nnames++;
	return 0;
}

/* One line of object obj: a record, a checked checkpoint. */
static int
add_line(struct ship_ctx *c, uint32_t obj, uint32_t line, const char *p,
    size_t len)
{
	const char *name = c->names[obj];
	json_object *rec = audit_parse(p, len), *v;
	struct shipped *s;
	char why[256];
	void *q;

	if (rec == NULL) {
		problem(c, name, line,
		    "not an audit record");
		return 0;
	}
	if ((q = realloc(c->v, (c->n + 1) * sizeof(*c->v))) == NULL) {
		json_object_put(rec);
		return -BKP_ENOMEM;
	}
	c->v = q;
	s = &c->v[c->n++];
	s->obj = obj;
	s->line = line;
	s->seq = (uint64_t)json_object_get_int64(json_object_object_get(rec,
	    "seq"));
	snprintf(s->log, sizeof(s->log), "%s", json_object_get_string(
	    json_object_object_get(rec, "log")));
	auditlog_unhex(json_object_get_string(json_object_object_get(rec,
	    "prev")), s->prev);
	crypto_generichash(s->hash, 32, (const uint8_t *)p, len, NULL, 0);
	v = json_object_object_get(rec, "event");
	if (strcmp(json_object_get_string(v), "checkpoint") == 0 &&
	    audit_check_checkpoint(rec, s->seq, s->prev, s->log, c->pubs,
	    c->npubs, why, sizeof(why)) != 0)
		problem(c, name, line, why);
	json_object_put(rec);
	return 0;
}

static int
load_object(struct ship_ctx *c, uint32_t obj)
{
	char path[1024];
	uint8_t *data;
	size_t len, start = 0;
	uint32_t line = 0;
	int rc = 0;

	snprintf(path, sizeof(path), "audit/%s", c->names[obj]);
	if ((rc = transport_get(repo_transport(c->r), path, SHIP_MAX, &data,
	    &len)) != 0)
		return rc;
	while (rc == 0 && start < len) {
		uint8_t *nl = memchr(data + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - data) : len;

		line++;
		if (nl == NULL)
			problem(c, c->names[obj], line,
			    "incomplete record");
		else
			rc = add_line(c, obj, line, (char *)data + start,
			    end - start);
		start = end + 1;
	}
	free(data);
	return rc;
}

static int
cmp_shipped(const void *a, const void *b)
{
	const struct shipped *x = a, *y = b;
	int d = strcmp(x->log, y->log);

	if (d)
		return d;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* Copies agree, and records that follow each other are chained. */
static void
check_chains(struct ship_ctx *c)
{
	char why[160];

	for (size_t i = 1; i < c->n; i++) {
		const struct shipped *a = &c->v[i - 1], *b = &c->v[i];

		if (strcmp(a->log, b->log) != 0)
			continue;
		if (b->seq == a->seq && sodium_memcmp(a->hash, b->hash, 32)) {
			snprintf(why, sizeof(why), "seq %llu differs from the "
			    "copy in audit/%s:%u", (unsigned long long)b->seq,
			    c->names[a->obj], a->line);
			problem(c, c->names[b->obj],
			    b->line, why);
		} else if (b->seq == a->seq + 1 &&
		    sodium_memcmp(b->prev, a->hash, 32) != 0) {
			snprintf(why, sizeof(why), "seq %llu: prev is not the "
			    "hash of seq %llu (audit/%s:%u)",
			    (unsigned long long)b->seq,
			    (unsigned long long)a->seq, c->names[a->obj],
			    a->line);
			problem(c, c->names[b->obj],
			    b->line, why);
		}
	}
}

static int
cmp_local(const void *a, const void *b)
{
	const struct audit_local *x = a, *y = b;
	int d = strcmp(x->log, y->log);

	if (d)
		return d;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The shipped record s against the local log (sorted by log, seq). */
static void
check_local(struct ship_ctx *c, const struct shipped *s,
    const struct audit_local *local, size_t nlocal)
{
	struct audit_local key = { .seq = s->seq };
	const struct audit_local *hit, *first = NULL, *last = NULL;
	char why[200];

	memcpy(key.log, s->log, sizeof(key.log));
	hit = bsearch(&key, local, nlocal, sizeof(*local), cmp_local);
	if (hit) {
		if (sodium_memcmp(hit->hash, s->hash, 32) != 0)
			problem(c, c->names[s->obj],
			    s->line, "differs from the local log's record of "
			    "the same seq: one of them was altered");
		return;
	}
	for (size_t i = 0; i < nlocal; i++)
		if (strcmp(local[i].log, s->log) == 0) {
			first = first ? first : &local[i];
			last = &local[i];
		}
	if (first == NULL || s->seq < first->seq)
		return;		/* another log, or expired locally */
	snprintf(why, sizeof(why), s->seq > last->seq ? "seq %llu is beyond "
	    "the local log's last record (seq %llu): the local log was cut "
	    "short or replaced" : "seq %llu is missing from the local log "
	    "(which has seq %llu)", (unsigned long long)s->seq,
	    (unsigned long long)last->seq);
	problem(c, c->names[s->obj], s->line, why);
}

int
audit_ship_verify(struct repo *r, const uint8_t (*pubs)[32], size_t npubs,
    const struct audit_local *local, size_t nlocal, uint64_t *nrecords,
    uint64_t *nobjects)
{
	struct ship_ctx c = { .r = r, .pubs = pubs, .npubs = npubs };
	int rc;

	rc = transport_list(repo_transport(r), "audit", add_name, &c);
	if (rc == -BKP_ENOTFOUND)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < c.nnames; i++)
		rc = load_object(&c, (uint32_t)i);
	if (rc == 0) {
		if (c.n > 0)
			qsort(c.v, c.n, sizeof(*c.v), cmp_shipped);
		check_chains(&c);
		for (size_t i = 0; i < c.n && nlocal > 0; i++)
			check_local(&c, &c.v[i], local, nlocal);
		if (c.problems > REPORT_MAX)
			log_error("%s: %llu problems in the shipped audit "
			    "records in all", repo_url(r),
			    (unsigned long long)c.problems);
	}
	*nrecords = c.n;
	*nobjects = c.nnames;
	for (size_t i = 0; i < c.nnames; i++)
		free(c.names[i]);
	free(c.names);
	free(c.v);
	if (rc == 0 && c.problems)
		rc = -BKP_ECORRUPT;
	return rc;
}
