/* copy.c: sealed sets from one repository to another; see copy.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "copy.h"
#include "error.h"
#include "keyobj.h"
#include "log.h"
#include "seal.h"
#include "stream.h"

#define COPY_BUF (1 << 20)

struct copy_run {
	struct repo *src, *dst;
	const struct copy_opts *o;
	struct copy_stats *st;
	uint8_t *buf;		/* COPY_BUF bytes */
	size_t copied, skipped;	/* objects of the set being copied */
	uint64_t bytes;
};

/* Objects. */

/* 1 if the object at path in dst has o's hash, 0 if not. */
static int
hash_matches(struct copy_run *cr, const char *path,
    const struct seal_object *o)
{
	struct transport_reader *r;
	struct istream *is;
	uint8_t hash[32];
	uint64_t bytes;
	size_t got;
	int rc;

	if ((rc = transport_read_open(repo_transport(cr->dst), path, &r)) != 0)
		return rc;
	if ((is = istream_hash_new(istream_transport_new(r))) == NULL)
		return -BKP_ENOMEM;
	do
		rc = istream_read(is, cr->buf, COPY_BUF, &got);
	while (rc == 0 && got > 0);
	if (rc == 0) {
		istream_hash_result(is, hash, &bytes);
		rc = bytes == o->size && sodium_memcmp(hash, o->hash, 32) == 0;
	}
	istream_free(is);
	return rc;
}

/* 1 if dst holds path as the seal says, 0 if not (one that differs is
 * removed: its set is not sealed at dst, so nothing reads it). */
static int
present(struct copy_run *cr, const char *path, const struct seal_object *o)
{
	struct transport *t = repo_transport(cr->dst);
	uint64_t size;
	int rc = transport_stat(t, path, &size);

	if (rc == -BKP_ENOTFOUND)
		return 0;
	if (rc != 0 || (size == o->size && (rc = hash_matches(cr, path,
	    o)) != 0))
		return rc;
	log_warn("%s/%s: differs from the seal at %s; copying it again",
	    repo_url(cr->dst), path, repo_url(cr->src));
	rc = transport_remove(t, path);
	return rc == -BKP_ENOTFOUND ? 0 : rc;
}

/* Streams path from src to dst, checking size and hash on the way: an
 * object that does not match is never committed at dst. */
static int
transfer(struct copy_run *cr, const char *path, const struct seal_object *o)
{
	struct transport_reader *r;
	struct transport_writer *w;
	struct istream *is;
	char label[1024];
	size_t got;
	int rc;

	snprintf(label, sizeof(label), "%s/%s", repo_url(cr->src), path);
	if ((rc = transport_read_open(repo_transport(cr->src), path, &r)) != 0)
		return rc;
	/* Reading runs in a thread of its own, beside the writing. */
	is = istream_thread_new(istream_hash_expect_new(
	    istream_transport_new(r), o->hash, o->size, label), COPY_BUF, 4);
	if (is == NULL)
		return -BKP_ENOMEM;
	if ((rc = transport_write_open(repo_transport(cr->dst), path,
	    &w)) != 0) {
		istream_free(is);
		return rc;
	}
	do {
		rc = istream_read(is, cr->buf, COPY_BUF, &got);
		if (rc == 0 && got > 0)
			rc = transport_write(w, cr->buf, got);
	} while (rc == 0 && got > 0);
	istream_free(is);
	if (rc != 0) {
		transport_write_abort(w);
		if (rc == -BKP_ECORRUPT)
			log_error("%s: not copied", label);
		return rc;
	}
	return transport_write_commit(w);
}

static int
copy_object(struct copy_run *cr, const char *setid, const char *name,
    const struct seal_object *o)
{
	char path[REPO_PATH_MAX];
	int rc;

	repo_set_path(setid, name, path);
	log_progress("%s: %s", setid, name);
	if ((rc = present(cr, path, o)) < 0)
		return rc;
	if (rc == 1) {
		cr->skipped++;
		return 0;
	}
	if ((rc = transfer(cr, path, o)) != 0)
		return rc;
	cr->copied++;
	cr->bytes += o->size;
	return 0;
}

