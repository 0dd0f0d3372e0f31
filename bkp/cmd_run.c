/* cmd_run.c: bkp run [--policies DIR] [--json] — what cron calls. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "backup.h"
#include "cli.h"
#include "drill.h"
#include "error.h"
#include "history.h"
#include "hooks.h"
#include "interrupt.h"
#include "lock.h"
#include "log.h"
#include "policy.h"
#include "prune.h"
#include "run_verify.h"
#include "runlog.h"
#include "schedule.h"
#include "seal.h"
#include "state.h"
#include "timefmt.h"

#define DEFAULT_POLICIES "/etc/bkp/policies.d"

static const char usage[] =
"usage: bkp [--verbose] run [--policies DIR] [--json]\n"
"\n"
"For every *.policy in DIR (default " DEFAULT_POLICIES "), does what is due\n"
"now: a full backup when none was made since the [schedule] full boundary\n"
"(or the chain cannot be extended), else an incremental when the newest\n"
"set is older than the incremental boundary; nothing outside the window.\n"
"Then retention (prune), and a recovery drill if [drill] every says one is\n"
"due (mode = run; mode = remind, the default, warns instead).  Calling it\n"
"every hour is the intended use: it is idempotent, and after days off it\n"
"makes one catch-up backup.  Runs of the same policy never overlap.\n"
"Silent on success unless --verbose; problems are one line each on stderr\n"
"and in syslog.\n"
"\n"
"  -d, --policies DIR  the policy directory\n"
"  -j, --json          print a JSON summary\n"
"  -A, --accept-new-host-key  trust an SFTP server seen for the first time\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 all done, 1 done with warnings, 3 a policy file is\n"
"invalid, 11 a policy was locked by another run, 14 some policies failed.\n";

struct run_args {
	const char *dir;
	int json, accept_new_host_key;
};

struct outcome {
	char policy[80];
	const char *action;	/* full, incremental, nothing, failed, ... */
	char set[SETID_LEN + 1];
	int status;
	int64_t next_ns;
	double seconds;
	uint64_t bytes;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct run_args *a = ctx;

	if (c == 'd')
		a->dir = arg;
	else if (c == 'j')
		a->json = 1;
	else if (c == 'A')
		a->accept_new_host_key = 1;
	return 0;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The backup itself, between its hooks. */
static int
backup_with_hooks(const struct policy *p, enum due due,
    const struct run_args *a, struct outcome *out)
{
	struct backup_request req = {
		.level = due == DUE_FULL ? BACKUP_FULL : BACKUP_AUTO,
		.accept_new_host_key = a->accept_new_host_key,
		/* With --json, stdout is the JSON summary alone. */
		.quiet = !log_verbose() || a->json,
	};
	struct hook_env env = { p->name, due == DUE_FULL ? "full" :
	    "incremental", "", "", p->repo_url };
	struct backup_result res;
	int rc;

	if ((rc = hook_run("pre", p->hook_pre, p->hook_timeout, &env)) == 0) {
		rc = backup_policy(p, &req, &res);
		memcpy(out->set, res.setid, sizeof(out->set));
		out->bytes = res.bytes_read;
		/* What was made: a full when the parent was found gone. */
		if (rc >= 0)
			env.level = out->action = res.level == LEVEL_FULL ?
			    "full" : "incremental";
	} else
		log_error("policy %s: the pre hook failed; no backup made",
		    p->name);
	env.set = out->set;
	env.status = rc >= 0 ? "success" : "failure";
	if (rc >= 0 &&
	    hook_run("post", p->hook_post, p->hook_timeout, &env) != 0) {
		/* The set is good, but the run is not: say so everywhere. */
		rc = -BKP_EFAILED;
		env.status = "failure";
	}
	if (rc < 0)
		hook_run("on_failure", p->hook_failure, p->hook_timeout, &env);
	return rc;
}

/* Decides and does what is due for one loaded policy. */
static int
run_loaded(const struct policy *p, const struct run_args *a,
    struct outcome *out)
{
	struct prune_request prune = { .quiet = !log_verbose() || a->json,
	    .accept_new_host_key = a->accept_new_host_key };
	struct history h;
	int64_t now = now_ns();
	enum due due;
	int rc, prc;

	if ((rc = history_load(p, a->accept_new_host_key, &h)) != 0)
		return rc;
	due = schedule_due(&p->schedule, now, h.last_full, h.last_any,
	    h.chain_usable, &out->next_ns);
	if (due == DUE_NOTHING) {
		out->action = "nothing";
		return run_verify(p, 0);
	}
	rc = backup_with_hooks(p, due, a, out);
	if (rc < 0)
		return rc;
	if ((prc = prune_policy(p, &prune)) == -BKP_ELOCKED)
		log_warn("policy %s: retention put off to a later run (the "
		    "repository is in use); the backup is good", p->name);
	else if (prc != 0)
		log_error("policy %s: retention failed; the backup is good",
		    p->name);
	if (prc != 0)
		return BKP_EWARN;
	schedule_due(&p->schedule, now_ns(), strcmp(out->action, "full") == 0 ?
	    now : h.last_full, now, 1, &out->next_ns);
	if ((prc = run_verify(p, 1)) != 0)
		return prc;
	return rc;
}

