/* passphrase.c: passphrases from a file, the environment or the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "passphrase.h"

void
passphrase_free(char *pass)
{
	if (pass)
		sodium_free(pass);
}

static size_t
chomp(char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return n;
}

static int
from_file(const char *file, char *buf, size_t *len)
{
	ssize_t n;
	char *nl;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return log_errno_code("%s: cannot read passphrase file", file);
	n = read(fd, buf, PASSPHRASE_MAX);
	close(fd);
	if (n < 0)
		return log_errno_code("%s: cannot read passphrase file", file);
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	*len = chomp(buf, strlen(buf));
	return 0;
}

static int
prompt(FILE *tty, const char *what, char *buf, size_t *len)
{
	struct termios old, quiet;
	int fd = fileno(tty), rc = 0;

	fprintf(tty, "%s", what);
	fflush(tty);
	if (tcgetattr(fd, &old) != 0)
		return log_errno_code("cannot read the terminal");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	if (fgets(buf, PASSPHRASE_MAX + 1, tty) == NULL)
		rc = -BKP_EKEY;
	tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', tty);
	*len = rc ? 0 : chomp(buf, strlen(buf));
	return rc;
}

/* Where a passphrase comes from: its option, variable and prompt. */
struct source {
	const char *option, *env, *prompt, *again;
};
static const struct source current = { "--passphrase-file", PASSPHRASE_ENV,
    "Passphrase: ", "Passphrase (again): " };
static const struct source fresh = { "--new-passphrase-file",
    PASSPHRASE_NEW_ENV, "New passphrase: ", "New passphrase (again): " };

static int
from_terminal(const struct source *src, int confirm, char *buf, size_t *len)
{
	char *again = NULL;
	size_t againlen;
	FILE *tty;
	int rc;

	if ((tty = fopen("/dev/tty", "r+")) == NULL) {
		log_error("no passphrase: use %s FILE or set %s", src->option,
		    src->env);
		return -BKP_EKEY;
	}
	if ((rc = prompt(tty, src->prompt, buf, len)) != 0 || !confirm)
		goto out;
	if ((again = sodium_malloc(PASSPHRASE_MAX + 2)) == NULL) {
		rc = -BKP_ENOMEM;
		goto out;
	}
	if ((rc = prompt(tty, src->again, again, &againlen)) != 0)
		goto out;
	if (againlen != *len || sodium_memcmp(again, buf, *len) != 0) {
		log_error("the passphrases do not match");
		rc = -BKP_EKEY;
	}
out:
	if (again)
		sodium_free(again);
	fclose(tty);
	return rc;
}

static int
get_from(const struct source *src, const char *file, int confirm,
    char **pass, size_t *len)
{
	const char *env = getenv(src->env);
	char *buf;
	int rc;

	*pass = NULL;
	*len = 0;
	if ((buf = sodium_malloc(PASSPHRASE_MAX + 2)) == NULL)
		return -BKP_ENOMEM;
	memset(buf, 0, PASSPHRASE_MAX + 2);
	if (file)
		rc = from_file(file, buf, len);
	else if (env) {
		*len = strlen(env);
		if (*len > PASSPHRASE_MAX)
			*len = PASSPHRASE_MAX;
		memcpy(buf, env, *len);
		rc = 0;
	} else
		rc = from_terminal(src, confirm, buf, len);
	if (rc == 0 && *len == 0) {
		log_error("the passphrase is empty");
		rc = -BKP_EKEY;
	}
	if (rc != 0) {
		sodium_free(buf);
		*len = 0;
		return rc;
	}
	*pass = buf;
	return 0;
}

int
passphrase_get(const char *file, int confirm, char **pass, size_t *len)
{
	return get_from(&current, file, confirm, pass, len);
}

int
passphrase_get_new(const char *file, char **pass, size_t *len)
{
	return get_from(&fresh, file, 1, pass, len);
}
