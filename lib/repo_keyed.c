/* repo_keyed.c: see repo_keyed.h. */
#include <pthread.h>

#include "error.h"
#include "passphrase.h"
#include "repo_keyed.h"

struct unlock {
	const char *keyfile;
	char *pass;
	size_t passlen;
	struct bkp_seckey *sec;
	int rc;
};

static void *
unlock(void *arg)
{
	struct unlock *u = arg;

	u->rc = seckey_load_pass(u->keyfile, u->pass, u->passlen, &u->sec);
	return NULL;
}

int
repo_open_keyed(const char *url, const struct transport_opts *o,
    const char *keyfile, const char *passfile, struct repo **repo,
    struct bkp_seckey **sec)
{
	struct unlock u = { .keyfile = keyfile };
	pthread_t th;
	int threaded, rc;

	*repo = NULL;
	*sec = NULL;
	if ((rc = passphrase_get(passfile, 0, &u.pass, &u.passlen)) != 0)
		return rc;
	threaded = pthread_create(&th, NULL, unlock, &u) == 0;
	if (!threaded)
		unlock(&u);
	rc = repo_open(url, o, repo);
	if (threaded)
		pthread_join(th, NULL);
	passphrase_free(u.pass);
	if (u.rc != 0 || rc != 0) {
		repo_close(*repo);
		*repo = NULL;
		seckey_free(u.sec);
		return u.rc != 0 ? u.rc : rc;
	}
	*sec = u.sec;
	return 0;
}