/* Tells the [notify] command about a run that failed or warned. */
static void
notify(const struct policy *p, const struct outcome *out, int rc)
{
	struct hook_env env = { p->name, out->action, out->set,
	    rc < 0 ? bkp_strerror(rc) : "completed with warnings",
	    p->repo_url };

	if (p->notify && (rc < 0 || rc == BKP_EWARN))
		hook_run("notify", p->notify, p->hook_timeout, &env);
}

static int
run_policy(const char *file, const struct run_args *a, struct outcome *out)
{
	struct policy *p = NULL;
	struct lock *l = NULL;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->action = "failed";
	snprintf(out->policy, sizeof(out->policy), "%s", file);
	if ((rc = policy_load(file, &p)) != 0)
		return out->status = rc;
	snprintf(out->policy, sizeof(out->policy), "%s", p->name);
	if ((rc = lock_policy(p->name, &l)) != 0) {
		/* Only another run's lock is "locked"; an unusable lock
		 * file is a failure. */
		if (rc == -BKP_ELOCKED)
			out->action = "locked";
	} else {
		rc = drill_when_due(p, a->accept_new_host_key,
		    run_loaded(p, a, out));
		lock_release(l);
	}
	if (rc < 0 && rc != -BKP_ELOCKED)
		log_error("policy %s: %s", p->name, bkp_strerror(rc));
	notify(p, out, rc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	out->status = rc;
	policy_free(p);
	return rc;
}

static void
record(const struct outcome *o)
{
	struct runlog_entry e;

	memset(&e, 0, sizeof(e));
	e.time_ns = now_ns();
	snprintf(e.policy, sizeof(e.policy), "%s", o->policy);
	snprintf(e.action, sizeof(e.action), "%s",
	    o->status < 0 && strcmp(o->action, "locked") ? "failed" :
	    o->action);
	snprintf(e.set, sizeof(e.set), "%s", o->set);
	e.status = o->status < 0 ? -o->status : o->status;
	e.seconds = o->seconds;
	e.bytes = o->bytes;
	runlog_append(&e);
}

static int
policy_files(const char *dir, char ***files, size_t *n)
{
	struct dirent **list;
	int k = scandir(dir, &list, NULL, alphasort);

	*n = 0;
	if (k < 0)
		return log_errno_code("%s: cannot read the policy directory",
		    dir) == -BKP_ENOTFOUND ? -BKP_ECONFIG : -BKP_EIO;
	if ((*files = calloc((size_t)k + 1, sizeof(**files))) == NULL)
		return -BKP_ENOMEM;
	for (int i = 0; i < k; i++) {
		size_t len = strlen(list[i]->d_name);

		if (len > 7 && strcmp(list[i]->d_name + len - 7,
		    ".policy") == 0 && list[i]->d_name[0] != '.' &&
		    asprintf(&(*files)[*n], "%s/%s", dir,
		    list[i]->d_name) != -1)
			(*n)++;
		free(list[i]);
	}
	free(list);
	return 0;
}

/* One exit status for the whole run: the most serious first. */
static int
overall(const struct outcome *o, size_t n)
{
	int config = 0, failed = 0, locked = 0, warn = 0;

	for (size_t i = 0; i < n; i++) {
		config |= o[i].status == -BKP_ECONFIG;
		locked |= o[i].status == -BKP_ELOCKED;
		failed |= o[i].status < 0 && o[i].status != -BKP_ECONFIG &&
		    o[i].status != -BKP_ELOCKED;
		warn |= o[i].status == BKP_EWARN;
	}
	return config ? -BKP_ECONFIG : failed ? -BKP_EFAILED : locked ?
	    -BKP_ELOCKED : warn ? BKP_EWARN : 0;
}

static void
summary(const struct outcome *o, size_t n, int json)
{
	char next[32];

	if (!json) {
		for (size_t i = 0; i < n; i++)
			log_info("policy %s: %s%s%s", o[i].policy,
			    o[i].action, o[i].set[0] ? " " : "", o[i].set);
		return;
	}
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_new_object();

		time_format_utc(o[i].next_ns, next, sizeof(next));
		json_object_object_add(j, "policy",
		    json_object_new_string(o[i].policy));
		json_object_object_add(j, "action",
		    json_object_new_string(o[i].action));
		json_object_object_add(j, "set", json_object_new_string(o[i].set));
		json_object_object_add(j, "status", json_object_new_int(
		    o[i].status < 0 ? -o[i].status : o[i].status));
		json_object_object_add(j, "next_due", json_object_new_string(
		    o[i].next_ns ? next : ""));
		json_object_array_add(arr, j);
	}
	puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(arr);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policies", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "accept-new-host-key", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_args a = { DEFAULT_POLICIES, 0, 0 };
	struct outcome *out = NULL;
	char **files = NULL;
	size_t n = 0;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	log_set_syslog(1);
	if ((rc = policy_files(a.dir, &files, &n)) != 0)
		return rc;
	if ((out = calloc(n + 1, sizeof(*out))) == NULL) {
		rc = -BKP_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n && !interrupt_caught(); i++) {
		run_policy(files[i], &a, &out[i]);
		record(&out[i]);
	}
	summary(out, n, a.json);
	rc = overall(out, n);
done:
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(out);
	return rc;
}
