/* ssh_channels.c: the connection's other SFTP channels, opened together.
 *
 * libssh opens an SFTP channel in three round trips, one call at a time
 * (the channel, the sftp subsystem, SFTP's version exchange); opening three
 * more that way held a backup's first part for nine round trips.  Here the
 * opens of every missing channel go out together, then their subsystem
 * requests (libssh's non-blocking mode), and only the version exchanges
 * are made one after another: five round trips for three channels.
 */
#include <errno.h>
#include <poll.h>

#include "ssh_conn.h"

/* Runs step on every channel of ch[0..n) until each has answered
 * something else than SSH_AGAIN, waiting for the socket in between; a
 * step that succeeded is not repeated (a second subsystem request on the
 * channel would be refused), and a channel that failed is freed and its
 * slot cleared.  The watchdog of the call bounds the wait: it shuts the
 * socket down, and the steps then fail. */
static void
all_steps(ssh_session ssh, ssh_channel *ch, unsigned n,
    int (*step)(ssh_channel))
{
	int pending[SSH_LANES_MAX];
	unsigned left = 0;

	for (unsigned k = 0; k < n; k++)
		left += pending[k] = ch[k] != NULL;
	while (left > 0) {
		struct pollfd p = { .fd = ssh_get_fd(ssh), .events = POLLIN };

		for (unsigned k = 0; k < n; k++) {
			int rc;

			if (!pending[k] || (rc = step(ch[k])) == SSH_AGAIN)
				continue;
			pending[k] = 0;
			left--;
			if (rc != SSH_OK) {
				ssh_channel_free(ch[k]);
				ch[k] = NULL;
			}
		}
		if (left > 0 && poll(&p, 1, 1000) < 0 && errno != EINTR)
			return;
	}
}

static int
subsystem(ssh_channel ch)
{
	return ssh_channel_request_subsystem(ch, "sftp");
}

void
ssh_channels_open(struct ssh_conn *c)
{
	ssh_channel ch[SSH_LANES_MAX] = { NULL };
	unsigned n = (unsigned)c->lanes;

	for (unsigned k = 1; k < n; k++)
		if (c->lane[k] == NULL &&
		    (ch[k] = ssh_channel_new(c->ssh)) == NULL)
			break;
	ssh_set_blocking(c->ssh, 0);
	all_steps(c->ssh, ch, n, ssh_channel_open_session);
	all_steps(c->ssh, ch, n, subsystem);
	ssh_set_blocking(c->ssh, 1);
	for (unsigned k = 1; k < n; k++) {
		sftp_session s;

		if (ch[k] == NULL)
			continue;
		if ((s = sftp_new_channel(c->ssh, ch[k])) == NULL) {
			ssh_channel_free(ch[k]);
			continue;
		}
		if (sftp_init(s) != 0) {
			sftp_free(s);	/* and its channel */
			continue;
		}
		c->lane[k] = s;
	}
}
