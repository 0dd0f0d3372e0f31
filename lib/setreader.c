/* setreader.c: reading a set back, checking everything against its seal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "datakey.h"
#include "error.h"
#include "keyobj.h"
#include "log.h"
#include "setreader.h"
#include "stream.h"

#define PART_MAGIC "BKPPART"
#define MANIFEST_MAGIC "BKPMANI"
#define MANIFEST_MAX ((size_t)4 << 30)

struct setreader {
	struct repo *r;
	struct seal seal;
	uint8_t *datakey;	/* NULL without the secret key */
};

int
setreader_decode_seal(struct repo *r, const char *setid, const uint8_t *data,
    size_t len, const uint8_t (*trusted)[32], size_t ntrusted, struct seal *s)
{
	char path[REPO_PATH_MAX], name[1024], id[KEY_ID_HEX];
	int rc;

	memset(s, 0, sizeof(*s));
	repo_set_path(setid, "seal", path);
	snprintf(name, sizeof(name), "%s/%s", repo_url(r), path);
	/* A signer the repository config revokes is trusted by no one. */
	if (len >= 96 && repo_signer_revoked(r, data + len - 96)) {
		key_id(data + len - 96, id);
		log_error("%s: signed by key %s, which is revoked (bkp key "
		    "revoke): the set is not trusted", name, id);
		return -BKP_ECORRUPT;
	}
	if ((rc = seal_decode(data, len, trusted, ntrusted, s, name)) != 0)
		return rc;
	if (strcmp(s->setid, setid) != 0) {
		log_error("%s: seal belongs to set %s (moved or replayed)",
		    name, s->setid);
		seal_release(s);
		return -BKP_ECORRUPT;
	}
	return 0;
}

int
setreader_get_seals(struct repo *r, const char *const *ids, size_t n,
    struct seal_batch *b)
{
	char (*paths)[REPO_PATH_MAX] = calloc(n + 1, sizeof(*paths));
	const char **p = calloc(n + 1, sizeof(*p));
	int rc = -BKP_ENOMEM;

	memset(b, 0, sizeof(*b));
	b->datas = calloc(n + 1, sizeof(*b->datas));
	b->lens = calloc(n + 1, sizeof(*b->lens));
	b->rcs = calloc(n + 1, sizeof(*b->rcs));
	if (paths != NULL && p != NULL && b->datas != NULL &&
	    b->lens != NULL && b->rcs != NULL) {
		for (size_t i = 0; i < n; i++) {
			repo_set_path(ids[i], "seal", paths[i]);
			p[i] = paths[i];
		}
		transport_get_all(repo_transport(r), p, n, SEAL_MAX, b->datas,
		    b->lens, b->rcs);
		b->n = n;
		rc = 0;
	}
	free(paths);
	free(p);
	if (rc != 0)
		seal_batch_release(b);
	return rc;
}

void
seal_batch_release(struct seal_batch *b)
{
	for (size_t i = 0; b->datas != NULL && i < b->n; i++)
		free(b->datas[i]);
	free(b->datas);
	free(b->lens);
	free(b->rcs);
	memset(b, 0, sizeof(*b));
}

int
setreader_load_seal(struct repo *r, const char *setid,
    const uint8_t (*trusted)[32], size_t ntrusted, struct seal *s)
{
	char path[REPO_PATH_MAX];
	uint8_t *data;
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	repo_set_path(setid, "seal", path);
	if ((rc = transport_get(repo_transport(r), path, SEAL_MAX, &data,
	    &len)) != 0)
		return rc;
	rc = setreader_decode_seal(r, setid, data, len, trusted, ntrusted, s);
	free(data);
	return rc;
}

/* Opens the key object for sec: `key`, checked against the seal, or the
 * key.KEYID a rotation wrote (lib/keyobj.h). */
static int
open_datakey(struct setreader *sr, const struct bkp_seckey *sec)
{
	return keyobj_open(sr->r, sr->seal.setid, &sr->seal.key, sec,
	    &sr->datakey);
}

int
setreader_open(struct repo *r, const char *setid,
    const uint8_t (*trusted)[32], size_t ntrusted,
    const struct bkp_seckey *sec, struct setreader **srp)
{
	struct setreader *sr;
	int rc;

	*srp = NULL;
	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		return -BKP_ENOMEM;
	sr->r = r;
	if ((rc = setreader_load_seal(r, setid, trusted, ntrusted,
	    &sr->seal)) != 0)
		goto err;
	if (sec && (rc = open_datakey(sr, sec)) != 0)
		goto err;
	*srp = sr;
	return 0;
err:
	setreader_free(sr);
	return rc;
}

