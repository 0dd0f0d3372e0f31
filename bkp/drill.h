/* drill.h: recovery drills (bkp drill).
 *
 * A drill is a real recovery of a point in time of a policy into a scratch
 * target: every file restored and its hash checked (restore/extract.h),
 * then the policy's [drill] check command run on the restored tree.  It is
 * timed (RTO, by phase) and dated (RPO), judged against the policy's
 * targets, and leaves a signed report, locally and in the repository under
 * drills/ (docs/FORMAT.md, "Drill reports").
 *
 * The phases, one after another on one monotonic clock, so that they add
 * up to the RTO:
 *   connect   opening the repository (its config; the SFTP login)
 *   listing   the catalog: every seal read and verified
 *   manifest  the chosen set's seal, data key and manifest: read,
 *             decrypted, parsed
 *   restore   the parts read, decrypted, decompressed and written, and
 *             every file's hash checked: one interleaved pass, which
 *             cannot be split further honestly (bytes read and written
 *             are reported beside it)
 *   load      the restored database dumps loaded into scratch databases
 *             (drill_db.h)
 *   check     their tables counted and [drill] check_query run, then the
 *             [drill] check command
 * Unlocking the secret key (which may wait for a typed passphrase) comes
 * before the clock starts and is reported apart.
 */
#ifndef BKP_DRILL_H
#define BKP_DRILL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "catalog.h"
#include "extract.h"
#include "keys.h"
#include "policy.h"
#include "repo.h"

enum drill_phase {
	PHASE_CONNECT, PHASE_LISTING, PHASE_MANIFEST, PHASE_RESTORE,
	PHASE_LOAD, PHASE_CHECK, NPHASES
};
extern const char *const drill_phase_names[NPHASES];

struct drill_request {
	const char *at;		/* NULL: the newest set of the policy */
	const char *target;	/* NULL: a fresh directory under $TMPDIR */
	const char *report_dir;	/* NULL: STATE/drills */
	const char *key;	/* NULL: the policy's [drill] key */
	const char *passfile;
	int keep, json, quiet, accept_new_host_key;
};

struct drill {
	const struct policy *p;
	const struct drill_request *req;
	struct repo *repo;
	struct bkp_seckey *sec;
	struct bkp_signkey *sig;	/* signs the report */
	struct catalog cat;
	const struct seal *set;		/* the set restored */
	char target[4096];
	int made_target;		/* ours to remove */
	/* Times. */
	int64_t start_ns;		/* wall clock at the start */
	struct timespec mark;		/* end of the last phase */
	double key_seconds, phase[NPHASES], rto;
	/* RPO, in ns, over the policy's sets in the repository. */
	int64_t rpo_ns, newest_age_ns, worst_gap_ns;
	int64_t gap_from_ns, gap_to_ns, window_from_ns, window_to_ns;
	size_t nsets;
	int newest;			/* the set restored is the newest */
	/* What was restored. */
	struct extract_stats st;
	uint64_t files, bytes_read;
	int restore_rc;			/* the restore's status */
	int check_rc;			/* 0, or the check's failure */
	int check_ran;
	struct drill_dbs *dbs;		/* the databases (drill_db.h) */
	/* The verdict. */
	int pass;
	json_object *reasons;		/* strings: why it failed */
	char name[160];			/* drill-POLICY-TIMESTAMP */
};

/* drill_run.c: the recovery itself.  0 when the drill ran (its verdict is
 * in d->pass), or the status that kept it from running (reported). */
int drill_execute(struct drill *d);
void drill_release(struct drill *d);

/* drill_db.c, drill_db_check.c, drill_db_json.c: the restored database
 * dumps loaded into scratch databases, their tables counted, the
 * policy's check queries run; failures are the drill's reasons.  Nothing
 * is done when the restore failed.  0, or -BKP_ENOMEM. */
int drill_db_load(struct drill *d);
void drill_db_check(struct drill *d);
/* Drops the scratch databases (unless --keep) and frees them. */
void drill_db_drop(struct drill *d);
json_object *drill_db_json(const struct drill *d);
uint64_t drill_db_failures(const struct drill *d);

/* drill_report.c: the report, its signature and where they go. */
json_object *drill_json(struct drill *d);
/* Writes the report to the report directory and the repository. */
int drill_publish(struct drill *d, json_object *report);
/* Checks a report against its .sig file: 0, -BKP_ECORRUPT, or another
 * error. */
int drill_verify_file(const char *json_path, const uint8_t pk[32]);
/* 0 if sig (the .sig file's content) is the signature of data by pk. */
int drill_sig_check(const uint8_t *data, size_t len, const uint8_t *sig,
    size_t siglen, const uint8_t pk[32]);

/* drill_html.c: the report as a self-contained HTML page, with the
 * earlier reports of the policy (JSON objects, oldest first). */
struct drill_past {
	json_object **v;
	size_t n;
	size_t rejected;	/* reports whose signature did not verify */
};
char *drill_html(json_object *report, const struct drill_past *past);
/* s, escaped for HTML text and attribute values. */
void drill_html_esc(FILE *f, const char *s);
/* drill_html_db.c: the report's databases, a table each. */
void drill_html_stores(FILE *f, json_object *report);

/* drill_store.c: the reports in the repository and the local record. */
/* 0 and the time in the name if name is "drill-POLICY-TIMESTAMP.json". */
int drill_name_time(const char *name, const char *policy, int64_t *ns);
/* The newest reports of policy whose signature verifies with pk. */
int drill_history_load(struct repo *r, const char *policy,
    const uint8_t pk[32], struct drill_past *past);
void drill_history_release(struct drill_past *past);
/* The newest signed report of policy in the repository: its time (0 if
 * none) and verdict. */
int drill_repo_last(struct repo *r, const char *policy, const uint8_t pk[32],
    int64_t *ns, char verdict[8]);
/* Appends the drill to STATE/drill.log; the newest entry of policy. */
int drill_log_append(const struct drill *d, const char *report);
int drill_log_last(const char *policy, int64_t *ns, char verdict[8]);

/* drill_due.c: drills in bkp run and bkp status. */
struct drill_state {
	int64_t last_ns;	/* 0: none found */
	char verdict[8];	/* of the last drill: pass, fail, "" */
	int64_t next_ns;	/* 0: nothing to drill yet */
	int overdue;
};
/* For bkp run: drills when due (mode run) or warns (mode remind); rc is
 * the run's status so far, and the result is the new one. */
int drill_when_due(const struct policy *p, int accept_new_host_key, int rc);
/* For bkp status: the last drill and when the next is due; appends its
 * warnings to warnings ("; "-separated). */
void drill_assess(const struct policy *p, int64_t now_ns,
    struct drill_state *s, char *warnings, size_t size);
/* ", last drill ..., next drill due ..." for bkp status's line. */
const char *drill_state_text(const struct drill_state *s, char *buf,
    size_t size);
json_object *drill_state_json(const struct drill_state *s);

/* cmd_drill.c: a drill of policy p, as bkp drill does it.  0: passed;
 * -BKP_ECORRUPT: it failed (report written); else it could not run. */
int drill_policy(const struct policy *p, const struct drill_request *req);

#endif
