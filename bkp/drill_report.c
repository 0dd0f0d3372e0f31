/* drill_report.c: a drill's report as JSON, signed (Ed25519, detached, over
 * the JSON bytes), with its HTML page: written to the report directory and
 * stored write-once in the repository under drills/ (docs/FORMAT.md,
 * "Drill reports"). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "drill.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#define SIG_B64 sodium_base64_ENCODED_LEN(crypto_sign_BYTES, \
    sodium_base64_VARIANT_ORIGINAL)
#define REPORT_MAX (1u << 20)

/* Seconds, to the microsecond. */
static double
usec(double s)
{
	return (double)(int64_t)(s * 1e6 + (s < 0 ? -0.5 : 0.5)) / 1e6;
}

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void
add_int(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

/* Printed as they were rounded: "0.000187", not 0.00018699999999999999. */
static void
add_secs(json_object *o, const char *key, double s)
{
	char b[40];

	snprintf(b, sizeof(b), "%.6f", usec(s));
	json_object_object_add(o, key, json_object_new_double_s(usec(s), b));
}

static void
add_time(json_object *o, const char *key, int64_t ns)
{
	char t[32];

	time_format_utc(ns, t, sizeof(t));
	add_str(o, key, ns ? t : NULL);
}

static void
add_target(json_object *o, const char *key, int64_t seconds)
{
	json_object_object_add(o, key, seconds ?
	    json_object_new_int64(seconds) : NULL);
}

static json_object *
set_json(const struct seal *s)
{
	json_object *o = json_object_new_object();

	add_str(o, "id", s->setid);
	add_str(o, "level", s->level == LEVEL_FULL ? "full" : "incremental");
	add_time(o, "time", s->time_ns);
	json_object_object_add(o, "time_ns", json_object_new_int64(s->time_ns));
	add_time(o, "end", s->end_ns);
	add_str(o, "host", s->host);
	add_int(o, "entries", s->nfiles);
	add_int(o, "bytes", s->bytes);
	return o;
}

/* Phases, in order; the RTO is their sum (of the rounded values). */
static json_object *
phases_json(const struct drill *d, double *rto)
{
	json_object *o = json_object_new_object();

	*rto = 0;
	for (int i = 0; i < NPHASES; i++) {
		add_secs(o, drill_phase_names[i], d->phase[i]);
		*rto += usec(d->phase[i]);
	}
	return o;
}

static json_object *
window_json(const struct drill *d)
{
	json_object *o = json_object_new_object();

	add_int(o, "sets", d->nsets);
	add_time(o, "from", d->window_from_ns);
	add_time(o, "to", d->window_to_ns);
	add_secs(o, "newest_set_age_seconds", (double)d->newest_age_ns / 1e9);
	add_secs(o, "worst_gap_seconds", (double)d->worst_gap_ns / 1e9);
	add_time(o, "worst_gap_from", d->gap_from_ns);
	add_time(o, "worst_gap_to", d->gap_to_ns);
	return o;
}

static json_object *
restore_json(const struct drill *d)
{
	json_object *o = json_object_new_object();

	add_str(o, "status", d->restore_rc == 0 ? "ok" :
	    bkp_strerror(d->restore_rc));
	add_int(o, "entries", d->st.entries);
	add_int(o, "files", d->files);
	add_int(o, "failed", d->st.failed);
	add_int(o, "bytes_written", d->st.bytes);
	add_int(o, "bytes_read", d->bytes_read);
	add_int(o, "parts_read", d->st.parts);
	return o;
}

static json_object *
check_json(const struct drill *d)
{
	json_object *o = json_object_new_object();

	add_str(o, "command", d->p->drill.check);
	add_str(o, "status", !d->p->drill.check ? "none" : !d->check_ran ?
	    "skipped" : d->check_rc == 0 ? "pass" : "fail");
	add_int(o, "timeout_seconds", (uint64_t)d->p->drill.check_timeout);
	return o;
}

static uint64_t
failures(const struct drill *d)
{
	return d->st.failed + (d->restore_rc != 0 &&
	    d->restore_rc != -BKP_EPARTIAL) + (d->check_ran && d->check_rc) +
	    drill_db_failures(d);
}

/* "drill-POLICY-20261121T140005.123Z" */
static void
make_name(struct drill *d)
{
	time_t t = (time_t)(d->start_ns / 1000000000);
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
	snprintf(d->name, sizeof(d->name), "drill-%s-%s.%03dZ", d->p->name,
	    ts, (int)(d->start_ns / 1000000 % 1000));
}

json_object *
drill_json(struct drill *d)
{
	json_object *o = json_object_new_object(), *t;
	char host[256] = "", id[REPO_ID_HEX], kid[KEY_ID_HEX];
	double rto;

	make_name(d);
	gethostname(host, sizeof(host) - 1);
	repo_id_hex(d->repo, id);
	key_id(d->sig->pk, kid);
	add_str(o, "format", "bkp-drill-report");
	add_int(o, "version", 1);
	add_str(o, "name", d->name);
	add_str(o, "policy", d->p->name);
	add_str(o, "host", host);
	add_str(o, "repository", repo_url(d->repo));
	add_str(o, "repo_id", id);
	add_time(o, "time", d->start_ns);
	json_object_object_add(o, "time_ns", json_object_new_int64(d->start_ns));
	add_str(o, "at", d->req->at);
	json_object_object_add(o, "set", set_json(d->set));
	add_str(o, "target", d->target);
	json_object_object_add(o, "kept", json_object_new_boolean(
	    d->req->keep));
	add_secs(o, "key_unlock_seconds", d->key_seconds);
	json_object_object_add(o, "phases", phases_json(d, &rto));
	add_secs(o, "rto_seconds", rto);
	add_secs(o, "rpo_seconds", (double)d->rpo_ns / 1e9);
	json_object_object_add(o, "rpo_window", window_json(d));
	json_object_object_add(o, "restore", restore_json(d));
	json_object_object_add(o, "stores", drill_db_json(d));
	json_object_object_add(o, "check", check_json(d));
	t = json_object_new_object();
	add_target(t, "rto_seconds", d->p->drill.rto_target);
	add_target(t, "rpo_seconds", d->p->drill.rpo_target);
	json_object_object_add(o, "targets", t);
	add_int(o, "failures", failures(d));
	add_str(o, "verdict", d->pass ? "pass" : "fail");
	json_object_object_add(o, "reasons", json_object_get(d->reasons));
	add_str(o, "signer", kid);
	add_str(o, "bkp_version", PACKAGE_VERSION);
	return o;
}

static int
sign(const struct drill *d, const char *text, size_t len, char *out)
{
	uint8_t sig[crypto_sign_BYTES];

	if (crypto_sign_detached(sig, NULL, (const uint8_t *)text, len,
	    d->sig->sk) != 0) {
		log_error("cannot sign the drill report");
		return -BKP_EINTERNAL;
	}
	sodium_bin2base64(out, SIG_B64, sig, sizeof(sig),
	    sodium_base64_VARIANT_ORIGINAL);
	strcat(out, "\n");
	return 0;
}

int
drill_sig_check(const uint8_t *data, size_t len, const uint8_t *sig,
    size_t siglen, const uint8_t pk[32])
{
	uint8_t raw[crypto_sign_BYTES];
	size_t n = 0;

	while (siglen > 0 && (sig[siglen - 1] == '\n' ||
	    sig[siglen - 1] == '\r' || sig[siglen - 1] == ' '))
		siglen--;
	if (sodium_base642bin(raw, sizeof(raw), (const char *)sig, siglen,
	    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != sizeof(raw))
		return -BKP_ECORRUPT;
	return crypto_sign_verify_detached(raw, data, len, pk) == 0 ? 0 :
	    -BKP_ECORRUPT;
}

/* A whole small local file. */
static int
read_small(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "re");
	uint8_t *buf;

	*data = NULL;
	if (f == NULL)
		return log_errno_code("%s: cannot read", path);
	if ((buf = malloc(REPORT_MAX + 1)) == NULL) {
		fclose(f);
		return -BKP_ENOMEM;
	}
	*len = fread(buf, 1, REPORT_MAX + 1, f);
	if (ferror(f) || *len > REPORT_MAX) {
		fclose(f);
		free(buf);
		log_error("%s: cannot read, or larger than a drill report",
		    path);
		return -BKP_EIO;
	}
	fclose(f);
	*data = buf;
	return 0;
}

int
drill_verify_file(const char *path, const uint8_t pk[32])
{
	char sigpath[PATH_MAX], kid[KEY_ID_HEX];
	uint8_t *data = NULL, *sig = NULL;
	size_t len, siglen;
	int rc;

	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if ((rc = read_small(path, &data, &len)) != 0 ||
	    (rc = read_small(sigpath, &sig, &siglen)) != 0)
		goto out;
	key_id(pk, kid);
	if ((rc = drill_sig_check(data, len, sig, siglen, pk)) != 0)
		log_error("%s: the signature does not verify with key %s: the "
		    "report was changed or signed by another key", path, kid);
	else
		printf("%s: good signature by key %s\n", path, kid);
out:
	free(data);
	free(sig);
	return rc;
}

static int
report_dir(const struct drill *d, char *out, size_t size)
{
	char state[PATH_MAX];
	int rc;

	if (d->req->report_dir)
		rc = snprintf(out, size, "%s", d->req->report_dir);
	else if ((rc = state_dir(state, sizeof(state) - 8)) != 0)
		return rc;
	else
		rc = snprintf(out, size, "%s/drills", state);
	if (rc < 0 || (size_t)rc >= size) {
		log_error("the report directory's path is too long");
		return -BKP_ECONFIG;
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return log_errno_code("%s: cannot create the report directory",
		    out);
	return 0;
}

struct doc {
	const char *ext;
	const char *data;
	size_t len;
};

/* The report, its page and signature: the signature last, so that a
 * report with a signature is complete. */
static int
write_local(const struct drill *d, const struct doc *docs, char *json_path,
    size_t size)
{
	char dir[PATH_MAX], path[PATH_MAX + 200];
	int rc;

	if ((rc = report_dir(d, dir, sizeof(dir))) != 0)
		return rc;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, d->name,
		    docs[i].ext);
		if ((rc = state_write_atomic(path, docs[i].data,
		    docs[i].len)) != 0)
			return rc;
	}
	snprintf(json_path, size, "%s/%s.json", dir, d->name);
	return 0;
}

