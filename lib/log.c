/* log.c: one-line messages on stderr, progress on a terminal only. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

static int verbose;
static int use_syslog;
static int progress_shown;
static void (*hook)(int error, const char *msg, const char *suffix);

void
log_set_hook(void (*fn)(int error, const char *msg, const char *suffix))
{
	hook = fn;
}

void
log_set_syslog(int on)
{
	if (on && !use_syslog)
		openlog("bkp", LOG_PID, LOG_DAEMON);
	use_syslog = on;
}

void
log_set_verbose(int v)
{
	verbose = v;
}

int
log_verbose(void)
{
	return verbose;
}

/* Threads log too (restore's workers, a key unlocked beside a connection):
 * one line at a time, and the hook's counts kept whole. */
static pthread_mutex_t line_mu = PTHREAD_MUTEX_INITIALIZER;

static void
vline(const char *kind, const char *fmt, va_list ap, const char *suffix)
{
	pthread_mutex_lock(&line_mu);
	if ((use_syslog || hook) && *kind) {
		char msg[2048];
		va_list copy;

		va_copy(copy, ap);
		vsnprintf(msg, sizeof(msg), fmt, copy);
		va_end(copy);
		if (use_syslog)
			syslog(kind[0] == 'e' ? LOG_ERR : LOG_WARNING,
			    "%s%s%s%s", kind, msg, suffix ? ": " : "",
			    suffix ? suffix : "");
		if (hook)
			hook(kind[0] == 'e', msg, suffix);
	}
	log_progress_end();
	fprintf(stderr, "bkp: %s", kind);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
	pthread_mutex_unlock(&line_mu);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("error: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_errno(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vline("error: ", fmt, ap, strerror(e));
	va_end(ap);
	errno = e;
}

int
log_errno_code(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vline("error: ", fmt, ap, strerror(e));
	va_end(ap);
	return bkp_from_errno(e);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vline("", fmt, ap, NULL);
	va_end(ap);
}

void
log_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	progress_shown = 1;
}

void
log_progress_end(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	progress_shown = 0;
}
