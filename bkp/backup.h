/* backup.h: one backup of one policy, as bkp backup and bkp run do it. */
#ifndef BKP_BACKUP_H
#define BKP_BACKUP_H

#include <stdint.h>

#include "policy.h"
#include "repo.h"

enum backup_level { BACKUP_AUTO, BACKUP_FULL, BACKUP_INCR };

struct backup_request {
	enum backup_level level;
	int checksum;		/* re-read files that look unchanged */
	int accept_new_host_key;
	int json;		/* report as JSON */
	int quiet;		/* no report line */
};

struct backup_result {
	char setid[SETID_LEN + 1];
	uint8_t level;		/* LEVEL_FULL / LEVEL_INCR */
	uint64_t entries, bytes_read, stored;
	uint32_t warnings;
	double seconds;
};

/* Backs up p: the steps are load keys, open the repository, choose the
 * parent, write the set, cache its manifest, report.  0, BKP_EWARN, or a
 * negative status. */
int backup_policy(const struct policy *p, const struct backup_request *req,
    struct backup_result *res);

#endif
