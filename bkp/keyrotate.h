/* keyrotate.h: bkp key rotate — a new repository key for every set.
 *
 * The steps, each safe to interrupt and repeat (docs/FORMAT.md, "Key
 * rotation and revocation"):
 *   1. the new key pair in DIR (repo.key, repo.pub; the signing key is
 *      kept); on a second run, DIR's key is loaded, not made again;
 *   2. the config's next generation, with the new box_pk: from then on
 *      backups seal new sets to the new key (and refuse the old repo.pub);
 *   3. every set's data key sealed to the new key: sets/ID/key.NEWID,
 *      written once, read back and opened with the new key;
 *   4. step 3 again, for the sets a backup begun before step 2 sealed to
 *      the old key; then, unless keep_old, every other key object of each
 *      set whose new one opened is removed: from then on the old key
 *      opens nothing.
 * Until step 4, the old key opens every set (restore accepts a key the
 * repository had before, lib/repogen.h), and the new key every set
 * re-sealed so far and every new one.
 */
#ifndef BKP_KEYROTATE_H
#define BKP_KEYROTATE_H

#include "transport.h"

struct key_rotate_opts {
	const char *url;
	const struct transport_opts *topts;
	const char *oldkey;	/* the repository's secret key file */
	const char *passfile;	/* its passphrase (else the usual ways) */
	const char *newpass;	/* the new passphrase's file, or NULL */
	const char *out;	/* directory of the new key files */
	int keep_old;
};

/* 0, BKP_EWARN when some set could not be re-sealed (listed), or a
 * negative status. */
int key_rotate(const struct key_rotate_opts *o);

#endif
