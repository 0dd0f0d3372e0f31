/* repo.c: repository config, layout and listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "repo.h"
#include "repogen.h"
#include "repolock.h"

static const char CONFIG_MAGIC[8] = "BKPREPO\0";
#define CHECK_LEN 32

struct repo {
	struct transport *t;
	struct repo_config config;
	struct repolock *lock;	/* held by this process (repolock.c) */
};

int
repo_config_encode(const struct repo_config *c, struct wbuf *w)
{
	uint8_t check[CHECK_LEN];

	wbuf_put(w, CONFIG_MAGIC, 8);
	wbuf_u32(w, REPO_FORMAT_VERSION);
	wbuf_put(w, c->id, REPO_ID_LEN);
	wbuf_put(w, c->box_pk, 32);
	wbuf_u32(w, c->nsigners);
	for (uint32_t i = 0; i < c->nsigners; i++)
		wbuf_put(w, c->signers[i], 32);
	/* The revoked list is present only when there is one. */
	if (c->nrevoked > 0)
		wbuf_u32(w, c->nrevoked);
	for (uint32_t i = 0; i < c->nrevoked; i++)
		wbuf_put(w, c->revoked[i], 32);
	if (w->failed)
		return -BKP_ENOMEM;
	crypto_generichash(check, CHECK_LEN, w->data, w->len, NULL, 0);
	wbuf_put(w, check, CHECK_LEN);
	return wbuf_status(w);
}

int
repo_config_decode(const uint8_t *p, size_t n, struct repo_config *c,
    const char *name)
{
	uint8_t magic[8], check[CHECK_LEN];
	uint32_t version;
	struct rbuf r;

	memset(c, 0, sizeof(*c));
	rbuf_init(&r, p, n);
	rbuf_get(&r, magic, 8);
	version = rbuf_u32(&r);
	if (!rbuf_ok(&r) || memcmp(magic, CONFIG_MAGIC, 8) != 0) {
		log_error("%s: not a bkp repository config", name);
		return -BKP_EREPO;
	}
	if (version != REPO_FORMAT_VERSION) {
		log_error("%s: repository format version %u is not supported "
		    "(this bkp reads version %d); upgrade bkp", name, version,
		    REPO_FORMAT_VERSION);
		return -BKP_EREPO;
	}
	rbuf_get(&r, c->id, REPO_ID_LEN);
	rbuf_get(&r, c->box_pk, 32);
	c->nsigners = rbuf_u32(&r);
	if (c->nsigners == 0 || c->nsigners > REPO_MAX_SIGNERS)
		goto bad;
	for (uint32_t i = 0; i < c->nsigners; i++)
		rbuf_get(&r, c->signers[i], 32);
	if (rbuf_ok(&r) && r.left > CHECK_LEN) {
		c->nrevoked = rbuf_u32(&r);
		if (c->nrevoked == 0 || c->nrevoked > REPO_MAX_SIGNERS)
			goto bad;
		for (uint32_t i = 0; i < c->nrevoked; i++)
			rbuf_get(&r, c->revoked[i], 32);
	}
	if (!rbuf_ok(&r) || r.left != CHECK_LEN)
		goto bad;
	crypto_generichash(check, CHECK_LEN, p, n - CHECK_LEN, NULL, 0);
	if (sodium_memcmp(check, p + n - CHECK_LEN, CHECK_LEN) != 0)
		goto bad;
	return 0;
bad:
	log_error("%s: repository config is damaged", name);
	return -BKP_ECORRUPT;
}

static int
refuse_nonempty(void *arg, const char *name)
{
	const char *url = arg;

	log_error("%s: directory is not empty (found %s); bkp init needs a "
	    "new or empty directory", url, name);
	return -BKP_EREPO;
}

