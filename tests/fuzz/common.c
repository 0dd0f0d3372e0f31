/* common.c: fixed keys and helpers of the fuzz targets and mkseeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "common.h"
#include "stream.h"

struct fuzz_keys fuzz_k;

static void
label_seed(uint8_t out[32], const char *label)
{
	crypto_generichash(out, 32, (const uint8_t *)label, strlen(label),
	    NULL, 0);
}

void
fuzz_init(void)
{
	uint8_t seed[32], sk[64];

	if (sodium_init() < 0)
		fuzz_fail("init", "sodium_init failed");
	label_seed(seed, "bkp fuzz: trusted signing key");
	crypto_sign_seed_keypair(fuzz_k.sig.pk, fuzz_k.sig.sk, seed);
	label_seed(seed, "bkp fuzz: other signing key");
	crypto_sign_seed_keypair(fuzz_k.other_pk, sk, seed);
	label_seed(seed, "bkp fuzz: repository key");
	crypto_box_seed_keypair(fuzz_k.sec.box_pk, fuzz_k.sec.box_sk, seed);
	memcpy(fuzz_k.sec.sign_pk, fuzz_k.sig.pk, 32);
	label_seed(fuzz_k.datakey, "bkp fuzz: data key");
}

/* libFuzzer's start-up hook for every target: fuzz_init.  Weak, so that a
 * target needing more (fuzz_seal) defines its own. */
__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

void
fuzz_object_key(uint64_t index, uint8_t subkey[32],
    uint8_t ad[DATAKEY_AD_LEN])
{
	datakey_subkey(fuzz_k.datakey, index, subkey);
	datakey_ad(FUZZ_SETID, index, ad);
}

/* Bounds the bytes a frame list may expand to (zero padding). */
#define FRAMES_MAX (4u << 20)

uint8_t *
fuzz_frames_encrypt(const char *magic, uint64_t index, const uint8_t *p,
    size_t n, size_t *outlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t subkey[32], ad[16 + DATAKEY_AD_LEN];
	uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	uint8_t *plain, *cipher;
	unsigned long long clen;
	struct wbuf w;

	/* The envelope as docs/FORMAT.md and lib/stream_crypt.c define it:
	 * magic[8] | version u32 | flags u32 | secretstream header | chunks,
	 * every chunk bound to those 16 bytes and the object's AD. */
	wbuf_init(&w);
	memcpy(ad, magic, STREAM_MAGIC_LEN);
	put_le32(ad + 8, STREAM_VERSION);
	put_le32(ad + 12, 0);
	fuzz_object_key(index, subkey, ad + 16);
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, subkey);
	wbuf_put(&w, ad, 16);
	wbuf_put(&w, hdr, sizeof(hdr));
	plain = calloc(1, STREAM_CHUNK);
	cipher = malloc(STREAM_CHUNK +
	    crypto_secretstream_xchacha20poly1305_ABYTES);
	if (plain == NULL || cipher == NULL)
		fuzz_fail("frames", "out of memory");
	while (n > 0 && w.len < FRAMES_MAX) {
		uint8_t flags = p[0];
		size_t len = n >= 3 ? (size_t)p[1] | (size_t)p[2] << 8 : 0;
		size_t plen;

		p += n >= 3 ? 3 : n;
		n -= n >= 3 ? 3 : n;
		if (len > n)
			len = n;
		if (flags & FRAME_RAW) {
			wbuf_put(&w, p, len);
		} else {
			memcpy(plain, p, len);
			plen = len;
			if (flags & FRAME_PAD) {
				memset(plain + len, 0, STREAM_CHUNK - len);
				plen = STREAM_CHUNK;
			}
			crypto_secretstream_xchacha20poly1305_push(&st, cipher,
			    &clen, plain, plen, ad, sizeof(ad),
			    flags & FRAME_TAG_MASK);
			wbuf_put(&w, cipher, (size_t)clen);
		}
		p += len;
		n -= len;
	}
	free(plain);
	free(cipher);
	sodium_memzero(subkey, sizeof(subkey));
	if (w.failed)
		fuzz_fail("frames", "out of memory");
	*outlen = w.len;
	return w.data;
}

void
fuzz_fail(const char *target, const char *what)
{
	/* stderr may be closed (-close_fd_mask=2): the abort's stack trace
	 * in the sanitizer report names the failed check as well. */
	fprintf(stderr, "%s: oracle failed: %s\n", target, what);
	abort();
}
