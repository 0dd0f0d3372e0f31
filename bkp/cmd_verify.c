/* cmd_verify.c: bkp verify --repo URL [--key FILE] [--set ID | --all]
 * [--level structure|hashes|sample|full] [--sample N|P%] [--seed S]
 * [--no-rotate] [--compare-source] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "repo.h"
#include "repogen.h"
#include "verify.h"

static const char usage[] =
"usage: bkp verify --repo URL [--key FILE [--passphrase-file FILE]]\n"
"                  [--set ID | --all] [--policy NAME]\n"
"                  [--level structure|hashes|sample|full]\n"
"                  [--sample N|P%] [--seed S] [--no-rotate]\n"
"                  [--compare-source] [--json] [SFTP OPTIONS]\n"
"\n"
"Checks that sets are complete, intact and restorable.  Never changes the\n"
"repository.  Every level does the structure checks first:\n"
"\n"
"  structure  every seal verifies against the trusted signers, and every\n"
"             object it lists (key, manifest, parts) is there with the size\n"
"             it lists; with --key, each manifest is decrypted and every\n"
"             set and part it points at must be a sealed, verified set and\n"
"             a part its seal lists.  Reads no part.  (The default.)\n"
"  hashes     also reads every object raw and compares its BLAKE2b-256\n"
"             hash with the seal's: proves the ciphertext unchanged, with\n"
"             no secret key.\n"
"  sample     restores a random sample of the files (--sample, 1% by\n"
"             default) into a scratch directory under $TMPDIR, with the\n"
"             same checks as bkp restore (every file's content hash), and\n"
"             compares each file's size, mode and mtime with the manifest.\n"
"             The sample rotates: it is drawn from the files of the parts\n"
"             that earlier runs restored longest ago (never-read ones\n"
"             first), so that run after run every part of every set is\n"
"             read ($BKP_STATE_DIR/verify-parts/REPO_ID keeps the record).\n"
"             The seed is printed: with --no-rotate, --seed S draws the\n"
"             same files again.  Needs --key.\n"
"  full       as sample, every file (run it as root for sets holding\n"
"             device nodes, or their restore fails).  Needs --key.\n"
"\n"
"Seals are checked against the signing keys the repository lists, or with\n"
"--key against the signing key that the secret key's holder trusts.  Sets\n"
"without a seal are listed as interrupted; they are not an error.  Each\n"
"problem is one line on stderr, \"bkp: error: SET: OBJECT: what\".\n"
"Every completed run appends a line to $BKP_STATE_DIR/verify.log.\n"
"\n"
"  -r, --repo URL              the repository\n"
"  -k, --key FILE              the secret repository key (repo.key)\n"
"  -p, --passphrase-file FILE  its passphrase (else $BKP_PASSPHRASE or a\n"
"                              prompt)\n"
"  -s, --set ID                only this set\n"
"  -a, --all                   every set (the default)\n"
"  -P, --policy NAME           only the sets of this policy (sets whose\n"
"                              seal does not verify are checked anyway)\n"
"  -l, --level LEVEL           structure (default), hashes, sample, full\n"
"  -n, --sample N|P%           files to restore: a number or a percentage\n"
"                              (default 1%, at least one file)\n"
"  -S, --seed S                the sample's seed (0..2^64-1; default:\n"
"                              random)\n"
"      --no-rotate             draw the sample from every file, by the\n"
"                              seed alone (the same seed, the same files)\n"
"                              instead of from the parts read longest ago\n"
"  -R, --rotate                rotate (the default)\n"
"  -C, --compare-source        with sample or full: also compare each\n"
"                              restored file with its live source (/PATH)\n"
"                              when that is unchanged since the backup\n"
"                              (same size, mtime, ctime, inode and device):\n"
"                              a different content is a problem (exit 16);\n"
"                              changed sources are skipped and counted\n"
"  -j, --json                  print the result as JSON (with the seed,\n"
"                              the rotation and the files sampled)\n"
"  -h, --help                  this text\n"
CLI_TRANSPORT_HELP
"\n"
"Exit status: 0 every check passed, 5 problems were found (listed), 6 a\n"
"wrong or unusable key, 7 no such set, 16 the only problems found are\n"
"live sources that differ from their backup (--compare-source), other\n"
"codes: bkp(1).\n";

enum { OPT_NO_ROTATE = 256 };

struct verify_args {
	const char *repo, *key, *passfile;
	int all, have_seed;
	struct transport_opts topts;
	struct verify v;
};

static int
parse_level(const char *arg, enum verify_level *level)
{
	for (int i = VERIFY_STRUCTURE; i <= VERIFY_FULL; i++)
		if (strcmp(arg, verify_level_names[i]) == 0) {
			*level = (enum verify_level)i;
			return 0;
		}
	log_error("verify: --level takes structure, hashes, sample or full");
	return -BKP_EUSAGE;
}

static int
parse_sample(const char *arg, struct verify *v)
{
	char *end;

	errno = 0;
	if (strchr(arg, '%')) {
		v->sample_pct = strtod(arg, &end);
		if (end != arg && strcmp(end, "%") == 0 && errno == 0 &&
		    v->sample_pct > 0 && v->sample_pct <= 100)
			return 0;
	} else if (*arg >= '0' && *arg <= '9') {
		v->sample_pct = -1;
		v->sample_n = strtoull(arg, &end, 10);
		if (*end == '\0' && errno == 0 && v->sample_n > 0)
			return 0;
	}
	log_error("verify: --sample takes a number of files (1 or more) or a "
	    "percentage (above 0%%, at most 100%%)");
	return -BKP_EUSAGE;
}

static int
parse_seed(const char *arg, uint64_t *seed)
{
	char *end;

	errno = 0;
	if (*arg >= '0' && *arg <= '9') {
		*seed = strtoull(arg, &end, 10);
		if (*end == '\0' && errno == 0)
			return 0;
	}
	log_error("verify: --seed takes a number from 0 to "
	    "18446744073709551615");
	return -BKP_EUSAGE;
}

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct verify_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	switch (c) {
	case 'r': a->repo = arg; break;
	case 'k': a->key = arg; break;
	case 'p': a->passfile = arg; break;
	case 's': a->v.set = arg; break;
	case 'a': a->all = 1; break;
	case 'P': a->v.policy = arg; break;
	case 'j': a->v.json = 1; break;
	case 'R': a->v.rotate = 1; break;
	case OPT_NO_ROTATE: a->v.rotate = 0; break;
	case 'C': a->v.compare_source = 1; break;
	case 'l': return parse_level(arg, &a->v.level);
	case 'n': return parse_sample(arg, &a->v);
	case 'S':
		a->have_seed = 1;
		return parse_seed(arg, &a->v.seed);
	}
	return 0;
}

static int
check_args(const struct verify_args *a)
{
	if (a->repo == NULL)
		return cli_missing("verify", "--repo URL");
	if (a->v.set && (a->all || a->v.policy)) {
		log_error("verify: --set names one set; it goes with neither "
		    "--all nor --policy");
		return -BKP_EUSAGE;
	}
	if (a->v.level >= VERIFY_SAMPLE && a->key == NULL) {
		log_error("verify: --level %s restores files and needs the "
		    "secret key (--key FILE)", verify_level_names[a->v.level]);
		return -BKP_EUSAGE;
	}
	if (a->v.compare_source && a->v.level < VERIFY_SAMPLE) {
		log_error("verify: --compare-source compares restored files: "
		    "it goes with --level sample or full");
		return -BKP_EUSAGE;
	}
	return 0;
}

/* Every set of the repository, sealed or not, sorted by id. */
static int
load_sets(struct verify *v)
{
	struct repo_setlist l;
	int rc;

	if ((rc = repo_list_sets(v->repo, &l)) != 0)
		return rc;
	if ((v->sets = calloc(l.n + 1, sizeof(*v->sets))) == NULL) {
		repo_setlist_release(&l);
		return -BKP_ENOMEM;
	}
	for (size_t i = 0; i < l.n; i++) {
		memcpy(v->sets[i].id, l.ids[i], SETID_LEN + 1);
		v->sets[i].sealed = l.sealed[i];
	}
	v->nsets = l.n;
	repo_setlist_release(&l);
	return 0;
}

