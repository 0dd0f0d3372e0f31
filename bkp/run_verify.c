/* run_verify.c: bkp run's verification.
 *
 * It runs `bkp verify` as a child process: the same code path an operator
 * runs by hand, with its problems on stderr and in syslog, and its record
 * in STATE/verify.log.
 */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "log.h"
#include "run_verify.h"
#include "state.h"

extern char **environ;

#define WEEK_NS (7LL * 86400 * 1000000000)

static const char *const levels[] = { "structure", "hashes", "sample",
    "full" };

static int
level_rank(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strncmp(name, levels[i], strlen(levels[i])) == 0)
			return i;
	return -1;
}

static int64_t
parse_utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm) * 1000000000;
}

/* Calls fn for every record of url in verify.log. */
static void
each_record(const char *url, void (*fn)(json_object *o, int64_t ns,
    void *arg), void *arg)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], line[4096];
	json_object *o, *v;
	FILE *f;

	if (state_dir(dir, sizeof(dir)) != 0)
		return;
	snprintf(path, sizeof(path), "%s/verify.log", dir);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if ((o = json_tokener_parse(line)) == NULL)
			continue;
		if (json_object_object_get_ex(o, "repo", &v) &&
		    strcmp(json_object_get_string(v), url) == 0 &&
		    json_object_object_get_ex(o, "time", &v))
			fn(o, parse_utc(json_object_get_string(v)), arg);
		json_object_put(o);
	}
	fclose(f);
}

struct recent {
	int rank;
	int64_t since, newest;
};

static void
note_recent(json_object *o, int64_t ns, void *arg)
{
	struct recent *r = arg;
	json_object *v;

	if (ns >= r->since && json_object_object_get_ex(o, "level", &v) &&
	    level_rank(json_object_get_string(v)) >= r->rank && ns > r->newest)
		r->newest = ns;
}

struct summary {
	int64_t since, last, problems;
	uint64_t bytes;
};

static void
note_summary(json_object *o, int64_t ns, void *arg)
{
	struct summary *s = arg;
	json_object *v;

	if (ns >= s->last) {
		s->last = ns;
		s->problems = json_object_object_get_ex(o, "problems", &v) ?
		    json_object_get_int64(v) : 0;
	}
	if (ns >= s->since && json_object_object_get_ex(o, "bytes_read", &v))
		s->bytes += (uint64_t)json_object_get_int64(v);
}

void
run_verify_history(const char *url, int64_t since_ns, int64_t *last_ns,
    int64_t *last_problems, uint64_t *bytes_since)
{
	struct summary s = { since_ns, 0, 0, 0 };

	each_record(url, note_summary, &s);
	*last_ns = s.last;
	*last_problems = s.problems;
	*bytes_since = s.bytes;
}

/* The level due now, or NULL. */
static const char *
due_level(const struct policy *p, int after_backup)
{
	struct timespec ts;
	struct recent r;

	if (after_backup && p->verify_after)
		return p->verify_after;
	if (p->verify_weekly == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.rank = level_rank(p->verify_weekly);
	r.since = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - WEEK_NS;
	r.newest = 0;
	each_record(p->repo_url, note_recent, &r);
	return r.newest ? NULL : p->verify_weekly;
}

/* Runs argv (a bkp command) and returns its exit status as a status. */
static int
spawn_bkp(char **argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	if (!log_verbose())
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
		    "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		log_error("cannot run bkp verify: %s", strerror(rc));
		return -BKP_EINTERNAL;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -BKP_EINTERNAL;
	return -WEXITSTATUS(status);
}

int
run_verify(const struct policy *p, int after_backup)
{
	const char *spec = due_level(p, after_backup);
	char level[16], *argv[32];
	const char *sample;
	int n = 0;

	if (spec == NULL)
		return 0;
	policy_verify_level(spec, level, sizeof(level));
	sample = strchr(spec, ':');
	argv[n++] = "bkp";
	argv[n++] = "verify";
	argv[n++] = "--repo";
	argv[n++] = p->repo_url;
	argv[n++] = "--policy";
	argv[n++] = p->name;
	argv[n++] = "--level";
	argv[n++] = level;
	if (sample) {
		argv[n++] = "--sample";
		argv[n++] = (char *)sample + 1;
	}
	if (level_rank(level) >= 2 && p->verify_key) {
		argv[n++] = "--key";
		argv[n++] = p->verify_key;
	}
	if (level_rank(level) >= 2 && p->verify_passfile) {
		argv[n++] = "--passphrase-file";
		argv[n++] = p->verify_passfile;
	}
	if (level_rank(level) >= 2 && p->verify_compare_source)
		argv[n++] = "--compare-source";
	if (p->identity) {
		argv[n++] = "--identity";
		argv[n++] = p->identity;
	}
	if (p->known_hosts) {
		argv[n++] = "--known-hosts";
		argv[n++] = p->known_hosts;
	}
	argv[n] = NULL;
	log_info("policy %s: verify --level %s%s", p->name, spec,
	    level_rank(level) >= 2 && p->verify_compare_source ?
	    " --compare-source" : "");
	return spawn_bkp(argv);
}
