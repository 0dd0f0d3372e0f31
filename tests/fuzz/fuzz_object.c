/* fuzz_object.c: the encrypted object envelope, as restore reads it.
 *
 * The reader stack of setreader: istream_memory -> istream_hash_expect (the
 * size and hash the seal gives) -> istream_decrypt (fixed test data key of
 * FUZZ_SETID, the object's AD) -> istream_zstd [-> istream_thread], read to
 * the end; a manifest object's plaintext then goes to manifest_decode.
 *
 * Input: one control byte, then a payload.
 *   bit 0  0: the payload is the object as stored (ciphertext);
 *          1: the payload is a list of frames that this target encrypts
 *             with the right key first (fuzz_frames_encrypt):
 *               flags u8 | length u16le | bytes
 *             flags: bits 0-1 the secretstream tag (message, push, rekey,
 *             final), 0x04 zero-pad the chunk to STREAM_CHUNK, 0x08 append
 *             the bytes unencrypted.  So the chunk logic of the reader
 *             (short, missing, extra and misplaced final chunks, other tags,
 *             trailing bytes) and the zstd layer behind it see authentic
 *             chunks, which mutations of ciphertext never give.
 *   bit 1  0: a part (magic BKPPART, object index 1), output discarded;
 *          1: a manifest (magic BKPMANI, index 0), output decoded.
 *   bits 2-4: the read size of the consumer (see read_sizes).
 *   bits 5-6: what the seal says of the object: 0 its size and hash;
 *          1 half its size, 2 one byte more, 3 another hash; so that
 *          reading fails midway or at the end (error paths of every layer).
 *   bit 7  1: the read-ahead thread on top, as setreader has it (with
 *          small buffers, 2 x 4 KiB, so that its ring wraps often).
 *
 * A zstd frame can expand a few bytes to gigabytes: reading stops after
 * OUT_MAX bytes (the real reader streams parts and caps manifests at 4 GiB,
 * which only costs time).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "common.h"
#include "manifest.h"
#include "stream.h"

#define C_FRAMED 0x01
#define C_MANIFEST 0x02
#define C_SEAL(c) (((c) >> 5) & 3)
#define C_THREAD 0x80
#define OUT_MAX (16u << 20)
#define MANIFEST_OUT_MAX (4u << 20)

static const size_t read_sizes[8] = {
	65536, 1, 3, 100, 4096, 65537, 131072, 262144
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t subkey[32], ad[DATAKEY_AD_LEN], hash[32];
	const uint8_t *obj;
	uint8_t *framed = NULL, *buf;
	struct istream *is;
	struct manifest *m;
	struct wbuf w;
	const char *magic;
	uint64_t index;
	size_t objlen, rs, got, total = 0;
	int rc, manifest;

	if (size < 1)
		return 0;
	manifest = (data[0] & C_MANIFEST) != 0;
	magic = manifest ? FUZZ_MANIFEST_MAGIC : FUZZ_PART_MAGIC;
	index = manifest ? DATAKEY_OBJ_MANIFEST : DATAKEY_OBJ_PART(0);
	rs = read_sizes[(data[0] >> 2) & 7];
	if (data[0] & C_FRAMED) {
		framed = fuzz_frames_encrypt(magic, index, data + 1, size - 1,
		    &objlen);
		obj = framed;
	} else {
		obj = data + 1;
		objlen = size - 1;
	}
	fuzz_object_key(index, subkey, ad);
	crypto_generichash(hash, 32, obj, objlen, NULL, 0);
	hash[0] ^= C_SEAL(data[0]) == 3;
	is = istream_zstd_new(istream_decrypt_new(istream_hash_expect_new(
	    istream_memory_new(obj, objlen), hash,
	    C_SEAL(data[0]) == 1 ? objlen / 2 :
	    C_SEAL(data[0]) == 2 ? objlen + 1 : objlen, "fuzz/object"),
	    magic, subkey, ad, sizeof(ad), "fuzz/object"));
	if (data[0] & C_THREAD)
		is = istream_thread_new(is, 4096, 2);
	if (is == NULL || (buf = malloc(rs)) == NULL)
		fuzz_fail("object", "out of memory");
	wbuf_init(&w);
	for (;;) {
		if ((rc = istream_read(is, buf, rs, &got)) != 0)
			break;
		if (got > rs)
			fuzz_fail("object", "read returned more than asked");
		if (got == 0)
			break;
		total += got;
		if (manifest)
			wbuf_put(&w, buf, got);
		if (total > (manifest ? MANIFEST_OUT_MAX : OUT_MAX)) {
			rc = -1;
			break;
		}
	}
	if (manifest && rc == 0 && wbuf_status(&w) == 0 &&
	    manifest_decode(w.data, w.len, &m, "fuzz/manifest") == 0)
		manifest_free(m);
	wbuf_release(&w);
	free(buf);
	istream_free(is);
	free(framed);
	return 0;
}
