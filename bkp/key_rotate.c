/* key_rotate.c: re-sealing every set's data key to a new repository key
 * (the steps are in keyrotate.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "datakey.h"
#include "error.h"
#include "keyobj.h"
#include "keyrotate.h"
#include "keys.h"
#include "log.h"
#include "repolock.h"
#include "passphrase.h"
#include "repo.h"
#include "repogen.h"

struct rotation {
	const struct key_rotate_opts *o;
	struct repo *r;
	struct bkp_seckey *old, *new;
	char newname[KEYOBJ_NAME_LEN];	/* key.NEWID */
	int pass;			/* 1, then 2 */
	int retire;			/* this pass removes old objects */
	uint64_t resealed, done, retired, failed;
};

static int
write_pub(const char *path, const struct bkp_seckey *sec)
{
	struct bkp_pubkey pub, have;
	struct wbuf w;
	int rc;

	memcpy(pub.box_pk, sec->box_pk, 32);
	memcpy(pub.sign_pk, sec->sign_pk, 32);
	if (access(path, F_OK) == 0) {
		if ((rc = pubkey_load(path, &have)) != 0)
			return rc;
		if (memcmp(&have, &pub, sizeof(pub)) == 0)
			return 0;
		log_error("%s: not the public half of the new key beside it",
		    path);
		return -BKP_EKEY;
	}
	wbuf_init(&w);
	if ((rc = pubkey_encode(&pub, &w)) == 0)
		rc = keyfile_write(path, &w);
	wbuf_release(&w);
	return rc;
}

/* A new key pair that keeps the old key's signer. */
static int
make_key(const char *path, const struct bkp_seckey *old, const char *pass,
    size_t len, struct bkp_seckey **secp)
{
	struct bkp_seckey *sec = sodium_malloc(sizeof(*sec));
	struct wbuf w;
	int rc;

	if ((*secp = sec) == NULL)
		return -BKP_ENOMEM;
	crypto_box_keypair(sec->box_pk, sec->box_sk);
	memcpy(sec->sign_pk, old->sign_pk, 32);
	wbuf_init(&w);
	if ((rc = seckey_encode(sec, pass, len, &w)) == 0)
		rc = keyfile_write(path, &w);
	wbuf_release(&w);
	return rc;
}

/* Step 1: DIR/repo.key, made now or by the run that was interrupted. */
static int
new_key(struct rotation *rt)
{
	char path[PATH_MAX];
	char *pass = NULL;
	size_t len;
	int rc;

	if (mkdir(rt->o->out, 0700) != 0 && errno != EEXIST)
		return log_errno_code("%s: cannot create directory",
		    rt->o->out);
	snprintf(path, sizeof(path), "%s/repo.key", rt->o->out);
	if ((rc = passphrase_get_new(rt->o->newpass, &pass, &len)) != 0)
		return rc;
	if (access(path, F_OK) == 0) {
		log_info("%s exists: resuming the rotation to it", path);
		rc = seckey_load_pass(path, pass, len, &rt->new);
	} else
		rc = make_key(path, rt->old, pass, len, &rt->new);
	passphrase_free(pass);
	if (rc != 0)
		return rc;
	if (sodium_memcmp(rt->new->sign_pk, rt->old->sign_pk, 32) != 0 ||
	    sodium_memcmp(rt->new->box_pk, rt->old->box_pk, 32) == 0) {
		log_error("%s: %s; move it away", path, sodium_memcmp(
		    rt->new->box_pk, rt->old->box_pk, 32) == 0 ? "is the old "
		    "key itself" : "trusts another signing key than the old "
		    "key: not a rotation of it");
		return -BKP_EKEY;
	}
	snprintf(path, sizeof(path), "%s/repo.pub", rt->o->out);
	keyobj_name(rt->new->box_pk, rt->newname);
	return write_pub(path, rt->new);
}

/* Is the set's data key already there for the new key, and does it open?
 * 1 yes, 0 no (then it must be written), or a negative status. */
