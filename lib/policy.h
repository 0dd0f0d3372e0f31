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

/* [stores]: dumps of data stores, streamed from commands
 * (policy_stores.h). */
struct store_rules {
	struct strlist commands;	/* "NAME: CMD" */
	struct strlist pg_databases;	/* names, or "all" */
	struct strlist my_databases;	/* names, or "all" */
	struct strlist sqlite;		/* database files */
	char *pg_connection, *pg_run_as;
	char *my_options, *my_run_as;
	int64_t timeout;		/* seconds per dump; 0: none */
};

/* [drill] mode: what bkp run does when a recovery drill is due. */
enum drill_mode { DRILL_REMIND, DRILL_RUN, DRILL_OFF };

/* [drill]: recovery drills (bkp drill). */
struct drill_rules {
	int64_t every;			/* seconds between drills (90d) */
	int mode;			/* enum drill_mode (remind) */
	char *check;			/* run on the restored tree */
	struct strlist check_queries;	/* "[TYPE NAME: ]SQL" (stores) */
	int64_t check_timeout;		/* seconds (10m) */
	char *key;			/* the secret key (repo.key) */
	int64_t rto_target, rpo_target;	/* seconds; 0: none */
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
	struct strlist offsite;		/* more repositories, copies of url's */
	int64_t retry_attempts;		/* SFTP reconnects per outage (5) */
	int64_t retry_time;		/* seconds an outage may last (600) */
	char *pubkey;
	char *signkey;
	uint64_t part_size;
	int64_t zstd_level;
	int64_t threads;
	struct retention_rules retention;
	struct schedule schedule;
	char *hook_pre, *hook_post, *hook_failure;
	int64_t hook_timeout;		/* seconds */
	char *verify_after;		/* level after each backup, or NULL */
	char *verify_weekly;		/* level at least once a week, or NULL */
	char *verify_key, *verify_passfile;	/* for sample / full */
	int verify_compare_source;	/* sample / full: --compare-source */
	char *notify;			/* command told of problems */
	struct store_rules stores;
	struct drill_rules drill;
};

/* Loads and checks path; -BKP_ECONFIG after printing every problem. */
int policy_load(const char *path, struct policy **p);
/* The same from memory (name stands for the file in messages). */
int policy_parse(const char *text, size_t len, const char *name,
    struct policy **p);
void policy_free(struct policy *p);

/* "64M", "1G", "4096" -> bytes; -1 when malformed or too large. */
int64_t policy_parse_size(const char *s);
/* "hashes", "sample:200", "sample:5%", ...: 0 and the level's name in
 * level (may be NULL), or -1. */
int policy_verify_level(const char *v, char *level, size_t size);
/* "90", "90s", "15m", "2h", "90d" -> seconds; -1 when malformed. */
int64_t policy_parse_duration(const char *s);

#endif
