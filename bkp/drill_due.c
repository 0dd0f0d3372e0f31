/* drill_due.c: when a policy's next recovery drill is due ([drill] every
 * after the last one; before the first, every after the policy's oldest
 * set), and what bkp run and bkp status do about it. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "drill.h"
#include "error.h"
#include "log.h"
#include "timefmt.h"

#define NS 1000000000LL

/* The policy's oldest set in the repository, 0 if none. */
static int
oldest_set(struct repo *r, const char *policy, int64_t *ns)
{
	struct catalog cat;
	int rc;

	*ns = 0;
	if ((rc = catalog_load(r, (const uint8_t (*)[32])
	    repo_config(r)->signers, repo_config(r)->nsigners, &cat)) != 0)
		return rc;
	for (size_t i = 0; i < cat.n && *ns == 0; i++)
		if (strcmp(cat.sets[i].policy, policy) == 0)
			*ns = cat.sets[i].time_ns;
	catalog_release(&cat);
	return 0;
}

/* What the repository says: a newer drill (from any host), or, with none
 * at all, the oldest set the first drill is counted from. */
static int
from_repo(const struct policy *p, int accept_new_host_key,
    struct drill_state *s)
{
	struct transport_opts o = {
		.identity = p->identity,
		.known_hosts = p->known_hosts,
		.accept_new_host_key = accept_new_host_key,
	};
	struct bkp_pubkey pub;
	struct repo *r;
	char verdict[8];
	int64_t ns, oldest;
	int rc;

	if ((rc = pubkey_load(p->pubkey, &pub)) != 0 ||
	    (rc = repo_open(p->repo_url, &o, &r)) != 0)
		return rc;
	if ((rc = drill_repo_last(r, p->name, pub.sign_pk, &ns,
	    verdict)) == 0 && ns > s->last_ns) {
		s->last_ns = ns;
		memcpy(s->verdict, verdict, sizeof(s->verdict));
	}
	if (rc == 0 && s->last_ns == 0 &&
	    (rc = oldest_set(r, p->name, &oldest)) == 0 && oldest)
		s->next_ns = oldest + p->drill.every * NS;
	repo_close(r);
	return rc;
}

/* The last drill and the next due: the local record first; the
 * repository only when the record does not show a drill recent enough. */
static int
drill_state_load(const struct policy *p, int64_t now, int accept_new_host_key,
    struct drill_state *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = drill_log_last(p->name, &s->last_ns, s->verdict)) != 0)
		return rc;
	if (s->last_ns == 0 || s->last_ns + p->drill.every * NS <= now) {
		if ((rc = from_repo(p, accept_new_host_key, s)) != 0)
			return rc;
	}
	if (s->last_ns)
		s->next_ns = s->last_ns + p->drill.every * NS;
	s->overdue = s->next_ns && s->next_ns <= now;
	return 0;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

int
drill_when_due(const struct policy *p, int accept_new_host_key, int rc)
{
	struct drill_request req = { .quiet = 1,
	    .accept_new_host_key = accept_new_host_key };
	struct drill_state s;
	char due[32];
	int r;

	if (rc < 0 || p->drill.mode == DRILL_OFF)
		return rc;
	if (drill_state_load(p, now_ns(), accept_new_host_key, &s) != 0) {
		log_warn("policy %s: cannot tell whether a recovery drill is "
		    "due", p->name);
		return rc ? rc : BKP_EWARN;
	}
	if (!s.overdue)
		return rc;
	time_format_utc(s.next_ns, due, sizeof(due));
	if (p->drill.mode == DRILL_REMIND) {
		log_warn("policy %s: a recovery drill is due since %s: run bkp "
		    "drill --policy %s", p->name, due, p->file);
		return rc ? rc : BKP_EWARN;
	}
	log_info("policy %s: a recovery drill is due since %s", p->name, due);
	if ((r = drill_policy(p, &req)) == -BKP_ECORRUPT)
		log_error("policy %s: the recovery drill failed (see its "
		    "report)", p->name);
	else if (r != 0)
		log_error("policy %s: the recovery drill could not run: %s",
		    p->name, bkp_strerror(r));
	return (r == 0 || rc) ? rc : BKP_EWARN;
}

static void
add_warning(char *w, size_t size, const char *what)
{
	size_t n = strlen(w);

	snprintf(w + n, size - n, "%s%s", n ? "; " : "", what);
}

void
drill_assess(const struct policy *p, int64_t now_ns, struct drill_state *s,
    char *warnings, size_t size)
{
	if (drill_state_load(p, now_ns, 0, s) != 0) {
		memset(s, 0, sizeof(*s));
		return;		/* the repository's trouble is reported */
	}
	if (s->overdue && p->drill.mode != DRILL_OFF)
		add_warning(warnings, size, "recovery drill overdue");
	if (strcmp(s->verdict, "fail") == 0)
		add_warning(warnings, size, "last recovery drill failed");
}

const char *
drill_state_text(const struct drill_state *s, char *buf, size_t size)
{
	char last[32], next[32];

	time_format_utc(s->last_ns, last, sizeof(last));
	time_format_utc(s->next_ns, next, sizeof(next));
	if (s->last_ns)
		snprintf(buf, size, ", last drill %s (%s), next drill due %s",
		    last, s->verdict, next);
	else if (s->next_ns)
		snprintf(buf, size, ", no drill yet, first due %s", next);
	else
		snprintf(buf, size, ", no drill yet");
	return buf;
}

json_object *
drill_state_json(const struct drill_state *s)
{
	json_object *o = json_object_new_object();
	char t[32];

	time_format_utc(s->last_ns, t, sizeof(t));
	json_object_object_add(o, "last", s->last_ns ?
	    json_object_new_string(t) : NULL);
	json_object_object_add(o, "verdict", json_object_new_string(
	    s->verdict));
	time_format_utc(s->next_ns, t, sizeof(t));
	json_object_object_add(o, "next_due", s->next_ns ?
	    json_object_new_string(t) : NULL);
	json_object_object_add(o, "overdue", json_object_new_boolean(
	    s->overdue));
	return o;
}