/* The set's key objects: `key` as its seal says (key rotation may have
 * removed it), and every key.KEYID. */
static int
copy_keys(struct copy_run *cr, const struct seal *s)
{
	struct keyobj_list l;
	int rc;

	if ((rc = keyobj_list(cr->src, s->setid, &l)) != 0)
		return rc;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (strcmp(l.names[i], "key") == 0)
			rc = copy_object(cr, s->setid, "key", &s->key);
		else if ((rc = copy_keyobj(cr->src, cr->dst, s->setid,
		    l.names[i])) >= 0) {
			*(rc ? &cr->copied : &cr->skipped) += 1;
			rc = 0;
		}
	keyobj_list_release(&l);
	return rc;
}

/* Sets. */

/* Objects in the commit order, then the seal's own bytes. */
static int
copy_set(struct copy_run *cr, const struct seal *s, const uint8_t *raw,
    size_t len)
{
	char name[32], path[REPO_PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "sets/%s", s->setid);
	if ((rc = transport_mkdir(repo_transport(cr->dst), path)) != 0 ||
	    (rc = copy_keys(cr, s)) != 0)
		return rc;
	for (uint32_t i = 0; i < s->nparts; i++) {
		repo_part_name(i, name);
		if ((rc = copy_object(cr, s->setid, name, &s->parts[i])) != 0)
			return rc;
	}
	if ((rc = copy_object(cr, s->setid, "manifest", &s->manifest)) != 0)
		return rc;
	repo_set_path(s->setid, "seal", path);
	return transport_put(repo_transport(cr->dst), path, raw, len);
}

/* The seal's bytes, checked against the source's signers. */
static int
load_seal(struct copy_run *cr, const char *setid, uint8_t **raw,
    size_t *len, struct seal *s)
{
	const struct repo_config *c = repo_config(cr->src);
	char path[REPO_PATH_MAX], name[1024];
	int rc;

	repo_set_path(setid, "seal", path);
	snprintf(name, sizeof(name), "%s/%s", repo_url(cr->src), path);
	if ((rc = transport_get(repo_transport(cr->src), path, SEAL_MAX, raw,
	    len)) != 0)
		return rc;
	rc = seal_decode(*raw, *len, (const uint8_t (*)[32])c->signers,
	    c->nsigners, s, name);
	if (rc == 0 && strcmp(s->setid, setid) != 0) {
		log_error("%s: seal belongs to set %s (moved or replayed)",
		    name, s->setid);
		seal_release(s);
		rc = -BKP_ECORRUPT;
	}
	if (rc != 0) {
		free(*raw);
		*raw = NULL;
	}
	return rc;
}

static int
add_id(char (**v)[SETID_LEN + 1], size_t *n, const char *id)
{
	void *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (p == NULL)
		return -BKP_ENOMEM;
	*v = p;
	snprintf((*v)[(*n)++], SETID_LEN + 1, "%s", id);
	return 0;
}

static int
has_id(char (*v)[SETID_LEN + 1], size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], id) == 0)
			return 1;
	return 0;
}

static void
say_copied(const struct copy_run *cr, const char *setid)
{
	log_progress_end();
	if (cr->o->quiet)
		return;
	printf("set %s: copied, %zu objects (%.1f MiB)", setid, cr->copied,
	    (double)cr->bytes / 1048576.0);
	if (cr->skipped)
		printf(", %zu already there", cr->skipped);
	printf("\n");
	fflush(stdout);
}

/* A set to copy: its seal, parsed and as bytes. */
struct pending {
	struct seal s;
	uint8_t *raw;
	size_t len;
};

static int
failed(struct copy_run *cr, const char *setid, int rc)
{
	log_progress_end();
	log_error("%s: set %s not copied to %s (%s)", repo_url(cr->src), setid,
	    repo_url(cr->dst), bkp_strerror(rc));
	return add_id(&cr->st->failed, &cr->st->nfailed, setid) ?
	    -BKP_ENOMEM : rc;
}

