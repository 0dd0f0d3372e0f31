/* keys.c: key generation, key file encodings and key files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"

#define KEY_VERSION 1
#define CHECK_LEN 16

static const char PUB_MAGIC[8] = "BKPPUB\0\0";
static const char SEC_MAGIC[8] = "BKPSEC\0\0";
static const char SIG_MAGIC[8] = "BKPSIGN\0";

/* Argon2id limits we accept from a file: enough for any sane setting,
 * bounded so a hostile file cannot make us allocate without limit. */
#define OPSLIMIT_MAX 16ULL
#define MEMLIMIT_MAX (1ULL << 30)

void
seckey_free(struct bkp_seckey *sec)
{
	if (sec)
		sodium_free(sec);
}

void
signkey_free(struct bkp_signkey *sig)
{
	if (sig)
		sodium_free(sig);
}

int
keys_generate(struct bkp_seckey **secp, struct bkp_signkey **sigp)
{
	struct bkp_seckey *sec = sodium_malloc(sizeof(*sec));
	struct bkp_signkey *sig = sodium_malloc(sizeof(*sig));

	*secp = NULL;
	*sigp = NULL;
	if (sec == NULL || sig == NULL) {
		seckey_free(sec);
		signkey_free(sig);
		return -BKP_ENOMEM;
	}
	crypto_box_keypair(sec->box_pk, sec->box_sk);
	crypto_sign_keypair(sig->pk, sig->sk);
	memcpy(sec->sign_pk, sig->pk, 32);
	*secp = sec;
	*sigp = sig;
	return 0;
}

void
key_id(const uint8_t pk[32], char out[KEY_ID_HEX])
{
	uint8_t h[8];

	crypto_generichash(h, sizeof(h), pk, 32, NULL, 0);
	sodium_bin2hex(out, KEY_ID_HEX, h, sizeof(h));
}

/* A checksum over everything before it catches accidental damage in the
 * files that have no authenticator of their own. */
static void
put_check(struct wbuf *w)
{
	uint8_t c[CHECK_LEN];

	if (w->failed)
		return;
	crypto_generichash(c, sizeof(c), w->data, w->len, NULL, 0);
	wbuf_put(w, c, sizeof(c));
}

static int
check_ok(const uint8_t *p, size_t n)
{
	uint8_t c[CHECK_LEN];

	if (n < CHECK_LEN)
		return 0;
	crypto_generichash(c, sizeof(c), p, n - CHECK_LEN, NULL, 0);
	return sodium_memcmp(c, p + n - CHECK_LEN, CHECK_LEN) == 0;
}

static int
header_ok(struct rbuf *r, const char magic[8], const char *name,
    const char *kind)
{
	uint8_t m[8];
	uint32_t v;

	rbuf_get(r, m, 8);
	v = rbuf_u32(r);
	if (!rbuf_ok(r) || memcmp(m, magic, 8) != 0) {
		log_error("%s: not a bkp %s file", name, kind);
		return -BKP_EKEY;
	}
	if (v != KEY_VERSION) {
		log_error("%s: key file version %u is not supported (this bkp "
		    "reads version %d)", name, v, KEY_VERSION);
		return -BKP_EKEY;
	}
	return 0;
}

static int
damaged(const char *name)
{
	log_error("%s: key file is damaged (checksum or length wrong)", name);
	return -BKP_EKEY;
}

int
pubkey_encode(const struct bkp_pubkey *pub, struct wbuf *w)
{
	wbuf_put(w, PUB_MAGIC, 8);
	wbuf_u32(w, KEY_VERSION);
	wbuf_put(w, pub->box_pk, 32);
	wbuf_put(w, pub->sign_pk, 32);
	put_check(w);
	return wbuf_status(w);
}

int
pubkey_decode(const uint8_t *p, size_t n, struct bkp_pubkey *pub,
    const char *name)
{
	struct rbuf r;
	int rc;

	rbuf_init(&r, p, n);
	if ((rc = header_ok(&r, PUB_MAGIC, name, "public key")) != 0)
		return rc;
	rbuf_get(&r, pub->box_pk, 32);
	rbuf_get(&r, pub->sign_pk, 32);
	rbuf_ref(&r, CHECK_LEN);
	if (!rbuf_ok(&r) || r.left != 0 || !check_ok(p, n))
		return damaged(name);
	return 0;
}

