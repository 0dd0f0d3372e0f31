/* audit.c: the records of one command: begin, events, end, checkpoints,
 * and shipping them to the repositories the command changed. */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "auditlog.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#define CMD_MAX 4096
#define MAX_KEYS 8
#define MAX_SHIP 8
#define MAX_POLICIES 32

struct ship {
	char *url, *identity, *known_hosts;
};

static struct {
	int on, failed;
	char command[32];
	char cmd[CMD_MAX];
	char host[256], user[64], sudo_user[64];
	long uid, euid;
	struct timespec t0;
	int64_t start_ns;
	struct wbuf lines;	/* what this command wrote, for shipping */
	uint64_t first_seq;
	char *keys[MAX_KEYS];	/* signing key files of its policies */
	size_t nkeys;
	struct ship ship[MAX_SHIP];
	size_t nship;
	char *policies[MAX_POLICIES];
	size_t npolicies;
	char error[512];
	unsigned errors, warnings;
} A;

static void
put_str(json_object *o, const char *key, const char *v)
{
	char buf[CMD_MAX];

	if (v == NULL)
		return;
	audit_clean(v, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

/* A local path as an absolute one: records say where, whatever the
 * working directory was. */
static void
put_path(json_object *o, const char *key, const char *v)
{
	char cwd[PATH_MAX], buf[PATH_MAX + CMD_MAX + 2];

	if (v && *v != '/' && !strstr(v, "://") && getcwd(cwd, sizeof(cwd))) {
		snprintf(buf, sizeof(buf), "%s/%s", cwd, v);
		put_str(o, key, buf);
	} else
		put_str(o, key, v);
}

static json_object *
record(const char *event)
{
	json_object *o = json_object_new_object();
	struct timespec ts;
	char t[32];

	if (o == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_format_utc((int64_t)ts.tv_sec * 1000000000, t, sizeof(t));
	put_str(o, "time", t);
	put_str(o, "host", A.host);
	json_object_object_add(o, "uid", json_object_new_int64(A.uid));
	put_str(o, "user", A.user);
	if (A.euid != A.uid)
		json_object_object_add(o, "euid", json_object_new_int64(A.euid));
	if (*A.sudo_user)
		put_str(o, "sudo_user", A.sudo_user);
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	put_str(o, "event", event);
	put_str(o, "command", A.command);
	put_str(o, "cmd", A.cmd);
	return o;
}

/* Appends body (consumed); the first failure turns the trail off for the
 * rest of the command, with one warning. */
static void
emit(json_object *body, auditlog_fin fin, void *arg)
{
	size_t before = A.lines.len;

	if (body == NULL || !A.on || A.failed) {
		json_object_put(body);
		return;
	}
	if (auditlog_append(body, fin, arg, &A.lines) != 0)
		A.failed = 1;	/* reported, as a warning */
	else if (A.first_seq == 0 && A.lines.len > before + 7)
		A.first_seq = strtoull((char *)A.lines.data + before + 7, NULL,
		    10);
	json_object_put(body);
}

static void
on_log(int error, const char *msg, const char *suffix)
{
	if (!error) {
		A.warnings++;
		return;
	}
	if (A.errors++ == 0)
		snprintf(A.error, sizeof(A.error), "%s%s%s", msg,
		    suffix ? ": " : "", suffix ? suffix : "");
}

void
audit_begin(int argc, char **argv, const char *command)
{
	struct timespec ts;

	memset(&A, 0, sizeof(A));
	wbuf_init(&A.lines);
	audit_identity(A.host, sizeof(A.host), A.user, sizeof(A.user),
	    A.sudo_user, sizeof(A.sudo_user), &A.uid, &A.euid);
	audit_cmdline(argc, argv, A.cmd, sizeof(A.cmd));
	snprintf(A.command, sizeof(A.command), "%s", command);
	clock_gettime(CLOCK_MONOTONIC, &A.t0);
	clock_gettime(CLOCK_REALTIME, &ts);
	A.start_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	A.on = 1;
	log_set_hook(on_log);
	emit(record("begin"), NULL, NULL);
}

static void
add_fields(json_object *o, const struct audit_fields *f)
{
	char url[CMD_MAX];
	int code = f->status < 0 ? -f->status : f->status;

	put_str(o, "policy", f->policy);
	if (f->repo) {
		audit_redact(f->repo, NULL, url, sizeof(url));
		put_path(o, "repo", url);
	}
	put_str(o, "set", f->set);
	if (f->nsets > 0) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < f->nsets; i++)
			json_object_array_add(a,
			    json_object_new_string(f->sets[i]));
		json_object_object_add(o, "sets", a);
	}
	if (f->npatterns > 0) {
		json_object *a = json_object_new_array();
		char buf[CMD_MAX];

		for (size_t i = 0; i < f->npatterns; i++) {
			audit_clean(f->patterns[i], buf, sizeof(buf));
			json_object_array_add(a, json_object_new_string(buf));
		}
		json_object_object_add(o, "patterns", a);
	}
	put_path(o, "target", f->target);
	put_str(o, "what", f->what);
	put_str(o, "note", f->note);
	json_object_object_add(o, "status", json_object_new_int(code));
	put_str(o, "result", bkp_strerror(code));
	if (f->bytes)
		json_object_object_add(o, "bytes",
		    json_object_new_int64((int64_t)f->bytes));
	if (f->count)
		json_object_object_add(o, "count",
		    json_object_new_int64((int64_t)f->count));
	if (f->seconds > 0) {
		char t[32];

		snprintf(t, sizeof(t), "%.3f", f->seconds);
		json_object_object_add(o, "seconds",
		    json_object_new_double_s(f->seconds, t));
	}
}

void
audit_event(const char *type, const struct audit_fields *f)
{
	json_object *o;

	if (!A.on || A.failed || (o = record(type)) == NULL)
		return;
	if (f)
		add_fields(o, f);
	emit(o, NULL, NULL);
}

/* The checkpoint's signature over the head it follows. */
static int
sign_head(json_object *rec, const struct audit_head *head, void *arg)
{
	const struct bkp_signkey *sig = arg;
	uint8_t msg[AUDIT_SIGMSG_LEN], s[64];
	char hex[129];

	audit_sigmsg(head->seq, head->hash, head->log, msg);
	crypto_sign_detached(s, NULL, msg, sizeof(msg), sig->sk);
	json_object_object_add(rec, "head_seq",
	    json_object_new_int64((int64_t)head->seq));
	auditlog_hex(head->hash, hex);
	json_object_object_add(rec, "head", json_object_new_string(hex));
	sodium_bin2hex(hex, sizeof(hex), s, sizeof(s));
	json_object_object_add(rec, "sig", json_object_new_string(hex));
	return 0;
}

static void
checkpoint(const struct bkp_signkey *sig)
{
	json_object *o = record("checkpoint");
	char id[KEY_ID_HEX], hex[65];

	if (o == NULL)
		return;
	key_id(sig->pk, id);
	auditlog_hex(sig->pk, hex);
	put_str(o, "signer", id);
	put_str(o, "signer_pk", hex);
	emit(o, sign_head, (void *)sig);
}

/* The signing keys to sign with: sig, else those of the policies that can
 * be read (a key that cannot was reported by the command). */
static size_t
load_keys(const struct bkp_signkey *sig, struct bkp_signkey **keys,
    char *ids, size_t size)
{
	size_t n = 0, len = 0;
	char id[KEY_ID_HEX];

	if (sig == NULL)
		for (size_t i = 0; i < A.nkeys; i++)
			if (access(A.keys[i], R_OK) == 0 &&
			    signkey_load(A.keys[i], &keys[n]) == 0)
				n++;
	for (size_t i = 0; i < (sig ? 1 : n); i++) {
		key_id(sig ? sig->pk : keys[i]->pk, id);
		len += (size_t)snprintf(ids + len, size - len, "%s%s",
		    len ? "," : "", id);
	}
	return sig ? 1 : n;
}

static void
ship(void)
{
	char name[512], host[256], t[32];
	time_t secs = (time_t)(A.start_ns / 1000000000);
	struct tm tm;

	if (A.nship == 0 || A.lines.len == 0)
		return;
	snprintf(host, sizeof(host), "%s", A.host);
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_'))
			*p = '_';
	gmtime_r(&secs, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, sizeof(name), "audit/%s-%012llu-%s.jsonl", host,
	    (unsigned long long)A.first_seq, t);
	for (size_t i = 0; i < A.nship; i++) {
		struct transport_opts o = {
			.identity = A.ship[i].identity,
			.known_hosts = A.ship[i].known_hosts,
		};

		if (audit_ship_put(A.ship[i].url, &o, name, A.lines.data,
		    A.lines.len) != 0)
			log_warn("%s: the audit records of this command were "
			    "not shipped there (the local log has them)",
			    A.ship[i].url);
	}
}

static void
release(void)
{
	for (size_t i = 0; i < A.nkeys; i++)
		free(A.keys[i]);
	for (size_t i = 0; i < A.nship; i++) {
		free(A.ship[i].url);
		free(A.ship[i].identity);
		free(A.ship[i].known_hosts);
	}
	for (size_t i = 0; i < A.npolicies; i++)
		free(A.policies[i]);
	wbuf_release(&A.lines);
	log_set_hook(NULL);
	memset(&A, 0, sizeof(A));
}

int
audit_end(int status, const struct bkp_signkey *sig)
{
	struct bkp_signkey *keys[MAX_KEYS];
	struct audit_fields f = { .status = status };
	struct timespec t1;
	char ids[MAX_KEYS * KEY_ID_HEX + 64] = "", note[MAX_KEYS * 20 + 64];
	size_t n;
	json_object *o;

	if (!A.on)
		return status;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	f.seconds = (double)(t1.tv_sec - A.t0.tv_sec) +
	    (double)(t1.tv_nsec - A.t0.tv_nsec) / 1e9;
	n = load_keys(sig, keys, ids, sizeof(ids));
	if (n > 0)
		snprintf(note, sizeof(note), "head signed by %s", ids);
	else
		snprintf(note, sizeof(note), "head not signed: no signing key "
		    "for this command");
	f.note = note;
	if ((o = record("end")) != NULL) {
		add_fields(o, &f);
		if (A.errors) {
			put_str(o, "error", A.error);
			json_object_object_add(o, "errors",
			    json_object_new_int((int)A.errors));
		}
		emit(o, NULL, NULL);
	}
	for (size_t i = 0; i < n; i++)
		checkpoint(sig ? sig : keys[i]);
	for (size_t i = 0; !sig && i < n; i++)
		signkey_free(keys[i]);
	if (!A.failed)
		ship();
	release();
	return status;
}

static int
add_unique(char **v, size_t *n, size_t max, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return 0;
	if (*n == max || (v[*n] = strdup(s)) == NULL)
		return 0;
	(*n)++;
	return 1;
}

void
audit_ship_to(const char *url, const struct transport_opts *o)
{
	struct ship *s;

	if (!A.on || url == NULL || A.nship == MAX_SHIP)
		return;
	for (size_t i = 0; i < A.nship; i++)
		if (strcmp(A.ship[i].url, url) == 0)
			return;
	s = &A.ship[A.nship];
	s->url = strdup(url);
	s->identity = o && o->identity ? strdup(o->identity) : NULL;
	s->known_hosts = o && o->known_hosts ? strdup(o->known_hosts) : NULL;
	if (s->url)
		A.nship++;
}

void
audit_ship_policy(const struct policy *p)
{
	struct transport_opts o = {
		.identity = p->identity,
		.known_hosts = p->known_hosts,
	};

	audit_ship_to(p->repo_url, &o);
}

void
audit_policy(const struct policy *p)
{
	if (!A.on || !add_unique(A.policies, &A.npolicies, MAX_POLICIES,
	    p->name))
		return;
	if (p->signkey)
		add_unique(A.keys, &A.nkeys, MAX_KEYS, p->signkey);
	audit_policy_hash(p);
}
