/* drill_run.c: a drill's recovery: the repository opened, the set chosen,
 * every file restored and checked, the store check run; each phase timed
 * (see drill.h), the RPO measured from the catalog, the verdict given. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "drill.h"
#include "error.h"
#include "hooks.h"
#include "fsutil.h"
#include "log.h"
#include "manifest.h"
#include "timefmt.h"

const char *const drill_phase_names[NPHASES] = {
	"connect", "listing", "manifest", "restore", "load", "check",
};

#define NS 1000000000LL

static int64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* Ends phase ph now: its time is from the end of the last one. */
static void
end_phase(struct drill *d, enum drill_phase ph)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	d->phase[ph] += (double)(t.tv_sec - d->mark.tv_sec) +
	    (double)(t.tv_nsec - d->mark.tv_nsec) / 1e9;
	d->mark = t;
}

static void
reason(struct drill *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct drill *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_array_add(d->reasons, json_object_new_string(msg));
}

/* The key must be this repository's: else nothing would decrypt. */
static int
check_key(const struct drill *d, const char *path)
{
	char want[KEY_ID_HEX], got[KEY_ID_HEX];

	if (sodium_memcmp(d->sec->box_pk, repo_config(d->repo)->box_pk, 32) ==
	    0)
		return 0;
	key_id(repo_config(d->repo)->box_pk, want);
	key_id(d->sec->box_pk, got);
	log_error("%s: key %s is not the key of repository %s (which is %s)",
	    path, got, repo_url(d->repo), want);
	return -BKP_EKEY;
}

static int
unlock_key(struct drill *d, const char **path)
{
	struct timespec t0, t1;
	int rc;

	*path = d->req->key ? d->req->key : d->p->drill.key;
	if (*path == NULL) {
		log_error("drill: the drill restores with the secret key: give "
		    "--key FILE or [drill] key in %s", d->p->file);
		return -BKP_EUSAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = seckey_load(*path, d->req->passfile, &d->sec);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d->key_seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}

/* --at must be a time, and --target new or an empty directory: said
 * before anything is done. */
static int
check_request(const struct drill_request *req)
{
	const char *target = req->target;
	struct dirent *de;
	int64_t at;
	DIR *dir;
	int found = 0;

	if (req->at && time_parse(req->at, &at) != 0) {
		log_error("drill: --at %s: not an ISO 8601 time (e.g. "
		    "2026-11-21T14:00)", req->at);
		return -BKP_EUSAGE;
	}
	if (target == NULL || ((dir = opendir(target)) == NULL &&
	    errno == ENOENT))
		return 0;
	if (dir != NULL) {
		while (!found && (de = readdir(dir)) != NULL)
			found = strcmp(de->d_name, ".") &&
			    strcmp(de->d_name, "..");
		closedir(dir);
	}
	if (dir == NULL || found) {
		log_error("%s: the drill's target must be a new or empty "
		    "directory", target);
		return -BKP_EUSAGE;
	}
	return 0;
}

/* The newest set of the policy at or before --at (or at all). */
static int
pick_set(struct drill *d)
{
	int64_t at = INT64_MAX;

	if (d->req->at && time_parse(d->req->at, &at) != 0)
		return -BKP_EUSAGE;	/* see check_request */
	for (size_t i = d->cat.n; i-- > 0 && d->set == NULL;)
		if (strcmp(d->cat.sets[i].policy, d->p->name) == 0 &&
		    d->cat.sets[i].time_ns <= at)
			d->set = &d->cat.sets[i];
	if (d->set == NULL) {
		log_error("%s: no sealed set of policy %s%s%s to drill with",
		    repo_url(d->repo), d->p->name, d->req->at ? " at or "
		    "before " : "", d->req->at ? d->req->at : "");
		return -BKP_ENOTFOUND;
	}
	return 0;
}

/* RPO: the age of the point restored, and the worst gap between
 * consecutive sets of the policy over what the repository keeps. */
static void
measure_rpo(struct drill *d)
{
	int64_t prev = 0;

	for (size_t i = 0; i < d->cat.n; i++) {
		const struct seal *s = &d->cat.sets[i];

		if (strcmp(s->policy, d->p->name) != 0)
			continue;
		if (d->nsets++ == 0)
			d->window_from_ns = s->time_ns;
		else if (s->time_ns - prev > d->worst_gap_ns) {
			d->worst_gap_ns = s->time_ns - prev;
			d->gap_from_ns = prev;
			d->gap_to_ns = s->time_ns;
		}
		prev = d->window_to_ns = s->time_ns;
	}
	d->rpo_ns = d->start_ns - d->set->time_ns;
	d->newest_age_ns = d->start_ns - d->window_to_ns;
	d->newest = d->set->time_ns == d->window_to_ns;
}

/* The ciphertext of the parts the restore reads. */
static uint64_t
parts_bytes(const struct drill *d, const struct manifest *m)
{
	uint64_t total = 0;

	for (uint32_t k = 0; k < m->nsets; k++) {
		const struct seal *s = NULL;
		uint8_t *seen;

		for (size_t i = 0; i < d->cat.n && s == NULL; i++)
			if (strcmp(d->cat.sets[i].setid, m->sets[k]) == 0)
				s = &d->cat.sets[i];
		if (s == NULL || (seen = calloc(s->nparts + 1, 1)) == NULL)
			continue;
		for (size_t i = 0; i < m->n; i++) {
			const struct manifest_entry *e = &m->e[i];

			if (e->where == WHERE_PART && e->set == k &&
			    e->part < s->nparts && !seen[e->part]) {
				seen[e->part] = 1;
				total += s->parts[e->part].size;
			}
		}
		free(seen);
	}
	return total;
}

static uint64_t
count_files(const struct manifest *m)
{
	uint64_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += m->e[i].type == ENTRY_FILE;
	return n;
}

/* A new or empty target, resolved; a fresh one under $TMPDIR by default. */
static int
make_target(struct drill *d)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];

	if (d->req->target == NULL) {
		snprintf(path, sizeof(path), "%s/bkp-drill.XXXXXX",
		    tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(path) == NULL)
			return log_errno_code("%s: cannot create a scratch "
			    "directory", path);
	} else if (mkdir(d->req->target, 0700) != 0) {
		if (errno != EEXIST || rmdir(d->req->target) != 0 ||
		    mkdir(d->req->target, 0700) != 0) {
			log_error("%s: the drill's target must be a new or "
			    "empty directory", d->req->target);
			return -BKP_EUSAGE;
		}
	}
	d->made_target = 1;
	if (realpath(d->req->target ? d->req->target : path, d->target) ==
	    NULL)
		return log_errno_code("%s: cannot resolve", path);
	return 0;
}

