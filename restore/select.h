/* select.h: which manifest entries a restore's patterns ask for.
 *
 * Patterns are matched against entry paths, a leading '/' ignored.  A
 * pattern ending in '/' selects that directory's subtree; otherwise it is
 * a glob (fnmatch with FNM_PATHNAME: '*' does not cross '/'), and a
 * directory it matches brings its whole subtree.  The first link of a
 * selected hard link is selected too, since the link needs its content.
 */
#ifndef BKP_SELECT_H
#define BKP_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

/* Fills sel (m->n bytes) and returns the number selected.  No patterns
 * selects everything. */
size_t select_entries(const struct manifest *m, char *const *patterns,
    size_t npatterns, uint8_t *sel);

/* The same for a list of exact paths (no globbing, no subtrees): cheap for
 * many paths.  Paths not in the manifest are not counted. */
size_t select_paths(const struct manifest *m, const char *const *paths,
    size_t npaths, uint8_t *sel);

/* 1 if path or one of its ancestors matches pattern. */
int select_match(const char *pattern, const char *path);

#endif
