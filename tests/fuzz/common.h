/* common.h: what the fuzz targets and mkseeds share.
 *
 * Fixed keys, derived from fixed labels, so that the seed corpora written by
 * mkseeds decode in the targets: a trusted signing key (seals), a
 * repository key pair (data key objects), a data key (encrypted objects) and
 * a passphrase (secret key files).  They are test keys: never use them for a
 * real repository.
 */
#ifndef BKP_FUZZ_COMMON_H
#define BKP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "datakey.h"
#include "keys.h"
#include "repo.h"

/* The set every encrypted seed object belongs to (binds the AD). */
#define FUZZ_SETID "20240229T235959Z-0123abcd"
#define FUZZ_PASS "correct horse battery staple"
/* As lib/setwriter.c and lib/setreader.c name them. */
#define FUZZ_PART_MAGIC "BKPPART"
#define FUZZ_MANIFEST_MAGIC "BKPMANI"

struct fuzz_keys {
	struct bkp_signkey sig;		/* the trusted signer */
	uint8_t other_pk[32];		/* a second trusted signer */
	struct bkp_seckey sec;		/* repository key pair */
	uint8_t datakey[32];		/* the data key of FUZZ_SETID */
};

extern struct fuzz_keys fuzz_k;

/* sodium_init and the fixed keys; aborts on failure.  common.c's
 * LLVMFuzzerInitialize calls it for every target that has none. */
void fuzz_init(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Subkey and additional data of object index of FUZZ_SETID, as
 * setreader/setwriter derive them. */
void fuzz_object_key(uint64_t index, uint8_t subkey[32],
    uint8_t ad[DATAKEY_AD_LEN]);

/* The object envelope encrypted by hand from a list of frames (see
 * fuzz_object.c: "framed" input), so that a target can feed authentic but
 * arbitrary chunk sequences to the reader.  Returns a malloc'd buffer. */
uint8_t *fuzz_frames_encrypt(const char *magic, uint64_t index,
    const uint8_t *p, size_t n, size_t *outlen);

/* Frame flags (the low two bits are the secretstream tag). */
#define FRAME_TAG_MASK 0x03	/* 0 message, 1 push, 2 rekey, 3 final */
#define FRAME_PAD 0x04		/* zero-pad the plaintext to STREAM_CHUNK */
#define FRAME_RAW 0x08		/* append the bytes unencrypted */

/* Fails loudly: a finding of the oracle, not of the sanitizers. */
void fuzz_fail(const char *target, const char *what)
    __attribute__((noreturn));

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
