/* audit_util.c: what goes into audit records: who (user, host), the
 * command line (redacted, quoted, valid UTF-8), and policy versions. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "auditlog.h"
#include "error.h"
#include "log.h"
#include "state.h"

void
audit_identity(char *host, size_t hsize, char *user, size_t usize,
    char *sudo_user, size_t ssize, long *uid, long *euid)
{
	struct passwd pw, *res = NULL;
	const char *sudo = getenv("SUDO_USER");
	char buf[4096];

	if (gethostname(host, hsize - 1) != 0)
		snprintf(host, hsize, "unknown");
	host[hsize - 1] = '\0';
	*uid = (long)getuid();
	*euid = (long)geteuid();
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(user, usize, "%s", pw.pw_name);
	else
		snprintf(user, usize, "%ld", *uid);
	snprintf(sudo_user, ssize, "%s", sudo && *sudo ? sudo : "");
}

/* Length of the valid UTF-8 sequence at p, 0 if there is none. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/* Bytes that are not UTF-8 (a file name can hold any) become \xHH. */
void
audit_clean(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, n;

	while (*p && o + 5 < size) {
		if ((n = utf8_len(p)) == 0) {
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
			p++;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

/* Options whose value would be a secret (none of bkp's: they take files
 * or the environment); the name alone, without "--". */
static int
secret_option(const char *name, size_t n)
{
	static const char *const names[] = { "passphrase", "new-passphrase",
	    "password", "secret", "token", "key-data", NULL };

	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

int
audit_redact(const char *arg, const char *prev, char *out, size_t size)
{
	const char *eq, *scheme, *at, *colon;

	if (prev && strncmp(prev, "--", 2) == 0 && !strchr(prev, '=') &&
	    secret_option(prev + 2, strlen(prev + 2))) {
		snprintf(out, size, "***");
		return 1;
	}
	if (strncmp(arg, "--", 2) == 0 && (eq = strchr(arg, '=')) != NULL &&
	    secret_option(arg + 2, (size_t)(eq - arg - 2))) {
		snprintf(out, size, "%.*s=***", (int)(eq - arg), arg);
		return 1;
	}
	if ((scheme = strstr(arg, "://")) != NULL &&
	    (at = strchr(scheme + 3, '@')) != NULL &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) !=
	    NULL && !memchr(scheme + 3, '/', (size_t)(at - scheme - 3))) {
		snprintf(out, size, "%.*s***%s", (int)(colon + 1 - arg), arg,
		    at);
		return 1;
	}
	snprintf(out, size, "%s", arg);
	return 0;
}

/* Shell quoting, so that the line can be read back unambiguously. */
static size_t
quote(const char *arg, char *out, size_t size)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-*";
	size_t o = 0;

	if (*arg && strspn(arg, plain) == strlen(arg))
		return (size_t)snprintf(out, size, "%s", arg);
	out[o++] = '\'';
	for (; *arg && o + 6 < size; arg++) {
		if (*arg == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else
			out[o++] = *arg;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return o;
}

void
audit_cmdline(int argc, char **argv, char *out, size_t size)
{
	char red[2048], q[4200];
	size_t o = (size_t)snprintf(out, size, "bkp");

	for (int i = 1; i < argc && o < size; i++) {
		audit_redact(argv[i], i > 1 ? argv[i - 1] : NULL, red,
		    sizeof(red));
		quote(red, q, sizeof(q));
		if (o + strlen(q) + 5 >= size) {
			snprintf(out + o, size - o, " ...");
			break;
		}
		o += (size_t)snprintf(out + o, size - o, " %s", q);
	}
}

static int
hash_file(const char *path, uint8_t h[32])
{
	crypto_generichash_state st;
	uint8_t buf[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	crypto_generichash_init(&st, NULL, 0, 32);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crypto_generichash_update(&st, buf, (size_t)n);
	close(fd);
	crypto_generichash_final(&st, h, 32);
	return n < 0 ? -1 : 0;
}

/* A "policy.change" record when the policy file is not the one of the
 * last run (STATE/audit.policies/NAME keeps its hash). */
void
audit_policy_hash(const struct policy *p)
{
	char dir[PATH_MAX], path[PATH_MAX + 128], hex[65], what[80];
	char old[80] = "", note[128];
	uint8_t h[32];
	ssize_t n;
	int fd;

	if (p->file == NULL || hash_file(p->file, h) != 0 ||
	    state_dir(dir, sizeof(dir)) != 0)
		return;
	auditlog_hex(h, hex);
	snprintf(path, sizeof(path), "%s/audit.policies", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/audit.policies/%s", dir, p->name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		n = read(fd, old, 64);
		old[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (strcmp(old, hex) == 0)
		return;
	snprintf(what, sizeof(what), "blake2b:%s", hex);
	if (*old)
		snprintf(note, sizeof(note), "was blake2b:%s", old);
	else
		snprintf(note, sizeof(note), "first use of this policy here");
	audit_event("policy.change", &(struct audit_fields){ .policy = p->name,
	    .target = p->file, .what = what, .note = note });
	hex[64] = '\n';
	state_write_atomic(path, hex, 65);
}
