/* lockobj.c: repository lock objects: JSON, and when one is stale. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "lockobj.h"
#include "timefmt.h"

/* Times beyond the year 9999 are damage (and would overflow as ns). */
#define TIME_MAX 253402300799LL

int
lockobj_encode(const struct lockobj *l, char *out, size_t size, size_t *len)
{
	json_object *o = json_object_new_object();
	const char *s;
	int rc = 0;

	if (o == NULL)
		return -BKP_ENOMEM;
	json_object_object_add(o, "kind", json_object_new_string(
	    l->exclusive ? "exclusive" : "shared"));
	json_object_object_add(o, "host", json_object_new_string(l->host));
	json_object_object_add(o, "what", json_object_new_string(l->what));
	json_object_object_add(o, "pid", json_object_new_int64(l->pid));
	json_object_object_add(o, "start", json_object_new_int64(l->start));
	json_object_object_add(o, "created",
	    json_object_new_int64(l->created));
	json_object_object_add(o, "refreshed",
	    json_object_new_int64(l->refreshed));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s == NULL || strlen(s) + 2 > size || strlen(s) + 2 > LOCKOBJ_MAX)
		rc = -BKP_EINTERNAL;
	else
		*len = (size_t)snprintf(out, size, "%s\n", s);
	json_object_put(o);
	return rc;
}

static int
get_int(json_object *o, const char *key, int64_t min, int64_t max,
    int64_t *v)
{
	json_object *f;

	if (!json_object_object_get_ex(o, key, &f) ||
	    !json_object_is_type(f, json_type_int))
		return -1;
	*v = json_object_get_int64(f);
	return *v < min || *v > max ? -1 : 0;
}

static int
get_str(json_object *o, const char *key, int required, char *out,
    size_t size)
{
	json_object *f;

	out[0] = '\0';
	if (!json_object_object_get_ex(o, key, &f))
		return required ? -1 : 0;
	if (!json_object_is_type(f, json_type_string) ||
	    (size_t)json_object_get_string_len(f) >= size)
		return -1;
	memcpy(out, json_object_get_string(f),
	    (size_t)json_object_get_string_len(f) + 1);
	return strlen(out) == (size_t)json_object_get_string_len(f) ? 0 : -1;
}

static int
fields(json_object *o, struct lockobj *l)
{
	char kind[16];

	if (!json_object_is_type(o, json_type_object) ||
	    get_str(o, "kind", 1, kind, sizeof(kind)) != 0 ||
	    get_str(o, "host", 1, l->host, sizeof(l->host)) != 0 ||
	    get_str(o, "what", 0, l->what, sizeof(l->what)) != 0 ||
	    get_int(o, "pid", 1, INT32_MAX, &l->pid) != 0 ||
	    get_int(o, "start", 0, TIME_MAX, &l->start) != 0 ||
	    get_int(o, "created", 0, TIME_MAX, &l->created) != 0 ||
	    get_int(o, "refreshed", 0, TIME_MAX, &l->refreshed) != 0)
		return -1;
	if (strcmp(kind, "exclusive") == 0)
		l->exclusive = 1;
	else if (strcmp(kind, "shared") != 0)
		return -1;
	return l->host[0] ? 0 : -1;
}

int
lockobj_decode(const uint8_t *p, size_t n, struct lockobj *l)
{
	struct json_tokener *tok;
	json_object *o = NULL;
	int rc = -BKP_ECORRUPT;

	memset(l, 0, sizeof(*l));
	if (n == 0 || n > LOCKOBJ_MAX || memchr(p, '\0', n) != NULL)
		goto out;
	if ((tok = json_tokener_new_ex(8)) == NULL)
		return -BKP_ENOMEM;
	o = json_tokener_parse_ex(tok, (const char *)p, (int)n);
	if (o != NULL && tok->char_offset < (int)n &&
	    strspn((const char *)p + tok->char_offset, " \t\r\n") !=
	    n - (size_t)tok->char_offset)
		rc = -BKP_ECORRUPT;	/* something after the object */
	else if (o != NULL && fields(o, l) == 0)
		rc = 0;
	json_tokener_free(tok);
	json_object_put(o);
out:
	if (rc != 0)
		memset(l, 0, sizeof(*l));
	return rc;
}

const char *
lockobj_stale(const struct lockobj *l, int64_t now, enum lockobj_proc proc,
    char *why, size_t size)
{
	int64_t age = now - l->refreshed;

	if (proc == LOCKOBJ_PROC_ALIVE)
		return NULL;
	if (proc == LOCKOBJ_PROC_GONE) {
		snprintf(why, size, "its process (pid %lld) is gone",
		    (long long)l->pid);
		return why;
	}
	if (age <= LOCKOBJ_STALE_SECS)
		return NULL;
	snprintf(why, size, "not refreshed for %lld minutes",
	    (long long)(age / 60));
	return why;
}

void
lockobj_describe(const struct lockobj *l, char *out, size_t size)
{
	char since[32], refreshed[32];

	time_format_utc(l->created * 1000000000, since, sizeof(since));
	time_format_utc(l->refreshed * 1000000000, refreshed,
	    sizeof(refreshed));
	snprintf(out, size, "%s on host %s (pid %lld, since %s, refreshed %s)",
	    l->what[0] ? l->what : l->exclusive ? "an exclusive lock" :
	    "a writer", l->host, (long long)l->pid, since, refreshed);
}

int
lockobj_id_valid(const char *name)
{
	if (strlen(name) != LOCKOBJ_ID_LEN)
		return 0;
	return strspn(name, "0123456789abcdef") == LOCKOBJ_ID_LEN;
}
