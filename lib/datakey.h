/* datakey.h: a set's data key, its sealed object and per-object subkeys.
 *
 * Every set has a fresh random 32-byte data key, stored only sealed to the
 * repository public key (crypto_box_seal) in the set's "key" object.  Each
 * encrypted object of the set uses its own subkey (crypto_kdf, context
 * "bkp-data", id = object index: 0 the manifest, i+1 part i), and binds the
 * set id and index as additional data.  Destroying the key object makes
 * the set's parts unreadable for good.
 */
#ifndef BKP_DATAKEY_H
#define BKP_DATAKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"
#include "repo.h"

#define DATAKEY_OBJ_MANIFEST 0
#define DATAKEY_OBJ_PART(i) ((uint64_t)(i) + 1)
#define DATAKEY_AD_LEN (SETID_LEN + 8)
#define DATAKEY_MAX 4096

/* A new random key in sodium_malloc memory; free with datakey_free. */
uint8_t *datakey_new(void);
void datakey_free(uint8_t *key);

int datakey_seal(const uint8_t *key, const uint8_t box_pk[32],
    struct wbuf *w);
/* Opens a sealed key object; -BKP_EKEY when it was sealed to another key,
 * -BKP_ECORRUPT when damaged. */
int datakey_open(const uint8_t *p, size_t n, const struct bkp_seckey *sec,
    uint8_t **key, const char *name);

/* Subkey for object index, into a caller-wiped buffer. */
void datakey_subkey(const uint8_t *key, uint64_t index, uint8_t out[32]);
/* The additional data that binds an object to its set and index. */
void datakey_ad(const char *setid, uint64_t index,
    uint8_t ad[DATAKEY_AD_LEN]);

#endif
