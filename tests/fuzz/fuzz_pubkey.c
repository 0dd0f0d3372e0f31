/* fuzz_pubkey.c: pubkey_decode, the public key file (repo.pub).
 *
 * Input: a public key file.  Decoded as it is, then with its trailing
 * checksum (BLAKE2b-128 of the rest) recomputed.  A key that decodes must
 * encode back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "keys.h"

#define CHECK_LEN 16		/* as lib/keys.c */

static void
run(const uint8_t *p, size_t n)
{
	struct bkp_pubkey pub;
	struct wbuf w;

	if (pubkey_decode(p, n, &pub, "fuzz/repo.pub") != 0)
		return;
	wbuf_init(&w);
	if (pubkey_encode(&pub, &w) != 0)
		fuzz_fail("pubkey", "pubkey_encode failed");
	if (w.len != n || memcmp(w.data, p, n) != 0)
		fuzz_fail("pubkey", "decode/encode round trip differs");
	wbuf_release(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	run(data, size);
	if (size < CHECK_LEN || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	crypto_generichash(buf + size - CHECK_LEN, CHECK_LEN, buf,
	    size - CHECK_LEN, NULL, 0);
	run(buf, size);
	free(buf);
	return 0;
}
