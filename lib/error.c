/* error.c: names of the status codes. */
#include <errno.h>
#include <stdlib.h>

#include "error.h"

static const char *const names[BKP_NSTATUS] = {
	[BKP_OK] = "success",
	[BKP_EWARN] = "completed with warnings",
	[BKP_EUSAGE] = "usage error",
	[BKP_ECONFIG] = "configuration error",
	[BKP_EIO] = "I/O error",
	[BKP_ECORRUPT] = "corrupt or not authentic",
	[BKP_EKEY] = "key error",
	[BKP_ENOTFOUND] = "not found",
	[BKP_EREPO] = "repository error",
	[BKP_ETRANSPORT] = "transport error",
	[BKP_EPARTIAL] = "partial: some files or dumps failed",
	[BKP_ELOCKED] = "locked",
	[BKP_ENOSPC] = "no space left",
	[BKP_ENOMEM] = "out of memory",
	[BKP_EFAILED] = "some policies failed",
	[BKP_EINTERNAL] = "internal error",
	[BKP_ESOURCE] = "a source file differs from its backup",
};

const char *
bkp_strerror(int code)
{
	code = abs(code);
	if (code >= BKP_NSTATUS)
		return "unknown error";
	return names[code];
}

int
bkp_from_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
		return -BKP_ENOSPC;
	case ENOMEM:
		return -BKP_ENOMEM;
	case ENOENT:
		return -BKP_ENOTFOUND;
	default:
		return -BKP_EIO;
	}
}