/* One set missing at dst. */
static int
one_set(struct copy_run *cr, const struct pending *p)
{
	struct copy_stats *st = cr->st;
	int rc;

	cr->copied = cr->skipped = 0;
	cr->bytes = 0;
	if (p->s.parent[0] && has_id(st->failed, st->nfailed, p->s.parent)) {
		log_error("%s: set %s not copied: its parent %s was not",
		    repo_url(cr->dst), p->s.setid, p->s.parent);
		rc = -BKP_EFAILED;
	} else
		rc = copy_set(cr, &p->s, p->raw, p->len);
	st->objects_copied += cr->copied;
	st->objects_skipped += cr->skipped;
	st->bytes_copied += cr->bytes;
	if (rc != 0)
		return failed(cr, p->s.setid, rc);
	say_copied(cr, p->s.setid);
	return add_id(&st->copied, &st->ncopied, p->s.setid);
}

/* Failures that would fail every later set too. */
static int
fatal(int rc)
{
	return rc == -BKP_ETRANSPORT || rc == -BKP_ENOSPC ||
	    rc == -BKP_ENOMEM || rc == -BKP_EIO;
}

static int
sealed_in(const struct repo_setlist *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->sealed[i] && strcmp(l->ids[i], id) == 0)
			return 1;
	return 0;
}

/* Oldest first: a parent before the sets that depend on it. */
static int
by_time(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->s.time_ns != y->s.time_ns)
		return x->s.time_ns < y->s.time_ns ? -1 : 1;
	return strcmp(x->s.setid, y->s.setid);
}

static void
pending_free(struct pending *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		seal_release(&v[i].s);
		free(v[i].raw);
	}
	free(v);
}

/* The seals of the sets to copy: sealed at src, not at dst, of the
 * policy.  A seal that does not verify is a failed set (rc). */
static int
gather(struct copy_run *cr, const struct repo_setlist *from,
    const struct repo_setlist *to, struct pending *v, size_t *n, int *rc)
{
	int r;

	for (size_t i = 0; i < from->n && !fatal(*rc); i++) {
		struct pending *p = &v[*n];

		if (!from->sealed[i])
			continue;	/* still being written, or never was */
		if (sealed_in(to, from->ids[i])) {
			cr->st->present++;
			continue;
		}
		if ((r = load_seal(cr, from->ids[i], &p->raw, &p->len,
		    &p->s)) != 0) {
			r = failed(cr, from->ids[i], r);
			*rc = *rc ? *rc : r;
		} else if (cr->o->policy &&
		    strcmp(p->s.policy, cr->o->policy) != 0) {
			seal_release(&p->s);
			free(p->raw);
		} else
			(*n)++;
	}
	qsort(v, *n, sizeof(*v), by_time);
	return *rc == -BKP_ENOMEM ? *rc : 0;
}

static int
copy_lists(struct copy_run *cr, const struct repo_setlist *from,
    const struct repo_setlist *to)
{
	struct pending *v = calloc(from->n + 1, sizeof(*v));
	size_t n = 0;
	int rc = 0, first = 0;

	if (v == NULL)
		return -BKP_ENOMEM;
	if (gather(cr, from, to, v, &n, &first) == 0)
		for (size_t i = 0; i < n && !fatal(rc); i++)
			if ((rc = one_set(cr, &v[i])) != 0 && first == 0)
				first = rc;
	pending_free(v, n);
	return first;
}

int
copy_sets(struct repo *src, struct repo *dst, const struct copy_opts *o,
    struct copy_stats *st)
{
	struct copy_run cr = { .src = src, .dst = dst, .o = o, .st = st };
	struct repo_setlist from, to;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((cr.buf = malloc(COPY_BUF)) == NULL)
		return -BKP_ENOMEM;
	if ((rc = repo_list_sets(src, &from)) == 0) {
		if ((rc = repo_list_sets(dst, &to)) == 0) {
			if ((rc = copy_sync_keys(src, dst, &from, &to)) == 0)
				rc = copy_lists(&cr, &from, &to);
			repo_setlist_release(&to);
		}
		repo_setlist_release(&from);
	}
	free(cr.buf);
	return rc;
}

void
copy_stats_release(struct copy_stats *st)
{
	free(st->copied);
	free(st->failed);
	memset(st, 0, sizeof(*st));
}
