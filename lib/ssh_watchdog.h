/* ssh_watchdog.h: a deadline for blocking libssh calls.
 *
 * libssh 0.10 waits forever for SFTP replies in blocking mode
 * (SSH_OPTIONS_TIMEOUT covers only connecting and authenticating).  A
 * watchdog thread shuts the connection's socket down when a call armed
 * with a deadline has not returned by then; libssh then sees the socket
 * closed and the call fails, so a dead link or a hung server costs at most
 * the deadline, never a hang.
 */
#ifndef BKP_SSH_WATCHDOG_H
#define BKP_SSH_WATCHDOG_H

struct ssh_watchdog;

/* Starts the thread watching socket fd (which it never closes). */
int ssh_watchdog_start(int fd, struct ssh_watchdog **wp);
/* Stops and frees it; NULL is fine. */
void ssh_watchdog_stop(struct ssh_watchdog *w);

/* The socket is shut down unless disarm comes within seconds. */
void ssh_watchdog_arm(struct ssh_watchdog *w, int seconds);
void ssh_watchdog_disarm(struct ssh_watchdog *w);
/* 1 once the watchdog has shut the socket down. */
int ssh_watchdog_fired(struct ssh_watchdog *w);

#endif
