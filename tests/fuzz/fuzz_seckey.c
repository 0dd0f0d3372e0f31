/* fuzz_seckey.c: seckey_decode, the passphrase-protected secret key file.
 *
 * Input: a secret key file, decoded with the fixed test passphrase.
 *
 * Cost: every input that passes the header and bounds checks runs Argon2id
 * with the opslimit and memlimit the file asks for, and the decoder accepts
 * up to 16 passes over 1 GiB (seconds per input).  This target runs only
 * inputs whose Argon2 cost is small (opslimit * memlimit <= 4 MiB, which is
 * the case of the seed: opslimit 1, memlimit 8 KiB); a costlier input is
 * skipped and kept out of the corpus.  So the header, the length and bounds
 * checks, and everything after key derivation are fuzzed; the cost of
 * Argon2 with large limits is bounded by the decoder (OPSLIMIT_MAX,
 * MEMLIMIT_MAX in lib/keys.c), not exercised here.
 *
 * The secretbox cannot be forged, so only the seed reaches the success path.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "common.h"
#include "keys.h"

/* The layout of lib/keys.c: magic | version | box_pk | salt | opslimit |
 * memlimit | nonce | secretbox(64 bytes). */
#define SECKEY_LEN (8 + 4 + 32 + 16 + 8 + 8 + 24 + 64 + 16)
#define OPS_AT (8 + 4 + 32 + 16)
#define MEM_AT (OPS_AT + 8)
/* The decoder's accepted range (lib/keys.c). */
#define OPSLIMIT_MAX 16ULL
#define MEMLIMIT_MAX (1ULL << 30)
#define COST_MAX (4ULL << 20)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bkp_seckey *sec = (struct bkp_seckey *)&sec;
	uint8_t pk[32];

	if (size == SECKEY_LEN) {
		uint64_t ops = get_le64(data + OPS_AT);
		uint64_t mem = get_le64(data + MEM_AT);

		if (ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= OPSLIMIT_MAX &&
		    mem >= crypto_pwhash_MEMLIMIT_MIN && mem <= MEMLIMIT_MAX &&
		    ops * mem > COST_MAX)
			return -1;
	}
	if (seckey_decode(data, size, FUZZ_PASS, strlen(FUZZ_PASS), &sec,
	    "fuzz/repo.key") != 0) {
		if (sec != NULL)
			fuzz_fail("seckey", "failure left a key behind");
		return 0;
	}
	crypto_scalarmult_base(pk, sec->box_sk);
	if (sodium_memcmp(pk, sec->box_pk, 32) != 0)
		fuzz_fail("seckey", "public half does not match");
	seckey_free(sec);
	return 0;
}