int
signkey_encode(const struct bkp_signkey *sig, struct wbuf *w)
{
	wbuf_put(w, SIG_MAGIC, 8);
	wbuf_u32(w, KEY_VERSION);
	wbuf_put(w, sig->pk, 32);
	wbuf_put(w, sig->sk, 64);
	put_check(w);
	return wbuf_status(w);
}

int
signkey_decode(const uint8_t *p, size_t n, struct bkp_signkey **sigp,
    const char *name)
{
	struct bkp_signkey *sig;
	struct rbuf r;
	int rc;

	*sigp = NULL;
	rbuf_init(&r, p, n);
	if ((rc = header_ok(&r, SIG_MAGIC, name, "signing key")) != 0)
		return rc;
	if ((sig = sodium_malloc(sizeof(*sig))) == NULL)
		return -BKP_ENOMEM;
	rbuf_get(&r, sig->pk, 32);
	rbuf_get(&r, sig->sk, 64);
	rbuf_ref(&r, CHECK_LEN);
	if (!rbuf_ok(&r) || r.left != 0 || !check_ok(p, n) ||
	    sodium_memcmp(sig->sk + 32, sig->pk, 32) != 0) {
		signkey_free(sig);
		return damaged(name);
	}
	*sigp = sig;
	return 0;
}

/* The secret file: magic | version | box_pk | salt | opslimit | memlimit |
 * nonce | secretbox(box_sk || sign_pk).  The public halves in the clear are
 * for display; what is used comes from the authenticated box. */
#define SEC_PLAIN 64

static int
derive(uint8_t key[32], const char *pass, size_t passlen,
    const uint8_t salt[crypto_pwhash_SALTBYTES], uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, 32, pass, passlen, salt, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -BKP_ENOMEM;
	return 0;
}

int
seckey_encode(const struct bkp_seckey *sec, const char *pass, size_t passlen,
    struct wbuf *w)
{
	uint8_t salt[crypto_pwhash_SALTBYTES];
	uint8_t nonce[crypto_secretbox_NONCEBYTES];
	uint8_t ct[SEC_PLAIN + crypto_secretbox_MACBYTES];
	uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	uint64_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	uint8_t *key = NULL, *plain = NULL;
	int rc = -BKP_ENOMEM;

	if ((key = sodium_malloc(32)) == NULL ||
	    (plain = sodium_malloc(SEC_PLAIN)) == NULL)
		goto out;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if ((rc = derive(key, pass, passlen, salt, ops, mem)) != 0)
		goto out;
	memcpy(plain, sec->box_sk, 32);
	memcpy(plain + 32, sec->sign_pk, 32);
	crypto_secretbox_easy(ct, plain, SEC_PLAIN, nonce, key);
	wbuf_put(w, SEC_MAGIC, 8);
	wbuf_u32(w, KEY_VERSION);
	wbuf_put(w, sec->box_pk, 32);
	wbuf_put(w, salt, sizeof(salt));
	wbuf_u64(w, ops);
	wbuf_u64(w, mem);
	wbuf_put(w, nonce, sizeof(nonce));
	wbuf_put(w, ct, sizeof(ct));
	rc = wbuf_status(w);
out:
	if (plain)
		sodium_free(plain);
	if (key)
		sodium_free(key);
	return rc;
}

int
seckey_decode(const uint8_t *p, size_t n, const char *pass, size_t passlen,
    struct bkp_seckey **secp, const char *name)
{
	struct bkp_seckey *sec = NULL;
	uint8_t salt[crypto_pwhash_SALTBYTES], box_pk[32], pk[32];
	const uint8_t *nonce, *ct;
	uint8_t *key = NULL, *plain = NULL;
	uint64_t ops, mem;
	struct rbuf r;
	int rc;

