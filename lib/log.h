/* log.h: messages to the operator.
 *
 * Errors and warnings go to stderr as one line, prefixed with "bkp: ".
 * Informational lines are printed only when verbose; progress only when
 * stderr is a terminal.
 */
#ifndef BKP_LOG_H
#define BKP_LOG_H

#include <stdarg.h>

void log_set_verbose(int verbose);
/* Errors and warnings also go to syslog (facility daemon). */
void log_set_syslog(int on);
int log_verbose(void);
/* fn sees every error (error 1) and warning (0) as it is printed (the audit
 * trail keeps the first error of a command). */
void log_set_hook(void (*fn)(int error, const char *msg, const char *suffix));

/* One line "bkp: error: ..." on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As log_error, followed by ": " and strerror(errno). */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A progress line, redrawn in place; only on a terminal. */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_end(void);

/* log_errno's result: the status code that matches errno. */
int log_errno_code(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
