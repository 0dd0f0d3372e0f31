/* fuzz_zstd_tar.c: a part's plaintext, as restore reads it.
 *
 * What restore/extract.c does with a decrypted part: istream_zstd, then
 * libarchive's tar reader (pax) fed by a read callback; every header is
 * looked at and every entry's data read block by block with the offset
 * checks of copy_data.  Decryption is skipped (fuzz_object covers it), so
 * that mutations reach zstd and the tar reader.
 *
 * Input: one control byte, then a payload.
 *   bit 0  0: the payload is zstd-compressed (a part's plaintext);
 *          1: the payload is the tar stream itself (no zstd), so that
 *             mutations hit libarchive directly.
 *   bits 1-3: the size of the blocks handed to libarchive (read_sizes).
 *
 * Reading stops after OUT_MAX bytes of tar stream.
 *
 * Note: libzstd and libarchive are the system libraries, not instrumented:
 * the fuzzer gets no coverage feedback from inside them and ASan sees only
 * what they do through intercepted calls.  See README.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "common.h"
#include "stream.h"

#define C_RAW 0x01
#define OUT_MAX (16u << 20)

static const size_t read_sizes[8] = {
	128 * 1024, 1, 7, 512, 4096, 10240, 65536, 65537
};

struct src {
	struct istream *is;
	uint8_t *buf;
	size_t size, total;
};

static volatile uint64_t sink;

static la_ssize_t
read_cb(struct archive *a, void *arg, const void **buf)
{
	struct src *s = arg;
	size_t got;

	if (istream_read(s->is, s->buf, s->size, &got) != 0 ||
	    (s->total += got) > OUT_MAX) {
		archive_set_error(a, EIO, "part unreadable");
		return -1;
	}
	*buf = s->buf;
	return (la_ssize_t)got;
}

static void
look(const char *s)
{
	if (s)
		sink += strlen(s);
}

/* As restore's copy_data, without the disk. */
static int
read_data(struct archive *in, int64_t size)
{
	const void *buf;
	size_t n;
	la_int64_t off;
	uint64_t pos = 0;
	int r;

	while ((r = archive_read_data_block(in, &buf, &n, &off)) ==
	    ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off < pos ||
		    (uint64_t)off + n > (uint64_t)size)
			return -1;
		if (n > 0)
			sink += ((const uint8_t *)buf)[0] +
			    ((const uint8_t *)buf)[n - 1];
		pos = (uint64_t)off + n;
	}
	return r == ARCHIVE_EOF ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive_entry *ae;
	struct archive *in;
	struct src s;
	const char *name;
	const void *value;
	size_t len;
	int r;

	if (size < 1)
		return 0;
	memset(&s, 0, sizeof(s));
	s.size = read_sizes[(data[0] >> 1) & 7];
	s.is = istream_memory_new(data + 1, size - 1);
	if (!(data[0] & C_RAW))
		s.is = istream_zstd_new(s.is);
	if (s.is == NULL || (s.buf = malloc(s.size)) == NULL ||
	    (in = archive_read_new()) == NULL)
		fuzz_fail("zstd_tar", "out of memory");
	archive_read_support_format_tar(in);
	if (archive_read_open(in, &s, NULL, read_cb, NULL) != ARCHIVE_OK)
		goto out;
	while ((r = archive_read_next_header(in, &ae)) == ARCHIVE_OK) {
		look(archive_entry_pathname(ae));
		look(archive_entry_hardlink(ae));
		look(archive_entry_symlink(ae));
		look(archive_entry_uname(ae));
		look(archive_entry_gname(ae));
		sink += archive_entry_filetype(ae) + archive_entry_mode(ae) +
		    (uint64_t)archive_entry_mtime(ae) +
		    (uint64_t)archive_entry_mtime_nsec(ae) +
		    archive_entry_rdev(ae);
		archive_entry_xattr_reset(ae);
		while (archive_entry_xattr_next(ae, &name, &value, &len) ==
		    ARCHIVE_OK) {
			look(name);
			if (len > 0)
				sink += ((const uint8_t *)value)[len - 1];
		}
		if (archive_entry_filetype(ae) == AE_IFREG &&
		    archive_entry_size_is_set(ae) &&
		    read_data(in, archive_entry_size(ae)) != 0)
			break;
	}
out:
	archive_read_free(in);
	istream_free(s.is);
	free(s.buf);
	return 0;
}
