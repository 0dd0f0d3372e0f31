/* datakey.c: per-set data keys. */
#include <string.h>

#include <sodium.h>

#include "datakey.h"
#include "error.h"
#include "log.h"

static const char DKEY_MAGIC[8] = "BKPDKEY\0";
#define DKEY_VERSION 1
#define SEALED_LEN (32 + crypto_box_SEALBYTES)

uint8_t *
datakey_new(void)
{
	uint8_t *key = sodium_malloc(32);

	if (key)
		crypto_kdf_keygen(key);
	return key;
}

void
datakey_free(uint8_t *key)
{
	if (key)
		sodium_free(key);
}

int
datakey_seal(const uint8_t *key, const uint8_t box_pk[32], struct wbuf *w)
{
	uint8_t sealed[SEALED_LEN];

	if (crypto_box_seal(sealed, key, 32, box_pk) != 0)
		return -BKP_EINTERNAL;
	wbuf_put(w, DKEY_MAGIC, 8);
	wbuf_u32(w, DKEY_VERSION);
	wbuf_put(w, box_pk, 32);
	wbuf_put(w, sealed, sizeof(sealed));
	return wbuf_status(w);
}

int
datakey_open(const uint8_t *p, size_t n, const struct bkp_seckey *sec,
    uint8_t **keyp, const char *name)
{
	const uint8_t *pk, *sealed;
	uint8_t magic[8], *key;
	char want[KEY_ID_HEX], have[KEY_ID_HEX];
	uint32_t version;
	struct rbuf r;

	*keyp = NULL;
	rbuf_init(&r, p, n);
	rbuf_get(&r, magic, 8);
	version = rbuf_u32(&r);
	pk = rbuf_ref(&r, 32);
	sealed = rbuf_ref(&r, SEALED_LEN);
	if (!rbuf_ok(&r) || r.left != 0 || memcmp(magic, DKEY_MAGIC, 8) != 0 ||
	    version != DKEY_VERSION) {
		log_error("%s: malformed data key object", name);
		return -BKP_ECORRUPT;
	}
	if (sodium_memcmp(pk, sec->box_pk, 32) != 0) {
		key_id(pk, want);
		key_id(sec->box_pk, have);
		log_error("%s: sealed to key %s, but the key given is %s; use "
		    "the repository's secret key", name, want, have);
		return -BKP_EKEY;
	}
	if ((key = sodium_malloc(32)) == NULL)
		return -BKP_ENOMEM;
	if (crypto_box_seal_open(key, sealed, SEALED_LEN, sec->box_pk,
	    sec->box_sk) != 0) {
		datakey_free(key);
		log_error("%s: data key does not open (damaged object or wrong "
		    "key)", name);
		return -BKP_ECORRUPT;
	}
	*keyp = key;
	return 0;
}

void
datakey_subkey(const uint8_t *key, uint64_t index, uint8_t out[32])
{
	crypto_kdf_derive_from_key(out, 32, index, "bkp-data", key);
}

void
datakey_ad(const char *setid, uint64_t index, uint8_t ad[DATAKEY_AD_LEN])
{
	memcpy(ad, setid, SETID_LEN);
	put_le64(ad + SETID_LEN, index);
}