static int
choose_one(struct verify *v)
{
	struct vset *s = verify_find_set(v, v->set);

	if (s == NULL || !s->sealed) {
		log_error("%s: no set %s%s (see bkp snapshots)",
		    repo_url(v->repo), v->set, s ? " with a seal: it is an "
		    "interrupted run" : "");
		return -BKP_ENOTFOUND;
	}
	s->chosen = 1;
	return 0;
}

/* The sets to check: one, all, or those of a policy (which needs their
 * seals: those that do not verify stay chosen, as problems). */
static int
choose_sets(struct verify *v)
{
	size_t n = 0;
	int rc;

	if (v->set)
		return choose_one(v);
	for (size_t i = 0; i < v->nsets; i++)
		v->sets[i].chosen = v->sets[i].sealed;
	if (v->policy && (rc = verify_load_chosen_seals(v)) != 0)
		return rc;
	for (size_t i = 0; i < v->nsets; i++) {
		struct vset *s = &v->sets[i];

		if (!s->chosen || v->policy == NULL)
			continue;
		if ((rc = verify_load_seal(v, s)) != 0)
			return rc;
		if (s->ok && strcmp(s->seal.policy, v->policy) != 0)
			s->chosen = 0;
		n += s->ok && s->chosen;
	}
	if (v->policy && n == 0) {
		log_error("%s: no sealed, verified set of policy %s",
		    repo_url(v->repo), v->policy);
		return -BKP_ENOTFOUND;
	}
	return 0;
}

