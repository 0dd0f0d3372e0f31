/* cmd_unlock.c: bkp unlock --repo URL [--all] */
#include <stdio.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "repo.h"
#include "repolock.h"

static const char usage[] =
"usage: bkp unlock --repo URL [--all] [SFTP OPTIONS]\n"
"\n"
"Removes the repository locks (locks/ in the repository) that are stale:\n"
"those of a process on this host that is gone, those not refreshed for 30\n"
"minutes (their host crashed or lost the repository), and damaged ones.\n"
"Prune and destroy do this on their own; bkp unlock is for looking, and\n"
"for --all.  Every lock left in place is listed with its holder.  Each\n"
"removal is a warning and an audit record (lock.remove).\n"
"\n"
"  -r, --repo URL      the repository\n"
"  -a, --all           remove every lock, also those of running processes:\n"
"                      only when nothing writes to the repository\n"
"  -h, --help          this text\n"
CLI_TRANSPORT_HELP;

struct unlock_args {
	const char *repo;
	int all;
	struct transport_opts topts;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct unlock_args *a = ctx;

	if (cli_transport_opt(c, arg, &a->topts))
		return 0;
	if (c == 'r')
		a->repo = arg;
	else if (c == 'a')
		a->all = 1;
	return 0;
}

static void
print_held(void *arg, const char *holder)
{
	size_t *n = arg;

	printf("held: %s\n", holder);
	(*n)++;
}

int
cmd_unlock(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct unlock_args a = { 0 };
	struct repo *r = NULL;
	size_t removed = 0, held = 0;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.repo == NULL)
		return cli_missing("unlock", "--repo URL");
	if ((rc = repo_open(a.repo, &a.topts, &r)) != 0 ||
	    (rc = repolock_unlock(r, a.all, print_held, &held,
	    &removed)) != 0)
		goto out;
	printf("removed %zu lock(s); %zu held\n", removed, held);
	if (removed > 0)
		audit_ship_to(a.repo, &a.topts);
out:
	repo_close(r);
	return rc;
}
