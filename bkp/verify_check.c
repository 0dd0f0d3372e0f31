/* verify_check.c: the checks that need no restore: seals, object sizes,
 * manifest references, ciphertext hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "keyobj.h"
#include "log.h"
#include "setreader.h"
#include "transport.h"
#include "verify.h"

#define HASH_BLOCK (1 << 20)

/* What a seal loaded with status rc makes of s. */
static int
seal_loaded(struct verify *v, struct vset *s, int rc)
{
	if (rc == 0) {
		if ((s->part_ok = calloc(s->seal.nparts + 1, 1)) == NULL) {
			seal_release(&s->seal);
			return -BKP_ENOMEM;
		}
		s->ok = 1;
		return 0;
	}
	if (!verify_is_finding(rc))
		return rc;
	/* Reported by the seal reader; a set that is only referenced is
	 * counted as its referrer's problem. */
	if (s->chosen)
		verify_problem(v, s, "seal", rc == -BKP_ENOTFOUND ? "missing" :
		    "signature", NULL);
	return 0;
}

int
verify_load_seal(struct verify *v, struct vset *s)
{
	if (s->loaded)
		return 0;
	s->loaded = 1;
	if (!s->sealed)
		return 0;
	return seal_loaded(v, s, setreader_load_seal(v->repo, s->id,
	    v->trusted, v->ntrusted, &s->seal));
}

static int
pending(const struct vset *s)
{
	return s->chosen && s->sealed && !s->loaded;
}

int
verify_load_chosen_seals(struct verify *v)
{
	const char **ids = calloc(v->nsets + 1, sizeof(*ids));
	struct seal_batch b;
	size_t n = 0, k = 0;
	int rc = -BKP_ENOMEM;

	for (size_t i = 0; ids != NULL && i < v->nsets; i++)
		if (pending(&v->sets[i]))
			ids[n++] = v->sets[i].id;
	if (ids != NULL && (rc = setreader_get_seals(v->repo, ids, n,
	    &b)) == 0) {
		for (size_t i = 0; rc == 0 && i < v->nsets; i++) {
			struct vset *s = &v->sets[i];

			if (!pending(s))
				continue;
			s->loaded = 1;
			rc = b.rcs[k] != 0 ? b.rcs[k] : setreader_decode_seal(
			    v->repo, s->id, b.datas[k], b.lens[k], v->trusted,
			    v->ntrusted, &s->seal);
			k++;
			rc = seal_loaded(v, s, rc);
		}
		seal_batch_release(&b);
	}
	free(ids);
	return rc;
}

/* The objects of a set stated at once (over SFTP, a round trip for many):
 * the key and manifest, then the parts STAT_CHUNK at a time. */
#define STAT_CHUNK 256

struct stats {
	char paths[STAT_CHUNK][REPO_PATH_MAX];
	const char *p[STAT_CHUNK];
	uint64_t sizes[STAT_CHUNK];
	int rcs[STAT_CHUNK];
};

/* Is object k of st there with the size its seal lists?  *ok says. */
static void
check_object(struct verify *v, struct vset *s, const struct stats *st,
    size_t k, const char *label, const struct seal_object *o, uint8_t *ok)
{
	*ok = 0;
	if (st->rcs[k] == -BKP_ENOTFOUND) {
		verify_problem(v, s, label, "missing", "missing from the "
		    "repository (%s)", st->paths[k]);
		return;
	}
	v->objects++;
	if (st->sizes[k] != o->size) {
		verify_problem(v, s, label, "size", "%llu bytes, the seal says "
		    "%llu", (unsigned long long)st->sizes[k],
		    (unsigned long long)o->size);
		return;
	}
	*ok = 1;
}

/* The key object as its seal lists it (st's first object); or, once a key
 * rotation removed it, the key.KEYID objects the rotation wrote (key_ok
 * 2: they are not in the seal, and the data key they hold is checked by
 * decrypting). */
