/* extract_stream.c: joining the chunks of a stream entry. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "extract_stream.h"

#define CHUNK0 ".000000"

const struct manifest_entry *
extract_stream_first(const struct manifest *m, const char *path)
{
	size_t len = strlen(path), n = strlen(CHUNK0);
	const struct manifest_entry *e;
	char base[PATH_MAX + 1];

	if (len <= n || len > PATH_MAX || strcmp(path + len - n, CHUNK0) != 0)
		return NULL;
	memcpy(base, path, len - n);
	base[len - n] = '\0';
	if ((e = manifest_find(m, base)) == NULL || e->type != ENTRY_FILE ||
	    !(e->flags & ENTRY_STREAM))
		return NULL;
	return e;
}

static const uint8_t zeros[64 * 1024];

/* Copies the current entry of in (size bytes) to disk at pos. */
static int
copy_chunk(struct archive *disk, struct archive *in,
    crypto_generichash_state *h, uint64_t pos, uint64_t size,
    uint64_t *bytes)
{
	const void *buf;
	size_t n;
	la_int64_t off;
	uint64_t done = 0;
	int r;

	while ((r = archive_read_data_block(in, &buf, &n, &off)) ==
	    ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off < done || (uint64_t)off + n > size)
			return -1;
		for (; done < (uint64_t)off; done += sizeof(zeros))
			crypto_generichash_update(h, zeros, (uint64_t)off -
			    done < sizeof(zeros) ? (uint64_t)off - done :
			    sizeof(zeros));
		crypto_generichash_update(h, buf, n);
		done = (uint64_t)off + n;
		if (archive_write_data_block(disk, buf, n,
		    (la_int64_t)(pos + (uint64_t)off)) < ARCHIVE_OK)
			return 1;
		*bytes += n;
	}
	if (r != ARCHIVE_EOF)
		return -1;
	for (; done < size; done += sizeof(zeros))
		crypto_generichash_update(h, zeros, size - done <
		    sizeof(zeros) ? size - done : sizeof(zeros));
	return 0;
}

/* Reads the header of chunk number chunk of e: its size, or -1. */
static int64_t
next_chunk(struct archive *in, const struct manifest_entry *e,
    uint32_t chunk)
{
	struct archive_entry *ae;
	char want[PATH_MAX + 16];
	const char *name;

	snprintf(want, sizeof(want), "%s.%06u", e->path, chunk);
	if (archive_read_next_header(in, &ae) != ARCHIVE_OK ||
	    (name = archive_entry_pathname(ae)) == NULL ||
	    strcmp(name, want) != 0 || archive_entry_filetype(ae) != AE_IFREG ||
	    archive_entry_hardlink(ae) != NULL || archive_entry_size(ae) <= 0)
		return -1;
	return archive_entry_size(ae);
}

int
extract_stream_copy(struct archive *disk, struct archive *in, uint64_t first,
    const struct manifest_entry *e, uint8_t hash[32], uint64_t *bytes)
{
	crypto_generichash_state h;
	uint64_t pos = 0, size = first;
	uint32_t chunk = 0;
	int64_t next;
	int r;

	crypto_generichash_init(&h, NULL, 0, 32);
	for (;;) {
		if (size > e->size - pos)
			return -1;
		if ((r = copy_chunk(disk, in, &h, pos, size, bytes)) != 0)
			return r;
		pos += size;
		if (pos == e->size)
			break;
		if ((next = next_chunk(in, e, ++chunk)) < 0)
			return -1;
		size = (uint64_t)next;
	}
	crypto_generichash_final(&h, hash, 32);
	return 0;
}