static int
has_new(struct rotation *rt, const char *setid, uint8_t **dk)
{
	uint8_t *data, pk[32];
	size_t len;
	int rc;

	*dk = NULL;
	if ((rc = keyobj_exists(rt->r, setid, "key")) == 1)
		rc = keyobj_get(rt->r, setid, "key", &data, &len);
	else if (rc == 0)
		rc = -BKP_ENOTFOUND;
	if (rc == 0) {
		rc = keyobj_sealed_to(data, len, pk, setid) == 0 &&
		    sodium_memcmp(pk, rt->new->box_pk, 32) == 0;
		free(data);
		if (rc)		/* written by a backup after the switch */
			return 1;
	} else if (rc != -BKP_ENOTFOUND)
		return rc;
	if ((rc = keyobj_exists(rt->r, setid, rt->newname)) <= 0)
		return rc;
	if ((rc = keyobj_open(rt->r, setid, NULL, rt->new, dk)) != 0)
		return rc;
	return 1;
}

/* Step 3 for one set: its data key, opened with the old key, sealed to
 * the new one, written once, and checked by opening it back. */
static int
reseal(struct rotation *rt, const char *setid)
{
	char path[REPO_PATH_MAX];
	uint8_t *dk = NULL, *back = NULL;
	struct wbuf w;
	int rc;

	if ((rc = keyobj_open(rt->r, setid, NULL, rt->old, &dk)) != 0)
		return rc;
	wbuf_init(&w);
	repo_set_path(setid, rt->newname, path);
	if ((rc = datakey_seal(dk, rt->new->box_pk, &w)) == 0 &&
	    (rc = transport_put(repo_transport(rt->r), path, w.data,
	    w.len)) == 0 &&
	    (rc = keyobj_open(rt->r, setid, NULL, rt->new, &back)) == 0 &&
	    sodium_memcmp(dk, back, 32) != 0) {
		log_error("%s/%s: reads back as another key", repo_url(rt->r),
		    path);
		rc = -BKP_ECORRUPT;
	}
	wbuf_release(&w);
	datakey_free(dk);
	datakey_free(back);
	return rc;
}

/* Step 4's removal: every key object of the set but the new key's. */
static int
retire(struct rotation *rt, const char *setid)
{
	struct keyobj_list l;
	char path[REPO_PATH_MAX];
	uint8_t *data, pk[32];
	size_t len;
	int rc;

	if ((rc = keyobj_list(rt->r, setid, &l)) != 0)
		return rc;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		if (strcmp(l.names[i], rt->newname) == 0)
			continue;
		if (strcmp(l.names[i], "key") == 0) {
			int mine;

			if ((rc = keyobj_get(rt->r, setid, "key", &data,
			    &len)) != 0)
				break;
			mine = keyobj_sealed_to(data, len, pk, setid) == 0 &&
			    sodium_memcmp(pk, rt->new->box_pk, 32) == 0;
			free(data);
			if (mine)
				continue;
		}
		repo_set_path(setid, l.names[i], path);
		if ((rc = transport_remove(repo_transport(rt->r), path)) == 0)
			rt->retired++;
	}
	keyobj_list_release(&l);
	return rc;
}

/* A failure that concerns one set (reported) rather than the run. */
static int
set_finding(int rc)
{
	return rc == -BKP_EKEY || rc == -BKP_ECORRUPT || rc == -BKP_ENOTFOUND;
}

static int
rotate_set(struct rotation *rt, const char *setid)
{
	struct keyobj_list l;
	uint8_t *dk;
	size_t n;
	int rc;

	if ((rc = keyobj_list(rt->r, setid, &l)) != 0)
		return rc == -BKP_ENOTFOUND ? 0 : rc;	/* pruned meanwhile */
	n = l.n;
	keyobj_list_release(&l);
	if (n == 0)	/* a run interrupted before its key: nothing to do */
		return 0;
	if ((rc = has_new(rt, setid, &dk)) < 0)
		goto finding;
	datakey_free(dk);
	if (rc == 1)
		rt->done += rt->pass == 1;
	else if ((rc = reseal(rt, setid)) == 0)
		rt->resealed++;
	else
		goto finding;
	return rt->retire ? retire(rt, setid) : 0;
finding:
	if (!set_finding(rc))
		return rc;
	log_error("%s: set %s was not re-sealed to the new key (see above); "
	    "its old key objects are kept", repo_url(rt->r), setid);
	rt->failed++;
	return 0;
}

