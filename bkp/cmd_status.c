/* cmd_status.c: bkp status [--policies DIR] [--json] [--metrics FILE] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "drill.h"
#include "error.h"
#include "history.h"
#include "log.h"
#include "policy.h"
#include "run_verify.h"
#include "runlog.h"
#include "schedule.h"
#include "state.h"
#include "timefmt.h"

static const char usage[] =
"usage: bkp status [--policies DIR] [--json] [--metrics FILE]\n"
"\n"
"For each policy: the newest full and incremental set (from the\n"
"repository), the last run (from local state), the age of the newest\n"
"restorable point (the current RPO), when the next backup is due, and\n"
"warnings: overdue backup, last run failed, fewer than min_versions\n"
"restorable sets, recovery drill overdue or last drill failed (the last\n"
"drill and when the next is due are shown too).  --metrics writes the\n"
"Prometheus textfile-collector format, atomically.  Exit status 1 when\n"
"there are warnings.\n"
"\n"
"  -d, --policies DIR  the policy directory (default /etc/bkp/policies.d)\n"
"  -j, --json          print JSON\n"
"  -m, --metrics FILE  also write metrics to FILE\n"
"  -h, --help          this text\n";

struct status_args {
	const char *dir, *metrics;
	int json;
};

struct pstatus {
	char name[80];
	struct history h;
	struct runlog_entry last;	/* last run, if have_last */
	int have_last, error;
	int64_t next_ns, now_ns;
	int64_t verified_ns, verify_problems;	/* the newest verify */
	double reread;		/* share of stored bytes verified in 30 days */
	char warnings[512];
	struct drill_state drill;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct status_args *a = ctx;

	if (c == 'd')
		a->dir = arg;
	else if (c == 'j')
		a->json = 1;
	else if (c == 'm')
		a->metrics = arg;
	return 0;
}

static void
warn(struct pstatus *s, const char *what)
{
	size_t n = strlen(s->warnings);

	snprintf(s->warnings + n, sizeof(s->warnings) - n, "%s%s",
	    n ? "; " : "", what);
}

static void
assess(const struct policy *p, struct pstatus *s)
{
	struct timespec ts;
	uint64_t bytes;
	char why[300];

	clock_gettime(CLOCK_REALTIME, &ts);
	s->now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (history_load(p, 0, &s->h) != 0) {
		s->error = 1;
		warn(s, "repository unreachable");
		return;
	}
	schedule_due(&p->schedule, s->now_ns, s->h.last_full, s->h.last_any,
	    s->h.chain_usable, &s->next_ns);
	/* Overdue: older than the incremental period plus a day (a window
	 * may delay a backup by up to a day). */
	if (s->h.last_any == 0)
		warn(s, "no backup yet");
	else if (s->now_ns - s->h.last_any > (schedule_period_seconds(
	    &p->schedule.incr) + 86400) * 1000000000LL)
		warn(s, "backup overdue");
	if (s->h.future)
		warn(s, "a set is dated in the future (clock was wrong)");
	if ((int64_t)s->h.nsets < p->retention.min_versions)
		warn(s, "fewer restorable sets than min_versions");
	run_verify_history(p->repo_url, s->now_ns - 30LL * 86400 * 1000000000,
	    &s->verified_ns, &s->verify_problems, &bytes);
	s->reread = s->h.stored ? (double)bytes / (double)s->h.stored : 0;
	if (s->reread > 1)
		s->reread = 1;
	if (s->verified_ns && s->verify_problems)
		warn(s, "the last verify found problems");
	for (size_t i = 0; i < p->offsite.n; i++)
		if (history_offsite_behind(p, i, &s->h, why, sizeof(why)))
			warn(s, why);
	s->have_last = runlog_last(p->name, "", &s->last) == 0;
	if (s->have_last && strcmp(s->last.action, "failed") == 0)
		warn(s, "last run failed");
	drill_assess(p, s->now_ns, &s->drill, s->warnings,
	    sizeof(s->warnings));
}

static void
print_text(const struct pstatus *s)
{
	char full[32] = "never", any[32] = "never", next[32], drill[160];

	if (s->h.last_full)
		time_format_utc(s->h.last_full, full, sizeof(full));
	if (s->h.last_any)
		time_format_utc(s->h.last_any, any, sizeof(any));
	time_format_utc(s->next_ns, next, sizeof(next));
	printf("%s: newest set %s (%s), last full %s, %llu sets",
	    s->name, s->h.newest[0] ? s->h.newest : "-", any, full,
	    (unsigned long long)s->h.nsets);
	if (s->h.last_any)
		printf(", RPO %.1f h", (double)(s->now_ns - s->h.last_any) /
		    3.6e12);
	printf(", next due %s", s->error ? "unknown" : next);
	if (!s->error)
		fputs(drill_state_text(&s->drill, drill, sizeof(drill)), stdout);
	if (s->have_last)
		printf(", last run: %s", s->last.action);
	if (s->verified_ns) {
		time_format_utc(s->verified_ns, full, sizeof(full));
		printf(", last verify %s (%s), %.0f%% of stored bytes re-read "
		    "in 30 days", full, s->verify_problems ? "PROBLEMS" : "ok",
		    100 * s->reread);
	}
	printf("%s%s\n", s->warnings[0] ? "; WARNING: " : "", s->warnings);
}

