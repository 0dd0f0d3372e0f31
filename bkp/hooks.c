/* hooks.c: running hook commands with a time limit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "hooks.h"
#include "log.h"

#define OUTPUT_MAX 8192

static void
child(const char *cmd, const struct hook_env *env, int out)
{
	setpgid(0, 0);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	setenv("BKP_POLICY", env->policy ? env->policy : "", 1);
	setenv("BKP_LEVEL", env->level ? env->level : "", 1);
	setenv("BKP_SET", env->set ? env->set : "", 1);
	setenv("BKP_STATUS", env->status ? env->status : "", 1);
	setenv("BKP_REPOSITORY", env->repository ? env->repository : "", 1);
	/* The passphrase is ours, not the hook's. */
	unsetenv("BKP_PASSPHRASE");
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Milliseconds on a clock that no one sets. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the hook's output until it closes (0) or the deadline (ms, see
 * now_ms) passes (-1); buf gets what was read either way. */
static int
collect(int fd, char *buf, size_t size, int64_t deadline)
{
	size_t n = 0;
	int rc = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		char tmp[1024];
		ssize_t r;

		if (left <= 0) {
			rc = -1;
			break;
		}
		if (poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) <= 0)
			continue;
		if ((r = read(fd, tmp, sizeof(tmp))) <= 0)
			break;
		if (n + (size_t)r < size - 1) {
			memcpy(buf + n, tmp, (size_t)r);
			n += (size_t)r;
		}
	}
	buf[n] = '\0';
	return rc;
}

/* Waits for pid until the deadline (ms, see now_ms): 0 when it ended, -1
 * when it still runs (a hook may close its output long before it exits). */
static int
wait_until(pid_t pid, int *status, int64_t deadline)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r == -1 && errno != EINTR))
			return 0;
		if (now_ms() >= deadline)
			return -1;
		poll(NULL, 0, 10);
	}
}

static void
log_output(const char *name, char *out, int failed)
{
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (failed)
			log_warn("hook %s: %s", name, line);
		else
			log_info("hook %s: %s", name, line);
	}
}

int
hook_run(const char *name, const char *cmd, int64_t timeout,
    const struct hook_env *env)
{
	char *out;
	int fds[2], status = 0, timed_out;
	int64_t deadline;
	pid_t pid;

	if (cmd == NULL || *cmd == '\0')
		return 0;
	if ((out = malloc(OUTPUT_MAX)) == NULL)
		return -BKP_ENOMEM;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(out);
		return log_errno_code("hook %s: cannot run", name);
	}
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		free(out);
		return log_errno_code("hook %s: cannot run", name);
	}
	if (pid == 0)
		child(cmd, env, fds[1]);
	close(fds[1]);
	deadline = now_ms() + timeout * 1000;
	timed_out = collect(fds[0], out, OUTPUT_MAX, deadline) != 0 ||
	    wait_until(pid, &status, deadline) != 0;
	close(fds[0]);
	if (timed_out) {
		kill(-pid, SIGTERM);
		sleep(1);
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	log_output(name, out, timed_out || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0);
	free(out);
	if (timed_out) {
		log_error("hook %s: killed after %lld s: %s", name,
		    (long long)timeout, cmd);
		return -BKP_EFAILED;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("hook %s failed (exit %d): %s", name,
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
		    WTERMSIG(status), cmd);
		return -BKP_EFAILED;
	}
	return 0;
}
