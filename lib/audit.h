/* audit.h: the audit trail, STATE/audit.log (docs/AUDIT.md).
 *
 * One JSON object per line, one line per event: who ran what, where, on
 * which sets, with what result.  Each record carries `seq` (1, 2, ...) and
 * `prev`, the BLAKE2b-256 of the previous line, so that a record altered,
 * removed, inserted or moved breaks the chain.  At the end of a command
 * the chain head is signed with the policy's signing key when there is one
 * (a "checkpoint" record).  The records a command writes are also shipped
 * to the repositories it changed, as a write-once object
 * audit/HOST-SEQ-TIME.jsonl: a second witness, offsite.
 *
 * The trail never stops a command: when the log cannot be written, one
 * warning says so and the command goes on.  Nothing secret is recorded:
 * bkp never takes a secret in argv, and audit_redact() blanks any value
 * that looks like one anyway.
 */
#ifndef BKP_AUDIT_H
#define BKP_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "policy.h"
#include "transport.h"

#define AUDIT_LOG "audit.log"
/* The log is renamed to audit.log.N beyond this size (override:
 * $BKP_AUDIT_ROTATE_SIZE, bytes). */
#define AUDIT_ROTATE_SIZE (16u << 20)
/* Renamed logs are deleted only once their newest record is older. */
#define AUDIT_KEEP_DAYS 180

/* What an event is about; every field is optional (NULL / 0). */
struct audit_fields {
	const char *policy;
	const char *repo;
	const char *set;		/* one set id */
	const char *const *sets;	/* or several */
	size_t nsets;
	char *const *patterns;		/* what, as path patterns */
	size_t npatterns;
	const char *target;		/* where to: a directory, a file */
	const char *what;		/* what: patterns, a level, a key id */
	const char *note;
	int status;			/* 0, BKP_EWARN or -BKP_E*: "status"
					 * (the exit code) and "result" */
	uint64_t bytes;			/* emitted when not 0 */
	uint64_t count;			/* emitted when not 0 */
	double seconds;			/* emitted when > 0 */
};

/* Starts the record of a command: a "begin" record with the command line
 * (redacted), user, host and time. */
void audit_begin(int argc, char **argv, const char *command);
/* One event of the command ("backup.end", "restore", "prune.delete"...). */
void audit_event(const char *type, const struct audit_fields *f);
/* The "end" record (status, result, duration, first error); then one
 * checkpoint per signing key: sig, else the signing keys of the policies
 * the command used (none: the end record says the head is unsigned); then
 * the command's records go to the repositories it changed.  Returns
 * status. */
int audit_end(int status, const struct bkp_signkey *sig);

/* The command works on policy p: records a "policy.change" event when the
 * policy file's hash differs from the last run's, and remembers its
 * signing key for the checkpoint. */
void audit_policy(const struct policy *p);
/* The command changed repository url: its records are shipped there. */
void audit_ship_to(const char *url, const struct transport_opts *o);
/* The same for the repository of policy p. */
void audit_ship_policy(const struct policy *p);

/* Redacts one argument for the record.  prev is the argument before it
 * (NULL for the first): "--passphrase=X", "--password=X", "--secret=X",
 * "--token=X" (and the value after such an option given alone) become
 * "...=***"; a URL's password (sftp://user:pw@host) becomes ***.  Paths,
 * including --passphrase-file's, are kept.  1 when something was
 * redacted. */
int audit_redact(const char *arg, const char *prev, char *out, size_t size);

#endif