int
repo_init(const char *url, const struct transport_opts *opts,
    const struct bkp_pubkey *pub, char id_hex[REPO_ID_HEX])
{
	struct transport_opts o = { 0 };
	struct transport *t = NULL;
	struct repo_config c;
	struct wbuf w;
	int rc;

	wbuf_init(&w);
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.id, REPO_ID_LEN);
	memcpy(c.box_pk, pub->box_pk, 32);
	c.nsigners = 1;
	memcpy(c.signers[0], pub->sign_pk, 32);
	if (opts)
		o = *opts;
	o.create = 1;
	if ((rc = transport_open(url, &o, &t)) != 0)
		goto out;
	if ((rc = transport_list(t, "", refuse_nonempty, (void *)url)) != 0)
		goto out;
	if ((rc = repo_config_encode(&c, &w)) != 0 ||
	    (rc = transport_mkdir(t, "sets")) != 0 ||
	    (rc = transport_put(t, "config", w.data, w.len)) != 0)
		goto out;
	sodium_bin2hex(id_hex, REPO_ID_HEX, c.id, REPO_ID_LEN);
out:
	wbuf_release(&w);
	transport_close(t);
	return rc;
}

int
repo_open(const char *url, const struct transport_opts *opts,
    struct repo **rp)
{
	struct repo *r;
	int rc;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -BKP_ENOMEM;
	if ((rc = transport_open(url, opts, &r->t)) != 0)
		goto err;
	if ((rc = transport_stat(r->t, "config", &(uint64_t){0})) != 0) {
		if (rc == -BKP_ENOTFOUND) {
			log_error("%s: not a bkp repository (no config); "
			    "create one with bkp init", url);
			rc = -BKP_EREPO;
		}
		goto err;
	}
	if ((rc = repogen_load(r->t, url, &r->config, NULL)) != 0)
		goto err;
	*rp = r;
	return 0;
err:
	repo_close(r);
	return rc;
}

void
repo_close(struct repo *r)
{
	if (r == NULL)
		return;
	repolock_release(r);
	transport_close(r->t);
	free(r);
}

struct transport *
repo_transport(struct repo *r)
{
	return r->t;
}

struct repolock *
repo_held_lock(const struct repo *r)
{
	return r->lock;
}

void
repo_set_held_lock(struct repo *r, struct repolock *l)
{
	r->lock = l;
}

const struct repo_config *
repo_config(const struct repo *r)
{
	return &r->config;
}

const char *
repo_url(const struct repo *r)
{
	return transport_url(r->t);
}

void
repo_id_hex(const struct repo *r, char out[REPO_ID_HEX])
{
	sodium_bin2hex(out, REPO_ID_HEX, r->config.id, REPO_ID_LEN);
}

int
repo_trusts_signer(const struct repo *r, const uint8_t pk[32])
{
	for (uint32_t i = 0; i < r->config.nsigners; i++)
		if (sodium_memcmp(r->config.signers[i], pk, 32) == 0)
			return 1;
	return 0;
}

int
repo_signer_revoked(const struct repo *r, const uint8_t pk[32])
{
	for (uint32_t i = 0; i < r->config.nrevoked; i++)
		if (sodium_memcmp(r->config.revoked[i], pk, 32) == 0)
			return 1;
	return 0;
}

