/* stream_impl.h: what a stream filter provides. */
#ifndef BKP_STREAM_IMPL_H
#define BKP_STREAM_IMPL_H

#include "stream.h"

struct ostream_ops {
	int (*write)(struct ostream *os, const void *buf, size_t n);
	int (*close)(struct ostream *os);	/* finish, then close next */
	void (*free)(struct ostream *os);	/* own state only */
};

struct ostream {
	const struct ostream_ops *ops;
	struct ostream *next;
	void *state;
	int closed;
};

struct istream_ops {
	int (*read)(struct istream *is, void *buf, size_t n, size_t *got);
	void (*free)(struct istream *is);
};

struct istream {
	const struct istream_ops *ops;
	struct istream *next;
	void *state;
};

struct ostream *ostream_alloc(const struct ostream_ops *ops,
    struct ostream *next, void *state);
struct istream *istream_alloc(const struct istream_ops *ops,
    struct istream *next, void *state);

#endif