	*secp = NULL;
	rbuf_init(&r, p, n);
	if ((rc = header_ok(&r, SEC_MAGIC, name, "secret key")) != 0)
		return rc;
	rbuf_get(&r, box_pk, 32);
	rbuf_get(&r, salt, sizeof(salt));
	ops = rbuf_u64(&r);
	mem = rbuf_u64(&r);
	nonce = rbuf_ref(&r, crypto_secretbox_NONCEBYTES);
	ct = rbuf_ref(&r, SEC_PLAIN + crypto_secretbox_MACBYTES);
	if (!rbuf_ok(&r) || r.left != 0 ||
	    ops < crypto_pwhash_OPSLIMIT_MIN || ops > OPSLIMIT_MAX ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > MEMLIMIT_MAX ||
	    mem % 1024 != 0)	/* Argon2 counts KiB: other bits unused */
		return damaged(name);
	rc = -BKP_ENOMEM;
	if ((key = sodium_malloc(32)) == NULL ||
	    (plain = sodium_malloc(SEC_PLAIN)) == NULL ||
	    (sec = sodium_malloc(sizeof(*sec))) == NULL)
		goto out;
	if ((rc = derive(key, pass, passlen, salt, ops, mem)) != 0)
		goto out;
	if (crypto_secretbox_open_easy(plain, ct,
	    SEC_PLAIN + crypto_secretbox_MACBYTES, nonce, key) != 0) {
		log_error("%s: wrong passphrase, or the key file is damaged",
		    name);
		rc = -BKP_EKEY;
		goto out;
	}
	memcpy(sec->box_sk, plain, 32);
	memcpy(sec->sign_pk, plain + 32, 32);
	crypto_scalarmult_base(pk, sec->box_sk);
	if (sodium_memcmp(pk, box_pk, 32) != 0) {
		rc = damaged(name);
		goto out;
	}
	memcpy(sec->box_pk, pk, 32);
	*secp = sec;
	sec = NULL;
	rc = 0;
out:
	seckey_free(sec);
	if (plain)
		sodium_free(plain);
	if (key)
		sodium_free(key);
	return rc;
}

int
keyfile_write(const char *path, const struct wbuf *w)
{
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		if (errno == EEXIST) {
			log_error("%s: already exists; bkp never overwrites a "
			    "key (move it away first)", path);
			return -BKP_EKEY;
		}
		return log_errno_code("%s: cannot create key file", path);
	}
	if (write(fd, w->data, w->len) != (ssize_t)w->len || fsync(fd) != 0)
		rc = log_errno_code("%s: cannot write key file", path);
	if (close(fd) != 0 && rc == 0)
		rc = log_errno_code("%s: cannot write key file", path);
	if (rc != 0)
		unlink(path);
	return rc;
}

/* Reads a whole key file; a secret one must not be readable by others. */
static int
keyfile_read(const char *path, int secret, uint8_t *buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return log_errno_code("%s: cannot open key file", path);
	if (fstat(fd, &st) != 0) {
		rc = log_errno_code("%s: cannot open key file", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", path);
		rc = -BKP_EKEY;
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		log_error("%s: secret key file is accessible by group or "
		    "others (mode %04o); run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		rc = -BKP_EKEY;
		goto out;
	}
	if ((n = read(fd, buf, KEYFILE_MAX)) < 0) {
		rc = log_errno_code("%s: cannot read key file", path);
		goto out;
	}
	*len = (size_t)n;
out:
	close(fd);
	return rc;
}

int
pubkey_load(const char *path, struct bkp_pubkey *pub)
{
	uint8_t buf[KEYFILE_MAX];
	size_t n;
	int rc;

	if ((rc = keyfile_read(path, 0, buf, &n)) != 0)
		return rc;
	return pubkey_decode(buf, n, pub, path);
}

int
signkey_load(const char *path, struct bkp_signkey **sig)
{
	uint8_t *buf;
	size_t n;
	int rc;

	*sig = NULL;
	if ((buf = sodium_malloc(KEYFILE_MAX)) == NULL)
		return -BKP_ENOMEM;
	if ((rc = keyfile_read(path, 1, buf, &n)) == 0)
		rc = signkey_decode(buf, n, sig, path);
	sodium_free(buf);
	return rc;
}

int
seckey_load_pass(const char *path, const char *pass, size_t passlen,
    struct bkp_seckey **sec)
{
	uint8_t buf[KEYFILE_MAX];
	size_t n;
	int rc;

	*sec = NULL;
	if ((rc = keyfile_read(path, 1, buf, &n)) != 0)
		return rc;
	return seckey_decode(buf, n, pass, passlen, sec, path);
}

int
seckey_load(const char *path, const char *passphrase_file,
    struct bkp_seckey **sec)
{
	uint8_t buf[KEYFILE_MAX];
	char *pass = NULL;
	size_t n, passlen;
	int rc;

	*sec = NULL;
	if ((rc = keyfile_read(path, 1, buf, &n)) != 0)
		return rc;
	if ((rc = passphrase_get(passphrase_file, 0, &pass, &passlen)) != 0)
		return rc;
	rc = seckey_decode(buf, n, pass, passlen, sec, path);
	passphrase_free(pass);
	return rc;
}
