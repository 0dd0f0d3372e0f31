/* verify.h: bkp verify's shared state, and its steps.
 *
 * A run checks the chosen sets at one level, each level on top of the
 * structure checks: structure (seals, object sizes, with a key the
 * manifests' references), hashes (every object read raw and hashed), sample
 * and full (files restored into a scratch directory and compared with their
 * manifest entries), optionally also with the live files they were
 * backed up from (--compare-source).  Problems found are counted and
 * listed, never fatal; operational failures (transport, memory, local I/O)
 * stop the run with their status code.
 */
#ifndef BKP_VERIFY_H
#define BKP_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "keys.h"
#include "manifest.h"
#include "repo.h"
#include "seal.h"

enum verify_level {
	VERIFY_STRUCTURE,
	VERIFY_HASHES,
	VERIFY_SAMPLE,
	VERIFY_FULL,
};

/* A set of the repository. */
struct vset {
	char id[SETID_LEN + 1];
	uint8_t sealed;		/* has a seal object */
	uint8_t chosen;		/* to be checked in this run */
	uint8_t loaded;		/* seal load attempted */
	uint8_t ok;		/* seal verified */
	/* The structure check: present with the size the seal lists
	 * (key_ok 2: only as the key.KEYID objects of a key rotation). */
	uint8_t key_ok, manifest_ok;
	uint8_t *part_ok;	/* per part */
	struct seal seal;	/* when ok */
	struct manifest *m;	/* decrypted manifest (with a key) */
	uint64_t problems;
};

/* A file that may be sampled: entry `entry` of the manifest of set `owner`,
 * stored in part `part` of set `holder` (indices into verify.sets). */
struct vcand {
	uint32_t owner, holder, part;
	size_t entry;
};

/* --compare-source: what became of each restored file's live source. */
struct vsource {
	uint64_t compared;	/* unchanged since the backup: content hashed */
	uint64_t differ;	/* of those, with another content (problems) */
	uint64_t changed;	/* skipped: changed or gone since the backup */
	uint64_t skipped;	/* skipped: no live file to compare here (a
				 * dump, a set of another host, unreadable) */
};

struct verify {
	/* What was asked. */
	enum verify_level level;
	const char *set, *policy;
	int json;
	int rotate;		/* sample from the parts read longest ago */
	int compare_source;
	uint64_t seed;
	uint64_t sample_n;	/* files, when sample_pct < 0 */
	double sample_pct;	/* percent of the files, or -1 */
	/* The repository. */
	struct repo *repo;
	const struct bkp_seckey *sec;
	const uint8_t (*trusted)[32];
	size_t ntrusted;
	struct vset *sets;	/* sorted by id: oldest first */
	size_t nsets;
	/* Results. */
	size_t nchecked;
	uint64_t objects, bytes_read, problems, files_checked;
	size_t ncand;		/* files the sample was drawn from */
	size_t npool;		/* of those, left by rotation for the draw */
	struct vcand *sampled;
	size_t nsampled;
	struct vsource src;
	json_object *jproblems;
};

/* Counts a problem of set s (NULL: of no set in particular).  object is
 * "seal", "key", "manifest", "part N" or a path; kind one of missing,
 * size, hash, authentication, signature, reference, restore, metadata,
 * source (a live source file differs: counted in src.differ too).
 * When fmt is not NULL, reports it as "SET: OBJECT: ..."; NULL means a
 * lower layer has already reported it. */
void verify_problem(struct verify *v, struct vset *s, const char *object,
    const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 1 if rc is a finding about the repository rather than a failure to
 * look: a damaged, missing or foreign object. */
int verify_is_finding(int rc);
/* The set with this id, or NULL. */
struct vset *verify_find_set(const struct verify *v, const char *id);

/* verify_report.c: the summary, as text or JSON. */
void verify_print(const struct verify *v);
extern const char *const verify_level_names[];

/* verify_check.c */
int verify_load_seal(struct verify *v, struct vset *s);
/* verify_load_seal() of every chosen set, the seals read all at once. */
int verify_load_chosen_seals(struct verify *v);
int verify_structure(struct verify *v);
int verify_manifests(struct verify *v);
int verify_hashes(struct verify *v);

/* verify_sample.c: picks the files to restore (all of them for full). */
int verify_pick(struct verify *v);

/* verify_restore.c: restores the picked files and checks them. */
int verify_restore(struct verify *v);

/* verify_source.c: compares restored file c with its live source, when
 * that is unchanged since the backup (counted in v->src). */
int verify_source(struct verify *v, const struct vcand *c);

/* verify_state.c: the local record of runs, and which parts were read. */
int verify_log_append(const struct verify *v);
/* Last time (ns) each part of the candidates was restored, 0 if never;
 * *last gets ncand values (malloc'd). */
int verify_parts_last(const struct verify *v, const struct vcand *cand,
    size_t ncand, int64_t **last);
int verify_parts_save(const struct verify *v);

#endif
