/* copy_dest.c: the destination of a copy: the same repository, or a new
 * one set up as a copy of the source's config generations; the key
 * objects of a key rotation kept in step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "copy.h"
#include "datakey.h"
#include "error.h"
#include "keyobj.h"
#include "log.h"
#include "repogen.h"
#include "repolock.h"

static int
refuse_foreign(void *arg, const char *name)
{
	if (strncmp(name, ".tmp.", 5) == 0)
		return 0;	/* an interrupted first copy's config */
	log_error("%s: not a bkp repository and not empty (found %s); a copy "
	    "goes to a repository of the same id or to a new or empty "
	    "directory", (const char *)arg, name);
	return -BKP_EREPO;
}

/* Config generation gen of the source at the destination too: copied
 * when missing; one that differs is another repository's (or altered). */
static int
sync_config(struct repo *src, struct transport *t, const char *url,
    uint32_t gen)
{
	uint8_t *a = NULL, *b = NULL;
	size_t na, nb;
	uint64_t size;
	char name[32];
	int rc;

	repogen_name(gen, name);
	if ((rc = transport_stat(repo_transport(src), name, &size)) != 0)
		return rc == -BKP_ENOTFOUND ? 0 : rc;
	if ((rc = transport_get(repo_transport(src), name, REPO_CONFIG_MAX,
	    &a, &na)) != 0)
		return rc;
	if ((rc = transport_stat(t, name, &size)) == -BKP_ENOTFOUND)
		rc = transport_put(t, name, a, na);
	else if (rc == 0 && (rc = transport_get(t, name, REPO_CONFIG_MAX, &b,
	    &nb)) == 0 && (na != nb || memcmp(a, b, na) != 0)) {
		log_error("%s/%s differs from %s/%s: not the same repository, "
		    "or one of them was altered", url, name, repo_url(src),
		    name);
		rc = -BKP_EREPO;
	}
	free(a);
	free(b);
	return rc;
}

/* Every config generation of the source, oldest first (a key rotation or
 * a change of signers at the source reaches the copies). */
static int
sync_configs(struct repo *src, struct transport *t, const char *url)
{
	struct repo_config c;
	uint32_t newest;
	int rc;

	if ((rc = repogen_load(repo_transport(src), repo_url(src), &c,
	    &newest)) != 0)
		return rc;
	for (uint32_t g = 0; g <= newest && rc == 0; g++)
		rc = sync_config(src, t, url, g);
	return rc;
}

static int
same_id(struct repo *src, const uint8_t id[REPO_ID_LEN], const char *url)
{
	char a[REPO_ID_HEX], b[REPO_ID_HEX];

	repo_id_hex(src, a);
	sodium_bin2hex(b, sizeof(b), id, REPO_ID_LEN);
	if (strcmp(a, b) == 0)
		return 0;
	log_error("%s: repository %s, but the source %s is repository %s; a "
	    "copy goes only to a repository of the same id or to a new one",
	    url, b, repo_url(src), a);
	return -BKP_EREPO;
}

/* The destination's config must be for the source's repository. */
static int
check_id(struct repo *src, struct transport *t, const char *url)
{
	struct repo_config c;
	int rc;

	if ((rc = repogen_load(t, url, &c, NULL)) != 0)
		return rc;
	return same_id(src, c.id, url);
}

int
copy_open_dest(struct repo *src, const char *url,
    const struct transport_opts *opts, struct repo **dst)
{
	struct transport_opts o = { 0 };
	struct transport *t = NULL;
	char what[128];
	uint64_t size;
	int rc;

	*dst = NULL;
	if (opts != NULL)
		o = *opts;
	o.create = 1;
	if ((rc = transport_open(url, &o, &t)) != 0)
		return rc;
	rc = transport_stat(t, "config", &size);
	if (rc == -BKP_ENOTFOUND)
		rc = transport_list(t, "", refuse_foreign, (void *)url);
	else if (rc == 0)
		rc = check_id(src, t, url);
	if (rc == 0 && (rc = sync_configs(src, t, url)) == 0)
		rc = transport_mkdir(t, "sets");
	transport_close(t);
	if (rc != 0 || (rc = repo_open(url, opts, dst)) != 0)
		return rc;
	snprintf(what, sizeof(what), "copy from %s", repo_url(src));
	if ((rc = same_id(src, repo_config(*dst)->id, url)) != 0 ||
	    (rc = repolock_acquire(*dst, REPOLOCK_SHARED, what)) != 0) {
		repo_close(*dst);
		*dst = NULL;
	}
	return rc;
}

int
copy_keyobj(struct repo *src, struct repo *dst, const char *setid,
    const char *name)
{
	struct transport *t = repo_transport(dst);
	char path[REPO_PATH_MAX];
	uint8_t *a = NULL, *b = NULL;
	size_t na, nb;
	uint64_t size;
	int rc;

	repo_set_path(setid, name, path);
	if ((rc = transport_get(repo_transport(src), path, DATAKEY_MAX, &a,
	    &na)) != 0)
		return rc;
	if ((rc = transport_stat(t, path, &size)) == 0 &&
	    (rc = transport_get(t, path, DATAKEY_MAX, &b, &nb)) == 0) {
		rc = nb == na && memcmp(a, b, na) == 0 ? 1 :
		    transport_remove(t, path);
		free(b);
	}
	if ((rc == 0 || rc == -BKP_ENOTFOUND) &&
	    (rc = transport_put(t, path, a, na)) == 0)
		rc = 1;
	else if (rc == 1)
		rc = 0;
	free(a);
	return rc;
}

static int
listed(const struct keyobj_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 1;
	return 0;
}

/* One set at both ends: the key.KEYID objects the source has are copied,
 * and the key objects it no longer has are removed (a rotation that
 * dropped the old key drops it from the copies too). */
static int
sync_set_keys(struct repo *src, struct repo *dst, const char *setid)
{
	struct keyobj_list s, d;
	char path[REPO_PATH_MAX];
	int rc;

	if ((rc = keyobj_list(src, setid, &s)) != 0)
		return rc;
	if ((rc = keyobj_list(dst, setid, &d)) == 0) {
		for (size_t i = 0; i < s.n && rc >= 0; i++)
			if (strcmp(s.names[i], "key") != 0)
				rc = copy_keyobj(src, dst, setid, s.names[i]);
		for (size_t i = 0; i < d.n && rc >= 0; i++)
			if (s.n > 0 && !listed(&s, d.names[i])) {
				repo_set_path(setid, d.names[i], path);
				rc = transport_remove(repo_transport(dst), path);
			}
		keyobj_list_release(&d);
	}
	keyobj_list_release(&s);
	return rc < 0 ? rc : 0;
}

int
copy_sync_keys(struct repo *src, struct repo *dst,
    const struct repo_setlist *from, const struct repo_setlist *to)
{
	struct repo_config c;
	uint32_t newest;
	int rc;

	/* Only a repository whose keys changed has anything to sync. */
	if ((rc = repogen_load(repo_transport(src), repo_url(src), &c,
	    &newest)) != 0 || newest == 0)
		return rc;
	for (size_t i = 0; i < from->n && rc == 0; i++)
		for (size_t j = 0; j < to->n && rc == 0; j++)
			if (from->sealed[i] && to->sealed[j] &&
			    strcmp(from->ids[i], to->ids[j]) == 0)
				rc = sync_set_keys(src, dst, from->ids[i]);
	return rc;
}
