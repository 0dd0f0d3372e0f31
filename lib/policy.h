/* policy.h: backup policy files (INI, see bkp-policy(5)).
 *
 * Parsed with inih; every key comes from one table of known keys with its
 * type and limits, so that a later section is one table row per key.  All
 * errors are reported at once as "file:line: message".
 */
#ifndef BKP_POLICY_H
#define BKP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "retention.h"
#include "schedule.h"

struct strlist {
	char **v;
	size_t n;
};

struct policy {
	char *file;
	char *name;
	struct strlist paths;
	struct strlist excludes;
	int one_file_system;
	char *repo_url;
	char *identity;
	char *known_hosts;
	char *pubkey;
	char *signkey;
	uint64_t part_size;
	int64_t zstd_level;
	int64_t threads;
	struct retention_rules retention;
	struct schedule schedule;
	char *hook_pre, *hook_post, *hook_failure;
	int64_t hook_timeout;		/* seconds */
};

/* Loads and checks path; -BKP_ECONFIG after printing every problem. */
int policy_load(const char *path, struct policy **p);
/* The same from memory (name stands for the file in messages). */
int policy_parse(const char *text, size_t len, const char *name,
    struct policy **p);
void policy_free(struct policy *p);

/* "64M", "1G", "4096" -> bytes; -1 when malformed or too large. */
int64_t policy_parse_size(const char *s);
/* "90", "90s", "15m", "2h", "90d" -> seconds; -1 when malformed. */
int64_t policy_parse_duration(const char *s);

#endif
