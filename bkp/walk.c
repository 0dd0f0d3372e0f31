/* walk.c: the source tree walk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "manifest.h"
#include "walk.h"

struct walk {
	const struct policy *p;
	walk_visit_fn visit;
	walk_warn_fn warn;
	void *ctx;
	dev_t root_dev;
	char abspath[PATH_MAX + 1];
};

static int
excluded(const struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->p->excludes.n; i++) {
		const char *pat = w->p->excludes.v[i];

		if (strchr(pat, '/') ? fnmatch(pat, w->abspath, 0) == 0 :
		    fnmatch(pat, name, FNM_PERIOD) == 0)
			return 1;
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory open at fd, sorted; NULL on error. */
static char **
read_names(int fd, size_t *count)
{
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	DIR *d;
	int dupfd;

	if ((dupfd = dup(fd)) == -1 || (d = fdopendir(dupfd)) == NULL) {
		if (dupfd != -1)
			close(dupfd);
		return NULL;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			void *p = realloc(v, (cap = cap ? 2 * cap : 64) *
			    sizeof(*v));

			if (p == NULL)
				goto fail;
			v = p;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_names);
	*count = n;
	return v ? v : calloc(1, sizeof(*v));
fail:
	while (n > 0)
		free(v[--n]);
	free(v);
	closedir(d);
	return NULL;
}

static int walk_entry(struct walk *w, int dirfd, const char *name,
    size_t absl);

/* Visits the children of the directory open at fd; w->abspath is its
 * path, of length absl. */
static int
walk_children(struct walk *w, int fd, size_t absl)
{
	char **names;
	size_t n = 0;
	int rc = 0;

	if ((names = read_names(fd, &n)) == NULL) {
		w->warn(w->ctx, w->abspath, strerror(errno ? errno : ENOMEM));
		return errno == ENOMEM ? -BKP_ENOMEM : 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = walk_entry(w, fd, names[i], absl);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
walk_entry(struct walk *w, int dirfd, const char *name, size_t absl)
{
	struct walk_item it;
	struct stat st;
	size_t len = strlen(name);
	int fd = -1, rc;

	if (absl + 1 + len > PATH_MAX) {
		w->abspath[absl] = '\0';
		w->warn(w->ctx, w->abspath, "a name inside is too long; "
		    "skipped");
		return 0;
	}
	w->abspath[absl] = '/';
	memcpy(w->abspath + absl + 1, name, len + 1);
	if (excluded(w, name))
		goto out;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		w->warn(w->ctx, w->abspath, strerror(errno));
		goto out;
	}
	if (S_ISSOCK(st.st_mode))
		goto out;	/* sockets cannot be restored meaningfully */
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1)
			w->warn(w->ctx, w->abspath, strerror(errno));
	}
	it.dirfd = dirfd;
	it.name = name;
	it.abspath = w->abspath;
	it.path = w->abspath + 1;
	it.st = &st;
	if ((rc = w->visit(w->ctx, &it, fd)) < 0)
		goto fail;
	if (fd != -1 && !(w->p->one_file_system && st.st_dev != w->root_dev) &&
	    (rc = walk_children(w, fd, absl + 1 + len)) < 0)
		goto fail;
out:
	if (fd != -1)
		close(fd);
	w->abspath[absl] = '\0';
	return 0;
fail:
	if (fd != -1)
		close(fd);
	return rc;
}

static int
cmp_sources(const void *a, const void *b)
{
	return manifest_path_cmp(*(char *const *)a, *(char *const *)b);
}

/* Walks one source root: its parent is opened, the root is an entry. */
static int
walk_root(struct walk *w, const char *root)
{
	char parent[PATH_MAX + 1];
	const char *base;
	struct stat st;
	size_t plen;
	int fd, rc;

	if (strlen(root) > PATH_MAX || stat(root, &st) != 0) {
		log_error("%s: cannot back up this source path: %s", root,
		    strerror(errno));
		return -BKP_ENOTFOUND;
	}
	w->root_dev = st.st_dev;
	base = strrchr(root, '/') + 1;
	plen = (size_t)(base - root) - 1;
	memcpy(parent, root, plen);
	parent[plen] = '\0';
	if ((fd = open(plen ? parent : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return log_errno_code("%s: cannot open", plen ? parent : "/");
	memcpy(w->abspath, parent, plen + 1);
	rc = walk_entry(w, fd, base, plen);
	close(fd);
	return rc;
}

int
walk_sources(const struct policy *p, walk_visit_fn visit, walk_warn_fn warn,
    void *ctx)
{
	struct walk *w;
	char **roots;
	size_t n = p->paths.n;
	int rc = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (roots = malloc(n * sizeof(*roots) + 1)) == NULL) {
		free(w);
		return -BKP_ENOMEM;
	}
	w->p = p;
	w->visit = visit;
	w->warn = warn;
	w->ctx = ctx;
	if (n > 0) {	/* a policy of stores alone has no paths */
		memcpy(roots, p->paths.v, n * sizeof(*roots));
		qsort(roots, n, sizeof(*roots), cmp_sources);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* Strip trailing slashes; skip a root inside an earlier one. */
		char root[PATH_MAX + 1];
		size_t len = strlen(roots[i]);

		while (len > 1 && roots[i][len - 1] == '/')
			len--;
		if (len > PATH_MAX || len <= 1) {
			log_error("%s: cannot back up this source path",
			    roots[i]);
			rc = -BKP_ECONFIG;
			break;
		}
		memcpy(root, roots[i], len);
		root[len] = '\0';
		if (i > 0 && strncmp(roots[i - 1], root,
		    strlen(roots[i - 1])) == 0 &&
		    (root[strlen(roots[i - 1])] == '/' ||
		    root[strlen(roots[i - 1])] == '\0'))
			continue;
		rc = walk_root(w, root);
	}
	free(roots);
	free(w);
	return rc;
}
