/* fuzz_repo_config.c: repo_config_decode, the repository's config object.
 *
 * Input: a config object as stored at the repository root.  It is decoded
 * as it is, then once more with its trailing checksum (BLAKE2b-256 of the
 * rest) recomputed, so that mutations get past the checksum.  A config that
 * decodes must have 1..REPO_MAX_SIGNERS signers and encode back to the same
 * bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "repo.h"

#define CHECK_LEN 32		/* as lib/repo.c */

static void
run(const uint8_t *p, size_t n)
{
	struct repo_config c;
	struct wbuf w;

	if (repo_config_decode(p, n, &c, "fuzz/config") != 0)
		return;
	if (c.nsigners == 0 || c.nsigners > REPO_MAX_SIGNERS)
		fuzz_fail("repo_config", "signer count out of range");
	wbuf_init(&w);
	if (repo_config_encode(&c, &w) != 0)
		fuzz_fail("repo_config", "repo_config_encode failed");
	if (w.len != n || memcmp(w.data, p, n) != 0)
		fuzz_fail("repo_config", "decode/encode round trip differs");
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
