/* cmd_audit.c: bkp audit verify | show — the audit trail (docs/AUDIT.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "repo.h"
#include "timefmt.h"

static const char usage[] =
"usage: bkp audit verify [FILE] [--pub FILE]... [--repo URL [--local]]\n"
"                        [SFTP OPTIONS]\n"
"       bkp audit show [FILE] [--since TIME] [--policy NAME] [--event TYPE]\n"
"                      [--json]\n"
"\n"
"The audit trail: one record per event in $BKP_STATE_DIR/audit.log (and\n"
"the renamed audit.log.N), chained by hashes, its head signed at the end\n"
"of every command that has a signing key (see docs/AUDIT.md).\n"
"\n"
"verify checks the chain of FILE, or of every local log file in order,\n"
"and the signature of every checkpoint, and names the first broken record.\n"
"With --pub, checkpoints must be signed by one of those keys (repo.pub\n"
"files); without it they are checked against the key each one names.\n"
"With --repo, it checks the records shipped to the repository\n"
"(audit/*.jsonl): their chains, checkpoints, and, when FILE or --local is\n"
"given, that every one equals the local log's record of the same seq.\n"
"\n"
"show prints the records, filtered: --since TIME (ISO 8601), --policy\n"
"NAME, --event TYPE (a prefix: backup, restore, key, ...); --json prints\n"
"the records as they are.\n"
"\n"
"  -k, --pub FILE      a public key file whose signing key is trusted\n"
"  -r, --repo URL      check the copy shipped to this repository\n"
"  -l, --local         with --repo: compare with the local log\n"
"  -s, --since TIME    show: records at or after TIME\n"
"  -P, --policy NAME   show: records of this policy\n"
"  -e, --event TYPE    show: records whose event starts with TYPE\n"
"  -j, --json          show: JSON lines\n"
"  -h, --help          this text\n"
CLI_TRANSPORT_HELP
"\n"
"Exit status: 0 intact, 5 a broken chain, a bad signature or a shipped\n"
"record that differs, 7 no log, other codes: bkp(1).\n";

#define MAX_PUBS 16

struct audit_args {
	const char *file, *repo, *since, *policy, *event;
	int local, json;
	uint8_t pubs[MAX_PUBS][32];
	size_t npubs;
	struct transport_opts topts;
	/* verify: the local records, for the comparison. */
	struct audit_check check;
	struct audit_local *rec;
	size_t nrec;
	const char *path;
	int64_t since_ns;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct audit_args *a = ctx;
	struct bkp_pubkey pub;
	int rc;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	switch (c) {
	case 'k':
		if (a->npubs == MAX_PUBS) {
			log_error("audit: at most %d --pub", MAX_PUBS);
			return -BKP_EUSAGE;
		}
		if ((rc = pubkey_load(arg, &pub)) != 0)
			return rc;
		memcpy(a->pubs[a->npubs++], pub.sign_pk, 32);
		break;
	case 'r': a->repo = arg; break;
	case 'l': a->local = 1; break;
	case 's': a->since = arg; break;
	case 'P': a->policy = arg; break;
	case 'e': a->event = arg; break;
	case 'j': a->json = 1; break;
	}
	return 0;
}

/* FILE, or every local log file, oldest first. */
static int
log_files(const struct audit_args *a, char ***paths, size_t *n)
{
	int rc;

	if (a->file) {
		if ((*paths = calloc(1, sizeof(char *))) == NULL ||
		    ((*paths)[0] = strdup(a->file)) == NULL) {
			free(*paths);
			return -BKP_ENOMEM;
		}
		*n = 1;
		return 0;
	}
	if ((rc = auditlog_files(paths, n)) == 0 && *n == 0) {
		log_error("no audit log in the state directory yet");
		auditlog_files_free(*paths, *n);
		return -BKP_ENOTFOUND;
	}
	return rc;
}

