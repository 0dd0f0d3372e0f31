/* setreader.h: reads a sealed set: seal, data key, manifest and parts.
 *
 * Opening checks the seal's signature against the trusted signers; every
 * object read afterwards is checked against the seal (size and ciphertext
 * hash) and authenticated while it is decrypted.
 */
#ifndef BKP_SETREADER_H
#define BKP_SETREADER_H

#include <stdint.h>

#include "keys.h"
#include "manifest.h"
#include "repo.h"
#include "seal.h"

struct istream;
struct setreader;

/* sec may be NULL: then only the seal and ciphertext can be read. */
int setreader_open(struct repo *r, const char *setid,
    const uint8_t (*trusted)[32], size_t ntrusted,
    const struct bkp_seckey *sec, struct setreader **sr);
void setreader_free(struct setreader *sr);
const struct seal *setreader_seal(const struct setreader *sr);

/* Decrypts the manifest (needs the secret key). */
int setreader_manifest(struct setreader *sr, struct manifest **m);
/* The plaintext pax stream of part index. */
int setreader_part(struct setreader *sr, uint32_t index,
    struct istream **is);

/* Reads and checks a seal alone. */
int setreader_load_seal(struct repo *r, const char *setid,
    const uint8_t (*trusted)[32], size_t ntrusted, struct seal *s);
/* The seals of the sets ids[0..n), read all at once (transport_get_all():
 * over SFTP, a few round trips for many): rcs[i], and datas[i] and
 * lens[i] when it is 0. */
struct seal_batch {
	size_t n;
	uint8_t **datas;
	size_t *lens;
	int *rcs;
};
int setreader_get_seals(struct repo *r, const char *const *ids, size_t n,
    struct seal_batch *b);
void seal_batch_release(struct seal_batch *b);

/* Checks the seal of setid read as data[0..len) (setreader_load_seal()
 * without the reading). */
int setreader_decode_seal(struct repo *r, const char *setid,
    const uint8_t *data, size_t len, const uint8_t (*trusted)[32],
    size_t ntrusted, struct seal *s);

#endif
