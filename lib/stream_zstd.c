/* stream_zstd.c: zstd compression and decompression filters.
 *
 * Compression may use libzstd's worker threads, so that compressing overlaps
 * with reading, hashing and encrypting in the calling thread.
 */
#include <stdlib.h>

#include <zstd.h>

#include "error.h"
#include "log.h"
#include "stream_impl.h"

#define ZOUT_SIZE (128 * 1024)

struct zw {
	ZSTD_CCtx *cctx;
	uint8_t out[ZOUT_SIZE];
};

static int
zw_drive(struct ostream *os, ZSTD_inBuffer *in, ZSTD_EndDirective mode)
{
	struct zw *z = os->state;
	size_t left;
	int rc;

	do {
		ZSTD_outBuffer out = { z->out, sizeof(z->out), 0 };

		left = ZSTD_compressStream2(z->cctx, &out, in, mode);
		if (ZSTD_isError(left)) {
			log_error("zstd: %s", ZSTD_getErrorName(left));
			return -BKP_EINTERNAL;
		}
		if ((rc = ostream_write(os->next, z->out, out.pos)) != 0)
			return rc;
		if (mode == ZSTD_e_continue && in->pos == in->size)
			return 0;
	} while (left != 0 || in->pos < in->size);
	return 0;
}

static int
zw_write(struct ostream *os, const void *buf, size_t n)
{
	ZSTD_inBuffer in = { buf, n, 0 };

	return zw_drive(os, &in, ZSTD_e_continue);
}

static int
zw_close(struct ostream *os)
{
	ZSTD_inBuffer in = { NULL, 0, 0 };

	return zw_drive(os, &in, ZSTD_e_end);
}

static void
zw_free(struct ostream *os)
{
	struct zw *z = os->state;

	if (z) {
		ZSTD_freeCCtx(z->cctx);
		free(z);
	}
}

static const struct ostream_ops zw_ops = {
	.write = zw_write, .close = zw_close, .free = zw_free,
};

struct ostream *
ostream_zstd_new(struct ostream *next, int level, int threads)
{
	struct zw *z;
	struct ostream *os;

	if (next == NULL)
		return NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->cctx = ZSTD_createCCtx()) == NULL)
		goto err;
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 0);
	if (threads > 0)
		ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, threads);
	if ((os = ostream_alloc(&zw_ops, next, z)) == NULL)
		goto err;
	return os;
err:
	if (z)
		ZSTD_freeCCtx(z->cctx);
	free(z);
	ostream_free(next);
	return NULL;
}

/* Decompression.  Bytes after the end of the last frame are corruption. */

#define ZIN_SIZE (128 * 1024)

struct zr {
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer in;
	uint8_t buf[ZIN_SIZE];
	size_t last;		/* last ZSTD_decompressStream hint */
	int eof;
};

static int
zr_read(struct istream *is, void *buf, size_t n, size_t *got)
{
	struct zr *z = is->state;
	ZSTD_outBuffer out = { buf, n, 0 };
	int rc;

	while (out.pos == 0) {
		if (z->in.pos == z->in.size && !z->eof) {
			size_t k;

			if ((rc = istream_read(is->next, z->buf,
			    sizeof(z->buf), &k)) != 0)
				return rc;
			z->in.src = z->buf;
			z->in.size = k;
			z->in.pos = 0;
			z->eof = k == 0;
		}
		if (z->eof && z->in.pos == z->in.size) {
			if (z->last != 0) {
				log_error("zstd: compressed data truncated");
				return -BKP_ECORRUPT;
			}
			break;
		}
		z->last = ZSTD_decompressStream(z->dctx, &out, &z->in);
		if (ZSTD_isError(z->last)) {
			log_error("zstd: %s", ZSTD_getErrorName(z->last));
			return -BKP_ECORRUPT;
		}
	}
	*got = out.pos;
	return 0;
}

static void
zr_free(struct istream *is)
{
	struct zr *z = is->state;

	if (z) {
		ZSTD_freeDCtx(z->dctx);
		free(z);
	}
}

static const struct istream_ops zr_ops = { .read = zr_read, .free = zr_free };

struct istream *
istream_zstd_new(struct istream *next)
{
	struct zr *z;
	struct istream *is;

	if (next == NULL)
		return NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->dctx = ZSTD_createDCtx()) == NULL)
		goto err;
	/* No frame yet: an input that ends before one is truncated. */
	z->last = 1;
	/* Cap the window a hostile frame may ask for (128 MiB). */
	ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, 27);
	if ((is = istream_alloc(&zr_ops, next, z)) == NULL)
		goto err;
	return is;
err:
	if (z)
		ZSTD_freeDCtx(z->dctx);
	free(z);
	istream_free(next);
	return NULL;
}
