/* walk.h: walks the source trees of a policy in manifest order.
 *
 * Each directory's names are sorted bytewise and visited depth first, which
 * is exactly manifest_path_cmp order, so the manifest is built in one pass
 * without sorting.  Excluded entries are skipped (and not descended into);
 * with one_file_system, directories on other devices are listed but not
 * entered.  Unreadable directories are warnings.
 */
#ifndef BKP_WALK_H
#define BKP_WALK_H

#include <sys/stat.h>

#include "policy.h"

struct walk_item {
	int dirfd;		/* the directory holding the entry */
	const char *name;	/* its name in dirfd */
	const char *path;	/* relative path (no leading '/') */
	const char *abspath;	/* absolute path, for messages */
	const struct stat *st;	/* lstat */
};

/* Called for every entry, parents before children.  For a directory,
 * *fd may be set to an open descriptor of it for the visitor's use (valid
 * during the call).  A negative result stops the walk. */
typedef int (*walk_visit_fn)(void *ctx, const struct walk_item *it, int fd);
/* Called for each warning (the walk goes on). */
typedef void (*walk_warn_fn)(void *ctx, const char *path, const char *what);

int walk_sources(const struct policy *p, walk_visit_fn visit,
    walk_warn_fn warn, void *ctx);

#endif
