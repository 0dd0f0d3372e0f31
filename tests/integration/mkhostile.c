/* mkhostile REPO KEYDIR SCENARIO OUTSIDE: writes one backup set whose
 * entries are attacks on the restoring host, and prints its id.
 *
 * The set is written with bkp's own writer and KEYDIR's repo.pub and
 * sign.key, so it is validly encrypted and validly signed: it is what a
 * compromised backup host (which holds the signing key) could store.
 * Authentication passes when it is restored, and only restore's own
 * defences stand between the entries and the disk.  OUTSIDE is a directory
 * that must stay untouched whatever the set holds.
 *
 * Each entry is given twice: as the pax entry the part holds (any name,
 * type, link) and as the manifest entry (which manifest_decode checks);
 * either may be absent or differ from the other.  Manifest entries are
 * sorted into walk order here, point at the part holding the pax entry
 * (part 0 when there is none), and carry the BLAKE2b-256 of their content,
 * so that a file whose bytes arrive is accepted by the hash check.
 *
 * Scenarios (tests/integration/t-hostile.sh says what restore must do):
 *   dotdot           manifest "ok", pax "../escape" and "../../escape"
 *   dotdot-manifest  manifest and pax "../escape"
 *   abs              manifest "ok", pax "OUTSIDE/abs"
 *   abs-manifest     manifest and pax "OUTSIDE/abs"
 *   symlink-dir      symlink "d" -> OUTSIDE, then the file "d/newfile"
 *   symlink-dir-sub  symlink "d" -> OUTSIDE, then the directory "d/sub"
 *                    (OUTSIDE/sub exists)
 *   symlink-dir-existing  symlink "d" -> OUTSIDE, then "d/victim"
 *                    (OUTSIDE/victim exists, other content)
 *   hardlink         manifest hard links to "../../OUTSIDE/victim", to
 *                    "OUTSIDE/victim" and to a path not in the manifest;
 *                    a pax hard link "ok" -> OUTSIDE/victim; a pax symlink
 *                    where the manifest says file; a hard link through a
 *                    symlink "d" -> OUTSIDE
 *   collide          the file "f" and the hard link "g" -> "f" (the test
 *                    plants symlinks and hard links to OUTSIDE at those
 *                    names in the target first)
 *   through          the files "x/y", "x/victim", the directory "x/sub",
 *                    with no entry "x" (the test plants x -> OUTSIDE)
 * Every scenario also holds a harmless file "good" (content "good\n") that
 * must be restored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "manifest.h"
#include "repo.h"
#include "seal.h"
#include "setwriter.h"

#define MAXSPEC 32
#define MTIME 1609459200	/* 2021-01-01T00:00:00Z */

struct spec {
	const char *mpath;	/* manifest path; NULL: not in the manifest */
	uint8_t mtype;		/* manifest type (ENTRY_*) */
	const char *mlink;	/* manifest link (symlink target, hard link) */
	const char *ppath;	/* pax path; NULL: no pax entry */
	unsigned ptype;		/* pax file type (AE_IF*) */
	const char *plink;	/* pax symlink target */
	const char *phard;	/* pax hard link target */
	const char *content;	/* file content (pax and hash) */
};

static struct spec specs[MAXSPEC];
static size_t nspecs;
static char bufs[MAXSPEC * 4][4200];
static size_t nbufs;

static void
die(const char *what, int rc)
{
	fprintf(stderr, "mkhostile: %s failed (%d)\n", what, rc);
	exit(99);
}

/* printf into a string that lives until exit. */
static const char *
fmt(const char *f, const char *arg)
{
	char *b;

	if (nbufs == sizeof(bufs) / sizeof(bufs[0]))
		die("too many strings", 0);
	b = bufs[nbufs++];
	snprintf(b, sizeof(bufs[0]), f, arg);
	return b;
}

static struct spec *
add(void)
{
	if (nspecs == MAXSPEC)
		die("too many entries", 0);
	return &specs[nspecs++];
}

/* An entry that is the same in the manifest and in the part. */
static void
file(const char *path, const char *content)
{
	struct spec *s = add();

	s->mpath = s->ppath = path;
	s->mtype = ENTRY_FILE;
	s->ptype = AE_IFREG;
	s->content = content;
}

static void
dir(const char *path)
{
	struct spec *s = add();

	s->mpath = s->ppath = path;
	s->mtype = ENTRY_DIR;
	s->ptype = AE_IFDIR;
}

