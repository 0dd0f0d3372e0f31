/* manifest.c: manifest entries and their plaintext encoding. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "manifest.h"

static const char MANIFEST_MAGIC[8] = "BKPMLST\0";
#define MANIFEST_VERSION 1

struct manifest *
manifest_new(const char *setid)
{
	struct manifest *m = calloc(1, sizeof(*m));

	if (m && setid)
		snprintf(m->setid, sizeof(m->setid), "%s", setid);
	return m;
}

static void
entry_release(struct manifest_entry *e)
{
	free(e->path);
	free(e->link);
	free(e->uname);
	free(e->gname);
}

void
manifest_free(struct manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		entry_release(&m->e[i]);
	free(m->e);
	free(m->sets);
	free(m);
}

static char *
dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}

int
manifest_add(struct manifest *m, const struct manifest_entry *e)
{
	struct manifest_entry *d;
	int failed = 0;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		void *p = realloc(m->e, cap * sizeof(*m->e));

		if (p == NULL)
			return -BKP_ENOMEM;
		m->e = p;
		m->cap = cap;
	}
	d = &m->e[m->n];
	*d = *e;
	d->path = dup_or_null(e->path, &failed);
	d->link = dup_or_null(e->link, &failed);
	d->uname = dup_or_null(e->uname, &failed);
	d->gname = dup_or_null(e->gname, &failed);
	if (failed || d->path == NULL) {
		entry_release(d);
		return -BKP_ENOMEM;
	}
	m->n++;
	return 0;
}

int64_t
manifest_set_index(struct manifest *m, const char *setid)
{
	void *p;

	/* Few sets per manifest (one chain): a linear scan is enough. */
	for (uint32_t i = m->nsets; i-- > 0;)
		if (strcmp(m->sets[i], setid) == 0)
			return i;
	if (m->nsets >= MANIFEST_MAX_SETS)
		return -1;
	if ((p = realloc(m->sets, (m->nsets + 1) * sizeof(*m->sets))) == NULL)
		return -1;
	m->sets = p;
	snprintf(m->sets[m->nsets], SETID_LEN + 1, "%s", setid);
	return m->nsets++;
}

const char *
manifest_entry_set(const struct manifest *m, const struct manifest_entry *e)
{
	return e->set < m->nsets ? m->sets[e->set] : "";
}

int
manifest_path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	while (*p && *p == *q) {
		p++;
		q++;
	}
	if (*p == *q)
		return 0;
	/* '/' sorts first, after the end of a string. */
	int x = *p == '/' ? 1 : *p == 0 ? 0 : *p + 1;
	int y = *q == '/' ? 1 : *q == 0 ? 0 : *q + 1;

	return x - y;
}

const struct manifest_entry *
manifest_find(const struct manifest *m, const char *path)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = manifest_path_cmp(path, m->e[mid].path);

		if (c == 0)
			return &m->e[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct manifest_entry *
manifest_find_next(const struct manifest *m, const char *path, size_t *hint)
{
	const struct manifest_entry *e;

	if (*hint < m->n && manifest_path_cmp(path, m->e[*hint].path) == 0)
		e = &m->e[*hint];
	else if ((e = manifest_find(m, path)) == NULL)
		return NULL;
	*hint = (size_t)(e - m->e) + 1;
	return e;
}

static void
encode_entry(const struct manifest_entry *e, struct wbuf *w)
{
	wbuf_str(w, e->path);
	wbuf_u8(w, e->type);
	wbuf_u8(w, e->flags);
	wbuf_u32(w, e->mode);
	wbuf_u32(w, e->uid);
	wbuf_u32(w, e->gid);
	wbuf_str(w, e->uname);
	wbuf_str(w, e->gname);
	wbuf_u64(w, (uint64_t)e->mtime_sec);
	wbuf_u32(w, e->mtime_nsec);
	wbuf_u64(w, (uint64_t)e->ctime_sec);
	wbuf_u32(w, e->ctime_nsec);
	wbuf_u64(w, e->size);
	wbuf_u64(w, e->ino);
	wbuf_u64(w, e->dev);
	wbuf_u64(w, e->rdev);
	wbuf_str(w, e->link);
	wbuf_put(w, e->hash, 32);
	wbuf_u8(w, e->where);
	if (e->where == WHERE_PART) {
		wbuf_u32(w, e->set);
		wbuf_u32(w, e->part);
	}
}

int
manifest_encode(const struct manifest *m, struct wbuf *w)
{
	wbuf_put(w, MANIFEST_MAGIC, 8);
	wbuf_u32(w, MANIFEST_VERSION);
	wbuf_str(w, m->setid);
	wbuf_u32(w, m->nsets);
	for (uint32_t i = 0; i < m->nsets; i++)
		wbuf_str(w, m->sets[i]);
	wbuf_u64(w, m->n);
	for (size_t i = 0; i < m->n; i++)
		encode_entry(&m->e[i], w);
	return wbuf_status(w);
}

int
manifest_path_valid(const char *p)
{
	/* Relative, no empty, "." or ".." component: restore relies on it,
	 * and checks again before writing. */
	if (*p == '\0' || *p == '/')
		return 0;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '/')
			c++;
		if (*c == '\0' && c[-1] == '/')
			return 0;
	}
	return 1;
}

