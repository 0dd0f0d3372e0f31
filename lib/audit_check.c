/* audit_check.c: checking the audit chain and its signed checkpoints. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auditlog.h"
#include "error.h"
#include "keys.h"
#include "log.h"

json_object *
audit_parse(const char *line, size_t len)
{
	struct json_tokener *tok;
	json_object *rec, *v;
	uint8_t h[32];

	if (len == 0 || len > (1u << 20) || memchr(line, '\0', len) ||
	    (tok = json_tokener_new()) == NULL)
		return NULL;
	rec = json_tokener_parse_ex(tok, line, (int)len);
	if (rec && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(rec);
		rec = NULL;
	}
	json_tokener_free(tok);
	if (rec == NULL || !json_object_is_type(rec, json_type_object))
		goto bad;
	if (!json_object_object_get_ex(rec, "seq", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 1 ||
	    !json_object_object_get_ex(rec, "prev", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    auditlog_unhex(json_object_get_string(v), h) != 0 ||
	    !json_object_object_get_ex(rec, "log", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != 32 ||
	    !json_object_object_get_ex(rec, "event", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(rec, "time", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto bad;
	return rec;
bad:
	json_object_put(rec);
	return NULL;
}

void
audit_sigmsg(uint64_t seq, const uint8_t head[32], const char *log,
    uint8_t msg[AUDIT_SIGMSG_LEN])
{
	memcpy(msg, "BKPAUDIT", 8);
	for (int i = 0; i < 8; i++)
		msg[8 + i] = (uint8_t)(seq >> (8 * i));
	memcpy(msg + 16, head, 32);
	memcpy(msg + 48, log, 32);
}

static const char *
str(json_object *rec, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(rec, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int
audit_check_checkpoint(json_object *rec, uint64_t seq, const uint8_t prev[32],
    const char *log, const uint8_t (*pubs)[32], size_t npubs, char *why,
    size_t whysize)
{
	uint8_t head[32], pk[32], sig[64], msg[AUDIT_SIGMSG_LEN];
	json_object *v;
	char id[KEY_ID_HEX];
	size_t n, i;

	if (!json_object_object_get_ex(rec, "head_seq", &v) ||
	    (uint64_t)json_object_get_int64(v) != seq - 1 ||
	    auditlog_unhex(str(rec, "head"), head) != 0 ||
	    sodium_memcmp(head, prev, 32) != 0) {
		snprintf(why, whysize, "checkpoint does not name the record "
		    "before it as the head");
		return -BKP_ECORRUPT;
	}
	if (auditlog_unhex(str(rec, "signer_pk"), pk) != 0 ||
	    strlen(str(rec, "sig")) != 128 ||
	    sodium_hex2bin(sig, 64, str(rec, "sig"), 128, NULL, &n, NULL) ||
	    n != 64) {
		snprintf(why, whysize, "checkpoint without a well-formed "
		    "signature");
		return -BKP_ECORRUPT;
	}
	key_id(pk, id);
	for (i = 0; i < npubs; i++)
		if (sodium_memcmp(pubs[i], pk, 32) == 0)
			break;
	if (npubs > 0 && i == npubs) {
		snprintf(why, whysize, "checkpoint signed by key %s, which is "
		    "none of the keys given with --pub", id);
		return -BKP_ECORRUPT;
	}
	audit_sigmsg(seq - 1, head, log, msg);
	if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0) {
		snprintf(why, whysize, "bad signature by key %s: the checkpoint "
		    "was forged or altered", id);
		return -BKP_ECORRUPT;
	}
	return 0;
}

void
audit_check_init(struct audit_check *c, const uint8_t (*pubs)[32],
    size_t npubs)
{
	memset(c, 0, sizeof(*c));
	c->pubs = pubs;
	c->npubs = npubs;
}

/* Why the record does not follow the one before it, or NULL. */
static const char *
link_problem(const struct audit_check *c, uint64_t seq, const uint8_t prev[32],
    const char *log, char *why, size_t size)
{
	if (!c->have_prev) {
		if (seq == 1 && !sodium_is_zero(prev, 32))
			return "the first record has a prev";
		return NULL;
	}
	if (strcmp(log, c->log) != 0)
		snprintf(why, size, "belongs to another log (%s)", log);
	else if (seq <= c->seq)
		snprintf(why, size, "seq %llu after seq %llu: records out of "
		    "order or repeated", (unsigned long long)seq,
		    (unsigned long long)c->seq);
	else if (seq > c->seq + 1)
		snprintf(why, size, "seq %llu after seq %llu: %llu record(s) "
		    "missing", (unsigned long long)seq,
		    (unsigned long long)c->seq,
		    (unsigned long long)(seq - c->seq - 1));
	else if (sodium_memcmp(prev, c->hash, 32) != 0)
		snprintf(why, size, "prev is not the hash of the record before "
		    "it (seq %llu): that record was altered, or records were "
		    "removed or reordered", (unsigned long long)c->seq);
	else
		return NULL;
	return why;
}

static int
broken(struct audit_check *c, const char *where, uint64_t seq,
    const char *why)
{
	if (c->broken++ == 0) {
		if (seq)
			log_error("%s: seq %llu: first broken record: %s", where,
			    (unsigned long long)seq, why);
		else
			log_error("%s: first broken record: %s", where, why);
	}
	return -BKP_ECORRUPT;
}

int
audit_check_line(struct audit_check *c, const char *line, size_t len,
    int complete, const char *where)
{
	json_object *rec = audit_parse(line, len);
	const char *why = NULL;
	char buf[256];
	uint8_t prev[32];
	uint64_t seq;
	int rc = 0;

	if (rec == NULL || !complete) {
		json_object_put(rec);
		crypto_generichash(c->hash, 32, (const uint8_t *)line, len,
		    NULL, 0);
		c->seq++;
		return broken(c, where, 0, complete ? "not an audit record" :
		    "incomplete record: the log was cut short");
	}
	seq = (uint64_t)json_object_get_int64(json_object_object_get(rec,
	    "seq"));
	auditlog_unhex(str(rec, "prev"), prev);
	why = link_problem(c, seq, prev, str(rec, "log"), buf, sizeof(buf));
	if (why == NULL && strcmp(str(rec, "event"), "checkpoint") == 0) {
		if (audit_check_checkpoint(rec, seq, prev, str(rec, "log"),
		    c->pubs, c->npubs, buf, sizeof(buf)) != 0)
			why = buf;
		else {
			c->checkpoints++;
			c->last_signed = seq - 1;
			snprintf(c->signer, sizeof(c->signer), "%s",
			    str(rec, "signer"));
		}
	}
	if (why)
		rc = broken(c, where, seq, why);
	if (!c->have_prev)
		c->first_seq = seq;
	c->have_prev = 1;
	c->seq = seq;
	c->records++;
	snprintf(c->log, sizeof(c->log), "%s", str(rec, "log"));
	crypto_generichash(c->hash, 32, (const uint8_t *)line, len, NULL, 0);
	json_object_put(rec);
	return rc;
}
