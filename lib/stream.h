/* stream.h: stacks of byte filters.
 *
 * An ostream passes what is written to it, transformed, to the next one; the
 * last in the stack is a sink (a transport writer).  An istream pulls from
 * the one below it.  Compression, encryption and hashing are all filters, so
 * a part is "pax -> zstd -> encrypt -> hash -> transport" and restore reads
 * the same stack upside down.  Freeing a stack frees every filter below.
 *
 * A filter constructor takes ownership of next: given NULL it returns NULL,
 * and when it fails it frees next, so stacks can be built in one expression
 * and checked once.
 */
#ifndef BKP_STREAM_H
#define BKP_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct transport_writer;
struct transport_reader;

struct ostream;
struct istream;

/* Writes all of buf. */
int ostream_write(struct ostream *os, const void *buf, size_t n);
/* Flushes and finishes every filter down the stack (a sink commits). */
int ostream_close(struct ostream *os);
/* Frees the stack; a sink that was not closed aborts its object. */
void ostream_free(struct ostream *os);

/* Reads up to n bytes; *got is 0 only at the end of the stream. */
int istream_read(struct istream *is, void *buf, size_t n, size_t *got);
/* Reads exactly n bytes; a short stream is -BKP_ECORRUPT. */
int istream_read_full(struct istream *is, void *buf, size_t n);
void istream_free(struct istream *is);

/* Sinks and sources.  They take ownership of the transport object.  With
 * later, closing the sink starts the commit (transport_write_commit_later)
 * instead of making it. */
struct ostream *ostream_transport_new(struct transport_writer *w, int later);
struct istream *istream_transport_new(struct transport_reader *r);
/* An in-memory sink (for small objects and tests); bytes stay owned by the
 * stream until ostream_memory_take. */
struct ostream *ostream_memory_new(void);
uint8_t *ostream_memory_take(struct ostream *os, size_t *len);
struct istream *istream_memory_new(const void *buf, size_t len);

/* BLAKE2b-256 of everything that passes, and the byte count. */
struct ostream *ostream_hash_new(struct ostream *next);
void ostream_hash_result(struct ostream *os, uint8_t hash[32],
    uint64_t *bytes);
/* The byte count so far, without finishing the hash. */
uint64_t ostream_hash_bytes(const struct ostream *os);
struct istream *istream_hash_new(struct istream *next);
/* As istream_hash_new, and at the end of the stream the size and hash must
 * be the expected ones, else -BKP_ECORRUPT naming name.  With hash NULL
 * only the size is checked, and nothing is hashed. */
struct istream *istream_hash_expect_new(struct istream *next,
    const uint8_t hash[32], uint64_t size, const char *name);
void istream_hash_result(struct istream *is, uint8_t hash[32],
    uint64_t *bytes);

/* Runs the rest of the stack in a worker thread, through nbufs buffers of
 * bufsize bytes. */
struct ostream *ostream_thread_new(struct ostream *next, size_t bufsize,
    size_t nbufs);
/* Reads ahead from the rest of the stack in a worker thread. */
struct istream *istream_thread_new(struct istream *next, size_t bufsize,
    size_t nbufs);

/* zstd at level (1..19), with threads worker threads (0: in the caller). */
struct ostream *ostream_zstd_new(struct ostream *next, int level,
    int threads);
struct istream *istream_zstd_new(struct istream *next);

/* The encrypted object envelope (docs/FORMAT.md): an 8-byte magic and
 * version, then XChaCha20-Poly1305 secretstream chunks, each bound to ad.
 * The key is copied and wiped on free.  Reading checks the magic and
 * version, authenticates every chunk, and treats a missing final chunk or
 * bytes after it as corruption; name is used in messages. */
struct ostream *ostream_encrypt_new(struct ostream *next, const char *magic,
    const uint8_t key[32], const uint8_t *ad, size_t adlen);
struct istream *istream_decrypt_new(struct istream *next, const char *magic,
    const uint8_t key[32], const uint8_t *ad, size_t adlen,
    const char *name);

#define STREAM_MAGIC_LEN 8
#define STREAM_VERSION 1
#define STREAM_CHUNK (64 * 1024)

#endif
