/* ssh_auth.h: who the server is (host keys) and who we are (public keys)
 * for the SFTP transport. */
#ifndef BKP_SSH_AUTH_H
#define BKP_SSH_AUTH_H

#include <libssh/libssh.h>

#include "ssh_conn.h"

/* Checks the server's host key against known_hosts, strictly: a changed
 * key is always refused, an unknown one unless accept_new, in which case
 * it is added to the file.  0 or -BKP_ETRANSPORT, reported. */
int ssh_auth_check_host(ssh_session s, const struct ssh_target *t,
    const char *known_hosts, int accept_new);

/* Public key authentication: the identity file if given; else ssh-agent,
 * then ~/.ssh/id_ed25519, id_ecdsa and id_rsa.  Never a password.  0 or
 * -BKP_ETRANSPORT, reported. */
int ssh_auth_user(ssh_session s, const struct ssh_target *t,
    const char *identity);

#endif
