/* cmd_key.c: bkp key passwd | rotate | trust | revoke — the life of keys. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "keyrotate.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"
#include "repo.h"
#include "repogen.h"

static const char usage[] =
"usage: bkp key passwd --key FILE [--passphrase-file F]\n"
"                      [--new-passphrase-file F]\n"
"       bkp key rotate --repo URL --key OLD.key --out DIR [--keep-old]\n"
"                      [--passphrase-file F] [--new-passphrase-file F]\n"
"                      [SFTP OPTIONS]\n"
"       bkp key trust --repo URL --pub FILE [SFTP OPTIONS]\n"
"       bkp key revoke --repo URL --signer KEYID [SFTP OPTIONS]\n"
"\n"
"passwd  puts the secret key FILE under a new passphrase (the file is\n"
"        replaced atomically, mode 0600).  The old passphrase comes from\n"
"        --passphrase-file, $BKP_PASSPHRASE or a prompt; the new one from\n"
"        --new-passphrase-file, $BKP_NEW_PASSPHRASE or a prompt (twice).\n"
"rotate  makes a new repository key pair in DIR (repo.key under the new\n"
"        passphrase, repo.pub; the signing key stays), seals every set's\n"
"        data key to it (small key objects only: no part is read or\n"
"        written), makes it the repository's key, and removes the key\n"
"        objects of the old key, after which OLD.key opens nothing.  Run\n"
"        again, it resumes.  --keep-old leaves the old key objects: both\n"
"        keys work until a run without it.  Then point the policies'\n"
"        [keys] public at DIR/repo.pub.\n"
"trust   adds the signing key of FILE (a repo.pub) to the repository's\n"
"        trusted signers (backup hosts with that key may write sets).\n"
"revoke  removes signing key KEYID from the trusted signers and lists it\n"
"        as revoked: sets it sealed are trusted by no reader any more\n"
"        (snapshots, restore, verify, find).\n"
"\n"
"  -k, --key FILE                 a secret key file (repo.key)\n"
"  -p, --passphrase-file FILE     its passphrase\n"
"  -N, --new-passphrase-file FILE the new passphrase\n"
"  -r, --repo URL                 the repository\n"
"  -o, --out DIR                  rotate: where the new key goes\n"
"  -O, --keep-old                 rotate: keep the old key's key objects\n"
"  -u, --pub FILE                 trust: the public key file\n"
"  -s, --signer KEYID             revoke: the signing key's id (16 hex\n"
"                                 digits, as bkp keygen prints it)\n"
"  -h, --help                     this text\n"
CLI_TRANSPORT_HELP;

struct key_args {
	const char *key, *passfile, *newpass, *repo, *out, *pub, *signer;
	int keep_old;
	struct transport_opts topts;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct key_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	switch (c) {
	case 'k': a->key = arg; break;
	case 'p': a->passfile = arg; break;
	case 'N': a->newpass = arg; break;
	case 'r': a->repo = arg; break;
	case 'o': a->out = arg; break;
	case 'O': a->keep_old = 1; break;
	case 'u': a->pub = arg; break;
	case 's': a->signer = arg; break;
	}
	return 0;
}

/* Writes w to path through a temporary file in the same directory: the
 * old file stays whole until the rename. */
