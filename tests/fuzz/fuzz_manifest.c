/* fuzz_manifest.c: manifest_decode, the plaintext of a set's manifest.
 *
 * Input: a decrypted, decompressed manifest (what setreader_manifest and
 * state_cache_load hand to manifest_decode; the cache only adds a checksummed
 * header around the same encoding).  A manifest that decodes must satisfy
 * what restore relies on (walk order, relative paths without "." or "..",
 * set indices in range, manifest_find finding every entry) and encode back
 * to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "manifest.h"

static void
check_path(const char *p)
{
	const char *c = p;

	if (*p == '\0' || *p == '/')
		fuzz_fail("manifest", "empty or absolute path");
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			fuzz_fail("manifest", "empty, . or .. component");
		if (c[n] == '\0')
			break;
		c += n + 1;
	}
}

static void
check(const struct manifest *m, const uint8_t *p, size_t n)
{
	struct wbuf w;

	if (!repo_setid_valid(m->setid))
		fuzz_fail("manifest", "invalid set id");
	for (uint32_t i = 0; i < m->nsets; i++)
		if (!repo_setid_valid(m->sets[i]))
			fuzz_fail("manifest", "invalid set id in the set table");
	for (size_t i = 0; i < m->n; i++) {
		const struct manifest_entry *e = &m->e[i];

		check_path(e->path);
		if (e->link == NULL || e->uname == NULL || e->gname == NULL)
			fuzz_fail("manifest", "missing string");
		if (i > 0 && manifest_path_cmp(m->e[i - 1].path, e->path) >= 0)
			fuzz_fail("manifest", "entries not in walk order");
		if (e->where == WHERE_PART && e->set >= m->nsets)
			fuzz_fail("manifest", "set index out of range");
		if (e->type < ENTRY_FILE || e->type > ENTRY_BLK)
			fuzz_fail("manifest", "bad type");
		/* What restore does: find the entry of a pax header. */
		if (manifest_find(m, e->path) != e)
			fuzz_fail("manifest", "manifest_find misses an entry");
		(void)manifest_entry_set(m, e);
	}
	wbuf_init(&w);
	if (manifest_encode(m, &w) != 0)
		fuzz_fail("manifest", "manifest_encode failed");
	if (w.len != n || memcmp(w.data, p, n) != 0)
		fuzz_fail("manifest", "decode/encode round trip differs");
	wbuf_release(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = (struct manifest *)&m;

	if (manifest_decode(data, size, &m, "fuzz/manifest") == 0) {
		if (m == NULL)
			fuzz_fail("manifest", "success without a manifest");
		check(m, data, size);
		manifest_free(m);
	} else if (m != NULL) {
		fuzz_fail("manifest", "failure left a manifest behind");
	}
	return 0;
}
