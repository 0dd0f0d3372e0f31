/* cmd_keygen.c: bkp keygen --out DIR. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"

static const char usage[] =
"usage: bkp keygen --out DIR [--passphrase-file FILE]\n"
"\n"
"Makes DIR/repo.pub (public repository key and public signing key),\n"
"DIR/repo.key (secret repository key, encrypted under a passphrase) and\n"
"DIR/sign.key (secret signing key).  A backup host needs only repo.pub and\n"
"sign.key; repo.key is needed to restore and to verify contents: keep it\n"
"away from the hosts that back up.  Existing files are never overwritten.\n"
"\n"
"The passphrase comes from --passphrase-file, the environment variable\n"
"BKP_PASSPHRASE, or the terminal (asked twice).\n"
"\n"
"  -o, --out DIR              directory for the key files (created 0700)\n"
"  -p, --passphrase-file FILE read the passphrase from FILE's first line\n"
"  -h, --help                 this text\n";

struct keygen_args {
	const char *out;
	const char *passfile;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct keygen_args *a = ctx;

	if (c == 'o')
		a->out = arg;
	else if (c == 'p')
		a->passfile = arg;
	return 0;
}

static int
write_keys(const char *dir, const struct bkp_seckey *sec,
    const struct bkp_signkey *sig, const char *pass, size_t passlen)
{
	struct bkp_pubkey pub;
	struct wbuf w;
	char path[4096];
	int rc;

	memcpy(pub.box_pk, sec->box_pk, 32);
	memcpy(pub.sign_pk, sig->pk, 32);
	wbuf_init(&w);
	snprintf(path, sizeof(path), "%s/repo.key", dir);
	if ((rc = seckey_encode(sec, pass, passlen, &w)) != 0 ||
	    (rc = keyfile_write(path, &w)) != 0)
		goto out;
	wbuf_release(&w);
	snprintf(path, sizeof(path), "%s/sign.key", dir);
	if ((rc = signkey_encode(sig, &w)) != 0 ||
	    (rc = keyfile_write(path, &w)) != 0)
		goto out;
	wbuf_release(&w);
	snprintf(path, sizeof(path), "%s/repo.pub", dir);
	if ((rc = pubkey_encode(&pub, &w)) != 0 ||
	    (rc = keyfile_write(path, &w)) != 0)
		goto out;
out:
	wbuf_release(&w);
	return rc;
}

static void
audit_keygen(const struct bkp_seckey *sec, const struct bkp_signkey *sig,
    const char *dir)
{
	char box[KEY_ID_HEX], sign[KEY_ID_HEX], what[80];

	key_id(sec->box_pk, box);
	key_id(sig->pk, sign);
	snprintf(what, sizeof(what), "repository key %s, signing key %s", box,
	    sign);
	audit_event("keygen", &(struct audit_fields){ .target = dir,
	    .what = what });
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keygen_args a = { NULL, NULL };
	struct bkp_seckey *sec = NULL;
	struct bkp_signkey *sig = NULL;
	char *pass = NULL, id[KEY_ID_HEX];
	size_t passlen;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.out == NULL)
		return cli_missing("keygen", "--out DIR");
	if (mkdir(a.out, 0700) != 0 && errno != EEXIST)
		return log_errno_code("%s: cannot create directory", a.out);
	if ((rc = passphrase_get(a.passfile, 1, &pass, &passlen)) != 0 ||
	    (rc = keys_generate(&sec, &sig)) != 0 ||
	    (rc = write_keys(a.out, sec, sig, pass, passlen)) != 0)
		goto out;
	key_id(sec->box_pk, id);
	printf("repository key %s written to %s/repo.key (secret) and "
	    "%s/repo.pub\n", id, a.out, a.out);
	key_id(sig->pk, id);
	printf("signing key %s written to %s/sign.key\n", id, a.out);
	audit_keygen(sec, sig, a.out);
out:
	passphrase_free(pass);
	seckey_free(sec);
	signkey_free(sig);
	return rc;
}
