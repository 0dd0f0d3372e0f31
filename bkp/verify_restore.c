/* verify_restore.c: restores the picked files into a scratch directory
 * with the restore machinery, and compares them with their manifest
 * entries.  Extraction already checks each file's content hash before
 * naming it, so a file that is there has the right content; what is left to
 * check is that it is there, and its size, mode and mtime; with
 * --compare-source, its live source too (verify_source.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "extract.h"
#include "fsutil.h"
#include "log.h"
#include "verify.h"

static void
remove_scratch(const char *path)
{
	if (fs_remove_tree(AT_FDCWD, path) != 0)
		log_warn("%s: cannot remove the scratch directory: %s", path,
		    strerror(errno));
}

/* 1 if the files picked from s are all the files of its manifest. */
static int
picks_all(const struct vset *s, size_t n)
{
	size_t files = 0;

	for (size_t i = 0; i < s->m->n; i++)
		files += s->m->e[i].type == ENTRY_FILE &&
		    s->m->e[i].where == WHERE_PART;
	return files == n;
}

static int
select_picked(struct extract *x, const struct verify *v,
    const struct vcand *c, size_t n)
{
	const struct vset *s = &v->sets[c[0].owner];
	const char **paths;

	if (v->level == VERIFY_FULL && picks_all(s, n))
		return 0;	/* everything: the default */
	if ((paths = calloc(n + 1, sizeof(*paths))) == NULL)
		return -BKP_ENOMEM;
	for (size_t i = 0; i < n; i++)
		paths[i] = s->m->e[c[i].entry].path;
	extract_select_paths(x, paths, n);
	free(paths);
	return 0;
}

/* 1 if the file is not there, else 0 (a mismatch is a problem too). */
static int
check_file(struct verify *v, const struct vcand *c, int dirfd)
{
	const struct manifest_entry *e = &v->sets[c->owner].m->e[c->entry];
	struct vset *h = &v->sets[c->holder];
	/* Without root, libarchive drops set-id bits of files it cannot
	 * give their owner. */
	uint32_t mask = geteuid() == 0 ? 07777 : 01777;
	struct stat st;
	char obj[32];

	v->files_checked++;
	snprintf(obj, sizeof(obj), "part %u", c->part);
	if (fstatat(dirfd, e->path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		verify_problem(v, h, obj, "restore", "%s: %s", e->path,
		    errno == ENOENT ? "not restored (see above)" :
		    strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size)
		verify_problem(v, h, obj, "metadata", "%s: restored as %llu "
		    "bytes, the manifest says %llu", e->path,
		    (unsigned long long)st.st_size,
		    (unsigned long long)e->size);
	else if (((uint32_t)st.st_mode & mask) != (e->mode & mask))
		verify_problem(v, h, obj, "metadata", "%s: restored with mode "
		    "%04o, the manifest says %04o", e->path,
		    (unsigned)st.st_mode & 07777, (unsigned)e->mode & 07777);
	else if (st.st_mtim.tv_sec != e->mtime_sec ||
	    st.st_mtim.tv_nsec != (long)e->mtime_nsec)
		verify_problem(v, h, obj, "metadata", "%s: restored with mtime "
		    "%lld.%09ld, the manifest says %lld.%09u", e->path,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		    (long long)e->mtime_sec, e->mtime_nsec);
	return 0;
}

static int
cmp_part(const void *a, const void *b)
{
	const struct vcand *x = a, *y = b;

	if (x->holder != y->holder)
		return x->holder < y->holder ? -1 : 1;
	return x->part < y->part ? -1 : x->part > y->part;
}

/* Adds the sizes of the distinct parts the picked files are in. */
static int
count_parts(struct verify *v, const struct vcand *c, size_t n)
{
	struct vcand *t = malloc((n + 1) * sizeof(*t));

	if (t == NULL)
		return -BKP_ENOMEM;
	memcpy(t, c, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_part);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || cmp_part(&t[i - 1], &t[i]) != 0)
			v->bytes_read += v->sets[t[i].holder].seal.parts[
			    t[i].part].size;
	free(t);
	return 0;
}

/* Checks the result of extracting the picked files into dir. */
static int
check_group(struct verify *v, const struct vcand *c, size_t n,
    const char *dir, const struct extract_stats *st)
{
	uint64_t missing = 0;
	int dirfd, rc = 0;

	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return log_errno_code("%s: cannot open", dir);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int gone = check_file(v, &c[i], dirfd);

		missing += (uint64_t)gone;
		if (!gone && v->compare_source)
			rc = verify_source(v, &c[i]);
	}
	close(dirfd);
	if (rc != 0)
		return rc;
	/* Entries that are not regular files (a full restore of a set). */
	if (st->failed > missing)
		verify_problem(v, &v->sets[c[0].owner], "restore", "restore",
		    "%llu other entries were not restored (see above)",
		    (unsigned long long)(st->failed - missing));
	return 0;
}