void
repo_new_setid(int64_t now_ns, char id[SETID_LEN + 1])
{
	time_t secs = (time_t)(now_ns / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(id, SETID_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id + 16, SETID_LEN + 1 - 16, "-%08x", randombytes_random());
}

int
repo_setid_valid(const char *s)
{
	static const char shape[] = "dddddddd"
	    "Tdddddd"
	    "Z-xxxxxxxx";

	if (strlen(s) != SETID_LEN)
		return 0;
	for (int i = 0; i < SETID_LEN; i++) {
		char c = s[i];

		switch (shape[i]) {
		case 'd':
			if (c < '0' || c > '9')
				return 0;
			break;
		case 'x':
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return 0;
			break;
		default:
			if (c != shape[i])
				return 0;
		}
	}
	return 1;
}

void
repo_set_path(const char *setid, const char *name, char *out)
{
	snprintf(out, REPO_PATH_MAX, "sets/%s/%s", setid, name);
}

void
repo_part_name(uint32_t index, char out[32])
{
	snprintf(out, 32, "part-%06u", index);
}

struct list_ctx {
	struct repo_setlist *l;
	size_t cap;
};

static int
add_set(void *arg, const char *name)
{
	struct list_ctx *c = arg;
	struct repo_setlist *l = c->l;

	if (!repo_setid_valid(name))
		return 0;
	if (l->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		void *ids = realloc(l->ids, cap * sizeof(*l->ids));

		if (ids == NULL)
			return -BKP_ENOMEM;
		l->ids = ids;
		if ((ids = realloc(l->sealed, cap)) == NULL)
			return -BKP_ENOMEM;
		l->sealed = ids;
		c->cap = cap;
	}
	memcpy(l->ids[l->n], name, SETID_LEN + 1);
	l->n++;
	return 0;
}

/* Which sets have their seal: all looked up at once (one round trip over
 * SFTP, however many sets). */
static int
find_seals(struct repo *r, struct repo_setlist *l)
{
	char (*paths)[REPO_PATH_MAX] = calloc(l->n, sizeof(*paths));
	const char **p = calloc(l->n, sizeof(*p));
	uint64_t *sizes = calloc(l->n, sizeof(*sizes));
	int *rcs = calloc(l->n, sizeof(*rcs)), rc = -BKP_ENOMEM;

	if (paths != NULL && p != NULL && sizes != NULL && rcs != NULL) {
		for (size_t i = 0; i < l->n; i++) {
			repo_set_path(l->ids[i], "seal", paths[i]);
			p[i] = paths[i];
		}
		rc = transport_stat_all(r->t, p, l->n, sizes, rcs);
		for (size_t i = 0; rc == 0 && i < l->n; i++)
			l->sealed[i] = rcs[i] == 0;
	}
	free(paths);
	free(p);
	free(sizes);
	free(rcs);
	return rc;
}

static int
cmp_ids(const void *a, const void *b)
{
	return memcmp(a, b, SETID_LEN);
}

int
repo_list_sets(struct repo *r, struct repo_setlist *l)
{
	struct list_ctx c = { l, 0 };
	int rc;

	memset(l, 0, sizeof(*l));
	rc = transport_list(r->t, "sets", add_set, &c);
	if (rc == -BKP_ENOTFOUND)
		rc = 0;
	if (rc == 0 && l->n > 0)
		rc = find_seals(r, l);
	if (rc != 0) {
		repo_setlist_release(l);
		return rc;
	}
	/* Sort ids and their sealed flags together. */
	for (size_t i = 0; i < l->n; i++)
		l->ids[i][SETID_LEN] = (char)l->sealed[i];
	if (l->n > 0)
		qsort(l->ids, l->n, sizeof(*l->ids), cmp_ids);
	for (size_t i = 0; i < l->n; i++) {
		l->sealed[i] = (uint8_t)l->ids[i][SETID_LEN];
		l->ids[i][SETID_LEN] = '\0';
	}
	return 0;
}

void
repo_setlist_release(struct repo_setlist *l)
{
	free(l->ids);
	free(l->sealed);
	memset(l, 0, sizeof(*l));
}

struct names {
	char **v;
	size_t n;
};

static int
collect_name(void *arg, const char *name)
{
	struct names *l = arg;
	char **p = realloc(l->v, (l->n + 1) * sizeof(*l->v));

	if (p == NULL)
		return -BKP_ENOMEM;
	l->v = p;
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -BKP_ENOMEM;
	l->n++;
	return 0;
}

static int
remove_if_present(struct transport *t, const char *path)
{
	int rc = transport_remove(t, path);

	return rc == -BKP_ENOTFOUND ? 0 : rc;
}

int
repo_delete_set(struct repo *r, const char *setid)
{
	struct names l = { NULL, 0 };
	char path[REPO_PATH_MAX], dir[REPO_PATH_MAX];
	int rc;

	repo_set_path(setid, "seal", path);
	if ((rc = remove_if_present(r->t, path)) != 0)
		return rc;
	repo_set_path(setid, "key", path);
	if ((rc = remove_if_present(r->t, path)) != 0)
		return rc;
	snprintf(dir, sizeof(dir), "sets/%s", setid);
	rc = transport_list(r->t, dir, collect_name, &l);
	/* Key objects of a rotation (key.KEYID) go before the parts. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l.n && rc == 0; i++) {
			if ((strncmp(l.v[i], "key.", 4) == 0) != (pass == 0))
				continue;
			repo_set_path(setid, l.v[i], path);
			rc = remove_if_present(r->t, path);
		}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	if (rc == 0)
		rc = transport_rmdir(r->t, dir);
	return rc == -BKP_ENOTFOUND ? 0 : rc;
}
