/* keyobj.c: finding and opening the data key object of a set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "datakey.h"
#include "error.h"
#include "keyobj.h"
#include "log.h"

static const char DKEY_MAGIC[8] = "BKPDKEY\0";

void
keyobj_name(const uint8_t box_pk[32], char out[KEYOBJ_NAME_LEN])
{
	char id[KEY_ID_HEX];

	key_id(box_pk, id);
	snprintf(out, KEYOBJ_NAME_LEN, "key.%s", id);
}

int
keyobj_is_name(const char *name)
{
	if (strcmp(name, "key") == 0)
		return 1;
	if (strncmp(name, "key.", 4) != 0 || strlen(name) != 4 + 16)
		return 0;
	for (const char *p = name + 4; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

int
keyobj_exists(struct repo *r, const char *setid, const char *name)
{
	char path[REPO_PATH_MAX];
	int rc;

	repo_set_path(setid, name, path);
	rc = transport_stat(repo_transport(r), path, &(uint64_t){0});
	if (rc == -BKP_ENOTFOUND)
		return 0;
	return rc == 0 ? 1 : rc;
}

int
keyobj_get(struct repo *r, const char *setid, const char *name,
    uint8_t **data, size_t *len)
{
	char path[REPO_PATH_MAX];

	repo_set_path(setid, name, path);
	return transport_get(repo_transport(r), path, DATAKEY_MAX, data, len);
}

int
keyobj_sealed_to(const uint8_t *p, size_t n, uint8_t box_pk[32],
    const char *label)
{
	if (n < 8 + 4 + 32 || memcmp(p, DKEY_MAGIC, 8) != 0) {
		log_error("%s: not a data key object", label);
		return -BKP_ECORRUPT;
	}
	memcpy(box_pk, p + 12, 32);
	return 0;
}

/* Opens data as the key object name, which must be sealed to sec. */
static int
open_data(struct repo *r, const char *setid, const char *name,
    const uint8_t *data, size_t len, const struct seal_object *sealed,
    const struct bkp_seckey *sec, uint8_t **datakey)
{
	char label[1024];
	uint8_t hash[32];

	snprintf(label, sizeof(label), "%s/sets/%s/%s", repo_url(r), setid,
	    name);
	if (sealed) {
		crypto_generichash(hash, 32, data, len, NULL, 0);
		if (len != sealed->size ||
		    sodium_memcmp(hash, sealed->hash, 32) != 0) {
			log_error("%s: does not match its seal (damaged or "
			    "replaced)", label);
			return -BKP_ECORRUPT;
		}
	}
	return datakey_open(data, len, sec, datakey, label);
}

/* Explains why there is no key object for sec, naming the keys the set's
 * data key is sealed to (other: the one `key` is sealed to, or NULL). */
static int
no_key_for(struct repo *r, const char *setid, const struct bkp_seckey *sec,
    const uint8_t *other)
{
	char mine[KEY_ID_HEX], ids[200] = "";
	struct keyobj_list l;
	size_t n = 0;

	key_id(sec->box_pk, mine);
	if (other) {
		key_id(other, ids);
		n = strlen(ids);
	}
	if (keyobj_list(r, setid, &l) == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (strcmp(l.names[i], "key") != 0 &&
			    n + 20 < sizeof(ids))
				n += (size_t)snprintf(ids + n, sizeof(ids) - n,
				    "%s%s", n ? ", " : "", l.names[i] + 4);
		keyobj_list_release(&l);
	}
	if (n == 0) {
		log_error("%s/sets/%s: the set has no data key object: its "
		    "data key was destroyed, and its parts cannot be "
		    "decrypted by any key", repo_url(r), setid);
		return -BKP_ENOTFOUND;
	}
	log_error("%s/sets/%s: no data key for key %s: the set's data key is "
	    "sealed to key %s only (use the repository's current secret key, "
	    "or the key it was rotated to)", repo_url(r), setid, mine, ids);
	return -BKP_EKEY;
}

/* The rotated key object of sec: key.KEYID. */
static int
open_rotated(struct repo *r, const char *setid, const struct bkp_seckey *sec,
    const uint8_t *other, uint8_t **datakey)
{
	char name[KEYOBJ_NAME_LEN];
	uint8_t *data;
	size_t len;
	int rc;

	keyobj_name(sec->box_pk, name);
	if ((rc = keyobj_exists(r, setid, name)) == 0)
		return no_key_for(r, setid, sec, other);
	if (rc < 0 || (rc = keyobj_get(r, setid, name, &data, &len)) != 0)
		return rc;
	rc = open_data(r, setid, name, data, len, NULL, sec, datakey);
	free(data);
	return rc;
}

int
keyobj_open(struct repo *r, const char *setid,
    const struct seal_object *sealed, const struct bkp_seckey *sec,
    uint8_t **datakey)
{
	uint8_t *data = NULL, pk[32];
	char label[1024];
	size_t len;
	int rc;

	*datakey = NULL;
	snprintf(label, sizeof(label), "%s/sets/%s/key", repo_url(r), setid);
	if ((rc = keyobj_exists(r, setid, "key")) == 0)
		return open_rotated(r, setid, sec, NULL, datakey);
	if (rc < 0 || (rc = keyobj_get(r, setid, "key", &data, &len)) != 0)
		return rc;
	if ((rc = keyobj_sealed_to(data, len, pk, label)) == 0) {
		if (sodium_memcmp(pk, sec->box_pk, 32) == 0)
			rc = open_data(r, setid, "key", data, len, sealed, sec,
			    datakey);
		else
			rc = open_rotated(r, setid, sec, pk, datakey);
	}
	free(data);
	return rc;
}

static int
add_name(void *arg, const char *name)
{
	struct keyobj_list *l = arg;
	void *p;

	if (!keyobj_is_name(name))
		return 0;
	if ((p = realloc(l->names, (l->n + 1) * sizeof(*l->names))) == NULL)
		return -BKP_ENOMEM;
	l->names = p;
	snprintf(l->names[l->n++], KEYOBJ_NAME_LEN, "%s", name);
	return 0;
}

int
keyobj_list(struct repo *r, const char *setid, struct keyobj_list *l)
{
	char dir[REPO_PATH_MAX];
	int rc;

	memset(l, 0, sizeof(*l));
	snprintf(dir, sizeof(dir), "sets/%s", setid);
	if ((rc = transport_list(repo_transport(r), dir, add_name, l)) != 0)
		keyobj_list_release(l);
	return rc;
}

void
keyobj_list_release(struct keyobj_list *l)
{
	free(l->names);
	memset(l, 0, sizeof(*l));
}