void
setreader_free(struct setreader *sr)
{
	if (sr == NULL)
		return;
	seal_release(&sr->seal);
	datakey_free(sr->datakey);
	free(sr);
}

const struct seal *
setreader_seal(const struct setreader *sr)
{
	return &sr->seal;
}

/* Parts are not hashed on the way in (hash NULL): the data key comes from
 * a key object checked against the signed seal, only its holder can make
 * ciphertext that authenticates under it, and the envelope binds the set
 * id and index, so AEAD alone proves a part genuine and whole; the size
 * is still checked.  Hashing every ciphertext byte again cost a tenth of a
 * restore.  `bkp verify --level hashes` checks the seal's hashes. */
static int
open_object(struct setreader *sr, const char *name, uint64_t index,
    const struct seal_object *o, const uint8_t *hash, const char *magic,
    struct istream **isp)
{
	struct transport_reader *tr;
	char path[REPO_PATH_MAX], label[1024];
	uint8_t subkey[32], ad[DATAKEY_AD_LEN];
	struct istream *is;
	int rc;

	*isp = NULL;
	if (sr->datakey == NULL) {
		log_error("reading set contents needs the secret key");
		return -BKP_EKEY;
	}
	repo_set_path(sr->seal.setid, name, path);
	snprintf(label, sizeof(label), "%s/%s", repo_url(sr->r), path);
	if ((rc = transport_read_open(repo_transport(sr->r), path, &tr)) != 0)
		return rc;
	datakey_subkey(sr->datakey, index, subkey);
	datakey_ad(sr->seal.setid, index, ad);
	/* Fetching, decrypting and decompressing run in a thread of their
	 * own, beside the caller's parsing, hashing and writing. */
	is = istream_thread_new(istream_zstd_new(istream_decrypt_new(
	    istream_hash_expect_new(istream_transport_new(tr), hash,
	    o->size, label), magic, subkey, ad, sizeof(ad), label)),
	    1 << 20, 4);
	sodium_memzero(subkey, sizeof(subkey));
	if (is == NULL)
		return -BKP_ENOMEM;
	*isp = is;
	return 0;
}

int
setreader_manifest(struct setreader *sr, struct manifest **mp)
{
	struct istream *is;
	struct wbuf w;
	uint8_t buf[65536];
	char label[1024];
	size_t got;
	int rc;

	*mp = NULL;
	wbuf_init(&w);
	if ((rc = open_object(sr, "manifest", DATAKEY_OBJ_MANIFEST,
	    &sr->seal.manifest, sr->seal.manifest.hash, MANIFEST_MAGIC, &is)) != 0)
		return rc;
	snprintf(label, sizeof(label), "%s/sets/%s/manifest", repo_url(sr->r),
	    sr->seal.setid);
	do {
		if ((rc = istream_read(is, buf, sizeof(buf), &got)) != 0)
			goto out;
		wbuf_put(&w, buf, got);
		if (w.len > MANIFEST_MAX) {
			log_error("%s: manifest too large", label);
			rc = -BKP_ECORRUPT;
			goto out;
		}
	} while (got > 0);
	if ((rc = wbuf_status(&w)) != 0 ||
	    (rc = manifest_decode(w.data, w.len, mp, label)) != 0)
		goto out;
	if (strcmp((*mp)->setid, sr->seal.setid) != 0) {
		log_error("%s: manifest of another set", label);
		manifest_free(*mp);
		*mp = NULL;
		rc = -BKP_ECORRUPT;
	}
out:
	istream_free(is);
	wbuf_release(&w);
	return rc;
}

int
setreader_part(struct setreader *sr, uint32_t index, struct istream **is)
{
	char name[32];

	*is = NULL;
	if (index >= sr->seal.nparts) {
		log_error("%s: set %s has no part %u", repo_url(sr->r),
		    sr->seal.setid, index);
		return -BKP_ECORRUPT;
	}
	repo_part_name(index, name);
	return open_object(sr, name, DATAKEY_OBJ_PART(index),
	    &sr->seal.parts[index], NULL, PART_MAGIC, is);
}
