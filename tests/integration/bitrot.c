/* bitrot.c: an LD_PRELOAD library for the tests that plays a disk gone bad
 * under the file system: every read(2) of the file named by $BITROT_PATH
 * (an absolute path) returns its first byte with the low bit flipped.  The
 * file itself is not touched, so its size, times, inode and device stay
 * those of the backed-up version, as with real bit rot: nothing written
 * through the file system can keep the ctime.  Built by the test that
 * preloads it, without sanitizers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
is_target(int fd)
{
	const char *want = getenv("BITROT_PATH");
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (want == NULL)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 0)
		return 0;
	path[n] = '\0';
	return strcmp(path, want) == 0;
}

ssize_t
read(int fd, void *buf, size_t count)
{
	static ssize_t (*real_read)(int, void *, size_t);
	ssize_t n;

	if (real_read == NULL)
		real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT,
		    "read");
	n = real_read(fd, buf, count);
	/* The read that returned byte 0 ends at offset n. */
	if (n > 0 && is_target(fd) && lseek(fd, 0, SEEK_CUR) == n)
		((unsigned char *)buf)[0] ^= 0x01;
	return n;
}