static int
check_key(struct verify *v, struct vset *s, const struct stats *st)
{
	struct keyobj_list l;
	size_t n;
	int rc;

	if (st->rcs[0] == -BKP_ENOTFOUND) {
		if ((rc = keyobj_list(v->repo, s->id, &l)) != 0)
			return rc;
		n = l.n;
		keyobj_list_release(&l);
		if (n > 0) {
			v->objects += n;
			s->key_ok = 2;
			return 0;
		}
	}
	check_object(v, s, st, 0, "key", &s->seal.key, &s->key_ok);
	return 0;
}

/* Stats n objects of s into st: the key and the manifest (first
 * UINT32_MAX), or the parts from first on. */
static int
stat_objects(struct verify *v, struct vset *s, struct stats *st, size_t n,
    uint32_t first)
{
	char name[32];

	for (size_t i = 0; i < n; i++) {
		if (first == UINT32_MAX)
			snprintf(name, sizeof(name), "%s", i ? "manifest" :
			    "key");
		else
			repo_part_name(first + (uint32_t)i, name);
		repo_set_path(s->id, name, st->paths[i]);
		st->p[i] = st->paths[i];
	}
	return transport_stat_all(repo_transport(v->repo), st->p, n,
	    st->sizes, st->rcs);
}

static int
structure_set(struct verify *v, struct vset *s, struct stats *st)
{
	char label[32];
	int rc;

	if ((rc = verify_load_seal(v, s)) != 0 || !s->ok)
		return rc;
	if ((rc = stat_objects(v, s, st, 2, UINT32_MAX)) != 0 ||
	    (rc = check_key(v, s, st)) != 0)
		return rc;
	check_object(v, s, st, 1, "manifest", &s->seal.manifest,
	    &s->manifest_ok);
	for (uint32_t at = 0; at < s->seal.nparts; at += STAT_CHUNK) {
		size_t n = s->seal.nparts - at < STAT_CHUNK ?
		    s->seal.nparts - at : STAT_CHUNK;

		if ((rc = stat_objects(v, s, st, n, at)) != 0)
			return rc;
		for (size_t i = 0; i < n; i++) {
			snprintf(label, sizeof(label), "part %u",
			    at + (uint32_t)i);
			check_object(v, s, st, i, label,
			    &s->seal.parts[at + i], &s->part_ok[at + i]);
		}
	}
	return 0;
}

int
verify_structure(struct verify *v)
{
	struct stats *st = malloc(sizeof(*st));
	int rc = st ? verify_load_chosen_seals(v) : -BKP_ENOMEM;

	for (size_t i = 0; rc == 0 && i < v->nsets; i++) {
		struct vset *s = &v->sets[i];

		if (!s->chosen || !s->sealed)
			continue;
		v->nchecked++;
		rc = structure_set(v, s, st);
	}
	free(st);
	return rc;
}

/* The sets a manifest points at must be sealed and verified, and every
 * part an entry names must be one its set's seal lists. */
static int
check_refs(struct verify *v, struct vset *s)
{
	const struct manifest *m = s->m;
	struct vset **refs;
	uint8_t *reported;
	int rc = 0;

	if ((refs = calloc(m->nsets + 1, sizeof(*refs))) == NULL ||
	    (reported = calloc(m->nsets + 1, 1)) == NULL) {
		free(refs);
		return -BKP_ENOMEM;
	}
	for (uint32_t i = 0; i < m->nsets && rc == 0; i++) {
		refs[i] = verify_find_set(v, m->sets[i]);
		if (refs[i] && (rc = verify_load_seal(v, refs[i])) != 0)
			break;
		if (refs[i] && refs[i]->ok)
			continue;
		reported[i] = 1;
		verify_problem(v, s, "manifest", "reference", "points at set "
		    "%s, which is not a sealed, verified set of this "
		    "repository", m->sets[i]);
	}
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		const struct manifest_entry *e = &m->e[i];

		if (e->where != WHERE_PART || reported[e->set] ||
		    e->part < refs[e->set]->seal.nparts)
			continue;
		reported[e->set] = 1;
		verify_problem(v, s, "manifest", "reference", "%s is in part "
		    "%u of set %s, which has %u parts", e->path, e->part,
		    m->sets[e->set], refs[e->set]->seal.nparts);
	}
	free(refs);
	free(reported);
	return rc;
}

