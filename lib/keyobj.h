/* keyobj.h: the data key objects of a set.
 *
 * A backup writes sets/ID/key, the set's data key sealed to the repository
 * key; the seal lists its size and hash.  Key rotation (bkp key rotate)
 * adds sets/ID/key.KEYID: the same data key sealed to another repository
 * key, KEYID being that key's id (key_id of its box_pk).  It never rewrites
 * an object, and the seal is left as it is: a key.KEYID object is not in
 * the seal's integrity.  It needs none: the data key it yields is
 * authenticated by every object it decrypts (the manifest and every part
 * are AEAD-encrypted under subkeys of it and hash-checked against the
 * seal), so a replaced key.KEYID can only make the set unreadable, as
 * deleting it would.  Rotation may then remove the key objects sealed to
 * the old key (docs/FORMAT.md, "Key rotation and revocation").
 */
#ifndef BKP_KEYOBJ_H
#define BKP_KEYOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "repo.h"
#include "seal.h"

#define KEYOBJ_NAME_LEN 32

/* "key.KEYID" of the repository key box_pk. */
void keyobj_name(const uint8_t box_pk[32], char out[KEYOBJ_NAME_LEN]);
/* 1 if name is "key" or "key.KEYID". */
int keyobj_is_name(const char *name);

/* 1 if sets/ID/NAME exists, 0 if not (nothing reported), or a negative
 * status. */
int keyobj_exists(struct repo *r, const char *setid, const char *name);
/* Reads sets/ID/NAME whole (at most DATAKEY_MAX bytes). */
int keyobj_get(struct repo *r, const char *setid, const char *name,
    uint8_t **data, size_t *len);
/* The repository key a key object is sealed to, from its header;
 * -BKP_ECORRUPT (reported with label) when it is not a key object. */
int keyobj_sealed_to(const uint8_t *p, size_t n, uint8_t box_pk[32],
    const char *label);

/* Opens the data key of set setid for sec: `key` when it is sealed to sec
 * (then checked against sealed, the size and hash its seal lists, when not
 * NULL), else key.KEYID of sec.  -BKP_EKEY when the set has no key object
 * for sec but has one for another key, -BKP_ENOTFOUND when it has none at
 * all (destroyed: the set cannot be decrypted by any key). */
int keyobj_open(struct repo *r, const char *setid,
    const struct seal_object *sealed, const struct bkp_seckey *sec,
    uint8_t **datakey);

/* The names of the key objects of a set ("key", "key.KEYID"). */
struct keyobj_list {
	char (*names)[KEYOBJ_NAME_LEN];
	size_t n;
};
int keyobj_list(struct repo *r, const char *setid, struct keyobj_list *l);
void keyobj_list_release(struct keyobj_list *l);

#endif