static int
extract(struct drill *d, struct extract *x)
{
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	rc = extract_run(x, &d->st);
	/* extract_run works from inside the target. */
	if (cwd != -1 ? fchdir(cwd) != 0 : chdir("/") != 0)
		rc = rc ? rc : log_errno_code("cannot return to the working "
		    "directory");
	if (cwd != -1)
		close(cwd);
	return rc;
}

/* The manifest and restore phases.  A failure to restore is a finding of
 * the drill (its status goes in the report), not an error of bkp drill. */
static int
restore(struct drill *d)
{
	struct extract_opts eo = {
		.target = d->target,
		.overwrite = OVERWRITE_NEVER,
		.trusted = &d->sec->sign_pk,
		.ntrusted = 1,
	};
	struct extract *x;
	int rc;

	if ((rc = extract_open(d->repo, d->sec, d->set->setid, &eo, &x)) !=
	    0) {
		end_phase(d, PHASE_MANIFEST);
		return d->restore_rc = rc;
	}
	d->files = count_files(extract_manifest(x));
	d->bytes_read = parts_bytes(d, extract_manifest(x));
	end_phase(d, PHASE_MANIFEST);
	if ((rc = make_target(d)) == 0) {
		log_info("drill: restoring set %s into %s", d->set->setid,
		    d->target);
		rc = extract(d, x);
	}
	extract_free(x);
	end_phase(d, PHASE_RESTORE);
	return d->restore_rc = rc;
}

