/* runlog.c: append and search the run history. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "log.h"
#include "runlog.h"
#include "state.h"

static int
runlog_path(char *out, size_t size)
{
	char dir[PATH_MAX];
	int rc;

	if ((rc = state_dir(dir, sizeof(dir))) != 0)
		return rc;
	snprintf(out, size, "%s/runs.log", dir);
	return 0;
}

int
runlog_append(const struct runlog_entry *e)
{
	char path[PATH_MAX + 16];
	json_object *o;
	const char *line;
	int fd, rc = 0;

	if ((rc = runlog_path(path, sizeof(path))) != 0)
		return rc;
	o = json_object_new_object();
	json_object_object_add(o, "time_ns", json_object_new_int64(e->time_ns));
	json_object_object_add(o, "policy", json_object_new_string(e->policy));
	json_object_object_add(o, "action", json_object_new_string(e->action));
	json_object_object_add(o, "set", json_object_new_string(e->set));
	json_object_object_add(o, "status", json_object_new_int(e->status));
	json_object_object_add(o, "seconds", json_object_new_double(e->seconds));
	json_object_object_add(o, "bytes",
	    json_object_new_int64((int64_t)e->bytes));
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 ||
	    dprintf(fd, "%s\n", line) < 0)
		rc = log_errno_code("%s: cannot record the run", path);
	if (fd != -1)
		close(fd);
	json_object_put(o);
	return rc;
}

static void
copy_str(json_object *o, const char *key, char *out, size_t size)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v))
		snprintf(out, size, "%s", json_object_get_string(v));
}

static int
parse_line(const char *line, struct runlog_entry *e)
{
	json_object *o = json_tokener_parse(line), *v;

	if (o == NULL)
		return -1;
	memset(e, 0, sizeof(*e));
	if (json_object_object_get_ex(o, "time_ns", &v))
		e->time_ns = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "status", &v))
		e->status = json_object_get_int(v);
	if (json_object_object_get_ex(o, "seconds", &v))
		e->seconds = json_object_get_double(v);
	if (json_object_object_get_ex(o, "bytes", &v))
		e->bytes = (uint64_t)json_object_get_int64(v);
	copy_str(o, "policy", e->policy, sizeof(e->policy));
	copy_str(o, "action", e->action, sizeof(e->action));
	copy_str(o, "set", e->set, sizeof(e->set));
	json_object_put(o);
	return 0;
}

static int
action_matches(const char *actions, const char *action)
{
	size_t n = strlen(action);

	if (*actions == '\0')
		return 1;
	for (const char *p = actions; (p = strstr(p, action)) != NULL; p++)
		if ((p == actions || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

int
runlog_last(const char *policy, const char *actions, struct runlog_entry *out)
{
	char path[PATH_MAX + 16], line[1024];
	struct runlog_entry e;
	int found = 0;
	FILE *f;

	if (runlog_path(path, sizeof(path)) != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return -BKP_ENOTFOUND;
	while (fgets(line, sizeof(line), f))
		if (parse_line(line, &e) == 0 &&
		    strcmp(e.policy, policy) == 0 &&
		    action_matches(actions, e.action)) {
			*out = e;
			found = 1;
		}
	fclose(f);
	return found ? 0 : -BKP_ENOTFOUND;
}
