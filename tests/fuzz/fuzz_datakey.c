/* fuzz_datakey.c: datakey_open, a set's sealed data key (sets/ID/key).
 *
 * Input: a data key object, opened with the fixed test repository key.  It
 * is opened as it is, then, when it has the length of a data key object,
 * with the recipient key in it set to the test key, so that mutations reach
 * crypto_box_seal_open.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "datakey.h"
#include "common.h"

#define DKEY_LEN (8 + 4 + 32 + 32 + crypto_box_SEALBYTES)

static void
run(const uint8_t *p, size_t n)
{
	uint8_t *key = (uint8_t *)&key;

	if (datakey_open(p, n, &fuzz_k.sec, &key, "fuzz/key") != 0) {
		if (key != NULL)
			fuzz_fail("datakey", "failure left a key behind");
		return;
	}
	if (key == NULL)
		fuzz_fail("datakey", "success without a key");
	datakey_free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	run(data, size);
	if (size != DKEY_LEN || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + 12, fuzz_k.sec.box_pk, 32);
	run(buf, size);
	free(buf);
	return 0;
}
