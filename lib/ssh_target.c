/* ssh_target.c: sftp://[user@]host[:port]/path URLs (ssh_conn.h). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "ssh_conn.h"

static char *
current_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *name = pw ? pw->pw_name : getenv("USER");

	return name && *name ? strdup(name) : NULL;
}

static int
bad_url(const char *url, const char *why)
{
	log_error("%s: %s; the form is sftp://user@host[:port]/path", url, why);
	return -BKP_EUSAGE;
}

static int
parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* host[:port] or [v6]:port in s[0..n). */
static int
parse_hostport(const char *s, size_t n, struct ssh_target *t)
{
	const char *end = s + n, *colon;

	if (n > 0 && *s == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || (close + 1 < end && close[1] != ':'))
			return -1;
		t->host = strndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1 < end ? close + 1 : NULL;
	} else {
		colon = memchr(s, ':', n);
		t->host = strndup(s, colon ? (size_t)(colon - s) : n);
	}
	if (t->host == NULL || *t->host == '\0')
		return -1;
	if (colon != NULL)
		return parse_port(colon + 1, (size_t)(end - colon - 1),
		    &t->port);
	return 0;
}

static int
make_label(struct ssh_target *t)
{
	const char *fmt = strchr(t->host, ':') ? "sftp://%s@[%s]" :
	    "sftp://%s@%s";
	char port[16] = "";
	char *base;
	int rc;

	if (asprintf(&base, fmt, t->user, t->host) == -1)
		return -1;
	if (t->port != 22)
		snprintf(port, sizeof(port), ":%u", t->port);
	rc = asprintf(&t->label, "%s%s", base, port);
	free(base);
	return rc == -1 ? -1 : 0;
}

int
ssh_target_parse(const char *url, struct ssh_target *t)
{
	const char *auth = url + strlen("sftp://"), *slash, *at;
	size_t plen;

	memset(t, 0, sizeof(*t));
	t->port = 22;
	if (strncmp(url, "sftp://", strlen("sftp://")) != 0)
		return bad_url(url, "not an sftp URL");
	if ((slash = strchr(auth, '/')) == NULL)
		return bad_url(url, "no path on the server");
	at = memrchr(auth, '@', (size_t)(slash - auth));
	t->user = at ? strndup(auth, (size_t)(at - auth)) : current_user();
	if (t->user == NULL || *t->user == '\0') {
		ssh_target_free(t);
		return bad_url(url, "no user name");
	}
	if (parse_hostport(at ? at + 1 : auth, (size_t)(slash -
	    (at ? at + 1 : auth)), t) != 0) {
		ssh_target_free(t);
		return bad_url(url, "bad host or port");
	}
	for (plen = strlen(slash); plen > 1 && slash[plen - 1] == '/'; plen--)
		;
	if ((t->path = strndup(slash, plen)) == NULL || make_label(t) != 0) {
		ssh_target_free(t);
		return -BKP_ENOMEM;
	}
	return 0;
}

void
ssh_target_free(struct ssh_target *t)
{
	free(t->user);
	free(t->host);
	free(t->path);
	free(t->label);
	memset(t, 0, sizeof(*t));
}
