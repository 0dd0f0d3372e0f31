/* cmd_backup.c: bkp backup --policy FILE [--level full|incr|auto]. */
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "cli.h"
#include "error.h"
#include "lock.h"
#include "log.h"
#include "policy.h"

static const char usage[] =
"usage: bkp backup --policy FILE [--level full|incr|auto] [--checksum]\n"
"                  [--json]\n"
"\n"
"Backs up the sources of the policy into its repository.  auto (the\n"
"default) makes a full backup when there is no usable parent (no earlier\n"
"set, or the local manifest cache is missing) and an incremental\n"
"otherwise.  Needs only the public key and the signing key.\n"
"\n"
"  -p, --policy FILE   the policy (see bkp-policy(5))\n"
"  -l, --level LEVEL   full, incr or auto\n"
"  -c, --checksum      re-read files that look unchanged and compare hashes\n"
"  -j, --json          print the result as JSON\n"
"  -A, --accept-new-host-key  trust an SFTP server seen for the first time\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 success, 1 completed with warnings (files that vanished,\n"
"changed or could not be read; listed on stderr), other codes: bkp(1).\n";

struct backup_args {
	const char *policy;
	struct backup_request req;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct backup_args *a = ctx;

	switch (c) {
	case 'p':
		a->policy = arg;
		break;
	case 'l':
		if (strcmp(arg, "full") == 0)
			a->req.level = BACKUP_FULL;
		else if (strcmp(arg, "incr") == 0 ||
		    strcmp(arg, "incremental") == 0)
			a->req.level = BACKUP_INCR;
		else if (strcmp(arg, "auto") == 0)
			a->req.level = BACKUP_AUTO;
		else {
			log_error("backup: --level must be full, incr or auto");
			return -BKP_EUSAGE;
		}
		break;
	case 'c':
		a->req.checksum = 1;
		break;
	case 'j':
		a->req.json = 1;
		break;
	case 'A':
		a->req.accept_new_host_key = 1;
		break;
	}
	return 0;
}

int
cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "level", required_argument, NULL, 'l' },
		{ "checksum", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "accept-new-host-key", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_args a = { .req.level = BACKUP_AUTO };
	struct backup_result res;
	struct policy *p;
	struct lock *l = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.policy == NULL)
		return cli_missing("backup", "--policy FILE");
	if ((rc = policy_load(a.policy, &p)) != 0)
		return rc;
	if ((rc = lock_policy(p->name, &l)) == 0)
		rc = backup_policy(p, &a.req, &res);
	lock_release(l);
	policy_free(p);
	return rc;
}