static int
decode_entry(struct rbuf *r, struct manifest_entry *e, uint32_t nsets)
{
	memset(e, 0, sizeof(*e));
	e->path = rbuf_strdup(r, PATH_MAX);
	e->type = rbuf_u8(r);
	e->flags = rbuf_u8(r);
	e->mode = rbuf_u32(r);
	e->uid = rbuf_u32(r);
	e->gid = rbuf_u32(r);
	e->uname = rbuf_strdup(r, MANIFEST_MAX_NAME);
	e->gname = rbuf_strdup(r, MANIFEST_MAX_NAME);
	e->mtime_sec = (int64_t)rbuf_u64(r);
	e->mtime_nsec = rbuf_u32(r);
	e->ctime_sec = (int64_t)rbuf_u64(r);
	e->ctime_nsec = rbuf_u32(r);
	e->size = rbuf_u64(r);
	e->ino = rbuf_u64(r);
	e->dev = rbuf_u64(r);
	e->rdev = rbuf_u64(r);
	e->link = rbuf_strdup(r, PATH_MAX);
	rbuf_get(r, e->hash, 32);
	e->where = rbuf_u8(r);
	if (e->where == WHERE_PART) {
		e->set = rbuf_u32(r);
		e->part = rbuf_u32(r);
	}
	if (!rbuf_ok(r) || e->path == NULL || e->link == NULL ||
	    e->uname == NULL || e->gname == NULL)
		return -1;
	if (e->type < ENTRY_FILE || e->type > ENTRY_BLK ||
	    e->where > WHERE_PART || e->mtime_nsec >= 1000000000u ||
	    e->ctime_nsec >= 1000000000u || !manifest_path_valid(e->path) ||
	    (e->where == WHERE_PART && e->set >= nsets) ||
	    (e->type == ENTRY_HARDLINK) != (e->where == WHERE_NONE))
		return -1;
	return 0;
}

static int
bad(const char *name, const char *what, size_t i)
{
	log_error("%s: malformed manifest (%s, entry %zu)", name, what, i);
	return -BKP_ECORRUPT;
}

int
manifest_decode(const uint8_t *p, size_t n, struct manifest **mp,
    const char *name)
{
	struct manifest *m = NULL;
	uint8_t magic[8];
	uint32_t version, nsets;
	uint64_t count;
	struct rbuf r;
	char *s;
	int rc;

	*mp = NULL;
	rbuf_init(&r, p, n);
	rbuf_get(&r, magic, 8);
	version = rbuf_u32(&r);
	if (!rbuf_ok(&r) || memcmp(magic, MANIFEST_MAGIC, 8) != 0)
		return bad(name, "bad magic", 0);
	if (version != MANIFEST_VERSION) {
		log_error("%s: manifest version %u is not supported (this bkp "
		    "reads version %d); upgrade bkp", name, version,
		    MANIFEST_VERSION);
		return -BKP_EREPO;
	}
	if ((m = manifest_new(NULL)) == NULL)
		return -BKP_ENOMEM;
	s = rbuf_strdup(&r, SETID_LEN);
	if (s == NULL || !repo_setid_valid(s)) {
		free(s);
		rc = bad(name, "bad set id", 0);
		goto err;
	}
	memcpy(m->setid, s, SETID_LEN + 1);
	free(s);
	nsets = rbuf_u32(&r);
	if (nsets > MANIFEST_MAX_SETS) {
		rc = bad(name, "too many sets", 0);
		goto err;
	}
	for (uint32_t i = 0; i < nsets; i++) {
		s = rbuf_strdup(&r, SETID_LEN);
		if (s == NULL || !repo_setid_valid(s) ||
		    manifest_set_index(m, s) != (int64_t)i) {
			free(s);
			rc = bad(name, "bad set table", 0);
			goto err;
		}
		free(s);
	}
	count = rbuf_u64(&r);
	/* Every entry takes at least 100 bytes: a count that cannot fit in
	 * what is left is a lie, refused before allocating for it. */
	if (!rbuf_ok(&r) || count > MANIFEST_MAX_ENTRIES ||
	    count > r.left / 100) {
		rc = bad(name, "entry count", 0);
		goto err;
	}
	if (count && (m->e = calloc(count, sizeof(*m->e))) == NULL) {
		rc = -BKP_ENOMEM;
		goto err;
	}
	m->cap = count;
	for (; m->n < count; m->n++) {
		struct manifest_entry *e = &m->e[m->n];

		if (decode_entry(&r, e, nsets) != 0 || (m->n > 0 &&
		    manifest_path_cmp(m->e[m->n - 1].path, e->path) >= 0)) {
			entry_release(e);
			rc = bad(name, "bad entry", m->n);
			goto err;
		}
	}
	if (r.left != 0) {
		rc = bad(name, "trailing bytes", m->n);
		goto err;
	}
	*mp = m;
	return 0;
err:
	manifest_free(m);
	return rc;
}
