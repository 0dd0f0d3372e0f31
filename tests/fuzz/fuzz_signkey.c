/* fuzz_signkey.c: signkey_decode, the signing key file (sign.key).
 *
 * Input: a signing key file.  Decoded as it is, then with its trailing
 * checksum (BLAKE2b-128 of the rest) recomputed, and, when it has the
 * length of a key file, with the public half in the secret half made
 * consistent first.  A key that decodes must encode back to the same
 * bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "keys.h"

#define CHECK_LEN 16		/* as lib/keys.c */
#define SIGNKEY_LEN (8 + 4 + 32 + 64 + CHECK_LEN)

static void
run(const uint8_t *p, size_t n)
{
	struct bkp_signkey *sig = (struct bkp_signkey *)&sig;
	struct wbuf w;

	if (signkey_decode(p, n, &sig, "fuzz/sign.key") != 0) {
		if (sig != NULL)
			fuzz_fail("signkey", "failure left a key behind");
		return;
	}
	if (sodium_memcmp(sig->sk + 32, sig->pk, 32) != 0)
		fuzz_fail("signkey", "secret and public halves differ");
	wbuf_init(&w);
	if (signkey_encode(sig, &w) != 0)
		fuzz_fail("signkey", "signkey_encode failed");
	if (w.len != n || memcmp(w.data, p, n) != 0)
		fuzz_fail("signkey", "decode/encode round trip differs");
	wbuf_release(&w);
	signkey_free(sig);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	run(data, size);
	if (size < CHECK_LEN || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (size == SIGNKEY_LEN)
		memcpy(buf + 12 + 32 + 32, buf + 12, 32);
	crypto_generichash(buf + size - CHECK_LEN, CHECK_LEN, buf,
	    size - CHECK_LEN, NULL, 0);
	run(buf, size);
	free(buf);
	return 0;
}
