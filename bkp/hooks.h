/* hooks.h: the policy's pre, post and on_failure commands. */
#ifndef BKP_HOOKS_H
#define BKP_HOOKS_H

#include <stdint.h>

/* The environment a hook sees, besides the caller's. */
struct hook_env {
	const char *policy, *level, *set, *status, *repository;
};

/* Runs cmd with /bin/sh -c, its output going to the log (stderr when
 * verbose or when it fails, syslog).  After timeout seconds its process
 * group gets SIGTERM, then SIGKILL.  0, or -BKP_EFAILED (reported). */
int hook_run(const char *name, const char *cmd, int64_t timeout,
    const struct hook_env *env);

#endif