static int
load_manifest(struct verify *v, struct vset *s)
{
	struct setreader *sr;
	int rc;

	rc = setreader_open(v->repo, s->id, v->trusted, v->ntrusted, v->sec,
	    &sr);
	if (rc == 0) {
		v->bytes_read += s->seal.key.size + s->seal.manifest.size;
		rc = setreader_manifest(sr, &s->m);
		setreader_free(sr);
		if (rc != 0 && verify_is_finding(rc)) {
			verify_problem(v, s, "manifest", "authentication", NULL);
			return 0;
		}
	} else if (verify_is_finding(rc)) {
		verify_problem(v, s, "key", "authentication", NULL);
		return 0;
	}
	return rc;
}

int
verify_manifests(struct verify *v)
{
	int rc;

	for (size_t i = 0; i < v->nsets; i++) {
		struct vset *s = &v->sets[i];

		if (!s->chosen || !s->ok || !s->key_ok || !s->manifest_ok)
			continue;
		if ((rc = load_manifest(v, s)) != 0 ||
		    (s->m && (rc = check_refs(v, s)) != 0))
			return rc;
	}
	return 0;
}

/* Reads an object raw and compares its size and hash with the seal's. */
static int
hash_object(struct verify *v, struct vset *s, const char *name,
    const char *label, const struct seal_object *o, uint8_t *buf)
{
	crypto_generichash_state h;
	struct transport_reader *r;
	char path[REPO_PATH_MAX];
	uint8_t hash[32];
	uint64_t n = 0;
	size_t got;
	int rc;

	repo_set_path(s->id, name, path);
	if ((rc = transport_read_open(repo_transport(v->repo), path,
	    &r)) != 0) {
		if (rc == -BKP_ENOTFOUND)
			verify_problem(v, s, label, "missing", NULL);
		return rc == -BKP_ENOTFOUND ? 0 : rc;
	}
	crypto_generichash_init(&h, NULL, 0, 32);
	while ((rc = transport_read(r, buf, HASH_BLOCK, &got)) == 0 &&
	    got > 0) {
		crypto_generichash_update(&h, buf, got);
		n += got;
	}
	transport_read_close(r);
	crypto_generichash_final(&h, hash, 32);
	v->bytes_read += n;
	if (rc != 0)
		return rc;
	if (n != o->size)
		verify_problem(v, s, label, "size", "read %llu bytes, the seal "
		    "says %llu", (unsigned long long)n,
		    (unsigned long long)o->size);
	else if (sodium_memcmp(hash, o->hash, 32) != 0)
		verify_problem(v, s, label, "hash", "content does not match "
		    "the seal's hash (damaged or tampered with)");
	return 0;
}

static int
hash_set(struct verify *v, struct vset *s, uint8_t *buf)
{
	char name[32], label[32];
	int rc = 0;

	if (s->key_ok == 1)
		rc = hash_object(v, s, "key", "key", &s->seal.key, buf);
	if (rc == 0 && s->manifest_ok)
		rc = hash_object(v, s, "manifest", "manifest",
		    &s->seal.manifest, buf);
	for (uint32_t i = 0; i < s->seal.nparts && rc == 0; i++) {
		if (!s->part_ok[i])
			continue;
		log_progress("verify: set %s: part %u of %u", s->id, i + 1,
		    s->seal.nparts);
		repo_part_name(i, name);
		snprintf(label, sizeof(label), "part %u", i);
		rc = hash_object(v, s, name, label, &s->seal.parts[i], buf);
	}
	log_progress_end();
	return rc;
}

int
verify_hashes(struct verify *v)
{
	uint8_t *buf;
	int rc = 0;

	if ((buf = malloc(HASH_BLOCK)) == NULL)
		return -BKP_ENOMEM;
	for (size_t i = 0; i < v->nsets && rc == 0; i++)
		if (v->sets[i].chosen && v->sets[i].ok)
			rc = hash_set(v, &v->sets[i], buf);
	free(buf);
	return rc;
}
