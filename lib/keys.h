/* keys.h: repository and signing keys, and their files.
 *
 * A key pair set made by keygen: the repository key (X25519; the secret
 * half stored under a passphrase with Argon2id + XSalsa20-Poly1305) and the
 * signing key (Ed25519; stored in the clear, 0600, because unattended backups
 * sign with it).  The public file carries both public halves and is all a
 * backup host needs besides the signing key.
 *
 * Secret structures live in sodium_malloc memory; *_free wipes them.
 */
#ifndef BKP_KEYS_H
#define BKP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define KEY_ID_HEX 17		/* 8 bytes as hex, NUL */

struct bkp_pubkey {
	uint8_t box_pk[32];
	uint8_t sign_pk[32];
};

struct bkp_seckey {
	uint8_t box_pk[32];
	uint8_t box_sk[32];
	uint8_t sign_pk[32];	/* the signer this key's owner trusts */
};

struct bkp_signkey {
	uint8_t pk[32];
	uint8_t sk[64];
};

int keys_generate(struct bkp_seckey **sec, struct bkp_signkey **sig);
void seckey_free(struct bkp_seckey *sec);
void signkey_free(struct bkp_signkey *sig);
/* Short printable id of a public key (first 8 bytes of its BLAKE2b). */
void key_id(const uint8_t pk[32], char out[KEY_ID_HEX]);

/* Encodings (pure; name is used in messages). */
int pubkey_encode(const struct bkp_pubkey *pub, struct wbuf *w);
int pubkey_decode(const uint8_t *p, size_t n, struct bkp_pubkey *pub,
    const char *name);
int seckey_encode(const struct bkp_seckey *sec, const char *pass,
    size_t passlen, struct wbuf *w);
int seckey_decode(const uint8_t *p, size_t n, const char *pass,
    size_t passlen, struct bkp_seckey **sec, const char *name);
int signkey_encode(const struct bkp_signkey *sig, struct wbuf *w);
int signkey_decode(const uint8_t *p, size_t n, struct bkp_signkey **sig,
    const char *name);

/* Files.  Written O_EXCL|O_NOFOLLOW with mode 0600 (an existing file is an
 * error); secret files whose mode lets group or others read are refused. */
int keyfile_write(const char *path, const struct wbuf *w);
int pubkey_load(const char *path, struct bkp_pubkey *pub);
int seckey_load(const char *path, const char *passphrase_file,
    struct bkp_seckey **sec);
/* The same with the passphrase given (bkp key rotate, for the new key). */
int seckey_load_pass(const char *path, const char *pass, size_t passlen,
    struct bkp_seckey **sec);
int signkey_load(const char *path, struct bkp_signkey **sig);

#define KEYFILE_MAX 4096

#endif
