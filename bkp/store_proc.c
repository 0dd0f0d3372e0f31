/* store_proc.c: starting, reading and ending the dump commands. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "store_proc.h"

extern char **environ;

/* What the child needs, made before fork. */
struct prep {
	char *path;		/* the program */
	char **envp;
	int switch_user;
	int env_owned;		/* envp's last strings are ours */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	int in;			/* /dev/null, or the input file */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
store_proc_find(const char *argv0)
{
	const char *path = getenv("PATH"), *p;
	char *s;

	if (strchr(argv0, '/'))
		return strdup(argv0);
	for (p = path ? path : "/usr/bin:/bin"; *p; p += *p == ':') {
		size_t n = strcspn(p, ":");

		if (asprintf(&s, "%.*s/%s", (int)n, n ? p : ".", argv0) == -1)
			return NULL;
		if (access(s, X_OK) == 0)
			return s;
		free(s);
		p += n;
	}
	errno = ENOENT;
	return NULL;
}

/* bkp's environment without the passphrase; with the user's HOME, USER
 * and LOGNAME when switching to a user with a passwd entry. */
static char **
make_env(const struct passwd *pw)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if ((env = calloc(n + 4, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *v = environ[i];

		if (strncmp(v, "BKP_PASSPHRASE=", 15) == 0 || (pw &&
		    (strncmp(v, "HOME=", 5) == 0 ||
		    strncmp(v, "USER=", 5) == 0 ||
		    strncmp(v, "LOGNAME=", 8) == 0)))
			continue;
		env[k++] = (char *)v;
	}
	if (pw && (asprintf(&env[k++], "HOME=%s", pw->pw_dir) == -1 ||
	    asprintf(&env[k++], "USER=%s", pw->pw_name) == -1 ||
	    asprintf(&env[k++], "LOGNAME=%s", pw->pw_name) == -1)) {
		free(env);	/* the few strings made are lost: no memory */
		return NULL;
	}
	return env;
}

static void
prep_free(struct prep *pr)
{
	if (pr->envp && pr->env_owned) {
		size_t n = 0;

		while (pr->envp[n])
			n++;
		for (size_t i = n - 3; i < n; i++)
			free(pr->envp[i]);
	}
	free(pr->envp);
	free(pr->path);
	free(pr->groups);
	if (pr->in != -1)
		close(pr->in);
}

/* The user to switch to: by name, or the owner uid/gid (a passwd entry is
 * optional then). */
static int
prep_user(const struct store_cmd *c, const char *name, struct prep *pr,
    struct passwd **pwp)
{
	struct passwd *pw;
	int n = 64;

	pw = c->user ? getpwnam(c->user) : getpwuid(c->uid);
	if (c->user && pw == NULL) {
		log_error("%s: no user %s on this host", name, c->user);
		return -BKP_EFAILED;
	}
	pr->uid = c->user ? pw->pw_uid : c->uid;
	pr->gid = c->user ? pw->pw_gid : c->gid;
	if (pr->uid == geteuid() && pr->gid == getegid())
		return 0;
	if (geteuid() != 0) {
		log_error("%s: bkp must run as root to run the dump as %s", name,
		    c->user ? c->user : "the database file's owner");
		return -BKP_EFAILED;
	}
	pr->switch_user = 1;
	*pwp = pw;
	for (;;) {
		if ((pr->groups = realloc(pr->groups, (size_t)n *
		    sizeof(gid_t))) == NULL)
			return -BKP_ENOMEM;
		if (pw == NULL) {
			pr->groups[0] = pr->gid;
			pr->ngroups = 1;
			return 0;
		}
		if (getgrouplist(pw->pw_name, pr->gid, pr->groups, &n) != -1)
			break;
	}
	pr->ngroups = n;
	return 0;
}

static int
prepare(const struct store_cmd *c, const char *name, struct prep *pr)
{
	struct passwd *pw = NULL;
	int rc;

	if ((c->user || c->as_owner) &&
	    (rc = prep_user(c, name, pr, &pw)) != 0)
		return rc;
	if ((pr->path = store_proc_find(c->argv[0])) == NULL) {
		if (errno == ENOMEM)
			return -BKP_ENOMEM;
		log_error("%s: %s: not found in PATH", name, c->argv[0]);
		return -BKP_EFAILED;
	}
	if ((pr->envp = make_env(pr->switch_user ? pw : NULL)) == NULL)
		return -BKP_ENOMEM;
	pr->env_owned = pr->switch_user && pw != NULL;
	if ((pr->in = open(c->input ? c->input : "/dev/null", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return log_errno_code("%s: cannot read %s", name, c->input ?
		    c->input : "/dev/null");
	return 0;
}

static void
child_fail(const char *msg)
{
	(void)!write(STDERR_FILENO, msg, strlen(msg));
	_exit(126);
}

/* After fork: async-signal-safe calls only. */
static void
child(const struct prep *pr, char *const *argv, int out, int err)
{
	struct sigaction sa;
	sigset_t none;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(pr->in, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 || dup2(err, STDERR_FILENO) == -1)
		_exit(126);
	if (pr->switch_user && (setgroups((size_t)pr->ngroups,
	    pr->groups) != 0 || setgid(pr->gid) != 0 || setuid(pr->uid) != 0))
		child_fail("bkp: cannot switch to the dump's user\n");
	if (chdir("/") != 0)
		child_fail("bkp: cannot change to /\n");
	execve(pr->path, argv, pr->envp);
	child_fail("bkp: cannot execute the dump command\n");
}

int
store_proc_start(const struct store_cmd *c, const char *name,
    struct store_proc *p)
{
	struct prep pr = { .in = -1 };
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;

	memset(p, 0, sizeof(*p));
	p->out = p->err = -1;
	if ((rc = prepare(c, name, &pr)) != 0)
		goto out;
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
	    (p->pid = fork()) == -1) {
		rc = log_errno_code("%s: cannot start", name);
		goto out;
	}
	if (p->pid == 0)
		child(&pr, c->argv, out[1], err[1]);
	setpgid(p->pid, p->pid);
	p->out = out[0];
	p->err = err[0];
	out[0] = err[0] = -1;
	p->timeout = c->timeout;
	p->deadline = c->timeout ? now_ms() + c->timeout * 1000 : 0;
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] != -1)
			close(out[i]);
		if (err[i] != -1)
			close(err[i]);
	}
	prep_free(&pr);
	return rc;
}

/* Milliseconds poll may wait: -1 without a deadline, 0 once it passed. */
static int
poll_wait(const struct store_proc *p, int most)
{
	int64_t left;

	if (p->deadline == 0)
		return most;
	left = p->deadline - now_ms();
	if (left <= 0)
		return 0;
	return most >= 0 && left > most ? most : left > INT_MAX ? INT_MAX :
	    (int)left;
}

static void
read_err(struct store_proc *p)
{
	char buf[1024];
	ssize_t n = read(p->err, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(p->err);
		p->err = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		p->tail[p->tail_pos] = buf[i];
		p->tail_pos = (p->tail_pos + 1) % sizeof(p->tail);
	}
	p->tail_len += (size_t)n;
}

ssize_t
store_proc_read(struct store_proc *p, void *buf, size_t n)
{
	for (;;) {
		struct pollfd fds[2] = { { p->out, POLLIN, 0 },
		    { p->err, POLLIN, 0 } };
		int wait = poll_wait(p, -1), r;
		ssize_t k;

		if (p->out == -1)
			return 0;
		if (wait == 0) {
			p->timed_out = 1;
			return -1;
		}
		if ((r = poll(fds, p->err == -1 ? 1 : 2, wait)) < 0 &&
		    errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (p->err != -1 && fds[1].revents)
			read_err(p);
		if (fds[0].revents == 0)
			continue;
		k = read(p->out, buf, n);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k > 0)
			return k;
		close(p->out);
		p->out = -1;
		return k;
	}
}

static void
close_pipes(struct store_proc *p)
{
	if (p->out != -1)
		close(p->out);
	if (p->err != -1)
		close(p->err);
	p->out = p->err = -1;
}

void
store_proc_kill(struct store_proc *p)
{
	int status;

	close_pipes(p);
	if (p->pid <= 0)
		return;
	kill(-p->pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(p->pid, &status, WNOHANG) == 0;
	    i++)
		poll(NULL, 0, 10);
	kill(-p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
}

/* Waits for the command's exit, reading its standard error meanwhile; 0,
 * or -1 at the deadline. */
static int
wait_exit(struct store_proc *p, int *status)
{
	for (;;) {
		struct pollfd fd = { p->err, POLLIN, 0 };
		pid_t r = waitpid(p->pid, status, WNOHANG);
		int wait = poll_wait(p, 20);

		if (r == p->pid)
			return 0;
		if (r == -1 && errno != EINTR) {
			*status = 0x7f00;	/* as if it exited 127 */
			return 0;
		}
		if (wait == 0)
			return -1;
		if (p->err == -1)
			poll(NULL, 0, wait);
		else if (poll(&fd, 1, wait) > 0)
			read_err(p);
	}
}

int
store_proc_finish(struct store_proc *p, char *why, size_t size)
{
	int status = 0;

	if (p->timed_out || wait_exit(p, &status) != 0) {
		store_proc_kill(p);
		snprintf(why, size, "timed out after %lld s",
		    (long long)p->timeout);
		return -1;
	}
	p->pid = 0;
	while (p->err != -1 &&
	    poll(&(struct pollfd){ p->err, POLLIN, 0 }, 1, 0) > 0)
		read_err(p);
	close_pipes(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, size, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(why, size, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	return -1;
}

#define STDERR_LINES 10

void
store_proc_log_stderr(const struct store_proc *p, const char *name,
    int as_error)
{
	size_t n = p->tail_len < sizeof(p->tail) ? p->tail_len :
	    sizeof(p->tail), start = (p->tail_pos + sizeof(p->tail) - n) %
	    sizeof(p->tail), lines = 0, skip;
	char text[STORE_STDERR_KEEP + 1], *s, *line, *save;

	for (size_t i = 0; i < n; i++)
		text[i] = p->tail[(start + i) % sizeof(p->tail)];
	text[n] = '\0';
	s = text;
	if (p->tail_len > sizeof(p->tail) && (line = strchr(s, '\n')))
		s = line + 1;	/* a cut first line */
	for (line = s; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	lines += s[0] != '\0' && s[strlen(s) - 1] != '\n';
	skip = lines > STDERR_LINES ? lines - STDERR_LINES : 0;
	for (line = strtok_r(s, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (skip > 0 && skip--)
			continue;
		if (as_error)
			log_error("%s: %s", name, line);
		else
			log_info("%s: %s", name, line);
	}
}

int
store_proc_capture(const struct store_cmd *c, const char *name, size_t max,
    char **outp, size_t *lenp)
{
	struct store_proc p;
	char why[96], *buf;
	size_t len = 0;
	ssize_t n = 1;
	int rc;

	*outp = NULL;
	if ((buf = malloc(max + 1)) == NULL)
		return -BKP_ENOMEM;
	if ((rc = store_proc_start(c, name, &p)) != 0) {
		free(buf);
		return rc;
	}
	while (len < max && (n = store_proc_read(&p, buf + len,
	    max - len)) > 0)
		len += (size_t)n;
	if (n > 0) {
		store_proc_kill(&p);
		log_error("%s: more than %zu bytes of output", name, max);
	} else if (store_proc_finish(&p, why, sizeof(why)) != 0) {
		log_error("%s failed (%s)", name, why);
		store_proc_log_stderr(&p, name, 1);
	} else {
		buf[len] = '\0';
		*outp = buf;
		*lenp = len;
		return 0;
	}
	free(buf);
	return -BKP_EFAILED;
}