/* The key must be this repository's: else nothing would decrypt. */
static int
check_key(const struct bkp_seckey *sec, struct repo *repo, const char *path)
{
	char want[KEY_ID_HEX], got[KEY_ID_HEX];

	if (sodium_memcmp(sec->box_pk, repo_config(repo)->box_pk, 32) == 0 ||
	    repogen_past_key(repo, sec->box_pk))
		return 0;
	key_id(repo_config(repo)->box_pk, want);
	key_id(sec->box_pk, got);
	log_error("%s: key %s is not the key of repository %s (which is %s)",
	    path, got, repo_url(repo), want);
	return -BKP_EKEY;
}

static int
run_checks(struct verify *v)
{
	int rc;

	if ((rc = load_sets(v)) != 0 || (rc = choose_sets(v)) != 0 ||
	    (rc = verify_structure(v)) != 0)
		return rc;
	if (v->sec && (rc = verify_manifests(v)) != 0)
		return rc;
	if (v->level == VERIFY_HASHES && (rc = verify_hashes(v)) != 0)
		return rc;
	if (v->level >= VERIFY_SAMPLE && ((rc = verify_pick(v)) != 0 ||
	    (rc = verify_restore(v)) != 0))
		return rc;
	return 0;
}

/* Keeps the local record; a failure to is reported, not fatal. */
static void
record(const struct verify *v)
{
	verify_log_append(v);
	if (v->level >= VERIFY_SAMPLE)
		verify_parts_save(v);
}

static void
verify_release(struct verify *v)
{
	for (size_t i = 0; i < v->nsets; i++) {
		if (v->sets[i].ok)
			seal_release(&v->sets[i].seal);
		free(v->sets[i].part_ok);
		manifest_free(v->sets[i].m);
	}
	free(v->sets);
	free(v->sampled);
	json_object_put(v->jproblems);
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'P' },
		{ "level", required_argument, NULL, 'l' },
		{ "sample", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' },
		{ "rotate", no_argument, NULL, 'R' },
		{ "no-rotate", no_argument, NULL, OPT_NO_ROTATE },
		{ "compare-source", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct verify_args a = { .v.sample_pct = 1.0, .v.rotate = 1 };
	struct verify *v = &a.v;
	struct bkp_seckey *sec = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (optind < argc) {
		log_error("verify: unexpected argument '%s'; see bkp verify "
		    "--help", argv[optind]);
		return -BKP_EUSAGE;
	}
	if ((rc = check_args(&a)) != 0)
		return rc;
	if (!a.have_seed)
		randombytes_buf(&v->seed, sizeof(v->seed));
	if ((v->jproblems = json_object_new_array()) == NULL)
		return -BKP_ENOMEM;
	if ((a.key && (rc = seckey_load(a.key, a.passfile, &sec)) != 0) ||
	    (rc = repo_open(a.repo, &a.topts, &v->repo)) != 0 ||
	    (sec && (rc = check_key(sec, v->repo, a.key)) != 0))
		goto out;
	v->sec = sec;
	v->trusted = sec ? (const uint8_t (*)[32])&sec->sign_pk :
	    (const uint8_t (*)[32])repo_config(v->repo)->signers;
	v->ntrusted = sec ? 1 : repo_config(v->repo)->nsigners;
	if ((rc = run_checks(v)) != 0)
		goto out;
	verify_print(v);
	record(v);
	rc = v->problems > v->src.differ ? -BKP_ECORRUPT :
	    v->problems ? -BKP_ESOURCE : 0;
out:
	audit_event("verify", &(struct audit_fields){ .repo = a.repo,
	    .set = v->set, .policy = v->policy,
	    .what = verify_level_names[v->level], .count = v->nchecked,
	    .bytes = v->bytes_read, .status = rc, .note = v->problems ?
	    "problems found (listed on stderr)" : NULL });
	verify_release(v);
	repo_close(v->repo);
	seckey_free(sec);
	return rc;
}
