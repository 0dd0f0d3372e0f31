/* extract_stream.h: restoring a stream entry (ENTRY_STREAM): a command's
 * output stored as chunk entries PATH.000000, PATH.000001, ... one after
 * another in one part, listed in the manifest as one file PATH with the
 * hash of the whole stream (docs/FORMAT.md). */
#ifndef BKP_EXTRACT_STREAM_H
#define BKP_EXTRACT_STREAM_H

#include <stdint.h>

#include "manifest.h"

struct archive;

/* The stream entry whose first chunk entry is named path, or NULL. */
const struct manifest_entry *extract_stream_first(const struct manifest *m,
    const char *path);

/* Writes the chunks of stream e to disk (whose header is written), the
 * first being in's current entry, of first bytes; the following ones are
 * read from in.  hash gets the BLAKE2b-256 of the whole stream, *bytes
 * grows by what was written.  0; -1 when the part does not hold the
 * chunks it should (damaged); 1 on a write error. */
int extract_stream_copy(struct archive *disk, struct archive *in,
    uint64_t first, const struct manifest_entry *e, uint8_t hash[32],
    uint64_t *bytes);

#endif
