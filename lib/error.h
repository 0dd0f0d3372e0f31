/* error.h: the one error convention of bkp.
 *
 * Every function that can fail returns an int: 0 on success, or a negative
 * BKP_E* code from the table below.  The error is reported once, where it is
 * found (bkp_err / bkp_errno); callers only pass the code up.  The codes are
 * also the program's exit status (negated), documented in bkp(1).
 */
#ifndef BKP_ERROR_H
#define BKP_ERROR_H

enum bkp_status {
	BKP_OK = 0,
	BKP_EWARN = 1,      /* completed, with warnings */
	BKP_EUSAGE = 2,     /* bad command line */
	BKP_ECONFIG = 3,    /* bad policy or configuration */
	BKP_EIO = 4,        /* local I/O failure */
	BKP_ECORRUPT = 5,   /* object malformed or not authentic */
	BKP_EKEY = 6,       /* wrong key or passphrase, unusable key file */
	BKP_ENOTFOUND = 7,  /* no such set, object or file */
	BKP_EREPO = 8,      /* not a repository, foreign or unknown version */
	BKP_ETRANSPORT = 9, /* connection or remote failure */
	BKP_EPARTIAL = 10,  /* some files could not be restored */
	BKP_ELOCKED = 11,   /* another run holds the lock */
	BKP_ENOSPC = 12,    /* no space left on a device */
	BKP_ENOMEM = 13,    /* out of memory */
	BKP_EFAILED = 14,   /* some policies failed */
	BKP_EINTERNAL = 15, /* a bug: please report it */
	BKP_ESOURCE = 16    /* a live source file differs from its backup */
};
#define BKP_NSTATUS 17

/* The short name of a status code ("corrupt", "usage", ...). */
const char *bkp_strerror(int code);

/* Maps an errno value to the matching negative status code. */
int bkp_from_errno(int errnum);

#endif