static void
symlink_to(const char *path, const char *target)
{
	struct spec *s = add();

	s->mpath = s->ppath = path;
	s->mtype = ENTRY_SYMLINK;
	s->ptype = AE_IFLNK;
	s->mlink = s->plink = target;
}

/* A hard link the manifest lists (hard links are never in parts). */
static void
hardlink(const char *path, const char *target)
{
	struct spec *s = add();

	s->mpath = path;
	s->mtype = ENTRY_HARDLINK;
	s->mlink = target;
}

/* A manifest file whose pax entry is something else. */
static struct spec *
file_as(const char *mpath, const char *ppath, const char *content)
{
	struct spec *s = add();

	s->mpath = mpath;
	s->ppath = ppath;
	s->mtype = ENTRY_FILE;
	s->ptype = AE_IFREG;
	s->content = content;
	return s;
}

static int
scenario(const char *name, const char *out)
{
	struct spec *s;

	file("good", "good\n");
	if (strcmp(name, "dotdot") == 0) {
		file_as("ok", "../escape", "escaped\n");
		/* Not in the manifest at all. */
		file_as(NULL, "../../escape", "escaped\n");
	} else if (strcmp(name, "dotdot-manifest") == 0) {
		file("../escape", "escaped\n");
	} else if (strcmp(name, "abs") == 0) {
		file_as("ok", fmt("%s/abs", out), "absolute\n");
	} else if (strcmp(name, "abs-manifest") == 0) {
		/* manifest_path_cmp order: "/..." sorts first. */
		file(fmt("%s/abs", out), "absolute\n");
	} else if (strcmp(name, "symlink-dir") == 0) {
		symlink_to("d", out);
		file("d/newfile", "through the symlink\n");
	} else if (strcmp(name, "symlink-dir-sub") == 0) {
		symlink_to("d", out);
		dir("d/sub");
	} else if (strcmp(name, "symlink-dir-existing") == 0) {
		symlink_to("d", out);
		file("d/victim", "overwritten!!\n");
	} else if (strcmp(name, "hardlink") == 0) {
		hardlink("h1", fmt("../../%s/victim", out + 1));
		hardlink("h2", fmt("%s/victim", out));
		hardlink("h3", "not-in-the-manifest");
		/* The pax entry is a hard link to an outside file. */
		s = file_as("ok", "ok", "");
		s->ptype = AE_IFREG;
		s->phard = fmt("%s/victim", out);
		/* The pax entry is a symlink where the manifest has a file. */
		s = file_as("ok2", "ok2", "x");
		s->ptype = AE_IFLNK;
		s->plink = fmt("%s/victim", out);
		/* A hard link to a manifest path behind a symlink. */
		symlink_to("d", out);
		file("d/victim", "precious\n");
		hardlink("h4", "d/victim");
	} else if (strcmp(name, "collide") == 0) {
		file("f", "attack\n");
		hardlink("g", "f");
	} else if (strcmp(name, "through") == 0) {
		file("x/y", "through x\n");
		dir("x/sub");
		file("x/victim", "overwritten!!\n");
	} else
		return -1;
	return 0;
}

static int
cmp_spec(const void *a, const void *b)
{
	const struct spec *x = *(const struct spec *const *)a;
	const struct spec *y = *(const struct spec *const *)b;

	return manifest_path_cmp(x->mpath, y->mpath);
}

