/* transport_impl.h: what a transport driver provides.  Users of transports
 * include transport.h only. */
#ifndef BKP_TRANSPORT_IMPL_H
#define BKP_TRANSPORT_IMPL_H

#include "transport.h"

struct transport_ops {
	const char *scheme;	/* URL prefix, "" for local paths */
	int (*open)(const char *url, const struct transport_opts *opts,
	    void **ctx);
	void (*close)(void *ctx);
	/* Closes what close() left open for reuse (NULL: nothing). */
	void (*close_idle)(void);
	int (*mkdir)(void *ctx, const char *path);
	int (*list)(void *ctx, const char *dir,
	    int (*cb)(void *arg, const char *name), void *arg);
	int (*stat)(void *ctx, const char *path, uint64_t *size);
	/* Many small objects at once, into datas (NULL: one get after
	 * another); rcs[i] stays nonzero for an object it did not read,
	 * which transport_get() then reads or reports. */
	void (*get_all)(void *ctx, const char *const *paths, size_t n,
	    uint8_t **datas, size_t *lens, int *rcs);
	/* Many stats at once (NULL: one stat after another). */
	int (*stat_all)(void *ctx, const char *const *paths, size_t n,
	    uint64_t *sizes, int *rcs);
	int (*remove)(void *ctx, const char *path);
	int (*rmdir)(void *ctx, const char *path);
	int (*read_open)(void *ctx, const char *path, void **f);
	int (*read)(void *f, void *buf, size_t n, size_t *got);
	void (*read_close)(void *f);
	int (*write_open)(void *ctx, const char *path, void **f);
	int (*write)(void *f, const void *buf, size_t n);
	int (*write_commit)(void *f);
	/* NULL: write_commit. */
	int (*write_commit_later)(void *f);
	/* NULL: nothing is ever left in flight. */
	int (*flush)(void *ctx);
	void (*write_abort)(void *f);
};

extern const struct transport_ops transport_local_ops;
extern const struct transport_ops transport_sftp_ops;

#endif
