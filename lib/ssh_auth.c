/* ssh_auth.c: host key check and user authentication.
 *
 * Host keys are checked the way OpenSSH does with StrictHostKeyChecking
 * accept-new, and never looser: a key that differs from the one on file
 * stops the run whatever the options say, and nothing is sent to that
 * server.  Only the known_hosts file named (or ~/.ssh/known_hosts) counts;
 * the global one is not read, so a test or a policy sees exactly the file
 * it names.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "ssh_auth.h"

/* How known_hosts spells the host: "host" or "[host]:port". */
static void
host_name(const struct ssh_target *t, char *buf, size_t size)
{
	if (t->port == 22)
		snprintf(buf, size, "%s", t->host);
	else
		snprintf(buf, size, "[%s]:%u", t->host, t->port);
}

/* "SHA256:..." of the server's key, and its type. */
static char *
fingerprint(ssh_session s, const char **type)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen;
	char *fp = NULL;

	if (ssh_get_server_publickey(s, &key) != SSH_OK)
		return NULL;
	*type = ssh_key_type_to_char(ssh_key_type(key));
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		    hlen);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return fp;
}

static int
add_host(ssh_session s, const struct ssh_target *t, const char *host,
    const char *kh, const char *key)
{
	if (ssh_session_update_known_hosts(s) != SSH_OK) {
		log_error("%s: cannot add the host key of %s to %s: %s",
		    t->label, host, kh, ssh_get_error(s));
		return -BKP_ETRANSPORT;
	}
	log_warn("%s: first connection: added the host key of %s (%s) to %s",
	    t->label, host, key, kh);
	return 0;
}

int
ssh_auth_check_host(ssh_session s, const struct ssh_target *t,
    const char *kh, int accept_new)
{
	char host[300], key[160];
	const char *type = "?";
	enum ssh_known_hosts_e state;
	char *fp;
	int rc = -BKP_ETRANSPORT;

	host_name(t, host, sizeof(host));
	if ((fp = fingerprint(s, &type)) == NULL) {
		log_error("%s: cannot read the server's host key: %s",
		    t->label, ssh_get_error(s));
		return -BKP_ETRANSPORT;
	}
	snprintf(key, sizeof(key), "%s %s", type, fp);
	ssh_string_free_char(fp);
	switch ((state = ssh_session_is_known_server(s))) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		log_error("%s: the host key of %s has CHANGED: the server now "
		    "shows %s, and %s holds another %sfor it; this may be an "
		    "attack (or a reinstalled server): check the new key with "
		    "the server's administrator, then edit %s; nothing was "
		    "sent", t->label, host, key, kh,
		    state == SSH_KNOWN_HOSTS_OTHER ? "type of key " : "key ",
		    kh);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (accept_new)
			return add_host(s, t, host, kh, key);
		log_error("%s: unknown host %s (its key %s is not in %s); if "
		    "that is the server's key, re-run with "
		    "--accept-new-host-key", t->label, host, key, kh);
		break;
	default:
		log_error("%s: cannot check the host key against %s: %s",
		    t->label, kh, ssh_get_error(s));
	}
	return rc;
}

enum auth_result { AUTH_OK, AUTH_NO, AUTH_FAIL };

static void
note(char *tried, size_t size, const char *what)
{
	size_t len = strlen(tried);

	snprintf(tried + len, size - len, "%s%s", len ? ", " : "", what);
}

static enum auth_result
offer(ssh_session s, const struct ssh_target *t, int rc)
{
	if (rc == SSH_AUTH_SUCCESS)
		return AUTH_OK;
	if (rc == SSH_AUTH_ERROR && !ssh_is_connected(s)) {
		log_error("%s: authentication failed: %s", t->label,
		    ssh_get_error(s));
		return AUTH_FAIL;
	}
	return AUTH_NO;
}

/* required: the file was named; any problem with it is an error. */
static enum auth_result
try_file(ssh_session s, const struct ssh_target *t, const char *path,
    int required, char *tried, size_t size)
{
	ssh_key key = NULL;
	int rc;

	if (access(path, R_OK) != 0) {
		if (!required)
			return AUTH_NO;
		log_errno("%s: cannot read the identity %s", t->label, path);
		return AUTH_FAIL;
	}
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) !=
	    SSH_OK) {
		if (!required)
			return AUTH_NO;
		log_error("%s: cannot load the identity %s: not a private "
		    "key, or protected by a passphrase (bkp never asks for "
		    "one: load such keys into ssh-agent)", t->label, path);
		return AUTH_FAIL;
	}
	note(tried, size, path);
	rc = ssh_userauth_publickey(s, NULL, key);
	ssh_key_free(key);
	return offer(s, t, rc);
}

static enum auth_result
try_defaults(ssh_session s, const struct ssh_target *t, char *tried,
    size_t size)
{
	static const char *const names[] = { "id_ed25519", "id_ecdsa",
	    "id_rsa" };
	const char *home = getenv("HOME");
	struct passwd *pw;
	enum auth_result r = AUTH_NO;
	char path[4096];

	if ((home == NULL || *home == '\0') &&
	    (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL)
		return AUTH_NO;
	for (size_t i = 0; r == AUTH_NO && i < sizeof(names) /
	    sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/.ssh/%s", home, names[i]);
		r = try_file(s, t, path, 0, tried, size);
	}
	return r;
}

int
ssh_auth_user(ssh_session s, const struct ssh_target *t, const char *identity)
{
	char tried[1024] = "";
	enum auth_result r;

	if (identity != NULL) {
		r = try_file(s, t, identity, 1, tried, sizeof(tried));
	} else {
		r = AUTH_NO;
		if (getenv("SSH_AUTH_SOCK") != NULL) {
			note(tried, sizeof(tried), "ssh-agent");
			r = offer(s, t, ssh_userauth_agent(s, NULL));
		}
		if (r == AUTH_NO)
			r = try_defaults(s, t, tried, sizeof(tried));
	}
	if (r == AUTH_OK)
		return 0;
	if (r == AUTH_NO)
		log_error("%s: authentication failed for %s@%s: the server "
		    "accepted none of the keys offered (%s); check that the "
		    "public key is in the authorized_keys of %s on the server "
		    "(passwords are never used)", t->label, t->user, t->host,
		    *tried ? tried : "no ssh-agent, no ~/.ssh/id_* key",
		    t->user);
	return -BKP_ETRANSPORT;
}
