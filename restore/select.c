/* select.c: restore patterns. */
#include <fnmatch.h>
#include <limits.h>
#include <string.h>

#include "select.h"

int
select_match(const char *pattern, const char *path)
{
	char buf[PATH_MAX + 1];
	size_t plen, len = strlen(path);

	while (*pattern == '/')
		pattern++;
	plen = strlen(pattern);
	if (plen == 0)
		return 1;
	if (pattern[plen - 1] == '/') {
		/* "dir/": the directory and everything below it. */
		plen--;
		return strncmp(path, pattern, plen) == 0 &&
		    (path[plen] == '\0' || path[plen] == '/');
	}
	if (len > PATH_MAX)
		return 0;
	memcpy(buf, path, len + 1);
	/* The path itself, then each ancestor. */
	for (;;) {
		char *slash;

		if (fnmatch(pattern, buf, FNM_PATHNAME) == 0)
			return 1;
		if ((slash = strrchr(buf, '/')) == NULL)
			return 0;
		*slash = '\0';
	}
}

/* Hard links need their first link's content; counts the selection. */
static size_t
add_link_targets(const struct manifest *m, uint8_t *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct manifest_entry *t;

		if (sel[i] && m->e[i].type == ENTRY_HARDLINK &&
		    (t = manifest_find(m, m->e[i].link)) != NULL)
			sel[t - m->e] = 1;
	}
	for (size_t i = 0; i < m->n; i++)
		n += sel[i];
	return n;
}

size_t
select_entries(const struct manifest *m, char *const *patterns,
    size_t npatterns, uint8_t *sel)
{
	for (size_t i = 0; i < m->n; i++) {
		sel[i] = npatterns == 0;
		for (size_t j = 0; j < npatterns && !sel[i]; j++)
			sel[i] = (uint8_t)select_match(patterns[j],
			    m->e[i].path);
	}
	return add_link_targets(m, sel);
}

size_t
select_paths(const struct manifest *m, const char *const *paths,
    size_t npaths, uint8_t *sel)
{
	const struct manifest_entry *e;

	memset(sel, 0, m->n);
	for (size_t j = 0; j < npaths; j++)
		if ((e = manifest_find(m, paths[j])) != NULL)
			sel[e - m->e] = 1;
	return add_link_targets(m, sel);
}
