/* cmd_init.c: bkp init --repo URL --pub FILE. */
#include <stdio.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "keys.h"
#include "repo.h"

static const char usage[] =
"usage: bkp init --repo URL --pub FILE [SFTP OPTIONS]\n"
"\n"
"Creates a repository at URL (a local directory or\n"
"sftp://user@host[:port]/path, new or empty) for the public keys in FILE\n"
"(repo.pub from bkp keygen).\n"
"\n"
"  -r, --repo URL   the repository\n"
"  -k, --pub FILE   public key file\n"
"  -h, --help       this text\n"
CLI_TRANSPORT_HELP;

struct init_args {
	const char *repo, *pub;
	struct transport_opts topts;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct init_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	if (c == 'r')
		a->repo = arg;
	else if (c == 'k')
		a->pub = arg;
	return 0;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "pub", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct init_args a = { 0 };
	struct bkp_pubkey pub;
	char id[REPO_ID_HEX];
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.repo == NULL)
		return cli_missing("init", "--repo URL");
	if (a.pub == NULL)
		return cli_missing("init", "--pub FILE");
	if ((rc = pubkey_load(a.pub, &pub)) != 0 ||
	    (rc = repo_init(a.repo, &a.topts, &pub, id)) != 0)
		return rc;
	printf("created repository %s at %s\n", id, a.repo);
	audit_event("init", &(struct audit_fields){ .repo = a.repo,
	    .what = id });
	return 0;
}