static int
verify_line(void *arg, const char *line, size_t len, int complete,
    uint64_t lineno)
{
	struct audit_args *a = arg;
	char where[4200];
	void *p;

	snprintf(where, sizeof(where), "%s:%llu", a->path,
	    (unsigned long long)lineno);
	audit_check_line(&a->check, line, len, complete, where);
	if (a->repo == NULL)
		return 0;
	if ((p = realloc(a->rec, (a->nrec + 1) * sizeof(*a->rec))) == NULL)
		return -BKP_ENOMEM;
	a->rec = p;
	a->rec[a->nrec].seq = a->check.seq;
	memcpy(a->rec[a->nrec].log, a->check.log, sizeof(a->check.log));
	memcpy(a->rec[a->nrec].hash, a->check.hash, 32);
	a->nrec++;
	return 0;
}

static int
cmp_local(const void *x, const void *y)
{
	const struct audit_local *a = x, *b = y;
	int d = strcmp(a->log, b->log);

	return d ? d : a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void
verify_summary(const struct audit_args *a, size_t nfiles)
{
	const struct audit_check *c = &a->check;

	printf("%zu file(s), %llu records (seq %llu..%llu): chain %s\n",
	    nfiles, (unsigned long long)c->records,
	    (unsigned long long)c->first_seq, (unsigned long long)c->seq,
	    c->broken ? "BROKEN (the first broken record is named above)" :
	    "intact");
	if (c->checkpoints == 0)
		printf("no signed checkpoint: nothing vouches for the head\n");
	else
		printf("%llu signed checkpoint(s); the last covers seq 1..%llu "
		    "(key %s)%s\n", (unsigned long long)c->checkpoints,
		    (unsigned long long)c->last_signed, c->signer,
		    a->npubs ? "" : "; without --pub, each signature is "
		    "checked against the key it names");
	if (c->checkpoints && c->seq > c->last_signed + 1)
		printf("%llu record(s) after it are not signed yet\n",
		    (unsigned long long)(c->seq - c->last_signed - 1));
}

static int
verify_repo(struct audit_args *a)
{
	struct repo *r;
	uint64_t nrec, nobj;
	int rc;

	if ((rc = repo_open(a->repo, &a->topts, &r)) != 0)
		return rc;
	if (a->nrec > 0)
		qsort(a->rec, a->nrec, sizeof(*a->rec), cmp_local);
	rc = audit_ship_verify(r, (const uint8_t (*)[32])a->pubs, a->npubs,
	    a->rec, a->nrec, &nrec, &nobj);
	if (rc == 0 || rc == -BKP_ECORRUPT)
		printf("%s: %llu shipped records in %llu objects: %s%s\n",
		    a->repo, (unsigned long long)nrec,
		    (unsigned long long)nobj, rc ? "PROBLEMS (listed above)" :
		    "consistent", rc == 0 && a->nrec ? ", and equal to the "
		    "local log's records" : "");
	repo_close(r);
	return rc;
}

static int
audit_verify(struct audit_args *a)
{
	char **paths = NULL;
	size_t n = 0;
	int rc = 0, rrc = 0;

	audit_check_init(&a->check, (const uint8_t (*)[32])a->pubs, a->npubs);
	if (a->repo == NULL || a->file || a->local) {
		if ((rc = log_files(a, &paths, &n)) != 0)
			return rc;
		for (size_t i = 0; i < n && rc == 0; i++) {
			a->path = paths[i];
			rc = auditlog_read(paths[i], verify_line, a);
		}
		auditlog_files_free(paths, n);
		if (rc != 0)
			goto out;
		verify_summary(a, n);
	}
	if (a->repo)
		rrc = verify_repo(a);
	rc = a->check.broken ? -BKP_ECORRUPT : rrc;
out:
	free(a->rec);
	return rc;
}

static const char *
field(json_object *rec, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(rec, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int
wanted(const struct audit_args *a, json_object *rec)
{
	const char *policy = field(rec, "policy");
	const char *event = field(rec, "event");
	int64_t ns;

	if (a->policy && (policy == NULL || strcmp(policy, a->policy) != 0))
		return 0;
	if (a->event && strncmp(event, a->event, strlen(a->event)) != 0)
		return 0;
	if (a->since && (time_parse(field(rec, "time"), &ns) != 0 ||
	    ns < a->since_ns))
		return 0;
	return 1;
}

/* TIME SEQ EVENT USER@HOST, then what the record says. */
static void
show_text(json_object *rec)
{
	static const char *const keys[] = { "policy", "repo", "set", "target",
	    "what", "note", "bytes", "count", "seconds", "result", "error",
	    "signer", "head_seq", NULL };
	const char *event = field(rec, "event"), *v;
	json_object *sets;

	printf("%s %6s  %-14s %s@%s", field(rec, "time"), field(rec, "seq"),
	    event, field(rec, "user") ? field(rec, "user") : "?",
	    field(rec, "host") ? field(rec, "host") : "?");
	if (strcmp(event, "begin") == 0 && (v = field(rec, "cmd")) != NULL)
		printf("  %s", v);
	for (int i = 0; keys[i]; i++)
		if ((v = field(rec, keys[i])) != NULL)
			printf("  %s=%s", keys[i], v);
	if (json_object_object_get_ex(rec, "sets", &sets))
		printf("  sets=%zu", json_object_array_length(sets));
	putchar('\n');
}

static int
audit_show_line(void *arg, const char *line, size_t len, int complete,
    uint64_t lineno)
{
	struct audit_args *a = arg;
	json_object *rec = complete ? audit_parse(line, len) : NULL;

	if (rec == NULL) {
		if (!a->json && !a->since && !a->policy && !a->event)
			printf("%s:%llu: not a record: %.*s\n", a->path,
			    (unsigned long long)lineno, len > 60 ? 60 : (int)len,
			    line);
		return 0;
	}
	if (wanted(a, rec)) {
		if (a->json)
			printf("%.*s\n", (int)len, line);
		else
			show_text(rec);
	}
	json_object_put(rec);
	return 0;
}

static int
audit_show(struct audit_args *a)
{
	char **paths = NULL;
	size_t n = 0;
	int rc;

	if (a->since) {
		if (time_parse(a->since, &a->since_ns) != 0) {
			log_error("audit: --since %s: not an ISO 8601 time "
			    "(e.g. 2026-11-21T14:00)", a->since);
			return -BKP_EUSAGE;
		}
		/* From the start of that second, or of that day. */
		a->since_ns -= strlen(a->since) > 10 && (a->since[10] == 'T' ||
		    a->since[10] == 't' || a->since[10] == ' ') ?
		    999999999 : 86400LL * 1000000000 - 1;
	}
	if ((rc = log_files(a, &paths, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		a->path = paths[i];
		rc = auditlog_read(paths[i], audit_show_line, a);
	}
	auditlog_files_free(paths, n);
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'k' },
		{ "repo", required_argument, NULL, 'r' },
		{ "local", no_argument, NULL, 'l' },
		{ "since", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'P' },
		{ "event", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct audit_args a = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";
	char **v;
	int rc;

	if (strcmp(sub, "verify") != 0 && strcmp(sub, "show") != 0) {
		if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		log_error("audit: say verify or show; see bkp audit --help");
		return -BKP_EUSAGE;
	}
	/* "audit" OPTIONS..., so that messages name the command. */
	if ((v = calloc((size_t)argc, sizeof(*v))) == NULL)
		return -BKP_ENOMEM;
	v[0] = argv[0];
	memcpy(v + 1, argv + 2, (size_t)(argc - 2) * sizeof(*v));
	if ((rc = cli_parse(argc - 1, v, usage, opts, on_opt, &a)) != 0)
		rc = rc > 0 ? 0 : rc;
	else if (optind + 1 < argc - 1) {
		log_error("audit: one FILE at most; see bkp audit --help");
		rc = -BKP_EUSAGE;
	} else {
		a.file = optind < argc - 1 ? v[optind] : NULL;
		rc = strcmp(sub, "verify") == 0 ? audit_verify(&a) :
		    audit_show(&a);
	}
	free(v);
	return rc;
}