/* The store check, with the restored root as $1 and BKP_DRILL_TARGET. */
static void
check(struct drill *d)
{
	const char *prefix = "set -- \"$BKP_DRILL_TARGET\"; ";
	struct hook_env env = { d->p->name, "drill", d->set->setid, "",
	    d->p->repo_url };
	char *cmd;

	if (d->p->drill.check == NULL || d->restore_rc != 0)
		return;
	if (asprintf(&cmd, "%s%s", prefix, d->p->drill.check) == -1) {
		d->check_rc = -BKP_ENOMEM;
		return;
	}
	d->check_ran = 1;
	setenv("BKP_DRILL_TARGET", d->target, 1);
	d->check_rc = hook_run("check", cmd, d->p->drill.check_timeout, &env);
	unsetenv("BKP_DRILL_TARGET");
	free(cmd);
	end_phase(d, PHASE_CHECK);
}

static void
judge(struct drill *d)
{
	const struct drill_rules *r = &d->p->drill;

	for (int i = 0; i < NPHASES; i++)
		d->rto += d->phase[i];
	if (d->restore_rc == -BKP_EPARTIAL)
		reason(d, "%llu entries could not be restored",
		    (unsigned long long)d->st.failed);
	else if (d->restore_rc != 0)
		reason(d, "the restore failed: %s", bkp_strerror(d->restore_rc));
	if (d->check_ran && d->check_rc != 0)
		reason(d, "the check failed: %s", r->check);
	if (r->rto_target && d->rto > (double)r->rto_target)
		reason(d, "RTO %.0f s is over the target of %lld s", d->rto,
		    (long long)r->rto_target);
	if (r->rpo_target && d->newest && d->rpo_ns > r->rpo_target * NS)
		reason(d, "RPO %.0f s is over the target of %lld s",
		    (double)d->rpo_ns / 1e9, (long long)r->rpo_target);
	if (r->rpo_target && d->worst_gap_ns > r->rpo_target * NS)
		reason(d, "the worst gap between sets, %.0f s, is over the RPO "
		    "target of %lld s", (double)d->worst_gap_ns / 1e9,
		    (long long)r->rpo_target);
	d->pass = json_object_array_length(d->reasons) == 0;
}

int
drill_execute(struct drill *d)
{
	struct transport_opts o = {
		.identity = d->p->identity,
		.known_hosts = d->p->known_hosts,
		.accept_new_host_key = d->req->accept_new_host_key,
	};
	const char *key;
	int rc;

	if ((d->reasons = json_object_new_array()) == NULL)
		return -BKP_ENOMEM;
	if ((rc = check_request(d->req)) != 0 ||
	    (rc = unlock_key(d, &key)) != 0)
		return rc;
	d->start_ns = wall_ns();
	clock_gettime(CLOCK_MONOTONIC, &d->mark);
	if ((rc = repo_open(d->p->repo_url, &o, &d->repo)) != 0 ||
	    (rc = check_key(d, key)) != 0)
		return rc;
	end_phase(d, PHASE_CONNECT);
	/* Only seals signed by the signer the key's owner trusts count. */
	if ((rc = catalog_load(d->repo, &d->sec->sign_pk, 1, &d->cat)) != 0 ||
	    (rc = pick_set(d)) != 0)
		return rc;
	end_phase(d, PHASE_LISTING);
	measure_rpo(d);
	restore(d);	/* its failure is the drill's finding, reported */
	if ((rc = drill_db_load(d)) != 0)
		return rc;
	end_phase(d, PHASE_LOAD);
	drill_db_check(d);
	check(d);
	end_phase(d, PHASE_CHECK);
	judge(d);
	return 0;
}

void
drill_release(struct drill *d)
{
	drill_db_drop(d);
	if (d->made_target && !d->req->keep &&
	    fs_remove_tree(AT_FDCWD, d->target) != 0)
		log_warn("%s: cannot remove the drill's target: %s", d->target,
		    strerror(errno));
	else if (d->made_target && d->req->keep && !d->req->quiet)
		fprintf(stderr, "bkp: the restored tree is kept in %s\n",
		    d->target);
	catalog_release(&d->cat);
	repo_close(d->repo);
	seckey_free(d->sec);
	signkey_free(d->sig);
	json_object_put(d->reasons);
}
