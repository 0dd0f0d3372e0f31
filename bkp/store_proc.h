/* store_proc.h: the commands that dump data stores.
 *
 * A command runs in a process group of its own, with standard input from
 * /dev/null, standard output on a pipe that the caller reads, and standard
 * error kept (its last few KiB) for the log.  It may run as another user
 * (bkp runs as root), with that user's HOME, so that the store's own
 * credential files (~/.pgpass, ~/.my.cnf) apply.  Everything the child
 * needs is prepared before fork: bkp has threads, and the child only makes
 * async-signal-safe calls before execve.  The environment is bkp's
 * without BKP_PASSPHRASE; the working directory is /.  Standard input may
 * be a file that bkp opens, so that a command run as another user can
 * read it.
 */
#ifndef BKP_STORE_PROC_H
#define BKP_STORE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_STDERR_KEEP 4096

struct store_cmd {
	char *const *argv;	/* argv[0] is looked up in PATH */
	const char *user;	/* run as this user (needs root), or NULL */
	int as_owner;		/* or run as uid/gid below (needs root) */
	uid_t uid;
	gid_t gid;
	int64_t timeout;	/* seconds; 0: no limit */
	const char *input;	/* standard input: this file (opened by
				 * bkp), or NULL for /dev/null */
};

struct store_proc {
	pid_t pid;
	int out, err;		/* pipes; -1 once at their end */
	int64_t deadline;	/* CLOCK_MONOTONIC ms; 0: none */
	int64_t timeout;
	int timed_out;
	char tail[STORE_STDERR_KEEP];	/* ring of standard error */
	size_t tail_pos, tail_len;
};

/* Starts c.  0, or -BKP_EFAILED after reporting why, naming it by name. */
int store_proc_start(const struct store_cmd *c, const char *name,
    struct store_proc *p);
/* Reads at most n bytes of the command's output: the number read, 0 at
 * its end, -1 when the deadline passed or reading failed. */
ssize_t store_proc_read(struct store_proc *p, void *buf, size_t n);
/* Waits for the command to end, killing its process group at the
 * deadline.  0 when it exited with status 0; else -1, with why it failed
 * in why ("exit status 1", "killed by signal 9", "timed out after 60 s"). */
int store_proc_finish(struct store_proc *p, char *why, size_t size);
/* Kills the process group and reaps the command. */
void store_proc_kill(struct store_proc *p);
/* Logs the last lines of its standard error, as errors or as info. */
void store_proc_log_stderr(const struct store_proc *p, const char *name,
    int as_error);

/* Runs c to its end and returns its output (at most max bytes, and a NUL)
 * in *out, and its length.  0, -BKP_EFAILED (reported), or -BKP_ENOMEM. */
int store_proc_capture(const struct store_cmd *c, const char *name,
    size_t max, char **out, size_t *len);

/* The program argv0 names: itself if it has a '/', else found in PATH;
 * NULL (errno set) when not found. */
char *store_proc_find(const char *argv0);

#endif
