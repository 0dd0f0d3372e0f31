/* drill_store.c: where drills are remembered: the reports in the
 * repository (drills/drill-POLICY-TIMESTAMP.json, signed), and the local
 * record STATE/drill.log (one JSON object per line). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drill.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#define PAST_MAX 20
#define REPORT_MAX (1u << 20)
#define SIG_MAX 1024
#define LINE_MAX_LEN 8192

/* "YYYYMMDDTHHMMSS.mmmZ" */
#define TS_LEN 20

int
drill_name_time(const char *name, const char *policy, int64_t *ns)
{
	size_t pl = strlen(policy), nl = strlen(name);
	struct tm tm = { 0 };
	const char *ts;
	int ms, used = 0;

	if (nl != 6 + pl + 1 + TS_LEN + 5 || strncmp(name, "drill-", 6) != 0 ||
	    strncmp(name + 6, policy, pl) != 0 || name[6 + pl] != '-')
		return -1;
	ts = name + 6 + pl + 1;
	if (strcmp(ts + TS_LEN, ".json") != 0)
		return -1;
	if (sscanf(ts, "%4d%2d%2dT%2d%2d%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
	    used != TS_LEN)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ns = (int64_t)timegm(&tm) * 1000000000 + (int64_t)ms * 1000000;
	return 0;
}

struct names {
	const char *policy;
	char **v;
	size_t n, cap;
};

static int
collect(void *arg, const char *name)
{
	struct names *l = arg;
	int64_t ns;
	char **p;

	if (drill_name_time(name, l->policy, &ns) != 0)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if ((p = realloc(l->v, l->cap * sizeof(*p))) == NULL)
			return -BKP_ENOMEM;
		l->v = p;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -BKP_ENOMEM;
	l->n++;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_release(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The reports of policy in the repository, oldest first. */
static int
list_reports(struct repo *r, const char *policy, struct names *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->policy = policy;
	rc = transport_list(repo_transport(r), "drills", collect, l);
	if (rc == -BKP_ENOTFOUND)
		rc = 0;		/* no drill yet */
	if (rc != 0)
		names_release(l);
	else if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_name);
	return rc;
}

/* A report whose signature verifies with pk: 0, -BKP_ECORRUPT when it
 * does not (or does not parse), or another error. */
static int
fetch(struct repo *r, const char *name, const uint8_t pk[32],
    json_object **out)
{
	struct transport *t = repo_transport(r);
	char path[REPO_PATH_MAX + 200];
	uint8_t *data = NULL, *sig = NULL;
	size_t len, siglen;
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "drills/%s", name);
	if ((rc = transport_get(t, path, REPORT_MAX, &data, &len)) != 0)
		return rc;
	strcat(path, ".sig");
	if ((rc = transport_get(t, path, SIG_MAX, &sig, &siglen)) == 0 &&
	    (rc = drill_sig_check(data, len, sig, siglen, pk)) == 0) {
		data[len] = '\0';	/* transport_get leaves room */
		if ((*out = json_tokener_parse((const char *)data)) == NULL)
			rc = -BKP_ECORRUPT;
	}
	free(data);
	free(sig);
	return rc == -BKP_ENOTFOUND ? -BKP_ECORRUPT : rc;
}

int
drill_history_load(struct repo *r, const char *policy, const uint8_t pk[32],
    struct drill_past *past)
{
	struct names l;
	size_t from;
	int rc;

	memset(past, 0, sizeof(*past));
	if ((rc = list_reports(r, policy, &l)) != 0)
		return rc;
	from = l.n > PAST_MAX ? l.n - PAST_MAX : 0;
	if ((past->v = calloc(l.n - from + 1, sizeof(*past->v))) == NULL)
		rc = -BKP_ENOMEM;
	for (size_t i = from; i < l.n && rc == 0; i++) {
		rc = fetch(r, l.v[i], pk, &past->v[past->n]);
		if (rc == 0)
			past->n++;
		else if (rc == -BKP_ECORRUPT) {
			log_warn("drills/%s: its signature does not verify; "
			    "left out of the history", l.v[i]);
			past->rejected++;
			rc = 0;
		}
	}
	names_release(&l);
	return rc;
}

void
drill_history_release(struct drill_past *past)
{
	for (size_t i = 0; i < past->n; i++)
		json_object_put(past->v[i]);
	free(past->v);
	memset(past, 0, sizeof(*past));
}

static void
take_verdict(json_object *o, char verdict[8])
{
	json_object *v;

	snprintf(verdict, 8, "%s", json_object_object_get_ex(o, "verdict", &v) ?
	    json_object_get_string(v) : "");
}

int
drill_repo_last(struct repo *r, const char *policy, const uint8_t pk[32],
    int64_t *ns, char verdict[8])
{
	json_object *o;
	struct names l;
	int rc;

	*ns = 0;
	verdict[0] = '\0';
	if ((rc = list_reports(r, policy, &l)) != 0)
		return rc;
	/* The newest whose signature verifies. */
	for (size_t i = l.n; i-- > 0 && *ns == 0;) {
		if ((rc = fetch(r, l.v[i], pk, &o)) == -BKP_ECORRUPT) {
			log_warn("drills/%s: its signature does not verify; "
			    "not counted as a drill", l.v[i]);
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		drill_name_time(l.v[i], policy, ns);
		take_verdict(o, verdict);
		json_object_put(o);
	}
	names_release(&l);
	return rc;
}

static int
log_path(char *out, size_t size)
{
	char dir[PATH_MAX];
	int rc;

	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	snprintf(out, size, "%s/drill.log", dir);
	return 0;
}

int
drill_log_append(const struct drill *d, const char *report)
{
	json_object *o = json_object_new_object();
	char path[PATH_MAX + 16], t[32];
	const char *line;
	size_t len;
	int fd, rc;

	if ((rc = log_path(path, sizeof(path))) != 0)
		return rc;
	time_format_utc(d->start_ns, t, sizeof(t));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "time_ns", json_object_new_int64(d->start_ns));
	json_object_object_add(o, "policy", json_object_new_string(d->p->name));
	json_object_object_add(o, "set", json_object_new_string(d->set->setid));
	json_object_object_add(o, "verdict", json_object_new_string(d->pass ?
	    "pass" : "fail"));
	json_object_object_add(o, "rto_seconds", json_object_new_double(
	    d->rto));
	json_object_object_add(o, "rpo_seconds", json_object_new_double(
	    (double)d->rpo_ns / 1e9));
	json_object_object_add(o, "report", json_object_new_string(report));
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(line);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	/* One write: concurrent drills append whole lines. */
	if (fd == -1 || write(fd, line, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1)
		rc = log_errno_code("%s: cannot record the drill", path);
	if (fd != -1 && close(fd) != 0 && rc == 0)
		rc = log_errno_code("%s: cannot record the drill", path);
	json_object_put(o);
	return rc;
}

int
drill_log_last(const char *policy, int64_t *ns, char verdict[8])
{
	char path[PATH_MAX + 16], *line;
	json_object *o, *v;
	FILE *f;

	*ns = 0;
	verdict[0] = '\0';
	if (log_path(path, sizeof(path)) != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;	/* no record: no drill known here */
	if ((line = malloc(LINE_MAX_LEN)) == NULL) {
		fclose(f);
		return -BKP_ENOMEM;
	}
	while (fgets(line, LINE_MAX_LEN, f) != NULL) {
		if ((o = json_tokener_parse(line)) == NULL)
			continue;
		if (json_object_object_get_ex(o, "policy", &v) &&
		    strcmp(json_object_get_string(v), policy) == 0 &&
		    json_object_object_get_ex(o, "time_ns", &v) &&
		    json_object_get_int64(v) >= *ns) {
			*ns = json_object_get_int64(v);
			take_verdict(o, verdict);
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return 0;
}
