/* store_stream.h: a command's standard output, streamed into a set as one
 * file, with no copy on disk.
 *
 * A pax header needs the size of the entry before its data, and the size
 * of a stream is known only at its end; so the stream is read into a
 * bounded buffer and stored as chunk entries PATH.000000, PATH.000001, ...
 * of at most the buffer's size, all in one part (docs/FORMAT.md).  The
 * manifest gets one entry for PATH (flag ENTRY_STREAM): the whole size and
 * the BLAKE2b-256 of the whole stream.  Restore joins the chunks.
 *
 * A stream counts only when its command exited with status 0 and, for the
 * store types that have one, its output ends as a complete dump does;
 * otherwise it is reported with the last lines of the command's standard
 * error and gets no manifest entry, so that no set lists a truncated dump
 * (its chunks stay in the part, unreferenced).
 */
#ifndef BKP_STORE_STREAM_H
#define BKP_STORE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "setwriter.h"
#include "store_proc.h"

#define STORE_CHUNK (8u << 20)	/* the buffer: the largest chunk */

struct store_job {
	char *name;		/* for messages: "postgresql database app" */
	char *path;		/* in the set, under STORES_DIR */
	char **argv;
	const char *what;	/* the program or command, for messages */
	struct store_cmd cmd;	/* cmd.argv == argv */
	const char *tail;	/* a complete dump ends with this, or NULL */
	const char *tail_in;	/* or has this in its last 128 bytes */
};

struct store_stream_stats {
	uint64_t bytes;		/* of the stream */
	double seconds;
};

/* Runs job and stores its output in sw, with e filled in for the
 * manifest (its strings point into job and statics; manifest_add copies
 * them).  buf has STORE_CHUNK bytes.  0; -BKP_EFAILED when the source
 * failed (reported; the set can go on); another negative status when the
 * set cannot. */
int store_stream(struct setwriter *sw, const struct store_job *job,
    uint32_t set, uint8_t *buf, struct manifest_entry *e,
    struct store_stream_stats *st);

#endif
