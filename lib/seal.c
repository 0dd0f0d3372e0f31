/* seal.c: encoding, signing and checking seals. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "seal.h"

static const char SEAL_MAGIC[8] = "BKPSEAL\0";
#define SEAL_VERSION 1

void
seal_release(struct seal *s)
{
	free(s->policy);
	free(s->host);
	free(s->parts);
	memset(s, 0, sizeof(*s));
}

static void
put_object(struct wbuf *w, const struct seal_object *o)
{
	wbuf_u64(w, o->size);
	wbuf_put(w, o->hash, 32);
}

int
seal_encode(const struct seal *s, const struct bkp_signkey *sig,
    struct wbuf *w)
{
	uint8_t signature[crypto_sign_BYTES];

	wbuf_put(w, SEAL_MAGIC, 8);
	wbuf_u32(w, SEAL_VERSION);
	wbuf_str(w, s->setid);
	wbuf_str(w, s->parent);
	wbuf_u8(w, s->level);
	wbuf_u64(w, (uint64_t)s->time_ns);
	wbuf_u64(w, (uint64_t)s->end_ns);
	wbuf_str(w, s->policy);
	wbuf_str(w, s->host);
	wbuf_u64(w, s->nfiles);
	wbuf_u64(w, s->bytes);
	wbuf_u64(w, s->stored);
	wbuf_u32(w, s->warnings);
	put_object(w, &s->key);
	put_object(w, &s->manifest);
	wbuf_u32(w, s->nparts);
	for (uint32_t i = 0; i < s->nparts; i++)
		put_object(w, &s->parts[i]);
	wbuf_put(w, sig->pk, 32);
	if (w->failed)
		return -BKP_ENOMEM;
	crypto_sign_detached(signature, NULL, w->data, w->len, sig->sk);
	wbuf_put(w, signature, sizeof(signature));
	return wbuf_status(w);
}

static int
bad(const char *name, const char *what)
{
	log_error("%s: %s", name, what);
	return -BKP_ECORRUPT;
}

static int
get_setid(struct rbuf *r, char out[SETID_LEN + 1], int may_be_empty)
{
	const uint8_t *p;
	size_t n;

	p = rbuf_bytes(r, SETID_LEN, &n);
	if (!rbuf_ok(r))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	if (n == 0 && may_be_empty)
		return 0;
	return repo_setid_valid(out) ? 0 : -1;
}

static int
signer_trusted(const uint8_t pk[32], const uint8_t (*trusted)[32], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sodium_memcmp(trusted[i], pk, 32) == 0)
			return 1;
	return 0;
}

/* Checks the signature first: nothing else of an unsigned seal is parsed. */
static int
check_signature(const uint8_t *p, size_t n, const uint8_t (*trusted)[32],
    size_t ntrusted, const char *name)
{
	const uint8_t *signer;
	char id[KEY_ID_HEX];

	if (n < 12 + 32 + crypto_sign_BYTES || n > SEAL_MAX)
		return bad(name, "seal has an impossible size");
	if (memcmp(p, SEAL_MAGIC, 8) != 0)
		return bad(name, "not a seal (bad magic)");
	if (get_le32(p + 8) != SEAL_VERSION) {
		log_error("%s: seal version %u is not supported (this bkp "
		    "reads version %d); upgrade bkp", name, get_le32(p + 8),
		    SEAL_VERSION);
		return -BKP_EREPO;
	}
	signer = p + n - crypto_sign_BYTES - 32;
	if (!signer_trusted(signer, trusted, ntrusted)) {
		key_id(signer, id);
		log_error("%s: signed by key %s, which is not trusted", name,
		    id);
		return -BKP_ECORRUPT;
	}
	if (crypto_sign_verify_detached(p + n - crypto_sign_BYTES, p,
	    n - crypto_sign_BYTES, signer) != 0)
		return bad(name, "bad signature: the seal was altered or forged");
	return 0;
}

int
seal_decode(const uint8_t *p, size_t n, const uint8_t (*trusted)[32],
    size_t ntrusted, struct seal *s, const char *name)
{
	struct rbuf r;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = check_signature(p, n, trusted, ntrusted, name)) != 0)
		return rc;
	rbuf_init(&r, p + 12, n - 12 - crypto_sign_BYTES);
	if (get_setid(&r, s->setid, 0) != 0 ||
	    get_setid(&r, s->parent, 1) != 0)
		goto bad;
	s->level = rbuf_u8(&r);
	s->time_ns = (int64_t)rbuf_u64(&r);
	s->end_ns = (int64_t)rbuf_u64(&r);
	s->policy = rbuf_strdup(&r, SEAL_MAX_NAME);
	s->host = rbuf_strdup(&r, SEAL_MAX_NAME);
	s->nfiles = rbuf_u64(&r);
	s->bytes = rbuf_u64(&r);
	s->stored = rbuf_u64(&r);
	s->warnings = rbuf_u32(&r);
	s->key.size = rbuf_u64(&r);
	rbuf_get(&r, s->key.hash, 32);
	s->manifest.size = rbuf_u64(&r);
	rbuf_get(&r, s->manifest.hash, 32);
	s->nparts = rbuf_u32(&r);
	if (!rbuf_ok(&r) || s->policy == NULL || s->host == NULL ||
	    (s->level != LEVEL_FULL && s->level != LEVEL_INCR) ||
	    s->nparts > SEAL_MAX_PARTS || s->nparts > r.left / 40)
		goto bad;
	if (s->nparts &&
	    (s->parts = calloc(s->nparts, sizeof(*s->parts))) == NULL) {
		seal_release(s);
		return -BKP_ENOMEM;
	}
	for (uint32_t i = 0; i < s->nparts; i++) {
		s->parts[i].size = rbuf_u64(&r);
		rbuf_get(&r, s->parts[i].hash, 32);
	}
	rbuf_get(&r, s->signer, 32);
	if (!rbuf_ok(&r) || r.left != 0)
		goto bad;
	return 0;
bad:
	seal_release(s);
	return bad(name, "malformed seal");
}