static int
replace_keyfile(const char *path, const struct wbuf *w)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	unlink(tmp);
	if ((rc = keyfile_write(tmp, w)) != 0)
		return rc;
	if (rename(tmp, path) != 0) {
		rc = log_errno_code("%s: cannot replace", path);
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

static int
key_passwd(const struct key_args *a)
{
	struct bkp_seckey *sec = NULL;
	char *pass = NULL, id[KEY_ID_HEX];
	struct wbuf w;
	size_t len;
	int rc;

	if (a->key == NULL)
		return cli_missing("key passwd", "--key FILE");
	wbuf_init(&w);
	if ((rc = seckey_load(a->key, a->passfile, &sec)) != 0 ||
	    (rc = passphrase_get_new(a->newpass, &pass, &len)) != 0 ||
	    (rc = seckey_encode(sec, pass, len, &w)) != 0 ||
	    (rc = replace_keyfile(a->key, &w)) != 0)
		goto out;
	key_id(sec->box_pk, id);
	printf("key %s in %s: passphrase changed\n", id, a->key);
	audit_event("key.passwd", &(struct audit_fields){ .target = a->key,
	    .what = id });
out:
	wbuf_release(&w);
	passphrase_free(pass);
	seckey_free(sec);
	return rc;
}

/* Writes the changed config as the next generation, and records it. */
static int
update_config(struct repo *r, const struct key_args *a,
    const struct repo_config *c, const char *event, const char *id)
{
	int rc;

	if ((rc = repogen_update(r, c)) != 0)
		return rc;
	audit_event(event, &(struct audit_fields){ .repo = a->repo,
	    .what = id });
	audit_ship_to(a->repo, &a->topts);
	return 0;
}

static int
in_list(const uint8_t (*v)[32], uint32_t n, const uint8_t pk[32])
{
	for (uint32_t i = 0; i < n; i++)
		if (sodium_memcmp(v[i], pk, 32) == 0)
			return (int)i;
	return -1;
}

static int
key_trust(const struct key_args *a, struct repo *r)
{
	struct repo_config c = *repo_config(r);
	struct bkp_pubkey pub;
	char id[KEY_ID_HEX];
	int rc;

	if (a->pub == NULL)
		return cli_missing("key trust", "--pub FILE");
	if ((rc = pubkey_load(a->pub, &pub)) != 0)
		return rc;
	key_id(pub.sign_pk, id);
	if (in_list((const uint8_t (*)[32])c.revoked, c.nrevoked,
	    pub.sign_pk) >= 0) {
		log_error("%s: signing key %s was revoked; a revoked key is "
		    "never trusted again (make a new one with bkp keygen)",
		    a->repo, id);
		return -BKP_EKEY;
	}
	if (in_list((const uint8_t (*)[32])c.signers, c.nsigners,
	    pub.sign_pk) >= 0) {
		printf("%s already trusts signing key %s\n", a->repo, id);
		return 0;
	}
	if (c.nsigners == REPO_MAX_SIGNERS) {
		log_error("%s: already %d trusted signing keys", a->repo,
		    REPO_MAX_SIGNERS);
		return -BKP_EREPO;
	}
	memcpy(c.signers[c.nsigners++], pub.sign_pk, 32);
	if ((rc = update_config(r, a, &c, "key.trust", id)) == 0)
		printf("%s now trusts signing key %s\n", a->repo, id);
	return rc;
}

/* The index of the trusted signer whose id (or hex key) is s, or -1. */
static int
find_signer(const struct repo_config *c, const char *s)
{
	char id[KEY_ID_HEX], hex[65];

	for (uint32_t i = 0; i < c->nsigners; i++) {
		key_id(c->signers[i], id);
		sodium_bin2hex(hex, sizeof(hex), c->signers[i], 32);
		if (strcmp(s, id) == 0 || strcmp(s, hex) == 0)
			return (int)i;
	}
	return -1;
}

static int
key_revoke(const struct key_args *a, struct repo *r)
{
	struct repo_config c = *repo_config(r);
	char id[KEY_ID_HEX];
	int i, rc;

	if (a->signer == NULL)
		return cli_missing("key revoke", "--signer KEYID");
	for (uint32_t k = 0; k < c.nrevoked; k++) {
		key_id(c.revoked[k], id);
		if (strcmp(id, a->signer) == 0) {
			printf("%s: signing key %s is already revoked\n",
			    a->repo, id);
			return 0;
		}
	}
	if ((i = find_signer(&c, a->signer)) < 0) {
		log_error("%s: no trusted signing key %s (bkp snapshots "
		    "--json lists the signers of the sets)", a->repo,
		    a->signer);
		return -BKP_ENOTFOUND;
	}
	key_id(c.signers[i], id);
	if (c.nsigners == 1 || c.nrevoked == REPO_MAX_SIGNERS) {
		log_error("%s: cannot revoke %s: %s", a->repo, id,
		    c.nsigners == 1 ? "it is the only trusted signing key; "
		    "trust its successor first (bkp key trust)" :
		    "the revoked list is full");
		return -BKP_EUSAGE;
	}
	memcpy(c.revoked[c.nrevoked++], c.signers[i], 32);
	memmove(c.signers[i], c.signers[i + 1],
	    (c.nsigners - (uint32_t)i - 1) * 32);
	memset(c.signers[--c.nsigners], 0, 32);
	if ((rc = update_config(r, a, &c, "key.revoke", id)) == 0)
		printf("%s: signing key %s revoked: the sets it sealed are no "
		    "longer trusted\n", a->repo, id);
	return rc;
}

/* trust and revoke: a change of the repository config. */
static int
key_config(const char *sub, const struct key_args *a)
{
	struct repo *r;
	int rc;

	if (a->repo == NULL)
		return cli_missing("key", "--repo URL");
	if ((rc = repo_open(a->repo, &a->topts, &r)) != 0)
		return rc;
	rc = strcmp(sub, "trust") == 0 ? key_trust(a, r) : key_revoke(a, r);
	repo_close(r);
	return rc;
}

static int
key_rotate_cmd(const struct key_args *a)
{
	struct key_rotate_opts o = {
		.url = a->repo, .topts = &a->topts, .oldkey = a->key,
		.passfile = a->passfile, .newpass = a->newpass, .out = a->out,
		.keep_old = a->keep_old,
	};

	if (a->repo == NULL)
		return cli_missing("key rotate", "--repo URL");
	if (a->key == NULL)
		return cli_missing("key rotate", "--key OLD.key");
	if (a->out == NULL)
		return cli_missing("key rotate", "--out DIR");
	return key_rotate(&o);
}

int
cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "new-passphrase-file", required_argument, NULL, 'N' },
		{ "repo", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep-old", no_argument, NULL, 'O' },
		{ "pub", required_argument, NULL, 'u' },
		{ "signer", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const subs[] = { "passwd", "rotate", "trust",
	    "revoke", NULL };
	struct key_args a = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";
	char **v;
	int i, rc;

	for (i = 0; subs[i] && strcmp(subs[i], sub) != 0; i++)
		;
	if (subs[i] == NULL) {
		if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		log_error("key: say passwd, rotate, trust or revoke; see bkp "
		    "key --help");
		return -BKP_EUSAGE;
	}
	if ((v = calloc((size_t)argc, sizeof(*v))) == NULL)
		return -BKP_ENOMEM;
	v[0] = argv[0];
	memcpy(v + 1, argv + 2, (size_t)(argc - 2) * sizeof(*v));
	if ((rc = cli_parse(argc - 1, v, usage, opts, on_opt, &a)) != 0)
		rc = rc > 0 ? 0 : rc;
	else if (optind < argc - 1) {
		log_error("key: unexpected argument '%s'; see bkp key --help",
		    v[optind]);
		rc = -BKP_EUSAGE;
	} else if (i == 0)
		rc = key_passwd(&a);
	else if (i == 1)
		rc = key_rotate_cmd(&a);
	else
		rc = key_config(sub, &a);
	free(v);
	return rc;
}