static json_object *
to_json(const struct pstatus *s)
{
	json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "policy", json_object_new_string(s->name));
	json_object_object_add(o, "newest_set",
	    json_object_new_string(s->h.newest));
	json_object_object_add(o, "last_full_ns",
	    json_object_new_int64(s->h.last_full));
	json_object_object_add(o, "last_backup_ns",
	    json_object_new_int64(s->h.last_any));
	json_object_object_add(o, "sets",
	    json_object_new_int64((int64_t)s->h.nsets));
	json_object_object_add(o, "rpo_seconds", json_object_new_double(
	    s->h.last_any ? (double)(s->now_ns - s->h.last_any) / 1e9 : -1));
	time_format_utc(s->next_ns, t, sizeof(t));
	json_object_object_add(o, "next_due", json_object_new_string(t));
	json_object_object_add(o, "last_run", json_object_new_string(
	    s->have_last ? s->last.action : ""));
	json_object_object_add(o, "last_verify_ns",
	    json_object_new_int64(s->verified_ns));
	json_object_object_add(o, "last_verify_problems",
	    json_object_new_int64(s->verify_problems));
	json_object_object_add(o, "reread_30d",
	    json_object_new_double(s->reread));
	json_object_object_add(o, "warnings",
	    json_object_new_string(s->warnings));
	json_object_object_add(o, "drill", drill_state_json(&s->drill));
	return o;
}

static void
metrics_line(FILE *f, const struct pstatus *s)
{
	fprintf(f, "bkp_last_backup_timestamp_seconds{policy=\"%s\"} %.3f\n",
	    s->name, (double)s->h.last_any / 1e9);
	fprintf(f, "bkp_last_full_timestamp_seconds{policy=\"%s\"} %.3f\n",
	    s->name, (double)s->h.last_full / 1e9);
	fprintf(f, "bkp_sets{policy=\"%s\"} %llu\n", s->name,
	    (unsigned long long)s->h.nsets);
	fprintf(f, "bkp_last_run_seconds{policy=\"%s\"} %.3f\n", s->name,
	    s->have_last ? s->last.seconds : 0.0);
	fprintf(f, "bkp_last_run_bytes{policy=\"%s\"} %llu\n", s->name,
	    (unsigned long long)(s->have_last ? s->last.bytes : 0));
	fprintf(f, "bkp_last_run_failed{policy=\"%s\"} %d\n", s->name,
	    s->have_last && strcmp(s->last.action, "failed") == 0);
	fprintf(f, "bkp_verify_problems{policy=\"%s\"} %lld\n", s->name,
	    (long long)s->verify_problems);
	fprintf(f, "bkp_verify_reread_ratio_30d{policy=\"%s\"} %.4f\n",
	    s->name, s->reread);
	fprintf(f, "bkp_warnings{policy=\"%s\"} %d\n", s->name,
	    s->warnings[0] != '\0');
}

static int
write_metrics(const char *path, const struct pstatus *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		return -BKP_ENOMEM;
	fputs("# HELP bkp_last_backup_timestamp_seconds Start of the newest "
	    "set.\n# TYPE bkp_last_backup_timestamp_seconds gauge\n", f);
	for (size_t i = 0; i < n; i++)
		metrics_line(f, &s[i]);
	fclose(f);
	rc = state_write_atomic(path, buf, len);
	free(buf);
	/* Read by the node exporter, which may run as another user. */
	if (rc == 0 && chmod(path, 0644) != 0)
		rc = log_errno_code("%s: cannot make it readable", path);
	return rc;
}

static int
status_all(const struct status_args *a, struct pstatus *s, size_t *n)
{
	struct dirent **list;
	int k = scandir(a->dir, &list, NULL, alphasort), bad = 0;

	*n = 0;
	if (k < 0)
		return log_errno_code("%s: cannot read the policy directory",
		    a->dir);
	for (int i = 0; i < k; i++) {
		const char *name = list[i]->d_name;
		size_t len = strlen(name);
		char path[4096];
		struct policy *p;

		if (len > 7 && strcmp(name + len - 7, ".policy") == 0 &&
		    *n < 256) {
			snprintf(path, sizeof(path), "%s/%s", a->dir, name);
			if (policy_load(path, &p) == 0) {
				memset(&s[*n], 0, sizeof(s[*n]));
				snprintf(s[*n].name, sizeof(s[*n].name), "%s",
				    p->name);
				assess(p, &s[(*n)++]);
				policy_free(p);
			} else
				bad = 1;
		}
		free(list[i]);
	}
	free(list);
	return bad ? -BKP_ECONFIG : 0;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policies", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_args a = { "/etc/bkp/policies.d", NULL, 0 };
	struct pstatus *s;
	size_t n = 0;
	int rc, warned = 0;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if ((s = calloc(256, sizeof(*s))) == NULL)
		return -BKP_ENOMEM;
	/* An invalid policy is reported, and the others still shown. */
	rc = status_all(&a, s, &n);
	if (rc != 0 && rc != -BKP_ECONFIG)
		goto out;
	if (a.json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, to_json(&s[i]));
		puts(json_object_to_json_string_ext(arr,
		    JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else
		for (size_t i = 0; i < n; i++)
			print_text(&s[i]);
	for (size_t i = 0; i < n; i++)
		warned |= s[i].warnings[0] != '\0';
	if (a.metrics && write_metrics(a.metrics, s, n) != 0)
		rc = -BKP_EIO;
	if (rc == 0)
		rc = warned ? BKP_EWARN : 0;
out:
	free(s);
	return rc;
}
