/* runlog.h: the local history of bkp run, one JSON object per line in
 * STATE/runs.log, read back by bkp status. */
#ifndef BKP_RUNLOG_H
#define BKP_RUNLOG_H

#include <stdint.h>

struct runlog_entry {
	int64_t time_ns;
	char policy[80];
	char action[16];	/* full, incremental, nothing, failed, locked */
	char set[32];
	int status;		/* exit status of that policy's run */
	double seconds;
	uint64_t bytes;
};

int runlog_append(const struct runlog_entry *e);
/* The newest entry of policy whose action is one of actions ("" = any,
 * else e.g. "full,incremental"); -BKP_ENOTFOUND if none. */
int runlog_last(const char *policy, const char *actions,
    struct runlog_entry *out);

#endif
