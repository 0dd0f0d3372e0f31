/* fuzz_seal.c: seal_decode, the signed commit record of a set.
 *
 * Input: a seal object as stored in sets/ID/seal.  It is decoded twice:
 *  1. as it is, with the fixed test signer trusted: this covers the size,
 *     magic, version, trust and signature checks (a mutated seal rarely
 *     has a valid signature);
 *  2. re-signed: its last 96 bytes (signer and signature) are replaced by
 *     the trusted test key and a valid signature of the rest, so that the
 *     parser behind the signature check sees every mutation.
 * A seal that decodes must encode back to the same bytes (the encoding is
 * canonical and Ed25519 signatures deterministic).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "seal.h"

static uint8_t trusted[2][32];
static volatile uint64_t sink;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	memcpy(trusted[0], fuzz_k.other_pk, 32);
	memcpy(trusted[1], fuzz_k.sig.pk, 32);
	return 0;
}

static void
check(const struct seal *s, const uint8_t *p, size_t n, int resigned)
{
	struct wbuf w;

	if (!repo_setid_valid(s->setid) ||
	    (s->parent[0] != '\0' && !repo_setid_valid(s->parent)))
		fuzz_fail("seal", "decoded an invalid set id");
	if (s->level != LEVEL_FULL && s->level != LEVEL_INCR)
		fuzz_fail("seal", "decoded an invalid level");
	if (strlen(s->policy) > SEAL_MAX_NAME || strlen(s->host) > SEAL_MAX_NAME)
		fuzz_fail("seal", "decoded an overlong name");
	if (s->nparts > SEAL_MAX_PARTS || (s->nparts != 0) != (s->parts != NULL))
		fuzz_fail("seal", "part table inconsistent");
	for (uint32_t i = 0; i < s->nparts; i++)
		sink += s->parts[i].size + s->parts[i].hash[31];
	if (sodium_memcmp(s->signer, p + n - 96, 32) != 0)
		fuzz_fail("seal", "signer is not the one in the object");
	if (!resigned)
		return;
	/* Round trip: decode(x) = s implies encode(s) = x. */
	wbuf_init(&w);
	if (seal_encode(s, &fuzz_k.sig, &w) != 0)
		fuzz_fail("seal", "seal_encode failed");
	if (w.len != n || memcmp(w.data, p, n) != 0)
		fuzz_fail("seal", "decode/encode round trip differs");
	wbuf_release(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seal s;
	uint8_t *buf;

	if (seal_decode(data, size, (const uint8_t (*)[32])trusted, 2, &s,
	    "fuzz/seal") == 0) {
		check(&s, data, size, 0);
		seal_release(&s);
	} else if (s.policy || s.host || s.parts) {
		fuzz_fail("seal", "failed decode left allocations behind");
	}
	if (size < 96 || size > SEAL_MAX)
		return 0;
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size - 96);
	memcpy(buf + size - 96, fuzz_k.sig.pk, 32);
	crypto_sign_detached(buf + size - 64, NULL, buf, size - 64,
	    fuzz_k.sig.sk);
	if (seal_decode(buf, size, (const uint8_t (*)[32])trusted, 2, &s,
	    "fuzz/seal") == 0) {
		check(&s, buf, size, 1);
		seal_release(&s);
	}
	free(buf);
	return 0;
}
