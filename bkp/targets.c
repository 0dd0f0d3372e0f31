/* targets.c: shipping a policy's sets to its offsite repositories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "error.h"
#include "log.h"
#include "targets.h"

void
targets_opts(const struct policy *p, int accept_new_host_key,
    struct transport_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->identity = p->identity;
	o->known_hosts = p->known_hosts;
	o->accept_new_host_key = accept_new_host_key;
	o->retry_attempts = p->retry_attempts > 0 ? (int)p->retry_attempts :
	    -1;
	o->retry_seconds = (int)p->retry_time;
}

/* A target must be an SFTP URL or an absolute path: a relative one would
 * depend on the directory bkp runs in. */
static int
check_url(const char *url)
{
	if (*url == '/' || strncmp(url, "sftp://", 7) == 0)
		return 0;
	log_error("[repository] offsite = %s: expected an absolute path or an "
	    "sftp:// URL", url);
	return -BKP_ECONFIG;
}

static int
ship_one(const struct policy *p, struct repo *primary,
    const struct transport_opts *o, struct target_result *r)
{
	struct copy_opts co = { .policy = p->name, .quiet = 1 };
	struct copy_stats st;
	struct repo *dst = NULL;
	int rc;

	if ((rc = check_url(r->url)) != 0 ||
	    (rc = copy_open_dest(primary, r->url, o, &dst)) != 0)
		return rc;
	rc = copy_sets(primary, dst, &co, &st);
	r->sets = st.ncopied;
	r->bytes = st.bytes_copied;
	copy_stats_release(&st);
	repo_close(dst);
	return rc;
}

int
targets_ship(const struct policy *p, struct repo *primary,
    int accept_new_host_key, struct targets *t)
{
	struct transport_opts o;
	int failed = 0;

	memset(t, 0, sizeof(*t));
	if (p->offsite.n == 0)
		return 0;
	if ((t->v = calloc(p->offsite.n, sizeof(*t->v))) == NULL)
		return -BKP_ENOMEM;
	targets_opts(p, accept_new_host_key, &o);
	for (size_t i = 0; i < p->offsite.n; i++) {
		struct target_result *r = &t->v[t->n++];

		r->url = p->offsite.v[i];
		if ((r->status = ship_one(p, primary, &o, r)) != 0) {
			log_error("policy %s: offsite %s: copy failed (%s); the "
			    "set is in %s, and the next backup or bkp copy "
			    "copies it", p->name, r->url,
			    bkp_strerror(r->status), p->repo_url);
			failed = 1;
		}
	}
	return failed ? -BKP_EFAILED : 0;
}

void
targets_release(struct targets *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void
targets_print(const struct policy *p, const struct targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct target_result *r = &t->v[i];

		if (r->status == 0)
			printf("offsite %s: ok, %zu set%s copied (%.1f MiB)\n",
			    r->url, r->sets, r->sets == 1 ? "" : "s",
			    (double)r->bytes / 1048576.0);
		else
			printf("offsite %s: FAILED (%s); the set is only in "
			    "%s\n", r->url, bkp_strerror(r->status),
			    p->repo_url);
	}
}

static json_object *
target_json(const char *url, const char *role, int status, size_t sets,
    uint64_t bytes)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "ok", json_object_new_boolean(status == 0));
	json_object_object_add(o, "status", json_object_new_int(status < 0 ?
	    -status : status));
	if (status != 0)
		json_object_object_add(o, "error",
		    json_object_new_string(bkp_strerror(status)));
	if (strcmp(role, "offsite") == 0) {
		json_object_object_add(o, "sets_copied",
		    json_object_new_int64((int64_t)sets));
		json_object_object_add(o, "bytes_copied",
		    json_object_new_int64((int64_t)bytes));
	}
	return o;
}

void
targets_json(const struct policy *p, const struct targets *t, json_object *o)
{
	json_object *arr = json_object_new_array();

	json_object_array_add(arr, target_json(p->repo_url, "primary", 0, 0,
	    0));
	for (size_t i = 0; i < t->n; i++)
		json_object_array_add(arr, target_json(t->v[i].url, "offsite",
		    t->v[i].status, t->v[i].sets, t->v[i].bytes));
	json_object_object_add(o, "targets", arr);
}