int
main(int argc, char **argv)
{
	struct bkp_pubkey pub;
	struct bkp_signkey *sig = NULL;
	struct repo *repo = NULL;
	struct transport_opts topts = { 0 };
	struct setwriter *sw = NULL;
	struct manifest *m;
	struct seal seal;
	struct spec *sorted[MAXSPEC];
	uint32_t part[MAXSPEC];
	char path[4096];
	struct timespec now;
	int64_t set;
	size_t n = 0;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: mkhostile REPO KEYDIR SCENARIO "
		    "OUTSIDE\n");
		return 2;
	}
	if (sodium_init() < 0)
		die("sodium_init", 0);
	if (argv[4][0] != '/')
		die("OUTSIDE must be absolute", 0);
	if (scenario(argv[3], argv[4]) != 0) {
		fprintf(stderr, "mkhostile: unknown scenario %s\n", argv[3]);
		return 2;
	}

	snprintf(path, sizeof(path), "%s/repo.pub", argv[2]);
	if ((rc = pubkey_load(path, &pub)) != 0)
		die(path, rc);
	snprintf(path, sizeof(path), "%s/sign.key", argv[2]);
	if ((rc = signkey_load(path, &sig)) != 0)
		die(path, rc);
	if ((rc = repo_open(argv[1], &topts, &repo)) != 0)
		die("repo_open", rc);
	if (sodium_memcmp(repo_config(repo)->box_pk, pub.box_pk, 32) != 0)
		die("the repository is for another key", 0);

	clock_gettime(CLOCK_REALTIME, &now);
	struct setwriter_opts o = {
		.part_size = 64 << 20,
		.zstd_level = 3,
		.threads = 0,
		.level = LEVEL_FULL,
		.policy = "hostile",
		.host = "mkhostile",
		.time_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
	};
	if ((rc = setwriter_open(repo, sig, &o, &sw)) != 0)
		die("setwriter_open", rc);
	if ((m = manifest_new(setwriter_setid(sw))) == NULL ||
	    (set = manifest_set_index(m, setwriter_setid(sw))) < 0)
		die("manifest_new", -BKP_ENOMEM);

	/* The parts, in the order given. */
	for (size_t i = 0; i < nspecs; i++) {
		struct spec *s = &specs[i];
		struct archive_entry *ae;
		size_t len = s->content ? strlen(s->content) : 0;

		part[i] = 0;
		if (s->ppath == NULL)
			continue;
		if ((ae = archive_entry_new()) == NULL)
			die("archive_entry_new", -BKP_ENOMEM);
		archive_entry_set_pathname(ae, s->ppath);
		archive_entry_set_filetype(ae, s->ptype);
		archive_entry_set_perm(ae, s->ptype == AE_IFDIR ? 0755 :
		    s->ptype == AE_IFLNK ? 0777 : 0644);
		archive_entry_set_uid(ae, getuid());
		archive_entry_set_gid(ae, getgid());
		archive_entry_set_mtime(ae, MTIME, 0);
		if (s->plink)
			archive_entry_set_symlink(ae, s->plink);
		if (s->phard)
			archive_entry_set_hardlink(ae, s->phard);
		archive_entry_set_size(ae, s->ptype == AE_IFREG ?
		    (la_int64_t)len : 0);
		if ((rc = setwriter_entry_begin(sw, ae, &part[i])) != 0)
			die(s->ppath, rc);
		if (s->ptype == AE_IFREG && len > 0 && !s->phard &&
		    (rc = setwriter_entry_data(sw, s->content, len)) != 0)
			die(s->ppath, rc);
		if ((rc = setwriter_entry_end(sw)) != 0)
			die(s->ppath, rc);
		archive_entry_free(ae);
	}

	/* The manifest, in walk order. */
	for (size_t i = 0; i < nspecs; i++)
		if (specs[i].mpath)
			sorted[n++] = &specs[i];
	qsort(sorted, n, sizeof(*sorted), cmp_spec);
	for (size_t i = 0; i < n; i++) {
		struct spec *s = sorted[i];
		struct manifest_entry e;
		size_t len = s->content ? strlen(s->content) : 0;

		memset(&e, 0, sizeof(e));
		e.path = (char *)s->mpath;
		e.link = (char *)s->mlink;
		e.uname = e.gname = (char *)"";
		e.type = s->mtype;
		e.mode = s->mtype == ENTRY_DIR ? 0755 :
		    s->mtype == ENTRY_SYMLINK ? 0777 : 0644;
		e.uid = getuid();
		e.gid = getgid();
		e.mtime_sec = e.ctime_sec = MTIME;
		e.size = s->mtype == ENTRY_FILE ? len :
		    s->mtype == ENTRY_SYMLINK ? strlen(s->mlink) : 0;
		e.ino = i + 1;
		if (s->mtype == ENTRY_FILE)
			crypto_generichash(e.hash, 32,
			    (const uint8_t *)(s->content ? s->content : ""),
			    len, NULL, 0);
		if (s->mtype == ENTRY_HARDLINK)
			e.where = WHERE_NONE;
		else {
			e.where = WHERE_PART;
			e.set = (uint32_t)set;
			e.part = part[s - specs];
		}
		if ((rc = manifest_add(m, &e)) != 0)
			die("manifest_add", rc);
	}

	memset(&seal, 0, sizeof(seal));
	seal.nfiles = m->n;
	seal.end_ns = o.time_ns + 1000000;
	if ((rc = setwriter_commit(sw, m, &seal)) != 0)
		die("setwriter_commit", rc);
	printf("%s\n", setwriter_setid(sw));

	setwriter_free(sw);
	manifest_free(m);
	repo_close(repo);
	signkey_free(sig);
	return 0;
}
