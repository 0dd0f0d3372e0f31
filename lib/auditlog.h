/* auditlog.h: the audit log's files, its chain, and its offsite copy
 * (internal to the audit trail: lib/audit.c and bkp audit).
 *
 * A line is a record; the hash of a line is BLAKE2b-256 of its bytes
 * without the newline.  Record n+1 carries seq n+1, prev = hash of line n,
 * and the log's id (32 hex digits, random, kept across rotations).
 */
#ifndef BKP_AUDITLOG_H
#define BKP_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "buf.h"
#include "policy.h"
#include "repo.h"

#define AUDIT_LOG_ID_HEX 33

struct audit_head {
	uint64_t seq;			/* 0 for an empty log */
	uint8_t hash[32];		/* of the last line; zero when empty */
	char log[AUDIT_LOG_ID_HEX];	/* "" when unknown */
};

/* audit_log.c */
/* STATE/audit.log into out. */
int auditlog_path(char *out, size_t size);
/* Completes a record under the lock, given the head it will follow. */
typedef int (*auditlog_fin)(json_object *rec, const struct audit_head *head,
    void *arg);
/* Appends body as the next record (seq, prev and log first) under the lock
 * STATE/audit.lock, rotating the log first when it is too large; line (may
 * be NULL) gets the line written, newline included. */
int auditlog_append(json_object *body, auditlog_fin fin, void *arg,
    struct wbuf *line);
/* The log's files, oldest first: audit.log.1, audit.log.2, ..., audit.log
 * (those that exist).  Release with auditlog_files_free. */
int auditlog_files(char ***paths, size_t *n);
void auditlog_files_free(char **paths, size_t n);
/* Calls cb for every line of path (without its newline; complete is 0 for
 * a last line without one). */
typedef int (*auditlog_line_cb)(void *arg, const char *line, size_t len,
    int complete, uint64_t lineno);
int auditlog_read(const char *path, auditlog_line_cb cb, void *arg);
/* The pieces of an append, for the rotation: the head of the open log fd
 * of size bytes (*partial: its last line has no newline), a record line
 * after head, writing, and making a directory entry durable. */
int auditlog_head(int fd, off_t size, struct audit_head *h, int *partial);
int auditlog_make_line(json_object *body, const struct audit_head *head,
    auditlog_fin fin, void *arg, struct wbuf *w);
int auditlog_write_all(int fd, const char *p, size_t n, const char *path);
int auditlog_sync_dir(const char *path);

/* audit_rotate.c: beyond the size limit, renames the log (path, open as
 * *fd, *size bytes) to path.N, opens a new one whose first record,
 * "log.rotate", follows the old head, and deletes renamed logs whose
 * newest record is older than AUDIT_KEEP_DAYS. */
int auditlog_rotate_if_needed(const char *path, int *fd, off_t *size);
/* A problem of the trail: a warning (the trail never fails a command)
 * ending with strerror(errno); returns the matching status. */
int auditlog_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "%02x" of 32 bytes, and back (0, or -1 when not 64 hex digits). */
void auditlog_hex(const uint8_t h[32], char out[65]);
int auditlog_unhex(const char *s, uint8_t h[32]);

/* audit_check.c: checking a chain, line after line. */
struct audit_check {
	const uint8_t (*pubs)[32];	/* the signers accepted; none: any */
	size_t npubs;
	int have_prev;
	uint64_t seq;			/* of the last record */
	uint8_t hash[32];		/* of the last line */
	char log[AUDIT_LOG_ID_HEX];
	uint64_t records, first_seq, checkpoints, last_signed, broken;
	char signer[KEY_ID_HEX];	/* of the last checkpoint */
};
void audit_check_init(struct audit_check *c, const uint8_t (*pubs)[32],
    size_t npubs);
/* Checks the next line; where ("FILE:LINE") names it.  The first broken
 * record is reported; -BKP_ECORRUPT for it and every later one. */
int audit_check_line(struct audit_check *c, const char *line, size_t len,
    int complete, const char *where);
/* The message a checkpoint signs: "BKPAUDIT", u64 head seq, head hash,
 * log id (the 32 hex digits). */
#define AUDIT_SIGMSG_LEN (8 + 8 + 32 + 32)
void audit_sigmsg(uint64_t seq, const uint8_t head[32], const char *log,
    uint8_t msg[AUDIT_SIGMSG_LEN]);
/* Checks a checkpoint record that follows head; why gets the reason. */
int audit_check_checkpoint(json_object *rec, uint64_t seq,
    const uint8_t prev[32], const char *log, const uint8_t (*pubs)[32],
    size_t npubs, char *why, size_t whysize);
/* The record of a line: a JSON object with seq >= 1, prev, log, event and
 * time; NULL otherwise (nothing reported). */
json_object *audit_parse(const char *line, size_t len);

/* audit_util.c: who runs bkp, its command line (redacted, quoted, \xHH
 * for bytes that are not UTF-8), and the "policy.change" record. */
void audit_identity(char *host, size_t hsize, char *user, size_t usize,
    char *sudo_user, size_t ssize, long *uid, long *euid);
void audit_cmdline(int argc, char **argv, char *out, size_t size);
void audit_clean(const char *in, char *out, size_t size);
void audit_policy_hash(const struct policy *p);

/* audit_ship.c: the copy in a repository, audit/HOST-SEQ-TIME.jsonl. */
int audit_ship_put(const char *url, const struct transport_opts *o,
    const char *name, const void *data, size_t len);
/* Checks every shipped record: chains where records follow each other,
 * checkpoints, duplicates, and (when nlocal > 0) equality with the local
 * log's records.  0, or -BKP_ECORRUPT (each problem reported). */
struct audit_local {
	char log[AUDIT_LOG_ID_HEX];
	uint64_t seq;
	uint8_t hash[32];
};
int audit_ship_verify(struct repo *r, const uint8_t (*pubs)[32],
    size_t npubs, const struct audit_local *local, size_t nlocal,
    uint64_t *nrecords, uint64_t *nobjects);

#endif
