/* repo.h: a repository: its config object, layout and set listing.
 *
 * Layout (docs/FORMAT.md):
 *   config                  repository id, format version, public keys
 *   sets/ID/key             the set's data key, sealed to the public key
 *   sets/ID/part-NNNNNN     encrypted pax+zstd parts
 *   sets/ID/manifest        encrypted manifest (the whole tree)
 *   sets/ID/seal            signed commit record, written last
 *   locks/ID                repository locks (repolock.h), made on demand
 */
#ifndef BKP_REPO_H
#define BKP_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "transport.h"

#define REPO_ID_LEN 16
#define REPO_ID_HEX (2 * REPO_ID_LEN + 1)
#define REPO_FORMAT_VERSION 1
#define REPO_MAX_SIGNERS 64
/* "20261121T205810Z-1a2b3c4d" */
#define SETID_LEN 25
#define REPO_PATH_MAX 128

struct repo;
struct repolock;

struct repo_config {
	uint8_t id[REPO_ID_LEN];
	uint8_t box_pk[32];
	uint32_t nsigners;
	uint8_t signers[REPO_MAX_SIGNERS][32];
	/* Signing keys revoked by bkp key revoke: their seals are trusted by
	 * no reader (docs/FORMAT.md, "Key rotation and revocation"). */
	uint32_t nrevoked;
	uint8_t revoked[REPO_MAX_SIGNERS][32];
};

/* Pure encodings of the config object. */
int repo_config_encode(const struct repo_config *c, struct wbuf *w);
int repo_config_decode(const uint8_t *p, size_t n, struct repo_config *c,
    const char *name);

/* Creates a repository at url for the given public keys.  Refuses a
 * directory that holds anything but an empty repository-to-be. */
int repo_init(const char *url, const struct transport_opts *opts,
    const struct bkp_pubkey *pub, char id_hex[REPO_ID_HEX]);
int repo_open(const char *url, const struct transport_opts *opts,
    struct repo **r);
/* Also removes the repository lock this process holds on r, if any. */
void repo_close(struct repo *r);

struct transport *repo_transport(struct repo *r);
/* For repolock.c: the lock held on r (NULL: none). */
struct repolock *repo_held_lock(const struct repo *r);
void repo_set_held_lock(struct repo *r, struct repolock *l);
const struct repo_config *repo_config(const struct repo *r);
const char *repo_url(const struct repo *r);
void repo_id_hex(const struct repo *r, char out[REPO_ID_HEX]);
/* 1 if pk is one of the repository's trusted signers. */
int repo_trusts_signer(const struct repo *r, const uint8_t pk[32]);
/* 1 if pk is in the config's revoked list. */
int repo_signer_revoked(const struct repo *r, const uint8_t pk[32]);

/* A new set id from the time (UTC) and randomness. */
void repo_new_setid(int64_t now_ns, char id[SETID_LEN + 1]);
/* 1 if s looks like a set id (only its exact shape is accepted). */
int repo_setid_valid(const char *s);
/* "sets/ID/NAME" into out (REPO_PATH_MAX). */
void repo_set_path(const char *setid, const char *name, char *out);
void repo_part_name(uint32_t index, char out[32]);

/* Deletes a set: its seal first (so a half-deleted set is invisible, never
 * half-readable), then its data key objects (key, and key.KEYID written by
 * key rotation: after which no copy of its parts can be decrypted), then
 * everything else, then its directory. */
int repo_delete_set(struct repo *r, const char *setid);

/* The ids of all sets in the repository, sealed or not, sorted by id;
 * sealed[i] says whether set i has its seal. */
struct repo_setlist {
	char (*ids)[SETID_LEN + 1];
	uint8_t *sealed;
	size_t n;
};
int repo_list_sets(struct repo *r, struct repo_setlist *l);
void repo_setlist_release(struct repo_setlist *l);

#endif