static int
write_repo(const struct drill *d, const struct doc *docs)
{
	struct transport *t = repo_transport(d->repo);
	char path[REPO_PATH_MAX + 200];
	int rc;

	if ((rc = transport_mkdir(t, "drills")) != 0)
		return rc;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "drills/%s%s", d->name,
		    docs[i].ext);
		if ((rc = transport_put(t, path, docs[i].data,
		    docs[i].len)) != 0)
			return rc;
	}
	return 0;
}

static char *
page(const struct drill *d, json_object *report)
{
	struct drill_past past = { 0 };
	struct bkp_pubkey pub;
	char *html;

	if (pubkey_load(d->p->pubkey, &pub) != 0 ||
	    drill_history_load(d->repo, d->p->name, pub.sign_pk, &past) != 0)
		log_warn("drill: the report shows no earlier drills");
	html = drill_html(report, &past);
	drill_history_release(&past);
	return html;
}

static void
summary(const struct drill *d, json_object *report, const char *text,
    const char *local, int stored)
{
	json_object *v;
	size_t nr = json_object_array_length(d->reasons);

	if (d->req->quiet)
		return;
	if (d->req->json) {
		puts(text);
		return;
	}
	json_object_object_get_ex(report, "rto_seconds", &v);
	printf("drill of %s: set %s restored (%llu entries, %.1f MiB), "
	    "check %s; RTO %.2f s, RPO %.2f h: %s\n", d->p->name,
	    d->set->setid, (unsigned long long)d->st.entries,
	    (double)d->st.bytes / 1048576.0, !d->p->drill.check ? "none" :
	    !d->check_ran ? "skipped" : d->check_rc ? "FAILED" : "passed",
	    json_object_get_double(v), (double)d->rpo_ns / 3.6e12,
	    d->pass ? "PASS" : "FAIL");
	for (size_t i = 0; i < nr; i++)
		printf("  %s\n", json_object_get_string(
		    json_object_array_get_idx(d->reasons, i)));
	printf("report: %s%s%s%s\n", local, stored ? " (and drills/" : "",
	    stored ? d->name : "", stored ? ".json in the repository)" : "");
}

int
drill_publish(struct drill *d, json_object *report)
{
	char sig[SIG_B64 + 2], local[PATH_MAX + 200] = "";
	const char *text;
	char *html;
	int rc, rc2;

	text = json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((rc = sign(d, text, strlen(text), sig)) != 0)
		return rc;
	if ((html = page(d, report)) == NULL)
		return -BKP_ENOMEM;
	struct doc docs[3] = {
		{ ".html", html, strlen(html) },
		{ ".json", text, strlen(text) },
		{ ".json.sig", sig, strlen(sig) },
	};
	rc = write_local(d, docs, local, sizeof(local));
	rc2 = write_repo(d, docs);
	if (rc == 0)
		drill_log_append(d, local);
	summary(d, report, text, local, rc2 == 0);
	free(html);
	return rc ? rc : rc2;
}
