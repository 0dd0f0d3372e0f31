/* testutil.h: helpers shared by the unit tests (Check).
 *
 * tu_main() initialises libsodium, makes a private base directory for the
 * run (removed at the end, whatever the tests did), runs the suite with
 * CK_FORK (unless CK_FORK says otherwise) and returns the exit status:
 * non-zero when any test failed.
 */
#ifndef BKP_TESTUTIL_H
#define BKP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

/* Runs the suite; the result is main()'s exit status. */
int tu_main(Suite *s);

/* A new empty directory under the run's base directory (malloc'd). */
char *tu_tmpdir(void);
/* Removes path and everything below it. */
void tu_rmtree(const char *path);
/* "dir/name" (malloc'd). */
char *tu_path(const char *dir, const char *name);

/* Whole files.  tu_write_file creates or truncates with mode (then chmods,
 * so the umask does not matter); tu_read_file returns malloc'd bytes (NUL
 * terminated) or NULL.  tu_file_mode is the permission bits, -1 if absent. */
void tu_write_file(const char *path, const void *data, size_t len, int mode);
uint8_t *tu_read_file(const char *path, size_t *len);
int tu_file_mode(const char *path);
int tu_exists(const char *path);
/* Number of entries in dir other than "." and "..", -1 if unreadable. */
int tu_dir_count(const char *dir);

/* Capturing stderr (fd 2) into a temporary file.  tu_capture_end restores
 * fd 2 and returns what was written, NUL terminated (malloc'd).  Only one
 * capture at a time.  tu_quiet_begin/_end discard instead. */
void tu_capture_begin(void);
char *tu_capture_end(void);
void tu_quiet_begin(void);
void tu_quiet_end(void);
/* Number of '\n' in s. */
size_t tu_count_lines(const char *s);

/* A malloc'd copy. */
uint8_t *tu_dup(const void *p, size_t n);
/* n random bytes (malloc'd). */
uint8_t *tu_random(size_t n);

#endif