static int
pass(struct rotation *rt)
{
	struct repo_setlist l;
	int rc;

	rt->pass++;
	rt->failed = 0;
	if ((rc = repo_list_sets(rt->r, &l)) != 0)
		return rc;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		log_progress("key rotate: set %zu of %zu", i + 1, l.n);
		rc = rotate_set(rt, l.ids[i]);
	}
	log_progress_end();
	repo_setlist_release(&l);
	return rc;
}

/* The repository's key must be the old one, or (when resuming) the new. */
static int
check_config(const struct rotation *rt)
{
	const struct repo_config *c = repo_config(rt->r);
	char have[KEY_ID_HEX], old[KEY_ID_HEX];

	if (sodium_memcmp(c->box_pk, rt->new->box_pk, 32) == 0 ||
	    sodium_memcmp(c->box_pk, rt->old->box_pk, 32) == 0)
		return 0;
	key_id(c->box_pk, have);
	key_id(rt->old->box_pk, old);
	log_error("%s: the repository's key is %s, not %s (%s)", rt->o->url,
	    have, old, rt->o->oldkey);
	return -BKP_EKEY;
}

/* Step 2, unless a run before did it. */
static int
switch_config(struct rotation *rt)
{
	struct repo_config c = *repo_config(rt->r);

	if (sodium_memcmp(c.box_pk, rt->new->box_pk, 32) == 0)
		return 0;
	memcpy(c.box_pk, rt->new->box_pk, 32);
	return repogen_update(rt->r, &c);
}

static void
report(const struct rotation *rt, int rc)
{
	char old[KEY_ID_HEX], new[KEY_ID_HEX], what[64], note[128];

	key_id(rt->old->box_pk, old);
	key_id(rt->new->box_pk, new);
	snprintf(what, sizeof(what), "key %s -> key %s", old, new);
	snprintf(note, sizeof(note), "%llu re-sealed, %llu done before, "
	    "%llu old key objects removed, %llu failed",
	    (unsigned long long)rt->resealed, (unsigned long long)rt->done,
	    (unsigned long long)rt->retired, (unsigned long long)rt->failed);
	audit_event("key.rotate", &(struct audit_fields){ .repo = rt->o->url,
	    .target = rt->o->out, .what = what, .note = note,
	    .count = rt->resealed, .status = rc });
	if (rc < 0)
		return;
	printf("%s: repository key is now %s (%s/repo.key, %s/repo.pub): "
	    "%s\n", rt->o->url, new, rt->o->out, rt->o->out, note);
	printf(rt->o->keep_old ? "the old key %s still opens the sets; run "
	    "again without --keep-old to remove its key objects\n" :
	    "the old key %s opens no set any more\n", old);
	printf("point [keys] public of the policies at %s/repo.pub\n",
	    rt->o->out);
}

int
key_rotate(const struct key_rotate_opts *o)
{
	struct rotation rt = { .o = o };
	int rc;

	if ((rc = seckey_load(o->oldkey, o->passfile, &rt.old)) != 0 ||
	    (rc = repo_open(o->url, o->topts, &rt.r)) != 0 ||
	    (rc = repolock_acquire(rt.r, REPOLOCK_SHARED, "key rotation")) !=
	    0 || (rc = new_key(&rt)) != 0 || (rc = check_config(&rt)) != 0 ||
	    (rc = switch_config(&rt)) != 0 || (rc = pass(&rt)) != 0)
		goto out;
	rt.retire = !o->keep_old;
	if ((rc = pass(&rt)) != 0)
		goto out;
	audit_ship_to(o->url, o->topts);
	rc = rt.failed ? BKP_EWARN : 0;
out:
	if (rt.old && rt.new)
		report(&rt, rc);
	repo_close(rt.r);
	seckey_free(rt.old);
	seckey_free(rt.new);
	return rc;
}