/* Restores the picked files of one set into dir, then checks them. */
static int
restore_group(struct verify *v, const struct vcand *c, size_t n,
    const char *dir, int cwd)
{
	struct vset *s = &v->sets[c[0].owner];
	struct extract_opts eo = {
		.target = dir,
		.numeric_owner = 1,
		.overwrite = OVERWRITE_NEVER,
		.trusted = v->trusted,
		.ntrusted = v->ntrusted,
	};
	struct extract_stats st = { 0 };
	struct extract *x;
	int rc;

	if (mkdir(dir, 0700) != 0)
		return log_errno_code("%s: cannot create", dir);
	if ((rc = extract_open(v->repo, v->sec, s->id, &eo, &x)) != 0) {
		if (verify_is_finding(rc))
			verify_problem(v, s, "manifest", "restore", NULL);
		return verify_is_finding(rc) ? 0 : rc;
	}
	v->bytes_read += s->seal.key.size + s->seal.manifest.size;
	if ((rc = count_parts(v, c, n)) == 0 &&
	    (rc = select_picked(x, v, c, n)) == 0)
		rc = extract_run(x, &st);
	/* extract_run works from inside the target. */
	if (cwd != -1 ? fchdir(cwd) != 0 : chdir("/") != 0)
		rc = rc ? rc : log_errno_code("cannot return to the working "
		    "directory");
	extract_free(x);
	if (rc == -BKP_EPARTIAL || verify_is_finding(rc))
		rc = 0;	/* the files that failed are found below */
	if (rc == 0)
		rc = check_group(v, c, n, dir, &st);
	remove_scratch(dir);
	return rc;
}

static int
make_scratch(char *root, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/bkp-verify.XXXXXX",
	    tmp) >= sizeof(path)) {
		log_error("TMPDIR is too long");
		return -BKP_ECONFIG;
	}
	if (mkdtemp(path) == NULL)
		return log_errno_code("%s: cannot create a scratch directory",
		    path);
	if (realpath(path, root) == NULL || strlen(root) + 32 > size) {
		rmdir(path);
		return log_errno_code("%s: cannot resolve", path);
	}
	log_info("verify: restoring into %s", root);
	return 0;
}

int
verify_restore(struct verify *v)
{
	char root[PATH_MAX], dir[PATH_MAX + SETID_LEN + 2];
	size_t a = 0, b;
	int cwd, rc = 0;

	if (v->nsampled == 0)
		return 0;
	if ((rc = make_scratch(root, sizeof(root))) != 0)
		return rc;
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (; a < v->nsampled && rc == 0; a = b) {
		for (b = a; b < v->nsampled &&
		    v->sampled[b].owner == v->sampled[a].owner; b++)
			;
		snprintf(dir, sizeof(dir), "%s/%s", root,
		    v->sets[v->sampled[a].owner].id);
		log_progress("verify: restoring %zu files of set %s", b - a,
		    v->sets[v->sampled[a].owner].id);
		rc = restore_group(v, &v->sampled[a], b - a, dir, cwd);
	}
	log_progress_end();
	if (cwd != -1)
		close(cwd);
	remove_scratch(root);
	return rc;
}
